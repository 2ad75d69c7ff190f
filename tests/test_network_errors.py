"""Unreachable sources in French: what failed, on which host, and what to do; never the
library's English text. Real failures on 127.0.0.1 (closed port, slow server, plain HTTP
behind an https:// address, 404 and 503), through ``sources fetch`` as a user types it."""

from __future__ import annotations

import socket

import pytest
import requests
import urllib3

from odlab_compliance.cli import main
from odlab_compliance.http import describe_error, error_kind, what_to_do
from tests.httpserver import Reply

PATH = "/@etalab/decoupage-administratif@6.0.0/data/communes.json"
# Fragments of urllib3/requests/OS messages that must never reach a user.
ENGLISH = ("HTTPSConnectionPool", "HTTPConnectionPool", "Max retries", "Caused by", "Errno",
           "NewConnectionError", "Connection refused", "timed out", "Read timed out",
           "NameResolutionError", "SSLError", "WRONG_VERSION_NUMBER", "Service Unavailable",
           "Not Found", "Traceback")


def assert_french(text: str) -> None:
    leaked = [e for e in ENGLISH if e.lower() in text.lower()]
    assert leaked == [], f"texte anglais dans le message : {leaked}\n{text}"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]   # closed when the block ends: nothing listens there


def fetch_cli(capsys) -> tuple[int, str]:
    code = main(["sources", "fetch", "cog-communes", "--vintage", "2026"])
    return code, capsys.readouterr().err


def test_refused_connection(env, monkeypatch, capsys):
    port = closed_port()
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", f"http://127.0.0.1:{port}")
    code, err = fetch_cli(capsys)
    assert code == 2
    assert f"connexion refusée ou coupée (127.0.0.1:{port})" in err
    assert "réessayez plus tard" in err and "cog-communes" in err and "millésime 2026" in err
    assert "ODLAB_MIRROR_DIR" in err and "cog-2026/communes.json" in err
    assert_french(err)


def test_timeout(env, server, monkeypatch, capsys):
    server.add(PATH, Reply(200, b"[]", delay=3))
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", server.url)
    monkeypatch.setenv("ODLAB_HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("ODLAB_HTTP_RETRIES", "0")
    code, err = fetch_cli(capsys)
    assert code == 2
    assert "délai d'attente dépassé" in err and "ODLAB_HTTP_TIMEOUT" in err
    assert_french(err)


def test_tls_failure(env, server, monkeypatch, capsys):
    # An https:// address answered by a plain HTTP server: the TLS handshake fails.
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", server.url.replace("http://", "https://"))
    monkeypatch.setenv("ODLAB_HTTP_RETRIES", "0")
    code, err = fetch_cli(capsys)
    assert code == 2
    assert "connexion sécurisée (TLS) impossible" in err and "ca-certificates" in err
    assert_french(err)


@pytest.mark.parametrize("status,reason,advice", [
    (503, "service indisponible", "réessayez plus tard"),
    (404, "adresse introuvable", "L'adresse officielle a peut-être changé"),
    (403, "accès refusé", "refuse l'accès"),
])
def test_http_status(env, server, monkeypatch, capsys, status, reason, advice):
    server.fallback = Reply(status, b"nope")
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", server.url)
    monkeypatch.setenv("ODLAB_HTTP_RETRIES", "0")
    code, err = fetch_cli(capsys)
    assert code == 2
    assert f"erreur HTTP {status} ({reason})" in err and advice in err
    assert_french(err)


def _dns_error() -> requests.ConnectionError:
    """The exception requests raises when a name does not resolve (offline), built as
    urllib3 builds it: a resolver failure cannot be produced here without a network."""
    conn = urllib3.connection.HTTPSConnection("www.data.gouv.fr", 443)
    cause = urllib3.exceptions.NameResolutionError(
        "www.data.gouv.fr", conn, socket.gaierror(-2, "Name or service not known"))
    wrapped = urllib3.exceptions.MaxRetryError(None, "/api/1/site/", cause)
    request = requests.Request("GET", "https://www.data.gouv.fr/api/1/site/").prepare()
    return requests.ConnectionError(wrapped, request=request)


def test_name_resolution_failure_is_explained():
    exc = _dns_error()
    assert "NameResolutionError" in str(exc)        # the raw text a user used to see
    assert error_kind(exc) == "dns"
    text = describe_error(exc) + " " + what_to_do(exc)
    assert "nom d'hôte introuvable : www.data.gouv.fr" in text
    assert "connexion à internet" in text and "ODLAB_MIRROR_DIR" in text
    assert_french(text)


def test_disk_errors_are_french():
    text = describe_error(OSError(28, "No space left on device", "/data/cache/x.part"))
    assert text == "disque plein (/data/cache/x.part)"
    assert_french(text)


def test_harvest_offline_without_mirror_exits_1_in_french(env, monkeypatch, capsys):
    # Offline: data.gouv.fr unreachable, no mirror for the portal registry (README, exit 1).
    port = closed_port()
    monkeypatch.setenv("ODLAB_DATAGOUV_URL", f"http://127.0.0.1:{port}")
    for group in ("SCHEMA_DATAGOUV", "DATAGOUV_FILES", "GITHUB_RAW"):
        monkeypatch.setenv(f"ODLAB_BASE_URL_{group}", f"http://127.0.0.1:{port}")
    assert main(["harvest", "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert "datagouv : ÉCHEC" in out and f"connexion refusée ou coupée (127.0.0.1:{port})" in out
    assert "échouée (toutes les sources ont échoué" in out
    assert "Au moins une source a échoué" in err
    assert_french(out + err)
    assert main(["harvest", "runs"]) == 0
    assert "échec" in capsys.readouterr().out
