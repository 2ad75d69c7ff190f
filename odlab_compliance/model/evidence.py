"""The evidence of publication in a snapshot: which datasets are attributed to which
collectivité, which count, and which sources a collectivité depends on failed.

Rules (``model.status.STATUS_RULES``): a dataset counts unless archived, deleted, or State
data re-published by a portal; a dataset harvested by data.gouv.fr from a portal already
counted (``harvest.domain``) is counted once in ``nb_jeux``. A dataset goes to the
collectivité its publisher is matched to (human decisions applied at read time; an
automatic match counts only at the review threshold and without a review flag), or to the
SIREN the source itself gives (a portal's owner for a dataset that names no publisher,
DCAT). An Observatoire edition is matched at read time by the same matcher, row by row,
with the same decisions (``edition_matching``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.db import facts
from odlab_compliance.ingest.harvest import observatoire
from odlab_compliance.ingest.matching import CLASS_COLUMNS, MatchReference, match_all
from odlab_compliance.model import matching
from odlab_compliance.model.obligation import loaded_vintages
from odlab_compliance.model.snapshots import Snapshot, vintage_for

# Where an Observatoire edition says an organisation publishes (its ``merge`` column).
VIA_LABELS = {"ptf": "sur une plateforme locale", "datagouv": "sur data.gouv.fr",
              "ptf+datagouv": "sur une plateforme locale et sur data.gouv.fr"}


@dataclass
class Evidence:
    """What a snapshot says of each SIREN, and why some cannot be known.

    ``found``: one row per SIREN with counted datasets (or listed in an edition);
    ``everyone``: a reason that makes every collectivité without evidence unknown (a
    failed national source), else None; ``per_siren``: such reasons per SIREN (a failed
    portal that hosts it, a failed organisation of its own)."""

    found: pd.DataFrame
    everyone: str | None = None
    per_siren: dict[str, str] = field(default_factory=dict)


def snapshot_matches(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """Every match of a harvest snapshot with the CURRENT human decisions applied (a
    decision taken after the harvest shows at once, without harvesting again)."""
    matches = con.execute(
        "SELECT source, publisher_id, siren, method, confidence, decision, flags"
        " FROM harvest_match WHERE run_id = ?", [run_id]).df()
    matches["flags"] = matches["flags"].fillna("").astype(str)
    decisions = matching.load_decisions(con)
    if decisions.empty:
        return matches
    pubs = con.execute("SELECT DISTINCT source, publisher_id FROM harvest_publisher"
                       " WHERE run_id = ?", [run_id]).df()
    return matching.apply_to_frame(matches, pubs, decisions)


def _accepted(matches: pd.DataFrame) -> pd.DataFrame:
    """The (source, publisher, SIREN) pairs that count: confirmed or added by a human, or
    automatic at or above the review threshold without a review flag."""
    keep = matches[matching.counted(matches)] if not matches.empty else matches
    return keep[["source", "publisher_id", "siren"]].drop_duplicates()


def effective_matches(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """The pairs of a harvest snapshot that attribute datasets (decisions applied)."""
    return _accepted(snapshot_matches(con, run_id))


def attributed_datasets(datasets: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, SIREN): by the publisher's match, else the source's own SIREN
    hint (Observatoire, DCAT). Pure."""
    by_match = datasets.merge(matches, on=["source", "publisher_id"], how="inner")
    hinted = datasets[datasets["siren_hint"].notna() & (datasets["siren_hint"] != "")]
    hinted = hinted.assign(siren=hinted["siren_hint"])
    out = pd.concat([by_match, hinted], ignore_index=True)
    return out.drop_duplicates(["source", "dataset_id", "siren"]).reset_index(drop=True)


_HOST_RE = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?([^/:?#]+)"


def _hosts(urls: pd.Series) -> pd.Series:
    return urls.astype("string").str.extract(_HOST_RE, expand=False).str.lower()


def _counted(d: pd.DataFrame) -> pd.Series:
    return ~(d["archived"].fillna(False).astype(bool) | d["deleted"].fillna(False).astype(bool)
             | d["state_data"].fillna(False).astype(bool))


def _own(d: pd.DataFrame, platforms: pd.DataFrame) -> pd.Series:
    """Is each attributed dataset on the collectivité's own organisation or portal?
    data.gouv.fr: its own organisation. A portal: its owner is the collectivité; with no
    known owner, a portal that carries one collectivité only."""
    owner = d["platform_id"].map(dict(zip(platforms["platform_id"], platforms["owner_siren"],
                                          strict=False)))
    single = d["platform_id"].map(d.groupby("platform_id")["siren"].nunique()) == 1
    known = owner.notna() & (owner.astype("string") != "")
    is_dg = d["source"] == vocab.SOURCE_DATAGOUV
    return (is_dg | (known & (owner == d["siren"])) | (~known & single)).astype(bool)


def _joined(pairs: pd.DataFrame, col: str, sep: str) -> pd.Series:
    """Sorted distinct values of ``col`` per SIREN, joined with ``sep``."""
    pairs = pairs.dropna(subset=[col])
    pairs = pairs[pairs[col] != ""].drop_duplicates(["siren", col]).sort_values(["siren", col])
    return pairs.groupby("siren")[col].agg(sep.join)


def summarize(attributed: pd.DataFrame, platforms: pd.DataFrame, scdl: set[str],
              day: date) -> pd.DataFrame:
    """One row per SIREN with counted datasets: counts, dates, platforms, schemas. Pure."""
    cols = ["siren", "nb_jeux", "nb_jeux_datagouv", "nb_jeux_portails", "derniere_mise_a_jour",
            "plateformes", "schemas_scdl", "own"]
    d = attributed[_counted(attributed)].copy() if not attributed.empty else attributed
    if d.empty:
        return pd.DataFrame(columns=cols)
    d["own"] = _own(d, platforms)
    d["is_dg"] = d["source"] == vocab.SOURCE_DATAGOUV
    d["platform"] = d["platform_url"].where(d["platform_url"].notna(), d["publisher_url"])
    # Hosts of the portals where each SIREN has datasets: a data.gouv.fr copy harvested
    # from one of them (harvest.domain) is the same dataset, counted once.
    portal = d[~d["is_dg"]]
    hosts = pd.concat([
        pd.DataFrame({"siren": portal["siren"], "host": _hosts(portal["platform_url"])}),
        pd.DataFrame({"siren": portal["siren"], "host": _hosts(portal["url"])}),
    ]).dropna().drop_duplicates()
    keys = pd.MultiIndex.from_frame(hosts[["siren", "host"]].astype(object))
    probe = pd.MultiIndex.from_arrays([d["siren"].astype(object),
                                       d["harvest_domain"].astype(object)])
    d["counted_once"] = ~(d["is_dg"] & d["harvest_domain"].notna() & probe.isin(keys))
    d["last_update"] = pd.to_datetime(d["last_update"])
    g = d.groupby("siren")
    out = pd.DataFrame({
        "nb_jeux": g["counted_once"].sum().astype(int),
        "nb_jeux_datagouv": g["is_dg"].sum().astype(int),
        "nb_jeux_portails": (~d["is_dg"]).groupby(d["siren"]).sum().astype(int),
        "derniere_mise_a_jour": g["last_update"].max(),
        "own": g["own"].any(),
    })
    out["plateformes"] = _joined(d[["siren", "platform"]], "platform", " | ")
    schemas = d[["siren", "schemas"]].dropna()
    schemas = schemas.assign(schemas=schemas["schemas"].str.split(",")).explode("schemas")
    keep = schemas["schemas"].isin(scdl) if scdl else schemas["schemas"].str.startswith("scdl/")
    out["schemas_scdl"] = _joined(schemas[keep.fillna(False)], "schemas", ",")
    return out.reset_index()[cols]


def failed_dependencies(con: duckdb.DuckDBPyConnection, run_id: int, matches: pd.DataFrame,
                        platforms: pd.DataFrame) -> tuple[str | None, dict[str, str]]:
    """(reason that applies to everyone, or None; reason per SIREN) from failed sources."""
    outcomes = con.execute("SELECT source_key, ok, error FROM harvest_source WHERE run_id = ?",
                           [run_id]).df()
    errors = con.execute("SELECT source_key, item, message FROM harvest_error"
                         " WHERE run_id = ? AND item IS NOT NULL", [run_id]).df()
    everyone = None
    dg = outcomes[outcomes["source_key"] == vocab.SOURCE_DATAGOUV]
    if dg.empty:
        everyone = "data.gouv.fr n'a pas été moissonné dans cet instantané"
    elif not bool(dg["ok"].iloc[0]):
        everyone = f"data.gouv.fr a échoué : {dg['error'].iloc[0]}"
    for key in ("portals",):
        bad = outcomes[(outcomes["source_key"] == key) & ~outcomes["ok"]]
        if not bad.empty and everyone is None:
            everyone = f"moissonnage des portails en échec : {bad['error'].iloc[0]}"
    per: dict[str, str] = {}
    failed_portals = outcomes[outcomes["source_key"].str.startswith("portal:") & ~outcomes["ok"]]
    for p in failed_portals.itertuples():
        pid = p.source_key.split(":", 1)[1]
        plat = platforms[platforms["platform_id"] == pid]
        sirens: set[str] = set()
        if not plat.empty:
            row = plat.iloc[0]
            sirens |= set(str(row["hosted"] or "").split(",")) - {""}
            if isinstance(row["owner_siren"], str):
                sirens.add(row["owner_siren"])
        for s in sirens:
            per.setdefault(s, f"le portail {pid} a échoué : {p.error}")
    concerned = matches[matches["publisher_id"].isin(errors["item"])]
    owners = concerned.groupby("publisher_id")["siren"].agg(set).to_dict()
    for e in errors.itertuples():
        item = str(e.item)
        targets = set(owners.get(item, set()))
        if item.startswith("siret:"):
            targets.add(item[6:15])
        for s in targets:
            per.setdefault(s, f"{e.source_key} : {e.message}")
    return everyone, per


def harvest_evidence(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> Evidence:
    """The evidence of a harvest snapshot: one row per SIREN with counted datasets, and
    the failed dependencies."""
    run_id = snap.id
    datasets = con.execute(db.sql("status_datasets"), {"run": run_id}).df()
    matches = effective_matches(con, run_id)
    platforms = con.execute("SELECT platform_id, owner_siren, hosted FROM harvest_platform"
                            " WHERE run_id = ?", [run_id]).df()
    scdl = {r[0] for r in con.execute(
        "SELECT schema_name FROM harvest_scdl_schema WHERE run_id = ?", [run_id]).fetchall()}
    summary = summarize(attributed_datasets(datasets, matches), platforms, scdl, snap.date)
    summary["statut"] = [vocab.PUBLIE if own else vocab.VIA_TIERS for own in summary["own"]]
    summary["statut_detail"] = None
    everyone, per = failed_dependencies(con, run_id, matches, platforms)
    return Evidence(summary.drop(columns=["own"]), everyone, per)


def _judging_vintage(con: duckdb.DuckDBPyConnection, snap: Snapshot,
                     vintage: int | None) -> int | None:
    if vintage is not None:
        return int(vintage)
    loaded = loaded_vintages(con)
    return vintage_for(snap.date, loaded).vintage if loaded else None


@dataclass
class EditionMatching:
    """An Observatoire edition read through the matcher: its rows as publishers, their
    matches (current decisions applied) and what the matcher said of each."""

    rows: pd.DataFrame          # harvest_observatoire rows + publisher_id
    publishers: pd.DataFrame    # source, publisher_id, name, siret
    matches: pd.DataFrame       # MATCH_COLUMNS, decisions applied
    classes: pd.DataFrame       # CLASS_COLUMNS
    reference: MatchReference


def edition_publisher_id(siren: object) -> str:
    """An edition row as a publisher: « observatoire:<SIREN as listed> », the same in
    every edition, so that one decision serves them all."""
    return f"{vocab.SOURCE_OBSERVATOIRE}:{siren}"


def edition_matching(con: duckdb.DuckDBPyConnection, snap: Snapshot,
                     vintage: int | None = None) -> EditionMatching:
    """Match an edition's rows at read time, against the reference vintage that judges the
    snapshot (with the history of the older ones), with the current decisions."""
    rows = con.execute(
        "SELECT siren, nom, type, statut, via, plateforme, url_plateforme, nb_jeux_ptf,"
        " nb_jeux_datagouv FROM harvest_observatoire WHERE run_id = ?", [snap.id]).df()
    rows = rows.drop_duplicates("siren").reset_index(drop=True)
    rows["publisher_id"] = rows["siren"].map(edition_publisher_id)
    # The 2022 file gives no organisation type: the one another edition gives the same
    # SIREN tells a syndicat or an operator apart (AGCT, OACT, DSPT).
    known = dict(con.execute(db.sql("observatoire_body_type"),
                             [list(observatoire.BODY_TYPES)]).fetchall())
    rows["type"] = rows["type"].where(rows["type"].notna(), rows["siren"].map(known))
    pubs = pd.DataFrame({"source": vocab.SOURCE_OBSERVATOIRE,
                         "publisher_id": rows["publisher_id"], "name": rows["nom"],
                         "siret": rows["siren"],
                         "categorie": rows["type"].map(observatoire.BODY_TYPES)})
    ref = matching.cached_reference(con, _judging_vintage(con, snap, vintage))
    auto, classes = match_all(pubs, ref)
    matches = matching.apply_to_frame(auto, pubs, matching.load_decisions(con))
    return EditionMatching(rows, pubs, matches, classes, ref)


def observatoire_evidence(con: duckdb.DuckDBPyConnection, snap: Snapshot,
                          vintage: int | None = None) -> Evidence:
    """One row per collectivité an edition's rows are matched to (no failed dependency:
    the edition is a file, read whole or not at all). An edition row is credited like
    any publisher: through the matcher (SIREN, succession, name) and the decisions."""
    em = edition_matching(con, snap, vintage)
    pairs = _accepted(em.matches)
    df = em.rows.merge(pairs[["publisher_id", "siren"]].rename(columns={"siren": "credited"}),
                       on="publisher_id", how="inner")
    cols = ["siren", "nb_jeux", "nb_jeux_datagouv", "nb_jeux_portails", "derniere_mise_a_jour",
            "plateformes", "schemas_scdl", "statut", "statut_detail"]
    if df.empty:
        return Evidence(pd.DataFrame(columns=cols))
    df["ptf"] = pd.to_numeric(df["nb_jeux_ptf"]).astype("Int64")
    df["dg"] = pd.to_numeric(df["nb_jeux_datagouv"]).astype("Int64")
    df["where"] = df["url_plateforme"].where(df["url_plateforme"].notna(), df["plateforme"])
    df["own"] = df["statut"] == vocab.PUBLIE
    g = df.groupby("credited")
    # An edition without counts (2022) leaves them empty: absent is not zero.
    ptf = g["ptf"].sum(min_count=1)
    dg = g["dg"].sum(min_count=1)
    out = pd.DataFrame({
        "nb_jeux": ptf.add(dg, fill_value=0).astype("Int64"),
        "nb_jeux_datagouv": dg.astype("Int64"),
        "nb_jeux_portails": ptf.astype("Int64"),
        "derniere_mise_a_jour": None,
        "plateformes": g["where"].agg(lambda s: " | ".join(sorted(set(s.dropna()))) or None),
        "schemas_scdl": None,
        "statut": g["own"].any().map({True: vocab.PUBLIE, False: vocab.VIA_TIERS}),
        "statut_detail": "édition de l'Observatoire open data des territoires",
    })
    return Evidence(out.rename_axis("siren").reset_index()[cols])


@dataclass
class SnapshotMatching:
    """Every publisher of a snapshot with its matches (current decisions applied), what
    the matcher said of it, and the names of the collectivités it may go to."""

    publishers: pd.DataFrame    # source, publisher_id, name, siret
    matches: pd.DataFrame       # MATCH_COLUMNS
    classes: pd.DataFrame       # CLASS_COLUMNS
    names: dict[str, str]       # SIREN -> collectivité name


def snapshot_matching(con: duckdb.DuckDBPyConnection, snap: Snapshot,
                      vintage: int | None = None) -> SnapshotMatching:
    """The matching of any snapshot: an edition's is computed now, a harvest's was
    stored with it; the decisions are the current ones either way."""
    if snap.is_observatoire:
        em = edition_matching(con, snap, vintage)
        names = {s: str(r["nom"]) for s, r in em.reference.by_siren.items()}
        return SnapshotMatching(em.publishers, em.matches, em.classes, names)
    pubs = con.execute("SELECT DISTINCT ON (source, publisher_id) source, publisher_id, name,"
                       " siret FROM harvest_publisher WHERE run_id = ?", [snap.id]).df()
    matches = snapshot_matches(con, snap.id)
    classes = con.execute("SELECT source, publisher_id, categorie, raison"
                          " FROM harvest_match_class WHERE run_id = ?", [snap.id]).df() \
        if facts.table_exists(con, "harvest_match_class") \
        else pd.DataFrame(columns=CLASS_COLUMNS)
    names = dict(con.execute(db.sql("matching_names"),
                             [_judging_vintage(con, snap, vintage)]).fetchall())
    return SnapshotMatching(pubs, matches, classes, names)


def datasets_of(con: duckdb.DuckDBPyConnection, siren: str, snap: Snapshot) -> pd.DataFrame:
    """The datasets found for one collectivité: title, url, platform, last_update,
    schemas, source, and whether each is counted (and why not)."""
    cols = ["title", "url", "platform", "last_update", "schemas", "source", "publisher",
            "counted", "reason"]
    if snap.is_observatoire:
        # An edition lists the organisation and where it publishes, not its datasets;
        # its rows go to a collectivité through the matcher, like any publisher.
        em = edition_matching(con, snap)
        mine = _accepted(em.matches)
        rows = em.rows[em.rows["publisher_id"].isin(mine.loc[mine["siren"] == siren,
                                                             "publisher_id"])]
        df = pd.DataFrame({"title": None,
                           "platform": rows["url_plateforme"].where(
                               rows["url_plateforme"].notna(), rows["plateforme"]),
                           "last_update": None, "schemas": None,
                           "source": vocab.SOURCE_OBSERVATOIRE, "publisher": rows["nom"],
                           "counted": True,
                           "reason": rows["via"].map(lambda v: VIA_LABELS.get(v, v))})
        return df.reindex(columns=cols).reset_index(drop=True)
    datasets = con.execute(db.sql("status_datasets"), {"run": snap.id}).df()
    d = attributed_datasets(datasets, effective_matches(con, snap.id))
    d = d[d["siren"] == siren].copy()
    if d.empty:
        return pd.DataFrame(columns=cols)
    d["platform"] = d["platform_url"].where(d["platform_url"].notna(), d["publisher_url"])
    d["counted"] = _counted(d)
    d["reason"] = ["archivé" if a else "supprimé" if x else "donnée de l'État republiée" if s
                   else None for a, x, s in zip(d["archived"].fillna(False),
                                                d["deleted"].fillna(False),
                                                d["state_data"].fillna(False), strict=True)]
    d = d.sort_values(["counted", "last_update"], ascending=[False, False])
    return d.reindex(columns=cols).reset_index(drop=True)
