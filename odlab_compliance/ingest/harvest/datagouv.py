"""data.gouv.fr (udata): the national snapshot from the bulk catalogue exports, and the
targeted refresh of a few organisations through the paginated API.

Fetching only: functions return ``PublisherRecord`` / ``DatasetRecord`` / ``SourceOutcome``
and never touch the database (``harvest.save`` writes them). Column and field names are
udata's: ``udata/core/organization/csv.py``, ``udata/core/dataset/csv.py`` (datasets and
their nested resources), ``udata/core/csv.py`` (``;`` separator, non-numeric values quoted,
booleans written ``True``/``False``, a list written as its Python repr).
"""

from __future__ import annotations

import ast
import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from odlab_compliance import vocab
from odlab_compliance.config import Settings
from odlab_compliance.http import RateLimiter, describe_error, paginate
from odlab_compliance.ingest.harvest.records import DatasetRecord, PublisherRecord, SourceOutcome
from odlab_compliance.ingest.sources import download

SOURCE = vocab.SOURCE_DATAGOUV
DEFAULT_URL = "https://www.data.gouv.fr"
BADGE = "local-authority"
# A few requests per second at most: data.gouv.fr publishes no quota, stay polite.
DEFAULT_RATE = 4.0
PAGE_SIZE = 100

ORGS_EXPORT = "/api/1/site/organizations.csv"
DATASETS_EXPORT = "/api/1/site/datasets.csv"
RESOURCES_EXPORT = "/api/1/site/resources.csv"

ORG_COLUMNS = ("id", "name", "business_number_id")
DATASET_COLUMNS = ("id", "title", "organization_id")
RESOURCE_COLUMNS = ("dataset.id", "schema_name")

Progress = Callable[[str, int | None], Callable[[int], None]]


class ExportError(RuntimeError):
    """A bulk export is unusable as a whole (missing columns, truncated file)."""


@dataclass
class DatagouvHarvest:
    """What one data.gouv.fr harvest returns (records + how it went)."""

    publishers: list[PublisherRecord] = field(default_factory=list)
    datasets: list[DatasetRecord] = field(default_factory=list)
    outcome: SourceOutcome = field(default_factory=lambda: SourceOutcome(SOURCE, ok=True))
    requests: int = 0


def base_url(settings: Settings) -> str:
    return settings.base_url("DATAGOUV", DEFAULT_URL)


def item_error(item: str, message: str) -> str:
    """Item errors travel as text in ``SourceOutcome``: ``[item] message`` (see save.py)."""
    return f"[{item}] {message}"


# --- small value parsers ------------------------------------------------------------------

def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    # The API gives a date for archived/deleted; the CSV gives True/False.
    return text not in ("", "false", "0", "none", "null")


def _badges(value: object) -> list[str]:
    """Badges as the CSV writes them (``['local-authority']``) or as a comma list."""
    if isinstance(value, list):
        return [b["kind"] if isinstance(b, dict) else str(b) for b in value]
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        return []
    if text.startswith("["):
        try:
            parsed = ast.literal_eval(text)
            return [str(b) for b in parsed]
        except (ValueError, SyntaxError):
            text = text.strip("[]")
    return [b.strip(" '\"") for b in text.split(",") if b.strip(" '\"")]


def _domain(domain: object, backend: object, remote_url: object) -> str | None:
    """The portal a dataset was harvested from (None for a dataset published natively)."""
    if domain:
        return str(domain).strip().lower() or None
    if remote_url:
        host = urlsplit(str(remote_url)).hostname
        if host:
            return host.lower()
    return f"backend:{backend}" if backend else None


def _org_page(base: str, slug: str | None, org_id: str) -> str:
    return f"{base}/fr/organizations/{slug or org_id}/"


# --- bulk exports -------------------------------------------------------------------------

def read_export(path: Path, required: Iterable[str], label: str
                ) -> tuple[list[dict[str, str]], list[str]]:
    """Rows of a udata CSV export as dicts, and per-line errors.

    A row with the wrong number of fields in the middle of the file is an item error; the
    same on the LAST row means the file was cut: the whole export is refused.
    """
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=";", quotechar='"')
        try:
            header = next(reader)
        except StopIteration as exc:
            raise ExportError(f"{label} : fichier vide") from exc
        except csv.Error as exc:
            raise ExportError(f"{label} : en-tête illisible ({exc})") from exc
        missing = [c for c in required if c not in header]
        if missing:
            raise ExportError(f"{label} : colonnes manquantes {', '.join(missing)} "
                              f"(colonnes lues : {', '.join(header[:12])}…)")
        rows: list[dict[str, str]] = []
        errors: list[str] = []
        bad_last = False
        line = 1
        try:
            for values in reader:
                line = reader.line_num
                bad_last = len(values) != len(header)
                if bad_last:
                    errors.append(item_error(f"{label}:{line}", f"ligne {line} : {len(values)} "
                                             f"champs au lieu de {len(header)}"))
                    continue
                rows.append(dict(zip(header, values, strict=True)))
        except csv.Error as exc:
            raise ExportError(f"{label} : fichier tronqué ou mal formé ligne {line + 1} ({exc})"
                              ) from exc
        if bad_last:
            raise ExportError(f"{label} : fichier tronqué (dernière ligne {line} incomplète)")
    return rows, errors


def publishers_from_export(rows: list[dict[str, str]], base: str) -> list[PublisherRecord]:
    out = []
    for r in rows:
        nb = (r.get("metric.datasets") or "").strip()
        out.append(PublisherRecord(
            source=SOURCE, publisher_id=r["id"], name=r.get("name") or "",
            siret=(r.get("business_number_id") or "").strip() or None,
            url=r.get("url") or _org_page(base, r.get("slug"), r["id"]),
            badges=_badges(r.get("badges")), platform_id=SOURCE,
            nb_datasets=int(float(nb)) if nb else None))
    return out


def schemas_from_export(rows: list[dict[str, str]]) -> dict[str, list[str]]:
    """Schema names per dataset id, from the resources export (``schema_name``)."""
    out: dict[str, set[str]] = {}
    for r in rows:
        name = (r.get("schema_name") or "").strip()
        if name:
            out.setdefault(r["dataset.id"], set()).add(name)
    return {k: sorted(v) for k, v in out.items()}


def datasets_from_export(rows: list[dict[str, str]], schemas: dict[str, list[str]],
                         org_urls: dict[str, str], keep_orgs: set[str] | None = None
                         ) -> list[DatasetRecord]:
    out = []
    for r in rows:
        org = r.get("organization_id") or ""
        if not org or (keep_orgs is not None and org not in keep_orgs):
            continue
        if _bool(r.get("private")):
            continue
        out.append(DatasetRecord(
            source=SOURCE, dataset_id=r["id"], publisher_id=org, title=r.get("title") or "",
            url=r.get("url") or None, platform_id=SOURCE, platform_url=org_urls.get(org),
            last_update=r.get("last_update") or r.get("last_modified") or None,
            archived=_bool(r.get("archived")), deleted=_bool(r.get("deleted")),
            schemas=schemas.get(r["id"], []),
            harvest_domain=_domain(r.get("harvest.domain"), r.get("harvest.backend"),
                                   r.get("harvest.remote_url"))))
    return out


def _export_params(full: bool, kind: str) -> dict[str, str]:
    if full:
        return {}
    return {"badge": BADGE} if kind == "organizations" else {"organization_badge": BADGE}


def fetch_bulk(session: requests.Session, settings: Settings, dest_dir: Path, *,
               known_sirens: set[str] | None = None, full_catalogue: bool = False,
               limiter: RateLimiter | None = None, progress: Progress | None = None
               ) -> DatagouvHarvest:
    """National snapshot through the three bulk exports (3 requests).

    With ``full_catalogue`` the unfiltered exports are read (udata redirects them to the
    daily catalogue files) and organisations are kept when they carry the
    ``local-authority`` badge OR a SIRET whose SIREN is a known collectivité: the badge is
    missing on some collectivités' organisations.
    """
    base = base_url(settings)
    out = DatagouvHarvest()
    dest_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    try:
        for kind, path in (("organizations", ORGS_EXPORT), ("datasets", DATASETS_EXPORT),
                           ("resources", RESOURCES_EXPORT)):
            params = _export_params(full_catalogue, kind)
            query = "&".join(f"{k}={v}" for k, v in params.items())
            url = base + path + (f"?{query}" if query else "")
            if limiter:
                limiter.wait()
            target = dest_dir / f"{kind}.csv"
            out.requests += 1
            try:
                download(url, target, session, settings, progress,
                          label=f"data.gouv.fr {kind}")
            except (requests.RequestException, OSError) as exc:
                raise ExportError(f"{kind}.csv : {_describe(exc)}") from exc
            files[kind] = target
        org_rows, errs_o = read_export(files["organizations"], ORG_COLUMNS, "organizations.csv")
        ds_rows, errs_d = read_export(files["datasets"], DATASET_COLUMNS, "datasets.csv")
        res_rows, errs_r = read_export(files["resources"], RESOURCE_COLUMNS, "resources.csv")
    except (requests.RequestException, OSError, ExportError) as exc:
        out.outcome = SourceOutcome(SOURCE, ok=False, error=_describe(exc))
        return out
    publishers = publishers_from_export(org_rows, base)
    if full_catalogue:
        sirens = known_sirens or set()
        publishers = [p for p in publishers
                      if BADGE in p.badges or (p.siret or "")[:9] in sirens]
    keep = {p.publisher_id for p in publishers}
    urls = {p.publisher_id: p.url or "" for p in publishers}
    datasets = datasets_from_export(ds_rows, schemas_from_export(res_rows), urls, keep)
    out.publishers, out.datasets = publishers, datasets
    out.outcome = SourceOutcome(SOURCE, ok=True, items=len(datasets),
                                item_errors=errs_o + errs_d + errs_r)
    return out


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValueError) and not isinstance(exc, requests.RequestException):
        return f"réponse JSON invalide ({exc})"
    return describe_error(exc)


# --- paginated API ------------------------------------------------------------------------

def publisher_from_api(org: dict[str, Any], base: str) -> PublisherRecord:
    metrics = org.get("metrics") or {}
    return PublisherRecord(
        source=SOURCE, publisher_id=str(org["id"]), name=org.get("name") or "",
        siret=(org.get("business_number_id") or "").strip() or None,
        url=org.get("page") or _org_page(base, org.get("slug"), str(org["id"])),
        badges=_badges(org.get("badges") or []), platform_id=SOURCE,
        nb_datasets=metrics.get("datasets"))


def dataset_from_api(d: dict[str, Any], org_id: str, org_url: str | None) -> DatasetRecord:
    harvest = d.get("harvest") or {}
    schemas = sorted({(r.get("schema") or {}).get("name") for r in d.get("resources") or []
                      if (r.get("schema") or {}).get("name")})
    return DatasetRecord(
        source=SOURCE, dataset_id=str(d["id"]), publisher_id=org_id, title=d.get("title") or "",
        url=d.get("page") or d.get("uri"), platform_id=SOURCE, platform_url=org_url,
        last_update=d.get("last_update") or d.get("last_modified"),
        archived=_bool(d.get("archived")), deleted=_bool(d.get("deleted")), schemas=schemas,
        harvest_domain=_domain(harvest.get("domain"), harvest.get("backend"),
                               harvest.get("remote_url")))


def lookup_organizations(session: requests.Session, base: str, business_number_id: str,
                         limiter: RateLimiter | None = None) -> tuple[list[PublisherRecord], int]:
    """Organisations carrying a SIRET (``business_number_id`` filter); and request count."""
    out, n = [], 0
    for page in paginate(session, f"{base}/api/1/organizations/",
                         {"business_number_id": business_number_id, "page_size": PAGE_SIZE},
                         limiter):
        n += 1
        out.extend(publisher_from_api(o, base) for o in page.get("data") or [])
    return out, n


def list_local_authorities(session: requests.Session, base: str,
                           limiter: RateLimiter | None = None
                           ) -> tuple[list[PublisherRecord], int]:
    """Every organisation with the ``local-authority`` badge, through the API."""
    out, n = [], 0
    for page in paginate(session, f"{base}/api/1/organizations/",
                         {"badge": BADGE, "page_size": PAGE_SIZE}, limiter):
        n += 1
        out.extend(publisher_from_api(o, base) for o in page.get("data") or [])
    return out, n


def organization_datasets(session: requests.Session, base: str, org: PublisherRecord,
                          limiter: RateLimiter | None = None) -> tuple[list[DatasetRecord], int]:
    """All datasets of one organisation (``next_page`` followed); and request count."""
    out, n = [], 0
    for page in paginate(session, f"{base}/api/1/organizations/{org.publisher_id}/datasets/",
                         {"page_size": PAGE_SIZE}, limiter):
        n += 1
        for d in page.get("data") or []:
            if d.get("private"):
                continue
            out.append(dataset_from_api(d, org.publisher_id, org.url))
    return out, n


def fetch_organizations(session: requests.Session, settings: Settings,
                        organizations: list[PublisherRecord], *,
                        limiter: RateLimiter | None = None,
                        tick: Callable[[int], None] | None = None) -> DatagouvHarvest:
    """Targeted refresh: the datasets of each organisation through the API.

    One organisation that fails (5xx after retries, timeout, invalid JSON) is an item
    error; the run goes on with the others.
    """
    base = base_url(settings)
    out = DatagouvHarvest(publishers=list(organizations))
    errors: list[str] = []
    for org in organizations:
        try:
            datasets, n = organization_datasets(session, base, org, limiter)
            out.datasets.extend(datasets)
            out.requests += n
        except (requests.RequestException, ValueError) as exc:
            out.requests += 1
            errors.append(item_error(org.publisher_id,
                                     f"organisation « {org.name} » : {_describe(exc)}"))
        if tick:
            tick(1)
    failed_all = bool(organizations) and len(errors) == len(organizations)
    out.outcome = SourceOutcome(SOURCE, ok=not failed_all,
                                error="toutes les organisations ont échoué" if failed_all else None,
                                items=len(out.datasets), item_errors=errors)
    return out


def refresh_territory(session: requests.Session, settings: Settings, sirets: list[str], *,
                      known: list[PublisherRecord] | None = None,
                      limiter: RateLimiter | None = None,
                      tick: Callable[[int], None] | None = None) -> DatagouvHarvest:
    """Find the organisations of a territory by SIRET, then refresh their datasets.

    ``sirets`` are the SIRETs already known for the territory's collectivités (from the
    previous snapshot); ``known`` organisations are refreshed even when the lookup fails.
    """
    base = base_url(settings)
    found: dict[str, PublisherRecord] = {p.publisher_id: p for p in known or []}
    lookup_errors: list[str] = []
    requests_made = 0
    for siret in sirets:
        try:
            orgs, n = lookup_organizations(session, base, siret, limiter)
            requests_made += n
            for o in orgs:
                found[o.publisher_id] = o
        except (requests.RequestException, ValueError) as exc:
            requests_made += 1
            lookup_errors.append(item_error(f"siret:{siret}", _describe(exc)))
    out = fetch_organizations(session, settings, list(found.values()), limiter=limiter,
                              tick=tick)
    out.requests += requests_made
    out.outcome.item_errors = lookup_errors + out.outcome.item_errors
    return out


