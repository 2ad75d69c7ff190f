"""CKAN portals: ``/api/3/action/package_search``.

Answers ``{"success": true, "result": {"count", "results": [...]}}``; each package has
``name``, ``title``, ``organization.title``, ``metadata_modified``, ``resources[]``.
``fq=organization:<name>`` narrows the search to one organisation (targeted refresh).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from odlab_compliance.ingest.harvest import quality

SEARCH = "/api/3/action/package_search"
ORGANIZATIONS = "/api/3/action/organization_list"
ROWS = 1000   # CKAN's default maximum for rows

Get = Callable[[str, dict[str, Any] | None], Any]


def _result(payload: Any) -> Any:
    if not isinstance(payload, dict) or payload.get("success") is not True:
        raise ValueError("réponse CKAN sans « success: true »")
    return payload["result"]


def fetch_catalog(get: Get, base_url: str, organization: str | None = None,
                  rows: int | None = None) -> tuple[list[dict], list[str]]:
    """Every public package (of one organisation when given) as entry dicts, and warnings."""
    params: dict[str, Any] = {"rows": rows or ROWS}
    if organization:
        params["fq"] = f"organization:{organization}"
    entries: list[dict] = []
    start = 0
    while True:
        result = _result(get(base_url + SEARCH, {**params, "start": start}))
        count = int(result["count"])
        packages = result.get("results") or []
        entries.extend(to_entry(p, base_url) for p in packages if not p.get("private"))
        start += len(packages)
        if not packages or start >= count:
            break
    warnings = []
    if start < count:
        warnings.append(f"catalogue tronqué : {start} jeux lus sur {count} annoncés")
    return entries, warnings


def organizations(get: Get, base_url: str) -> list[str]:
    """Names of the portal's organisations (``organization_list``)."""
    return [str(n) for n in _result(get(base_url + ORGANIZATIONS, None))]


def _schema(resource: dict) -> str | None:
    schema = resource.get("schema")
    if isinstance(schema, dict):
        schema = schema.get("name")
    return str(schema) if schema else None


def to_entry(package: dict, base_url: str) -> dict:
    org = package.get("organization") or {}
    name = package.get("name") or package.get("id")
    schemas = sorted({s for r in package.get("resources") or [] if (s := _schema(r))})
    extras = {str(e.get("key")): e.get("value") for e in package.get("extras") or []
              if isinstance(e, dict)}
    frequency = (package.get("frequency") or extras.get("frequency")
                 or extras.get("accrual_periodicity") or extras.get("dct:accrualPeriodicity"))
    return {
        "dataset_id": str(package.get("id") or name),
        "title": package.get("title") or name,
        "publisher": org.get("title") or org.get("name") or package.get("author"),
        "modified": package.get("metadata_modified"),
        "url": f"{base_url}/dataset/{name}",
        "schemas": schemas,
        "deleted": package.get("state") == "deleted",
        "licence": package.get("license_title") or package.get("license_id") or None,
        "frequency": quality.frequency_id(frequency),
        "formats": sorted({f for r in package.get("resources") or []
                           if (f := quality.format_of(r.get("format") or r.get("mimetype")))}),
        "themes": [str(g.get("title") or g.get("name")) for g in package.get("groups") or []
                   if isinstance(g, dict)],
    }
