"""DCAT feeds: ArcGIS Hub (``/api/feed/dcat-ap/2.1.1.json``) and DCAT-US (``/data.json``).

Both give a list of datasets (``dataset`` or, in JSON-LD, ``dcat:dataset``) with a title,
a publisher (``publisher.name`` / ``foaf:name``), ``modified``, ``identifier`` and
``landingPage``. Keys are read with or without their ``dct:``/``dcat:`` prefix, since
feeds differ on that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from odlab_compliance.ingest.harvest import quality

ARCGIS_FEED = "/api/feed/dcat-ap/2.1.1.json"
DCAT_US_FEED = "/data.json"
_PREFIXES = ("", "dct:", "dcterms:", "dcat:", "foaf:")

Get = Callable[[str, dict[str, Any] | None], Any]


def feed_url(portal_url: str, base_url: str, technology: str) -> str:
    """The feed to read: the portal URL itself when it names a .json feed, else the usual one."""
    if urlsplit(portal_url).path.endswith(".json"):
        return portal_url
    return base_url + (ARCGIS_FEED if technology == "arcgis" else DCAT_US_FEED)


def _plain(value: Any) -> Any:
    """A JSON-LD value reduced to text (``{"@value": ...}``, lists, ``{"@id": ...}``)."""
    if isinstance(value, list):
        return _plain(value[0]) if value else None
    if isinstance(value, dict):
        if "@value" in value:
            return value["@value"]
        if "@id" in value and len(value) <= 2:
            return value["@id"]
    return value


def _get(d: dict, key: str) -> Any:
    for p in _PREFIXES:
        if p + key in d:
            return d[p + key]
    return None


def _publisher(value: Any) -> str | None:
    value = value[0] if isinstance(value, list) and value else value
    if isinstance(value, dict):
        name = _get(value, "name") or _get(value, "title")
        return str(_plain(name)) if name else None
    return str(value) if value else None


def fetch_catalog(get: Get, url: str) -> tuple[list[dict], list[str]]:
    doc = get(url, None)
    if not isinstance(doc, dict):
        raise ValueError("flux DCAT : un objet JSON était attendu")
    datasets = _get(doc, "dataset")
    if datasets is None and isinstance(doc.get("@graph"), list):
        datasets = [d for d in doc["@graph"] if "Dataset" in str(d.get("@type", ""))]
    if not isinstance(datasets, list):
        raise ValueError("flux DCAT sans liste « dataset »")
    return [to_entry(d) for d in datasets], []


def to_entry(d: dict) -> dict:
    identifier = _plain(_get(d, "identifier")) or _plain(d.get("@id"))
    landing = _plain(_get(d, "landingPage"))
    dists = _get(d, "distribution") or []
    dists = dists if isinstance(dists, list) else [dists]
    formats = sorted({f for x in dists if isinstance(x, dict)
                      if (f := quality.format_of(_plain(_get(x, "format"))
                                                 or _plain(_get(x, "mediaType"))))})
    licence = _plain(_get(d, "license"))
    themes = _get(d, "theme") or _get(d, "keyword") or []
    return {
        "dataset_id": str(identifier or landing or _plain(_get(d, "title"))),
        "title": _plain(_get(d, "title")),
        "publisher": _publisher(_get(d, "publisher")),
        "modified": _plain(_get(d, "modified")) or _plain(_get(d, "issued")),
        "url": landing if isinstance(landing, str) else None,
        "schemas": [],
        "deleted": False,
        "licence": str(licence) if licence else None,
        "frequency": quality.frequency_id(_plain(_get(d, "accrualPeriodicity"))),
        "formats": formats,
        "themes": [str(_plain(t)) for t in (themes if isinstance(themes, list) else [themes])
                   if _plain(t)],
    }
