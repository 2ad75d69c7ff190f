"""Profiles and grades at national scale: a stand-in data.gouv.fr whose local-authority
organisations publish exactly the number of datasets the Observatoire 2021 counted for
them on data.gouv.fr (``nb-datagouv``), harvested, matched and graded through the real
path on the national reference built from the mirror. The counts must come out as the
Observatoire gives them, for France and for Haute-Garonne."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from odlab_compliance import db
from odlab_compliance.config import load_settings
from odlab_compliance.ingest.harvest.run import run_harvest
from odlab_compliance.model import publication, quality, snapshots
from tests.fixtures.harvest.site import Dataset, Org, Site

pytestmark = [pytest.mark.mirror, pytest.mark.slow]
COLLECTIVITES = ["COM", "CC", "CA", "CU", "MET", "EPT", "DEP", "REG"]


def siret(siren: str) -> str:
    """A head-office SIRET of ``siren`` that passes the Luhn check (as real ones do)."""
    for nic in range(10, 100000):
        candidate = f"{siren}{nic:05d}"
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise ValueError(siren)


def stand_in(edition: pd.DataFrame) -> Site:
    """One organisation per collectivité with data.gouv.fr datasets (SIRET = SIREN + a
    head-office suffix), each with its Observatoire count of datasets; dates, frequencies
    and formats vary with the dataset's rank so that grades spread."""
    site = Site()
    for r in edition.itertuples():
        org = Org(f"{int(r.siren):024x}", str(r.nom), siret(r.siren))
        site.orgs.append(org)
        for i in range(int(r.n)):
            site.datasets.append(Dataset(
                f"{int(r.siren):015x}{i:09x}", org.id, f"Jeu {i}",
                last_modified=(pd.Timestamp("2026-11-15") - pd.Timedelta(days=(i * 97) % 900)
                               ).isoformat(),
                frequency="annual" if i % 3 else "monthly",
                format="pdf" if i % 4 == 3 else "csv",
                schema="scdl/deliberations" if i == 1 else ""))
    return site


def test_national_profiles_keep_the_observatoire_counts(national_home, mirror_dir, tmp_path,
                                                       server, monkeypatch):
    raw = pd.read_csv(mirror_dir / "odf" / "observatoire-organisations-2021.csv", dtype=str)
    raw = raw[raw["type"].isin(COLLECTIVITES)].copy()
    raw["siren"] = raw["siren"].str.strip()
    raw["n"] = pd.to_numeric(raw["nb-datagouv"], errors="coerce").fillna(0).astype(int)
    published = raw[(raw["n"] > 0) & raw["siren"].str.fullmatch(r"\d{9}")]
    home = tmp_path / "home"
    shutil.copytree(national_home, home)
    for k in ("ODLAB_HOME", "ODLAB_MIRROR_DIR", "ODLAB_DATAGOUV_URL"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("ODLAB_HOME", str(home))
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
    monkeypatch.setenv("ODLAB_DATAGOUV_URL", server.url)
    stand_in(published).install(server)
    settings = load_settings()
    assert run_harvest(settings, sources=["datagouv"]).status == "done"
    with db.connect(settings) as con:
        snap = snapshots.resolve(snapshots.list_snapshots(con))
        prof = publication.snapshot_profiles(con, snap)
        matches = con.execute("SELECT publisher_id, siren, method, confidence, decision, flags"
                              " FROM harvest_match WHERE run_id = ?", [snap.id]).df()
        in_ref = {r[0] for r in con.execute(
            "SELECT siren FROM ref_collectivite WHERE vintage = 2026").fetchall()}
        deps = dict(con.execute("SELECT siren, departement FROM ref_collectivite"
                                " WHERE vintage = 2026").fetchall())
    got = prof.set_index("siren")["nb_jeux"]
    # SIRENs gone since 2021 (merged EPCI, Corse, Alsace) are credited to their successor,
    # with others' datasets: the comparison is on those still in the 2026 reference.
    want = published[published["siren"].isin(in_ref)].set_index("siren")["n"]
    found = want.index.intersection(got.index)
    # A successor (CA Paris - Vallée de la Marne, 2016) also gets its predecessor's
    # datasets through the matcher's succession: it is left out of the exact comparison.
    own = {f"{int(s):024x}": s for s in published["siren"]}
    heirs = set(matches.loc[matches["publisher_id"].map(own) != matches["siren"], "siren"])
    found = found.difference(list(heirs))
    # Every collectivité of the edition still in the 2026 reference is found, with its count.
    lost = want.index.difference(got.index)
    info = published[published["siren"].isin(lost)][["siren", "nom", "type"]]
    info["org"] = info["siren"].map(lambda s: f"{int(s):024x}")
    info = info.merge(matches, left_on="org", right_on="publisher_id", how="left")
    assert len(found) >= 0.99 * len(want), info.head(25).to_string()
    diff = pd.DataFrame({"profil": got[found], "observatoire": want[found]})
    diff = diff[diff["profil"] != diff["observatoire"]]
    assert diff.empty, diff.head(20).to_string()
    for name, sirens in (("France", found),
                         ("Haute-Garonne", [s for s in found if deps.get(s) == "31"])):
        dist = quality.distribution(prof[prof["siren"].isin(sirens)])
        ref = want[sirens]
        assert dist.median_datasets == ref.median(), name
        assert dist.one_or_two == int((ref <= 2).sum()), name
        assert dist.fifty_or_more == int((ref >= 50).sum()), name
        print(f"{name} : {len(sirens)} collectivités, notes {dist.counts}, médiane "
              f"{dist.median_datasets} jeux, {dist.one_or_two} publient 1 ou 2 jeux, "
              f"{dist.fifty_or_more} en publient 50 ou plus")
