"""`sources check`: does each official source answer, in the layout the project expects?

What an administrator runs before a refresh (and what the first-run and Méthode pages
show): for each registered source, where it would be read from (mirror, cache, its
publisher), whether it answers, whether its format is the expected one (HTML page,
columns, separator: ``ingest/layout.py``), its millésime, size and date, and what to do
when something is wrong. Online, each address is located by its rule, then only the
head of the file is read (64 Ko: enough for a CSV header, an HTML page or a JSON
record's keys), except a ZIP, read whole (its directory is at its end). One attempt per
source, no retries: a slow host is reported as slow, not waited for four times.
"""

from __future__ import annotations

import dataclasses
import gzip
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests

from odlab_compliance.config import Settings
from odlab_compliance.errors import UserError
from odlab_compliance.http import describe_error, error_kind, make_session, what_to_do
from odlab_compliance.ingest import layout, locate
from odlab_compliance.ingest.sources import Source, all_sources, cache_path

HEAD_BYTES = 64 * 1024
WORKERS = 6
OK, PROBLEM, MISSING, FALLBACK = "ok", "format", "absente", "secours"


@dataclass
class Check:
    source: Source
    origin: str = ""            # mirror | cache | en ligne
    answers: bool = False
    format_ok: bool | None = None   # None: not checked (no file)
    size: int | None = None
    date: str = ""              # ISO date of the file (Last-Modified, file time)
    url: str = ""
    found_by: str = ""
    problem: str = ""           # what is wrong, in French
    advice: str = ""            # what to do, in French
    fallback: str = ""

    @property
    def failed(self) -> bool:
        """A required source that is missing or whose format changed."""
        return self.source.required and (not self.answers or self.format_ok is False)


def check_all(settings: Settings, sources: list[Source] | None = None) -> list[Check]:
    """One ``Check`` per registered source (in registry order)."""
    sources = sources if sources is not None else all_sources()
    # One attempt each: the report is about the sources, not about patience.
    quick = dataclasses.replace(settings, http_retries=0)
    session = make_session(quick)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(lambda s: check_one(s, quick, session), sources))


def check_one(source: Source, settings: Settings, session: requests.Session) -> Check:
    if settings.mirror_dir is not None:
        return _check_file(Check(source, "miroir"), settings.mirror_dir / source.mirror,
                           settings)
    cached = cache_path(source, settings)
    out = Check(source, "en ligne")
    try:
        located = locate.locate(source, settings, session)
        out.url, out.found_by, out.fallback = located.url, located.found_by, located.fallback
        if located.build is not None:
            return _check_listing(out, settings, session)
        return _check_download(out, session, source)
    except locate.NotLocated as exc:
        out.problem = str(exc)
        out.advice = "Vérifiez l'adresse dans reference/sources.toml ; le producteur a " \
                     "peut-être déplacé le fichier."
    except requests.RequestException as exc:
        out.problem = describe_error(exc)
        out.advice = _advice(exc, settings)
    if cached.is_file():
        out.advice += f" Une copie est dans le cache ({cached.parent}) : elle sera lue."
    return out


def _advice(exc: BaseException, settings: Settings) -> str:
    if error_kind(exc) == "timeout":
        return (f"La source ne répond pas en {settings.http_timeout:g} s : réessayez plus tard "
                "ou augmentez ODLAB_HTTP_TIMEOUT ; hors ligne, ODLAB_MIRROR_DIR.")
    return what_to_do(exc)


def _check_file(out: Check, path: Path, settings: Settings) -> Check:
    out.url = out.source.url(settings)
    if not path.is_file():
        out.problem = f"absente du dossier miroir ({out.source.mirror})"
        out.advice = ("Sans elle, le projet fait sans (en le disant)." if not out.source.required
                      else f"Ajoutez le fichier {out.source.mirror} au dossier miroir, ou "
                           "lancez sans ODLAB_MIRROR_DIR sur une machine en ligne.")
        return out
    out.answers = True
    out.size = path.stat().st_size
    from datetime import UTC, datetime
    out.date = datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()
    _layout(out, path)
    return out


def _layout(out: Check, path: Path) -> None:
    try:
        layout.check(out.source, path)
        out.format_ok = True
    except (UserError, OSError) as exc:
        out.format_ok = False
        out.problem = str(exc).split(" : ", 1)[-1].split(". Le fichier")[0]
        out.advice = "Le producteur a changé son format : signalez-le aux mainteneurs du projet."


def _check_download(out: Check, session: requests.Session, source: Source) -> Check:
    kind = source.format.split()[0].lower()
    with session.get(out.url, stream=True) as resp:
        resp.raise_for_status()
        out.answers = True
        length = resp.headers.get("Content-Length")
        out.size = int(length) if length and length.isdigit() else None
        modified = resp.headers.get("Last-Modified")
        if modified:
            try:
                out.date = parsedate_to_datetime(modified).date().isoformat()
            except (TypeError, ValueError):
                pass
        raw = b""
        for chunk in resp.raw.stream(HEAD_BYTES, decode_content=True):
            raw += chunk
            if kind != "zip" and len(raw) >= HEAD_BYTES:
                break
    if kind == "zip" and out.size is None:
        out.size = len(raw)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tete"
        path.write_bytes(_gunzip_head(raw))
        if kind in ("json", "geojson"):
            _keys_in_head(out, path.read_bytes())
        else:
            _layout(out, path)
    return out


def _gunzip_head(raw: bytes) -> bytes:
    """The start of a gzip file, decompressed as far as it goes (a head is cut)."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError):
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw)


def _keys_in_head(out: Check, head: bytes) -> None:
    """JSON is read in full by the load; here the head must not be a page and must name
    the expected keys of the first records."""
    if layout.is_html(head):
        out.format_ok = False
        out.problem = "page HTML au lieu du fichier JSON attendu"
        out.advice = "Le service renvoie une page d'erreur : réessayez plus tard."
        return
    keys = out.source.columns
    if out.source.format.startswith("geojson"):
        keys = ()
        if b'"code"' not in head and b'"epci_siren"' not in head:
            keys = ("code",)
    missing = [k for k in keys if f'"{k}"'.encode() not in head]
    out.format_ok = not missing
    if missing:
        out.problem = f"champ(s) {', '.join(missing)} absent(s) du début du fichier"
        out.advice = "Le producteur a changé son format : signalez-le aux mainteneurs du projet."


def _check_listing(out: Check, settings: Settings, session: requests.Session) -> Check:
    """The SIREN listing: the first page of the API answers in its envelope."""
    from odlab_compliance.ingest.agents import recherche_entreprises as api

    client = api.Client(settings, session, None)
    try:
        page = client.search({"nature_juridique": ",".join(out.source.natures),
                              "etat_administratif": "A", "per_page": api.PER_PAGE, "page": 1})
    except RuntimeError as exc:
        out.problem = str(exc)
        out.advice = ("L'API Recherche d'entreprises ne répond pas : réessayez plus tard ; "
                      "sans elle, les SIREN des départements et régions restent vides.")
        return out
    out.answers = True
    total = int(page.get("total_results") or 0)
    out.format_ok = total > 0 and all("siren" in r and "siege" in r for r in page["results"])
    out.size = None
    out.found_by += f" ({total} unités actives)"
    if not out.format_ok:
        out.problem = "réponse sans unités ni sièges (« siren », « siege »)"
        out.advice = "L'API a changé : signalez-le aux mainteneurs du projet."
    return out
