"""Is a downloaded file in the layout its source promises? Checked before it is kept.

A publisher that renames a column, changes its separator or serves an HTML error page
with a 200 must stop ``reference update`` with a message naming the source, the column
and what was expected — before anything is written (the loaded vintage stays as it
was). The registry states what each file must hold (``columns``): JSON keys of the
records, GeoJSON feature properties (one of them is enough: ``code`` or ``epci_siren``),
or CSV header names. Reads only the head of a file, except JSON (parsed whole).
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from odlab_compliance.errors import UserError
from odlab_compliance.ingest.reference.jsonfile import is_gzip
from odlab_compliance.textfile import decode_lenient

if TYPE_CHECKING:
    from odlab_compliance.ingest.registry import Source

HEAD = 64 * 1024
SEPARATORS = {"csv": ",", "zip": ";"}     # INSEE's CSV inside its zip uses « ; »
GEO_KEYS = ("code", "epci_siren")         # Etalab's outlines use code, the mirror's EPCI epci_siren
INSEE_MEMBER = "donnees_communes.csv"


class LayoutError(UserError, ValueError):
    """The file is not in the layout its source promises (French message)."""


def _fail(source: Source, what: str) -> LayoutError:
    return LayoutError(f"Source « {source.title} » ({source.id}, millésime {source.vintage}) : "
                       f"{what}. Le fichier n'a pas été gardé et rien n'a été chargé (le "
                       "référentiel déjà chargé reste en place). Le producteur a peut-être "
                       "changé son format : signalez-le aux mainteneurs du projet.")


def _head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        raw = fh.read(HEAD)
    if raw[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as fh:
            raw = fh.read(HEAD)
    return raw


def is_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def check(source: Source, path: Path) -> None:
    """Raise ``LayoutError`` when ``path`` is not what ``source`` promises."""
    head = _head(path)
    kind = source.format.split()[0].lower()
    if is_html(head):
        raise _fail(source, f"une page HTML a été reçue au lieu du fichier {kind} attendu "
                            "(page d'erreur ou de maintenance servie avec le code 200)")
    if not source.columns:
        return
    if kind == "json":
        _check_json(source, path)
    elif kind == "geojson":
        _check_geojson(source, path)
    elif kind == "csv":
        _check_header(source, decode_lenient(head)[0], SEPARATORS["csv"], path.name)
    elif kind == "zip":
        _check_zip(source, path)


def _load(source: Source, path: Path) -> object:
    try:
        opener = gzip.open if is_gzip(path) else open
        with opener(path, "rb") as fh:
            return json.load(fh)
    except (ValueError, OSError, EOFError) as exc:
        raise _fail(source, f"JSON illisible ({type(exc).__name__})") from exc


def _check_json(source: Source, path: Path) -> None:
    data = _load(source, path)
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        raise _fail(source, "une liste d'objets JSON était attendue")
    keys = set().union(*(d.keys() for d in data[:50] if isinstance(d, dict)))
    missing = [c for c in source.columns if c not in keys]
    if missing:
        raise _fail(source, f"champ(s) {', '.join(repr(m) for m in missing)} absent(s) "
                            f"(attendus : {', '.join(source.columns)} ; lus : "
                            f"{', '.join(sorted(keys))})")


def _check_geojson(source: Source, path: Path) -> None:
    data = _load(source, path)
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or not features:
        raise _fail(source, "une collection d'entités GeoJSON (FeatureCollection) était "
                            "attendue")
    props = set((features[0].get("properties") or {}).keys())
    if not props & set(GEO_KEYS):
        raise _fail(source, f"propriété « code » absente des contours (attendue : "
                            f"{' ou '.join(GEO_KEYS)} ; lues : {', '.join(sorted(props))})")


def _check_header(source: Source, text: str, sep: str, name: str) -> None:
    first = text.splitlines()[0] if text else ""
    header = [c.strip().strip('"').lstrip("\ufeff") for c in first.split(sep)]
    missing = [c for c in source.columns if c not in header]
    if not missing:
        return
    for other in (";", ",", "\t", "|"):
        if other != sep and all(c in [h.strip().strip('"') for h in first.split(other)]
                                for c in source.columns):
            raise _fail(source, f"{name} est séparé par « {other} » au lieu de « {sep} » "
                                f"attendu")
    raise _fail(source, f"colonne(s) {', '.join(repr(m) for m in missing)} absente(s) de "
                        f"{name} (attendues : {', '.join(source.columns)} ; lues : "
                        f"{', '.join(h for h in header if h)})")


def _check_zip(source: Source, path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if Path(n).name.lower() == INSEE_MEMBER]
            if not names:
                raise _fail(source, f"l'archive ne contient pas {INSEE_MEMBER} (contenu : "
                                    f"{', '.join(zf.namelist()[:8])})")
            with zf.open(names[0]) as fh:
                head = fh.read(HEAD)
    except zipfile.BadZipFile as exc:
        raise _fail(source, "archive ZIP illisible") from exc
    _check_header(source, decode_lenient(io.BytesIO(head).read())[0], SEPARATORS["zip"],
                  names[0])
