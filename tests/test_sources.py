"""Fetching official sources: mirror, cache, downloads against a real local server."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from odlab_compliance.cli import main
from odlab_compliance.config import load_settings
from odlab_compliance.ingest.sources import (
    SourceUnavailable,
    all_sources,
    cache_path,
    fetch,
    get_source,
)
from tests.httpserver import Reply

BODY = json.dumps([{"code": "01001", "nom": "L'Abergement", "type": "commune-actuelle",
                    "departement": "01", "region": "84"}] * 1000).encode()
PATH = "/@etalab/decoupage-administratif@6.0.0/data/communes.json"


def test_every_source_names_url_vintage_licence_and_mirror():
    sources = all_sources()
    assert {s.id for s in sources} >= {"cog-communes", "cog-epci", "geo-communes"}
    for s in sources:
        assert s.vintage >= 2000 and s.licence and s.title and s.mirror
        # a source without URL must say why in its notes
        assert s.base or s.notes


def test_download_is_cached_with_size_and_sha(server, env, monkeypatch):
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", server.url)
    server.add(PATH, Reply(200, BODY))
    settings = load_settings()
    src = get_source("cog-communes", 2026)
    first = fetch(src, settings)
    assert first.origin == "download"
    assert first.size == len(BODY)
    assert first.sha256 == hashlib.sha256(BODY).hexdigest()
    assert first.path.read_bytes() == BODY
    second = fetch(src, settings)
    assert second.origin == "cache" and second.sha256 == first.sha256
    assert server.hits(PATH) == 1


def test_503_then_success_is_retried(server, env, monkeypatch):
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", server.url)
    server.add(PATH, Reply(503, b"busy"), Reply(200, BODY))
    result = fetch(get_source("cog-communes", 2026), load_settings())
    assert result.path.read_bytes() == BODY
    assert server.hits(PATH) == 2


def test_cut_connection_leaves_no_half_file_then_succeeds(server, env, monkeypatch):
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", server.url)
    server.add(PATH, Reply(200, BODY, cut_after=1000), Reply(200, BODY))
    settings = load_settings()
    result = fetch(get_source("cog-communes", 2026), settings)
    assert result.path.read_bytes() == BODY
    leftovers = [p for p in result.path.parent.iterdir() if p.suffix == ".part"]
    assert leftovers == []


def test_always_cut_fails_cleanly(server, env, monkeypatch):
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", server.url)
    server.add(PATH, Reply(200, BODY, cut_after=10))
    settings = load_settings()
    src = get_source("cog-communes", 2026)
    with pytest.raises(SourceUnavailable):
        fetch(src, settings)
    target = cache_path(src, settings)
    assert not target.exists()
    assert not any(target.parent.glob("*.part"))


def test_mirror_stands_in_for_download(tmp_path: Path, env, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "cog-2026").mkdir(parents=True)
    (mirror / "cog-2026" / "communes.json").write_bytes(BODY)
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(mirror))
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", "http://127.0.0.1:9")  # nothing listens there
    result = fetch(get_source("cog-communes", 2026), load_settings())
    assert result.origin == "mirror" and result.size == len(BODY)


def test_offline_without_mirror_says_which_source_and_how(env, monkeypatch):
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", "http://127.0.0.1:9")
    monkeypatch.setenv("ODLAB_HTTP_RETRIES", "0")
    with pytest.raises(SourceUnavailable) as err:
        fetch(get_source("cog-communes", 2026), load_settings())
    text = str(err.value)
    assert "cog-communes" in text and "ODLAB_MIRROR_DIR" in text and "2026" in text


def test_cli_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ("sources", "reference", "agents", "harvest", "export", "match", "portals",
                 "followup", "changes", "workshop"):
        assert f"\n    {name} " in out or f"\n    {name}\n" in out, f"absente de l'aide : {name}"
    assert "Sources officielles : liste et téléchargement." in out
    assert "show this help" not in out and "affiche cette aide et quitte" in out


def test_cli_errors_are_french(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sources", "fetch", "cog-communes"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "erreur : arguments obligatoires manquants : --vintage" in err
    with pytest.raises(SystemExit):
        main(["harvest", "--source", "ailleurs"])
    err = capsys.readouterr().err
    assert "choix invalide : 'ailleurs'" in err and "invalid choice" not in err


def test_gzip_encoded_download_is_decoded_and_complete(server, env, monkeypatch):
    import gzip

    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", server.url)
    server.add(PATH, Reply(200, gzip.compress(BODY), {"Content-Encoding": "gzip"}))
    result = fetch(get_source("cog-communes", 2026), load_settings())
    assert result.path.read_bytes() == BODY


def test_gzip_download_cut_is_detected(server, env, monkeypatch):
    import gzip

    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", server.url)
    packed = gzip.compress(BODY)
    server.add(PATH, Reply(200, packed, {"Content-Encoding": "gzip"}, cut_after=len(packed) // 2),
               Reply(200, packed, {"Content-Encoding": "gzip"}))
    result = fetch(get_source("cog-communes", 2026), load_settings())
    assert result.path.read_bytes() == BODY
    assert server.hits(PATH) == 2


def test_cli_sources_list_names_every_source(env, capsys):
    assert main(["sources", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split("\t") for line in lines]
    assert len(rows) == len(all_sources())
    by_key = {(r[0], r[1]): r for r in rows}
    communes = by_key[("cog-communes", "2026")]
    assert communes[2] == "json" and "Licence Ouverte" in communes[3]
    assert communes[4].startswith("https://") and communes[4].endswith("/data/communes.json")
    # every source has its official address or API query (none is « miroir seulement »)
    assert by_key[("siren-departements-regions", "2022")][4].startswith(
        "https://recherche-entreprises.api.gouv.fr/search?nature_juridique=7220")
    assert all(r[4].startswith("http") for r in rows)


def test_cli_sources_list_follows_a_base_url_override(env, monkeypatch, capsys):
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", "http://127.0.0.1:8000")
    assert main(["sources", "list"]) == 0
    out = capsys.readouterr().out
    assert f"http://127.0.0.1:8000{PATH}" in out


def test_cli_sources_fetch_download_then_cache_then_refresh(server, env, monkeypatch, capsys):
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", server.url)
    server.add(PATH, Reply(200, BODY))
    digest = hashlib.sha256(BODY).hexdigest()
    argv = ["sources", "fetch", "cog-communes", "--vintage", "2026"]
    assert main(argv) == 0
    path, origin, size, sha = capsys.readouterr().out.strip().split("\t")
    assert origin == "download" and size == f"{len(BODY)} octets" and sha == f"sha256={digest}"
    assert Path(path).read_bytes() == BODY
    assert main(argv) == 0
    assert capsys.readouterr().out.split("\t")[1] == "cache" and server.hits(PATH) == 1
    assert main([*argv, "--refresh"]) == 0
    assert capsys.readouterr().out.split("\t")[1] == "download" and server.hits(PATH) == 2


def test_cli_sources_fetch_from_the_mirror(tmp_path, env, monkeypatch, capsys):
    mirror = tmp_path / "mirror"
    (mirror / "cog-2026").mkdir(parents=True)
    (mirror / "cog-2026" / "communes.json").write_bytes(BODY)
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(mirror))
    assert main(["sources", "fetch", "cog-communes", "--vintage", "2026"]) == 0
    path, origin, *_ = capsys.readouterr().out.split("\t")
    assert origin == "mirror" and Path(path) == (mirror / "cog-2026" / "communes.json").resolve()


def test_cli_sources_fetch_unknown_source_is_an_input_error(env, capsys):
    assert main(["sources", "fetch", "cog-commune", "--vintage", "2026"]) == 2
    err = capsys.readouterr().err
    assert "source inconnue : cog-commune@2026" in err and "cog-communes@2026" in err
