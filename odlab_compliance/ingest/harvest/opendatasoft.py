"""Opendatasoft portals: the Explore API v2.1 catalogue.

``GET /api/explore/v2.1/catalog/datasets?limit=&offset=`` answers ``total_count`` and
``results[]`` (``dataset_id``, ``metas.default.title|publisher|modified|records_count``).
The API refuses ``offset + limit > 10000``: a bigger catalogue is read whole from the
catalogue export (``/catalog/exports/json``, not paged), else split by publisher
(``/catalog/facets?facet=publisher`` then ``refine=publisher:"..."``); whatever still
cannot be reached is reported as truncation, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from odlab_compliance.ingest.harvest import quality

CATALOG = "/api/explore/v2.1/catalog/datasets"
FACETS = "/api/explore/v2.1/catalog/facets"
EXPORT = "/api/explore/v2.1/catalog/exports/json"
PAGE = 100            # the API's maximum page size for the catalogue
MAX_WINDOW = 10_000   # offset + limit may not exceed this

Get = Callable[[str, dict[str, Any] | None], Any]


def _pages(get: Get, url: str, params: dict[str, Any],
           probe: bool = False) -> tuple[list[dict], int]:
    """All results reachable for one query (within the window) and the announced total.

    With ``probe``, stop after the first page when the total exceeds the window: the
    caller reads such a catalogue another way instead of paging 10,000 datasets first."""
    out: list[dict] = []
    offset, total = 0, None
    while True:
        limit = min(PAGE, MAX_WINDOW - offset)
        page = get(url, {**params, "limit": limit, "offset": offset})
        total = int(page["total_count"])
        results = page.get("results") or []
        out.extend(results)
        offset += len(results)
        if probe and total > MAX_WINDOW:
            return out, total
        if not results or offset >= total or offset >= MAX_WINDOW:
            return out, total


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_catalog(get: Get, base_url: str) -> tuple[list[dict], list[str]]:
    """Every dataset of the portal as an entry dict, and warnings (truncation)."""
    url = base_url + CATALOG
    results, total = _pages(get, url, {}, probe=True)
    warnings: list[str] = []
    if total > MAX_WINDOW:
        try:
            results = _export(get, base_url)
        except Exception:  # noqa: BLE001 - export closed on this portal: split by publisher
            results, warnings = _by_publisher(get, base_url)
    seen: set[str] = set()
    entries = []
    for item in results:
        entry = to_entry(item, base_url)
        if entry["dataset_id"] in seen:
            continue
        seen.add(entry["dataset_id"])
        entries.append(entry)
    if len(entries) < total:
        warnings.append(f"catalogue tronqué : {len(entries)} jeux lus sur {total} annoncés")
    return entries, warnings


def _export(get: Get, base_url: str) -> list[dict]:
    data = get(base_url + EXPORT, None)
    if not isinstance(data, list):
        raise ValueError("une liste de jeux était attendue")
    return data


def _by_publisher(get: Get, base_url: str) -> tuple[list[dict], list[str]]:
    """The catalogue read publisher by publisher, each within the API's window."""
    url = base_url + CATALOG
    results: list[dict] = []
    warnings: list[str] = []
    facets = get(base_url + FACETS, {"facet": "publisher"})
    values = [(v.get("value") or v.get("name"), int(v.get("count") or 0))
              for f in facets.get("facets", []) if f.get("name") == "publisher"
              for v in f.get("facets", [])]
    for value, count in values:
        part, _ = _pages(get, url, {"refine": f"publisher:{_quote(value)}"})
        results.extend(part)
        if count > MAX_WINDOW:
            warnings.append(f"éditeur « {value} » : {count} jeux, seuls {len(part)} "
                            "sont lisibles (limite de 10 000 de l'API)")
    without, _ = _pages(get, url, {"where": "publisher is null"})
    results.extend(without)
    return results, warnings


def to_entry(item: dict, base_url: str) -> dict:
    """A catalogue result as the portal-independent entry the attribution reads."""
    metas = (item.get("metas") or {}).get("default") or {}
    dataset_id = str(item["dataset_id"])
    dcat_metas = (item.get("metas") or {}).get("dcat") or {}
    features = item.get("features") or []
    # A dataset with records is exported by the platform in CSV and JSON (GeoJSON when it
    # has a geometry); one without records only has attachments, whose formats the
    # catalogue does not list: unknown, not "closed".
    formats = (["csv", "json"] + (["geojson"] if "geo" in features else [])
               if item.get("has_records") else [])
    themes = metas.get("theme") or []
    return {
        "dataset_id": dataset_id,
        "title": metas.get("title") or dataset_id,
        "publisher": metas.get("publisher"),
        "modified": metas.get("modified") or metas.get("data_processed"),
        "url": f"{base_url}/explore/dataset/{dataset_id}/",
        "schemas": [],
        "deleted": False,
        "licence": metas.get("license") or None,
        "frequency": quality.frequency_id(dcat_metas.get("accrualperiodicity")),
        "formats": formats,
        "themes": [str(t) for t in (themes if isinstance(themes, list) else [themes])],
    }
