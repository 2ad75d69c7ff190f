"""data.gouv.fr fetcher against a local server playing udata (exports + paginated API)."""

from __future__ import annotations

import pytest

from odlab_compliance.config import load_settings
from odlab_compliance.http import make_session
from odlab_compliance.ingest.harvest import datagouv
from tests.fixtures.harvest.site import load_fixture_site
from tests.httpserver import Reply

TM = "5a1b0c0d0e0f000000000001"
CD31 = "5a1b0c0d0e0f000000000002"


@pytest.fixture
def site(server, env, monkeypatch):
    monkeypatch.setenv("ODLAB_DATAGOUV_URL", server.url)
    s = load_fixture_site()
    s.install(server)
    return s


def _bulk(tmp_path, **kw):
    settings = load_settings()
    return datagouv.fetch_bulk(make_session(settings), settings, tmp_path / "dl", **kw)


def test_bulk_exports_give_badged_organisations_and_their_datasets(site, server, tmp_path):
    got = _bulk(tmp_path)
    assert got.outcome.ok and got.outcome.item_errors == []
    assert got.requests == 3
    assert {p.name for p in got.publishers} == {
        "Toulouse Métropole", "Département de la Haute-Garonne", "Ville de Muret"}
    tm = next(p for p in got.publishers if p.publisher_id == TM)
    assert tm.siret == "24310051800014" and tm.badges == ["local-authority"]
    assert tm.nb_datasets == 3
    by_id = {d.dataset_id: d for d in got.datasets}
    assert by_id["6a000000000000000000000a"].schemas == ["scdl/deliberations"]
    assert by_id["6a000000000000000000000c"].archived is True
    assert by_id["67639aa54f23018f075d9105"].harvest_domain == "data.haute-garonne.fr"
    # the badge filter of udata is what was asked for
    q = [r.query for r in server.requests if r.path == "/api/1/site/datasets.csv"][0]
    assert q == {"organization_badge": ["local-authority"]}


def test_full_catalogue_keeps_unbadged_collectivite_by_siren(site, tmp_path):
    got = _bulk(tmp_path, full_catalogue=True, known_sirens={"213100696"})
    names = {p.name for p in got.publishers}
    assert "Ville de Blagnac" in names
    assert any(d.publisher_id == "5a1b0c0d0e0f000000000004" for d in got.datasets)


def test_export_500_then_ok_is_retried(site, server, tmp_path):
    ok = site.export_handler("organizations")
    calls = []

    def flaky(req):
        calls.append(1)
        return Reply(500, b"boom") if len(calls) == 1 else ok(req)

    server.add("/api/1/site/organizations.csv", flaky)
    got = _bulk(tmp_path)
    assert got.outcome.ok and len(calls) == 2


def test_429_with_retry_after_is_honoured(site, server, tmp_path):
    ok = site.export_handler("resources")
    calls = []

    def limited(req):
        calls.append(1)
        if len(calls) == 1:
            return Reply(429, b"slow down", {"Retry-After": "1"})
        return ok(req)

    server.add("/api/1/site/resources.csv", limited)
    import time
    t0 = time.monotonic()
    got = _bulk(tmp_path)
    assert got.outcome.ok and len(calls) == 2
    assert time.monotonic() - t0 >= 0.9  # waited as asked, not the tiny test backoff


def test_persistent_500_fails_the_source_with_a_french_message(site, server, tmp_path):
    server.add("/api/1/site/datasets.csv", Reply(500, b"boom"))
    got = _bulk(tmp_path)
    assert not got.outcome.ok
    assert "datasets.csv" in got.outcome.error or "500" in got.outcome.error
    assert got.datasets == [] and got.publishers == []


def test_truncated_csv_fails_the_source(site, server, tmp_path):
    body = site.datasets_csv()
    server.add("/api/1/site/datasets.csv", Reply(200, body, cut_after=len(body) // 2))
    got = _bulk(tmp_path)
    assert not got.outcome.ok
    assert "incomplet" in got.outcome.error or "tronqué" in got.outcome.error


def test_cut_last_line_is_detected_even_with_a_consistent_length(site, server, tmp_path):
    body = site.datasets_csv()
    cut = body[: body.rindex(b";") - 5]  # a complete HTTP body whose last row is cut
    server.add("/api/1/site/datasets.csv", Reply(200, cut))
    got = _bulk(tmp_path)
    assert not got.outcome.ok and "tronqué" in got.outcome.error


def test_missing_columns_are_named(site, server, tmp_path):
    server.add("/api/1/site/organizations.csv", Reply(200, b'"id";"title"\r\n"x";"y"\r\n'))
    got = _bulk(tmp_path)
    assert not got.outcome.ok and "business_number_id" in got.outcome.error


def test_bad_middle_row_is_an_item_error_not_a_failure(tmp_path):
    p = tmp_path / "o.csv"
    p.write_text('"id";"name";"business_number_id"\r\n"a";"A";"1"\r\n"b";"B"\r\n"c";"C";""\r\n',
                 encoding="utf-8")
    rows, errors = datagouv.read_export(p, datagouv.ORG_COLUMNS, "organizations.csv")
    assert [r["id"] for r in rows] == ["a", "c"]
    assert len(errors) == 1 and "ligne 3" in errors[0]


def test_badges_as_written_by_udata():
    assert datagouv._badges("['local-authority', 'certified']") == ["local-authority", "certified"]
    assert datagouv._badges("") == []
    assert datagouv._badges([{"kind": "public-service"}]) == ["public-service"]


def test_api_follows_next_page_and_skips_nothing(site, server, env):
    settings = load_settings()
    session = make_session(settings)
    org = datagouv.publisher_from_api(site.org_json(site.orgs[0]), server.url)
    datasets, n = datagouv.organization_datasets(session, server.url, org)
    assert n == 1 and len(datasets) == 3
    # page_size 1: three pages through next_page
    datasets2 = []
    for page in datagouv.paginate(session, f"{server.url}/api/1/organizations/{TM}/datasets/",
                                  {"page_size": 1}):
        datasets2 += page["data"]
    assert len(datasets2) == 3
    archived = [d for d in datasets if d.archived]
    assert len(archived) == 1


def test_targeted_refresh_survives_invalid_json_and_timeout(site, server, env, monkeypatch):
    settings = load_settings()
    server.add(f"/api/1/organizations/{CD31}/datasets/", Reply(200, b"{not json"))
    server.add("/api/1/organizations/5a1b0c0d0e0f000000000003/datasets/",
               Reply.json({"data": []}, delay=3.0))  # > ODLAB_HTTP_TIMEOUT=... below
    monkeypatch.setenv("ODLAB_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("ODLAB_HTTP_RETRIES", "0")
    settings = load_settings()
    got = datagouv.refresh_territory(make_session(settings), settings,
                                     ["24310051800014", "22310001700019", "21310395500018"])
    assert got.outcome.ok  # one organisation worked: the source is up
    assert {d.publisher_id for d in got.datasets} == {TM}
    items = got.outcome.item_errors
    assert any(CD31 in e and "JSON" in e for e in items)
    assert any("5a1b0c0d0e0f000000000003" in e and "délai" in e for e in items)


def test_export_served_gzip_to_clients_that_accept_it_still_reads(site, server, tmp_path):
    import gzip
    plain = site.export_handler("datasets")

    def negotiating(req):
        reply = plain(req)
        if "gzip" in req.headers.get("Accept-Encoding", ""):
            return Reply(200, gzip.compress(reply.body), {"Content-Encoding": "gzip"})
        return reply

    server.add("/api/1/site/datasets.csv", negotiating)
    got = _bulk(tmp_path)
    assert got.outcome.ok and len(got.datasets) == 6
