"""Where a source's file is, when the registry gives a rule rather than a fixed address.

Three rules (``locate`` in ``reference/sources.toml``):

- ``datagouv``: the data.gouv.fr API (udata) describes a dataset and its resources
  (``GET /api/1/datasets/<slug>/`` → ``{id, slug, title, organization: {slug}, resources:
  [{id, title, format, url, checksum: {type, value}, filesize, last_modified}]}``). The
  dataset is the registered slug, else the first result of ``GET /api/1/datasets/?q=…``
  published by the registered organisation; the resource is the newest one whose title
  matches and whose format is the registered one. The publisher's checksum is kept to
  be compared with the downloaded file.
- ``years``: a yearly edition (Etalab's contours administratifs): the vintage's own year
  when published, else the nearest one listed, said in ``fallback``.
- ``recherche_entreprises``: a table built from a listing of the API Recherche
  d'entreprises (``ingest/siren_listing.py``), written where a download would be.

When a rule finds nothing and the registry names a pinned public copy, that copy is
fetched and ``fallback`` says why: the load journal keeps it, ``sources check`` shows it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from odlab_compliance.config import Settings
from odlab_compliance.errors import UserError
from odlab_compliance.ingest.registry import NotLocated

if TYPE_CHECKING:
    from odlab_compliance.ingest.registry import Source

DATASETS_PATH = "/api/1/datasets/"
HASHES = {"sha1", "sha256", "md5"}


class ChecksumMismatch(UserError, RuntimeError):
    """The downloaded file is not the one the publisher describes."""


@dataclass(frozen=True)
class Located:
    url: str
    found_by: str = ""
    fallback: str = ""
    checksum: tuple[str, str] | None = None      # (type, value) given by the publisher
    build: Callable[[Path], tuple[int, str]] | None = None   # writes the file itself


def locate(source: Source, settings: Settings, session: requests.Session) -> Located:
    """The address of ``source``'s file (raises ``NotLocated``, ``requests`` errors)."""
    if not source.base:
        raise NotLocated("aucune adresse de téléchargement officielle n'est connue pour ce "
                         "fichier")
    if source.locate == "years":
        return nearest_year(source, settings, session)
    if source.locate == "datagouv":
        try:
            return datagouv_resource(source, settings, session)
        except (NotLocated, requests.RequestException, ValueError) as exc:
            fallback = source.fallback_url(settings)
            if not fallback:
                raise NotLocated(_why(exc)) from exc
            return Located(fallback, found_by="copie de secours épinglée",
                           fallback=f"copie de secours ({fallback}) : {_why(exc)}")
    if source.locate == "recherche_entreprises":
        from odlab_compliance.ingest import siren_listing

        return Located(source.url(settings),
                       found_by="liste de l'API Recherche d'entreprises, natures juridiques "
                                + ", ".join(source.natures),
                       build=lambda target: siren_listing.write_table(
                           source.natures, settings, target))
    return Located(source.url(settings))


def _why(exc: BaseException) -> str:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"data.gouv.fr a répondu {exc.response.status_code}"
    if isinstance(exc, requests.RequestException):
        return "data.gouv.fr injoignable"
    if isinstance(exc, ValueError) and not isinstance(exc, NotLocated):
        return "réponse de data.gouv.fr illisible"
    return str(exc)


def nearest_year(source: Source, settings: Settings, session: requests.Session) -> Located:
    """The first edition of ``years`` that answers (the own year first)."""
    years = source.years or (source.vintage,)
    tried = []
    for year in years:
        url = source.url(settings, year)
        resp = session.head(url, allow_redirects=True)
        if resp.status_code == 200:
            late = "" if year == years[0] else (
                f"édition {year} : celle de {years[0]} n'est pas publiée "
                f"({', '.join(tried)} : 404)")
            return Located(url, found_by=f"édition {year}", fallback=late)
        if resp.status_code not in (403, 404):
            resp.raise_for_status()
        tried.append(str(year))
    raise NotLocated(f"aucune édition publiée parmi {', '.join(map(str, years))} "
                     f"({source.url(settings, years[0])} : 404)")


def _json(session: requests.Session, url: str, **params: Any) -> Any:  # noqa: ANN401
    resp = session.get(url, params=params or None)
    resp.raise_for_status()
    return resp.json()


def find_dataset(source: Source, settings: Settings, session: requests.Session
                 ) -> dict[str, Any]:
    """The dataset's description: by slug, else by search within the organisation."""
    from odlab_compliance.ingest.registry import base_url

    root = base_url("DATAGOUV", settings) + DATASETS_PATH
    if source.dataset:
        resp = session.get(f"{root}{source.dataset}/")
        if resp.status_code == 200:
            return resp.json()
        if resp.status_code not in (404, 410):
            resp.raise_for_status()
    if source.dataset_query:
        page = _json(session, root, q=source.dataset_query, page_size=20)
        for ds in page.get("data") or []:
            org = (ds.get("organization") or {}).get("slug", "")
            if not source.organization or org == source.organization:
                return ds
    raise NotLocated(f"jeu de données introuvable sur data.gouv.fr (« {source.dataset} », "
                     f"recherche « {source.dataset_query} » de l'organisation "
                     f"{source.organization})")


def pick_resource(dataset: dict[str, Any], title: str, fmt: str) -> dict[str, Any]:
    """The newest resource whose title matches ``title`` and whose format is ``fmt``."""
    pattern = re.compile(title, re.IGNORECASE)
    fits = [r for r in dataset.get("resources") or []
            if pattern.search(str(r.get("title") or ""))
            and str(r.get("format") or "").lower().strip(".") == fmt.lower()]
    if not fits:
        seen = ", ".join(f"« {r.get('title')} » ({r.get('format')})"
                         for r in dataset.get("resources") or []) or "aucune"
        raise NotLocated(f"aucune ressource « {title} » au format {fmt} dans le jeu "
                         f"« {dataset.get('title')} » (ressources : {seen})")
    return max(fits, key=lambda r: str(r.get("last_modified") or ""))


def datagouv_resource(source: Source, settings: Settings, session: requests.Session
                      ) -> Located:
    dataset = find_dataset(source, settings, session)
    resource = pick_resource(dataset, source.resource_title, source.resource_format)
    url = str(resource.get("url") or "")
    if not url:
        raise NotLocated(f"la ressource « {resource.get('title')} » n'a pas d'adresse")
    check = resource.get("checksum") or {}
    checksum = ((str(check["type"]).lower(), str(check["value"]).lower())
                if check.get("type") and check.get("value") else None)
    return Located(url, found_by=f"data.gouv.fr, jeu « {dataset.get('title')} », ressource "
                                 f"« {resource.get('title')} »", checksum=checksum)


def check_checksum(located: Located, path: Path) -> None:
    """The file is the one the publisher describes (when it gives a checksum)."""
    if located.checksum is None or located.checksum[0] not in HASHES:
        return
    kind, value = located.checksum
    h = hashlib.new(kind)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    if h.hexdigest() != value:
        raise ChecksumMismatch(
            f"le fichier téléchargé ({located.url}) n'a pas la somme de contrôle {kind} que "
            f"publie data.gouv.fr ({value}) : fichier remplacé pendant le téléchargement ou "
            "tronqué. Relancez plus tard ; rien n'a été chargé.")
