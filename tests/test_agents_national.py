"""`agents fetch --all` against a stand-in of the API Recherche d'entreprises that answers
like the real one (envelope, 400 on invalid parameters, 429 beyond 7 requests/s, the
10,000-results cap), served by a real local HTTP server."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pandas as pd
import pytest
import requests

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.config import PROJECT_ROOT, load_settings
from odlab_compliance.ingest.agents import national
from odlab_compliance.ingest.agents.store import effective_agents
from odlab_compliance.model import coverage
from tests.fixtures.recherche_entreprises import PATH, StandIn, Unit, luhn_sirens
from tests.httpserver import Reply


def run_fetch(settings, departement=None, **options):  # noqa: ANN001, ANN201
    """``agents fetch --all`` (or ``--departement``) as the command line runs it: the
    candidates computed by the CLI from the model, passed to the fetcher."""
    from odlab_compliance.model.agent_scope import fetch_scope

    with db.connect(settings) as con:
        scope = fetch_scope(con, departement)
    return national.fetch(settings, scope, **options)

VINTAGE = 2026
TYPE_NATURE = {"COM": "7210", "CC": "7346", "CA": "7348", "MET": "7344", "DEP": "7220",
               "REG": "7230"}


def world(communes_per_dep: dict[str, int], big_every: int = 3):
    """Reference rows and API units for some départements: communes (one in
    ``big_every`` above 3,150 inhabitants), an EPCI each, the départements, a région;
    plus what the API has and the reference has not (syndicats, closed units)."""
    ref, units = [], []
    bands = ["21", "12", "NN", "22", "03", None, "32"]
    for d, (dep, n) in enumerate(sorted(communes_per_dep.items())):
        sirens = luhn_sirens(f"21{d}", n)
        for i, siren in enumerate(sirens):
            pop = 12_000 - i if i % big_every == 0 else 500 + i
            ref.append({"siren": siren, "code_insee": f"{dep}{i:03d}"[-5:].zfill(5),
                        "nom": f"Commune {dep}-{i}", "type": "COM", "departement": dep,
                        "population_totale": pop, "population_municipale": pop - 10})
            units.append(Unit(siren, "7210", dep, bands[i % len(bands)], 2023))
        epci = luhn_sirens(f"24{d}", 1)[0]
        ref.append({"siren": epci, "code_insee": epci, "nom": f"CC {dep}", "type": "CC",
                    "departement": dep, "population_totale": 20_000,
                    "population_municipale": 19_800})
        units.append(Unit(epci, "7346", dep, "22", 2022))
        dsiren = luhn_sirens(f"22{d}", 1)[0]
        ref.append({"siren": dsiren, "code_insee": dep, "nom": f"Département {dep}",
                    "type": "DEP", "departement": dep, "population_totale": None,
                    "population_municipale": 300_000})
        units.append(Unit(dsiren, "7220", dep, "42", 2023))
        units += [Unit(s, "7353", dep, "01", 2023) for s in luhn_sirens(f"25{d}", 4)]
        units += [Unit(s, "7210", dep, "NN", None, etat="C")
                  for s in luhn_sirens(f"21{d}9", 3)]
    region = luhn_sirens("230", 1)[0]
    ref.append({"siren": region, "code_insee": "76", "nom": "Région", "type": "REG",
                "departement": None, "population_totale": None,
                "population_municipale": 6_000_000})
    units.append(Unit(region, "7230", min(communes_per_dep), "53", 2023))
    frame = pd.DataFrame(ref).assign(vintage=VINTAGE, region="76", annee_population=2023)
    return frame, units


def write_reference(settings, frame: pd.DataFrame, deps: list[str]) -> None:
    terr = pd.DataFrame([{"vintage": VINTAGE, "niveau": "DEP", "code": d, "nom": f"Dép {d}",
                          "region": "76", "zone": "metro"} for d in deps]
                        + [{"vintage": VINTAGE, "niveau": "REG", "code": "76", "nom": "Région",
                            "region": None, "zone": "metro"}])
    with db.connect(settings) as con:
        for table, rows in (("ref_collectivite", frame), ("ref_territoire", terr)):
            con.register("rows", rows)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")  # noqa: S608
            con.unregister("rows")


def candidate_sirens(frame: pd.DataFrame) -> set[str]:
    return set(frame.loc[coverage.candidates(frame), "siren"])


def expected_pages(units: list[Unit], deps: list[str]) -> int:
    pages = 0
    for dep in deps:
        n = sum(1 for u in units if u.etat == "A" and u.nature in national.NATURES_CANDIDATS
                and (u.departement == dep or dep in u.other_departements))
        pages += max(1, math.ceil(n / 25))
    return pages


@pytest.fixture
def api_env(env, server, monkeypatch):
    monkeypatch.setenv("ODLAB_RECHERCHE_ENTREPRISES_URL", server.url)
    return load_settings()


def test_stand_in_answers_like_the_real_service(server):
    stand = StandIn([Unit("213105554", "7210", "31")]).install(server)
    url = server.url + PATH
    ok = requests.get(url, params={"departement": "31", "per_page": 25}, timeout=5).json()
    assert set(ok) == {"results", "total_results", "page", "per_page", "total_pages"}
    assert ok["results"][0]["siren"] == "213105554"
    for params in ({"departement": "31", "per_page": 26},
                   {"departement": "31", "per_page": 25, "page": 401},
                   {"nature_juridique": "9999"}, {"departement": "20"}, {}):
        time.sleep(0.2)
        resp = requests.get(url, params=params, timeout=5)
        assert resp.status_code == 400 and "erreur" in resp.json(), params
    time.sleep(1.1)
    codes = [requests.get(url, params={"q": "213105554"}, timeout=5).status_code
             for _ in range(8)]
    assert codes[:7] == [200] * 7 and codes[7] == 429 and stand.too_many == 1


def test_fetch_all_covers_every_candidate_of_two_departements(api_env, server, capsys):
    frame, units = world({"31": 60, "09": 30})
    # what the listings cannot give: a candidate filed under another nature, a candidate
    # the API does not know, a unit listed in both départements (an establishment in 31)
    odd = frame.loc[frame["type"].eq("CC") & frame["departement"].eq("09"), "siren"].iloc[0]
    units = [replace(u, nature="7345") if u.siren == odd else u for u in units]
    ghost = luhn_sirens("219", 1)[0]
    frame = pd.concat([frame, pd.DataFrame([{
        "siren": ghost, "code_insee": "09999", "nom": "Fantôme", "type": "COM",
        "departement": "09", "region": "76", "population_totale": 4000,
        "population_municipale": 3950, "vintage": VINTAGE, "annee_population": 2023}])])
    twice = frame.loc[frame["type"].eq("COM") & frame["departement"].eq("09"), "siren"].iloc[1]
    units = [replace(u, other_departements=("31",)) if u.siren == twice else u for u in units]
    write_reference(api_env, frame, ["09", "31"])
    stand = StandIn(units).install(server)

    assert main(["agents", "fetch", "--all"]) == 0
    out = capsys.readouterr().out
    cands = candidate_sirens(frame)
    # one request per page of the two listings, and lookups only for what they missed
    assert len(stand.listing_pages) == expected_pages(units, ["09", "31"])
    assert sorted(stand.lookups) == sorted([odd, ghost])
    assert stand.too_many == 0 and stand.bad_requests == 0
    with db.connect(api_env) as con:
        eff = effective_agents(con).set_index("siren")
        runs = con.execute("SELECT status, requests FROM agents_fetch_run").fetchall()
    assert cands - {ghost} <= set(eff.index)
    assert eff.loc[odd, "agents_tranche"] == "22"
    listed = {u.siren for u in units if u.etat == "A"
              and u.nature in national.NATURES_CANDIDATS}
    assert listed <= set(eff.index)                            # every listed unit is kept
    assert runs == [("done", len(stand.served))]
    assert "SIREN inconnu(s) de l'API" in out and ghost in out
    band = {u.siren: u.tranche for u in units}
    known = [s for s in cands if band.get(s) not in (None, "NN")]
    assert 0 < len(known) < len(cands) - 1                   # NN is unknown, never zero
    assert f"{len(known)} candidate(s) sur {len(cands)} avec un effectif connu" in out


def test_a_listing_beyond_the_cap_is_split_by_nature_then_completed_by_siren(api_env, server):
    frame, units = world({"31": 70}, big_every=2)
    write_reference(api_env, frame, ["31"])
    stand = StandIn(units).install(server)
    # a cap of 50 results per query here stands for the API's 10,000
    got = run_fetch(api_env, cap=50)
    assert got.complete and got.beyond_cap == ["31 nature 7210 (70 résultats)"]
    natures = {key.split("nature_juridique=")[1] for key, _ in stand.listing_pages}
    assert "7210" in natures and "7346" in natures        # split, one listing per nature
    assert max(p for key, p in stand.listing_pages if key.endswith("7210")) == 2
    beyond = sorted(u.siren for u in units if u.nature == "7210" and u.etat == "A")[50:]
    assert set(stand.lookups) == set(beyond) & candidate_sirens(frame)
    with db.connect(api_env) as con:
        assert candidate_sirens(frame) <= set(effective_agents(con)["siren"])


def test_pace_stays_below_the_quota_with_several_workers(api_env, server):
    frame, units = world({"31": 150, "09": 100})
    write_reference(api_env, frame, ["09", "31"])
    stand = StandIn(units, latency=0.2).install(server)   # slow answers: workers overlap
    start = time.monotonic()
    got = run_fetch(api_env)
    elapsed = time.monotonic() - start
    assert stand.too_many == 0 and got.requests == len(stand.served)
    # near the floor (requests ÷ 7/s) despite 0.2 s per answer
    assert elapsed < 1.6 * (got.requests / 7) + 1.5


def test_service_down_stops_early_and_a_rerun_resumes(api_env, server):
    frame, units = world({"31": 60})
    write_reference(api_env, frame, ["31"])
    stand = StandIn(units)
    down = {"on": True}

    def handler(req):
        if down["on"]:
            return Reply(503, b"indisponible")
        return stand.handler(req)

    server.add(PATH, handler)
    assert main(["agents", "fetch", "--all"]) == 1
    down["on"] = False
    assert main(["agents", "fetch", "--all"]) == 0
    with db.connect(api_env) as con:
        runs = con.execute("SELECT run_id, status FROM agents_fetch_run").fetchall()
        assert candidate_sirens(frame) <= set(effective_agents(con)["siren"])
    assert runs == [(1, "done")]          # the same run, resumed


@pytest.mark.slow
def test_sigkill_then_rerun_fetches_only_what_is_missing(api_env, server):
    frame, units = world({"31": 320, "09": 300})
    write_reference(api_env, frame, ["09", "31"])
    stand = StandIn(units, latency=0.05).install(server)
    proc = subprocess.Popen([sys.executable, "-m", "odlab_compliance", "agents", "fetch",
                             "--all"], cwd=PROJECT_ROOT, env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(stand.served) < 14:          # about two seconds of pages: some written
        assert proc.poll() is None, "la collecte s'est terminée avant l'arrêt"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    before = list(stand.served)
    with db.connect(api_env) as con:
        kept = {(k, p) for k, p in con.execute(
            "SELECT requete, page FROM agents_fetch_page").fetchall()}
        rows_before = set(effective_agents(con)["siren"])
    assert kept and kept <= set(before)
    stand.served.clear()

    assert main(["agents", "fetch", "--all"]) == 0
    again = set(stand.served)
    assert not (again & kept), "une page déjà enregistrée a été redemandée"
    everything = set(before) | again
    assert len([s for s in everything if not s[0].startswith("q=")]) == \
        expected_pages(units, ["09", "31"])
    with db.connect(api_env) as con:
        eff = set(effective_agents(con)["siren"])
        runs = con.execute("SELECT run_id, status FROM agents_fetch_run").fetchall()
    assert rows_before <= eff and candidate_sirens(frame) <= eff   # nothing lost
    assert runs == [(1, "done")]


def test_a_429_is_retried_through_the_limiter_and_seen(api_env, server):
    frame, units = world({"31": 60})
    write_reference(api_env, frame, ["31"])
    stand = StandIn(units)
    answered = {"n": 0}

    def handler(req):
        answered["n"] += 1
        if answered["n"] in (2, 3, 4):       # the service says "too many" three times
            return Reply(429, b'{"erreur": "trop"}', {"Retry-After": "0"})
        return stand.handler(req)

    server.add(PATH, handler)
    got = run_fetch(api_env)
    # urllib3 does not retry a 429 behind the limiter's back: the client saw all three,
    # held its threads and asked again through the limiter
    assert got.too_many == 3 and got.complete and not got.failures
    assert got.requests == len(stand.served) + 3
    with db.connect(api_env) as con:
        assert candidate_sirens(frame) <= set(effective_agents(con)["siren"])


def test_ingest_never_imports_the_model():
    """The candidates come from the model through the caller (``model.agent_scope``):
    nothing under ingest/ imports odlab_compliance.model."""
    ingest = PROJECT_ROOT / "odlab_compliance" / "ingest"
    bad = [str(p.relative_to(PROJECT_ROOT)) for p in ingest.rglob("*.py")
           if any(line.lstrip().startswith(("from odlab_compliance.model",
                                             "import odlab_compliance.model"))
                  or line.lstrip().startswith("from odlab_compliance import") and " model" in line
                  for line in p.read_text(encoding="utf-8").splitlines())]
    assert bad == []


def test_departement_lists_only_its_own_and_resumes_like_all(api_env, server, capsys):
    """``--departement 31``: the listing of 31 only (never 09's), lookups only for 31's
    candidates it missed; cut short by a service down, a rerun resumes that run without
    asking again for its recorded pages, and a national fetch does not resume it."""
    frame, units = world({"31": 120, "09": 40})
    write_reference(api_env, frame, ["09", "31"])
    stand = StandIn(units)
    state = {"served": 0, "down_after": 3}

    def handler(req):
        state["served"] += 1
        if state["down_after"] and state["served"] > state["down_after"]:
            return Reply(503, b"indisponible")
        return stand.handler(req)

    server.add(PATH, handler)
    assert main(["agents", "fetch", "--departement", "31"]) == 1
    assert "Relancez « agents fetch --departement 31 »" in capsys.readouterr().out
    first = list(stand.listing_pages)
    assert first and all("departement=31" in key for key, _ in first)
    state["down_after"] = 0
    time.sleep(1.1)
    assert main(["agents", "fetch", "--departement", "31"]) == 0
    again = stand.listing_pages[len(first):]
    assert not set(first) & set(again)                     # recorded pages not asked again
    assert all("departement=31" in key for key, _ in again)
    assert len(set(first) | set(again)) == expected_pages(units, ["31"])
    in31 = set(frame.loc[frame["departement"].eq("31"), "siren"])
    with db.connect(api_env) as con:
        runs = con.execute("SELECT portee, status FROM agents_fetch_run ORDER BY run_id"
                           ).fetchall()
        known = set(effective_agents(con)["siren"])
    assert runs == [("dep:31", "done")]                    # resumed, not a second run
    assert candidate_sirens(frame) & in31 <= known
    assert main(["agents", "fetch", "--all"]) == 0         # a new national run
    with db.connect(api_env) as con:
        assert con.execute("SELECT count(*) FROM agents_fetch_run WHERE portee = 'all'"
                           ).fetchone()[0] == 1
