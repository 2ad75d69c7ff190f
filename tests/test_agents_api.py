"""The API Recherche d'entreprises, played by a real local HTTP server."""

from __future__ import annotations

import pandas as pd
import pytest

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.config import load_settings
from odlab_compliance.http import RateLimiter
from odlab_compliance.ingest.agents import recherche_entreprises as api
from odlab_compliance.ingest.agents.store import effective_agents
from tests.fixtures.recherche_entreprises import StandIn, Unit, luhn_sirens
from tests.httpserver import Reply, Request


def hit(siren: str, band: str | None, year: object = "2023", dep: str = "31",
        nature: str = "7210") -> dict:
    """One result as the API writes it (fields used here, plus a few others)."""
    return {"siren": siren, "nom_complet": f"ORGANISME {siren}", "nature_juridique": nature,
            "tranche_effectif_salarie": band, "annee_tranche_effectif_salarie": year,
            "etat_administratif": "A", "siege": {"siret": siren + "00011", "departement": dep}}


def page(results: list[dict], page_no: int = 1, total_pages: int = 1) -> dict:
    return {"results": results, "total_results": len(results) * total_pages,
            "page": page_no, "per_page": 25, "total_pages": total_pages}


@pytest.fixture
def api_settings(env, server, monkeypatch):
    monkeypatch.setenv("ODLAB_RECHERCHE_ENTREPRISES_URL", server.url)
    return load_settings()


class CountingLimiter(RateLimiter):
    def __init__(self) -> None:
        super().__init__(api.RATE_PER_SECOND)
        self.calls = 0

    def wait(self) -> None:
        self.calls += 1
        super().wait()


KNOWN = {
    "213105554": hit("213105554", "53", 2023),
    "243100534": hit("243100534", "21", "2022", nature="7348"),
    "213100696": hit("213100696", None, None),
}


def by_query(flaky: dict[str, list[Reply]]):
    """Answer ``q=<siren>`` from KNOWN; SIRENs in ``flaky`` get their replies first."""

    def handler(req: Request) -> Reply:
        siren = req.arg("q")
        if siren in flaky and flaky[siren]:
            return flaky[siren].pop(0) if len(flaky[siren]) > 1 else flaky[siren][0]
        return Reply.json(page([KNOWN[siren]] if siren in KNOWN else []))

    return handler


def test_result_row_reads_band_year_and_unknown():
    row = api.result_row(hit("213105554", "53", "2023"))
    assert (row["tranche"], row["agents_min"], row["agents_max"], row["annee"]) == (
        "53", 10000, None, 2023)
    assert "nature juridique 7210" in row["source_detail"]
    unknown = api.result_row(hit("213100696", "NN", None))
    assert (unknown["tranche"], unknown["agents_min"], unknown["annee"]) == ("NN", None, None)
    assert api.result_row(hit("213100696", None, 2021))["tranche"] is None


def test_sirens_with_429_retry_after_then_success(api_settings, server):
    flaky = {"213105554": [Reply(429, b"trop de requetes", {"Retry-After": "0"}),
                           Reply.json(page([KNOWN["213105554"]]))]}
    server.add("/search", by_query(flaky))
    limiter = CountingLimiter()
    outcome = api.fetch_sirens(["213105554", "243100534", "213100696"], api_settings,
                               limiter=limiter)
    assert outcome.not_fetched == {} and outcome.not_found == []
    assert sorted(outcome.rows["siren"]) == ["213100696", "213105554", "243100534"]
    assert server.hits("/search") == 4           # the 429 was retried once
    # every request went through the limiter, the retry of the 429 too (a retry outside
    # it would add to the burst that earned the 429)
    assert limiter.calls == outcome.requests == 4
    q = [r for r in server.requests if r.arg("q") == "243100534"][0]
    assert q.arg("per_page") is not None and q.arg("page") == "1"


def test_persistent_500_is_not_fetched_not_zero(api_settings, server):
    flaky = {"243100534": [Reply(500, b"boom")]}
    server.add("/search", by_query(flaky))
    outcome = api.fetch_sirens(["213105554", "243100534", "999999999"], api_settings)
    assert list(outcome.not_fetched) == ["243100534"]
    assert "500" in outcome.not_fetched["243100534"]
    assert outcome.not_found == ["999999999"]
    assert list(outcome.rows["siren"]) == ["213105554"]
    hits_500 = sum(1 for r in server.requests if r.arg("q") == "243100534")
    assert hits_500 == 1 + api_settings.http_retries
    with db.connect(api_settings) as con:
        assert api.save(con, outcome) == 1
        df = effective_agents(con)
    assert "243100534" not in set(df["siren"])   # no row at all: unknown, never 0 agents
    assert "Non récupéré" in outcome.summary(1) and "243100534" in outcome.summary(1)


def departement_handler(pages: dict[int, list[dict]], fail_page: int | None = None):
    def handler(req: Request) -> Reply:
        n = int(req.arg("page", "1"))
        if n == fail_page:
            return Reply(503, b"indisponible")
        return Reply.json(page(pages.get(n, []), n, len(pages)))

    return handler


def test_departement_is_paged_and_filtered_on_head_office(api_settings, server):
    pages = {1: [hit("213105554", "53"), hit("243100534", "21", nature="7348")],
             2: [hit("263100018", "21", nature="7361"), hit("200054781", "41", dep="75")],
             3: [hit("213100696", "NN", None)]}
    server.add("/search", departement_handler(pages))
    outcome = api.fetch_departement("31", api_settings)
    assert outcome.not_fetched == {}
    assert sorted(outcome.rows["siren"]) == ["213100696", "213105554", "243100534",
                                             "263100018"]     # 200054781 sits in Paris
    assert outcome.requests == 3
    first = server.requests[0]
    assert first.arg("departement") == "31" and first.arg("per_page") == "25"
    assert "7210" in first.arg("nature_juridique") and "7361" in first.arg("nature_juridique")


def test_departement_page_failing_writes_nothing(api_settings, server):
    pages = {1: [hit("213105554", "53")], 2: [hit("263100018", "21")]}
    server.add("/search", departement_handler(pages, fail_page=2))
    outcome = api.fetch_departement("31", api_settings)
    assert outcome.rows.empty
    assert "page 2" in outcome.not_fetched["département 31"]
    assert "503" in outcome.not_fetched["département 31"]


def test_departement_code_is_checked():
    assert api.departement_problem("31") is None
    assert api.departement_problem("2A") is None
    assert api.departement_problem("974") is None
    assert api.departement_problem("310") is not None
    assert api.departement_problem("3") is not None


# --- CLI -------------------------------------------------------------------------------

def test_cli_fetch_sirens_summary_and_exit_code(api_settings, server, capsys):
    server.add("/search", by_query({"243100534": [Reply(500, b"boom")]}))
    assert main(["agents", "fetch", "--siren", "213105554", "243100534"]) == 1
    out = capsys.readouterr().out
    assert "1 tranche(s) d'effectifs enregistrée(s)" in out
    assert "243100534 : réponse HTTP 500" in out


def test_cli_fetch_departement_lists_by_pages_when_the_reference_is_loaded(api_settings,
                                                                          server, capsys):
    """With a reference, ``--departement`` reads the département's listing page by page
    (as ``--all``) and looks up by SIREN only the candidate the listing missed."""
    odd = luhn_sirens("2131", 1, start=77)[0]      # a candidate filed under another nature
    ref = pd.DataFrame([
        {"siren": "213105554", "code_insee": "31555", "nom": "Toulouse", "type": "COM",
         "pop": 504078},
        {"siren": "213100696", "code_insee": "31036", "nom": "Auzielle", "type": "COM",
         "pop": 1500},
        {"siren": odd, "code_insee": "31506", "nom": "Saint-Orens", "type": "COM",
         "pop": 11000},
        {"siren": "243100534", "code_insee": "243100534", "nom": "Sicoval", "type": "CA",
         "pop": 80000},
    ]).assign(vintage=2026, departement="31", region="76")
    with db.connect(api_settings) as con:
        con.register("ref", ref)
        con.execute("INSERT INTO ref_collectivite (vintage, siren, code_insee, nom, type, "
                    "departement, region, population_totale, population_municipale) "
                    "SELECT vintage, siren, code_insee, nom, type, departement, region, pop, "
                    "pop FROM ref")
        con.execute("INSERT INTO ref_territoire (vintage, niveau, code, nom) "
                    "VALUES (2026, 'DEP', '31', 'Haute-Garonne')")
    stand = StandIn([Unit("213105554", "7210", "31", "53"), Unit("213100696", "7210", "31"),
                     Unit("243100534", "7348", "31", "42"),
                     Unit(odd, "7345", "31", "32")]).install(server)
    assert main(["agents", "fetch", "--departement", "31"]) == 0
    assert len(stand.listing_pages) == 1 and stand.lookups == [odd]
    assert "departement=31" in stand.listing_pages[0][0]
    with db.connect(api_settings) as con:
        eff = effective_agents(con).set_index("siren")
        runs = con.execute("SELECT portee, status FROM agents_fetch_run").fetchall()
    assert {"213105554", "243100534", odd} <= set(eff.index)
    assert runs == [("dep:31", "done")]
    assert "3 candidate(s) sur 3 avec un effectif connu" in capsys.readouterr().out


def test_cli_fetch_departement_without_reference_uses_api_filters(api_settings, server):
    server.add("/search", departement_handler({1: [hit("213105554", "53")]}))
    assert main(["agents", "fetch", "--departement", "31"]) == 0
    assert server.requests[0].arg("departement") == "31"
    with db.connect(api_settings) as con:
        assert effective_agents(con)["agents_source"].to_list() == ["recherche_entreprises"]


def test_cli_fetch_rejects_bad_siren_and_departement(api_settings, server, capsys):
    assert main(["agents", "fetch", "--siren", "213105554", "2.1E+08"]) == 2
    err = capsys.readouterr().err
    assert "ligne 2" in err and "nombre" in err
    assert main(["agents", "fetch", "--departement", "310"]) == 2
    assert server.requests == []


def test_service_down_stops_after_three_failures_in_a_row(api_settings, server):
    server.add("/search", Reply(503, b"maintenance"))
    sirens = ["213105554", "243100534", "213100696", "263100018", "200054781"]
    outcome = api.fetch_sirens(sirens, api_settings)
    assert list(outcome.not_fetched) == sirens and outcome.rows.empty
    assert "503" in outcome.not_fetched["213100696"]
    assert "non tenté" in outcome.not_fetched["263100018"]
    assert server.hits("/search") == 3 * (1 + api_settings.http_retries)


def test_unreachable_service_is_not_fetched(env, monkeypatch):
    monkeypatch.setenv("ODLAB_RECHERCHE_ENTREPRISES_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ODLAB_HTTP_RETRIES", "0")
    outcome = api.fetch_sirens(["213105554"], load_settings())
    assert "injoignable" in outcome.not_fetched["213105554"]
