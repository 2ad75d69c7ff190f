"""Registry of official sources and the one way to get their files.

``fetch`` returns a local path for a source: the mirror directory's stand-in when a mirror
is set, else the download cache when it already holds the file, else a download with
``requests``. A download streams to a temporary file that is renamed only when complete,
so a cut connection never leaves a half file; size, sha256 and retrieval date are kept
in a ``.meta.json`` beside the cached file.

A source whose address is found by a rule (``locate`` in the registry: a data.gouv.fr
resource, the nearest edition of a yearly file, a listing of the API Recherche
d'entreprises) is located first (``ingest/locate.py``); a pinned public copy stands in
only when the rule finds nothing, and the result says so (``fallback``). Every file
downloaded is checked against the layout the registry states (``ingest/layout.py``)
before it is kept: a changed layout stops with a French message, nothing is cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import requests

from odlab_compliance.config import Settings, load_settings
from odlab_compliance.errors import UserError
from odlab_compliance.http import describe_error, error_kind, make_session, what_to_do
from odlab_compliance.ingest import layout, locate

# The registry is read in ingest/registry.py; its names stay importable from here, where
# most callers look for them.
from odlab_compliance.ingest.registry import (  # noqa: F401
    REGISTRY_PATH,
    Source,
    UnknownSource,
    all_sources,
    base_url,
    get_source,
    vintages,
)

CHUNK = 1 << 20


@dataclass(frozen=True)
class FetchResult:
    source_id: str
    vintage: int
    path: Path
    origin: str  # "mirror", "cache" or "download"
    url: str
    size: int
    sha256: str
    retrieved_at: str  # ISO 8601, UTC
    found_by: str = ""   # how the address was found (locate rule), in French
    fallback: str = ""   # why a pinned copy or another edition stands in ("" : none)

    def as_row(self) -> dict[str, object]:
        row = asdict(self)
        row["path"] = str(self.path)
        return row


_INSERT_FETCH = ("INSERT INTO source_fetch (source_id, vintage, url, origin, path, size, sha256,"
                 " retrieved_at, found_by, fallback) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def record_fetch(con: duckdb.DuckDBPyConnection, f: FetchResult) -> None:
    """Keep in the load journal where a file came from, its checksum and any stand-in."""
    con.execute(_INSERT_FETCH, [f.source_id, f.vintage, f.url, f.origin, str(f.path), f.size,
                                f.sha256, f.retrieved_at, f.found_by or None,
                                f.fallback or None])


class SourceUnavailable(UserError, RuntimeError):
    """A source could be neither downloaded nor found in the mirror or cache."""


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def cache_path(source: Source, settings: Settings) -> Path:
    return settings.cache_dir / source.id / str(source.vintage) / source.filename


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


ProgressFactory = Callable[[str, int | None], Callable[[int], None]]


class OptionalSourceOffline(SourceUnavailable):
    """An optional source absent from the mirror: offline, it is not downloaded."""


def fetch(source: Source, settings: Settings | None = None, *,
          session: requests.Session | None = None,
          progress: ProgressFactory | None = None,
          refresh: bool = False, optional: bool = False) -> FetchResult:
    """Return a local copy of ``source`` (mirror, cache or download, in that order).

    ``progress(label, total_bytes)`` may return a callback taking the bytes just written;
    the CLI passes a tqdm bar. ``refresh`` ignores the cache (not the mirror).
    ``optional``: a source the caller can do without. With a mirror directory (offline),
    one that the mirror and the cache lack is not downloaded — unless its base URL is set
    on purpose (``ODLAB_BASE_URL_<GROUPE>``) — and ``OptionalSourceOffline`` says so.
    """
    settings = settings or load_settings()
    url = source.url(settings)
    if settings.mirror_dir is not None:
        mirrored = settings.mirror_dir / source.mirror
        if mirrored.is_file():
            return FetchResult(source.id, source.vintage, mirrored, "mirror", url,
                               mirrored.stat().st_size, sha256_of(mirrored), _now())
    target = cache_path(source, settings)
    meta = _meta_path(target)
    if not refresh and target.is_file() and meta.is_file():
        info = json.loads(meta.read_text(encoding="utf-8"))
        return FetchResult(source.id, source.vintage, target, "cache", info.get("url", url),
                           int(info["size"]), info["sha256"], info["retrieved_at"],
                           info.get("found_by", ""), info.get("fallback", ""))
    if optional and settings.mirror_dir is not None and \
            source.base.upper() not in settings.base_url_overrides:
        raise OptionalSourceOffline(
            f"« {source.title} » ({source.id}, millésime {source.vintage}) n'est pas dans le "
            f"dossier miroir ({source.mirror}) : hors ligne, il n'est pas téléchargé (en "
            f"ligne, sans ODLAB_MIRROR_DIR : {source.url(settings) or 'aucune adresse'}).")
    session = session or make_session(settings)
    label = f"{source.id} {source.vintage}"
    try:
        located = locate.locate(source, settings, session)
        if located.build is not None:
            size, digest = located.build(target)
        else:
            size, digest = download(located.url, target, session, settings, progress, label)
    except locate.NotLocated as exc:
        raise SourceUnavailable(_unavailable_message(source, settings, str(exc), "")) from exc
    except (requests.RequestException, OSError) as exc:
        # The library's text (English, urllib3 internals) stays out of the message: the
        # user gets what failed, on which host, and what to do.
        advice = ("Vérifiez la connexion à internet (ou le proxy)." if error_kind(exc) == "dns"
                  else what_to_do(exc))
        raise SourceUnavailable(_unavailable_message(
            source, settings, describe_error(exc), advice)) from exc
    try:
        layout.check(source, target)
        locate.check_checksum(located, target)
    except UserError:
        target.unlink(missing_ok=True)   # a file of the wrong layout is never kept
        raise
    retrieved = _now()
    meta.write_text(json.dumps({"url": located.url, "size": size, "sha256": digest,
                                "retrieved_at": retrieved, "found_by": located.found_by,
                                "fallback": located.fallback}, indent=1), encoding="utf-8")
    return FetchResult(source.id, source.vintage, target, "download", located.url, size,
                       digest, retrieved, located.found_by, located.fallback)


def download(url: str, target: Path, session: requests.Session, settings: Settings,
              progress: ProgressFactory | None, label: str) -> tuple[int, str]:
    """Stream ``url`` to ``target`` atomically; retry the whole transfer when cut.

    urllib3's Retry covers failed responses (429/5xx, refused connections); a body cut in
    the middle surfaces while reading, so that case is retried here.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    attempts = max(1, settings.http_retries + 1)
    last: Exception | None = None
    for _ in range(attempts):
        fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, session.get(url, stream=True) as resp:
                resp.raise_for_status()
                total = int(resp.headers.get("Content-Length") or 0) or None
                tick = progress(label, total) if progress else None
                h = hashlib.sha256()
                size = 0
                for chunk in resp.iter_content(CHUNK):
                    out.write(chunk)
                    h.update(chunk)
                    size += len(chunk)
                    if tick:
                        tick(len(chunk))
                # Content-Length counts the bytes on the wire: under gzip that is the
                # compressed size, so compare it with what urllib3 read, not with ``size``.
                received = resp.raw.tell() if resp.headers.get("Content-Encoding") else size
                if total is not None and received != total:
                    raise requests.exceptions.ChunkedEncodingError(
                        f"transfert incomplet : {received} octets reçus sur {total}")
            os.replace(tmp, target)
            return size, h.hexdigest()
        except requests.HTTPError:
            tmp.unlink(missing_ok=True)
            raise
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.Timeout) as exc:
            tmp.unlink(missing_ok=True)
            last = exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    assert last is not None
    raise last


def _unavailable_message(source: Source, settings: Settings, reason: str, advice: str) -> str:
    mirror = (f"le dossier miroir {settings.mirror_dir} ne contient pas {source.mirror}"
              if settings.mirror_dir else "aucun dossier miroir n'est défini")
    return (f"Source « {source.title} » ({source.id}, millésime {source.vintage}) "
            f"inaccessible : {reason}. {advice + ' ' if advice else ''}"
            f"URL officielle : {source.url(settings) or 'aucune'} ; "
            f"{mirror}. Hors ligne, définissez ODLAB_MIRROR_DIR vers un dossier organisé "
            f"comme shared/data (fichier attendu : {source.mirror}).")
