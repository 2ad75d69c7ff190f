"""Local and shared open-data portals: the registry and the harvest.

The registry is seeded from the Observatoire's platform list (read through
``sources.fetch``, never copied into the repository) and extended by users
(``portals add``, table ``portal_user``). Harvesting asks each portal for its catalogue
with the API of its technology (Opendatasoft, CKAN, DCAT feeds) and attributes each
dataset to the body named by its ``publisher`` metadata, not to the portal owner (see
``attribute``); State
data re-published by a portal (INSEE, IGN, ...: ``reference/state_publishers.csv``) is
flagged ``state_data``. Fetching never writes to the database.
"""

from __future__ import annotations

import csv
import re
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import requests

from odlab_compliance import db, vocab
from odlab_compliance.config import PROJECT_ROOT, Settings
from odlab_compliance.http import describe_error as http_error
from odlab_compliance.ingest.harvest import ckan, dcat, opendatasoft
from odlab_compliance.ingest.harvest.records import DatasetRecord, PublisherRecord, SourceOutcome
from odlab_compliance.ingest.matching.names import normalize_name
from odlab_compliance.ingest.sources import fetch, get_source

STATE_PUBLISHERS_PATH = PROJECT_ROOT / "reference" / "state_publishers.csv"
PLATFORMS_SOURCE = ("odf-plateformes", 2022)

UNSUPPORTED = "technologie non prise en charge"

Get = Callable[[str, dict[str, Any] | None], Any]


class PortalError(RuntimeError):
    """A portal answered something unusable (French message)."""


@dataclass(frozen=True)
class Portal:
    id: str
    name: str
    url: str
    technology: str                 # opendatasoft | ckan | arcgis | dcat | other (lowercase)
    technology_label: str = ""      # as written in the source ("OpenDataSoft", "GeoNetwork")
    porteur_type: str | None = None  # type of the body that runs it (COM, DEP, MET, OACT...)
    owner_siren: str | None = None
    hosted_sirens: tuple[str, ...] = ()
    shared: bool = False            # hosts several bodies (Mutualisé, Partagé, Partenarial)
    collab: str | None = None       # the Observatoire's "Collab" value
    region: str | None = None       # région code ("93" from "PAC-93")
    origin: str = "observatoire"    # observatoire | utilisateur
    active: bool = True

    @property
    def api_base(self) -> str:
        """scheme://host of the portal: every API path hangs from there."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc.lower().removeprefix("www.")

    @property
    def supported(self) -> bool:
        return self.technology in SUPPORTED

    @property
    def source_key(self) -> str:
        return f"portal:{self.id}"


# --- readers: one per technology -------------------------------------------------------

def _opendatasoft(portal: Portal, get: Get) -> tuple[list[dict], list[str]]:
    return opendatasoft.fetch_catalog(get, portal.api_base)


def _ckan(portal: Portal, get: Get) -> tuple[list[dict], list[str]]:
    return ckan.fetch_catalog(get, portal.api_base)


def _dcat(portal: Portal, get: Get) -> tuple[list[dict], list[str]]:
    return dcat.fetch_catalog(get, dcat.feed_url(portal.url, portal.api_base, portal.technology))


@dataclass(frozen=True)
class Reader:
    """How the portals of one technology are read."""
    labels: tuple[str, ...]     # the Observatoire's « Techno » labels, lowercase
    fetch: Callable[[Portal, Get], tuple[list[dict], list[str]]]


# The technologies the harvest reads, each once. Data4Citizen is built on CKAN and keeps
# its action API; ArcGIS Hub and DKAN publish a DCAT feed. Anything else (GeoNetwork,
# Isogéo, « Spécifique »…) is registered but not harvested. A new technology is one entry.
READERS: dict[str, Reader] = {
    "opendatasoft": Reader(("opendatasoft",), _opendatasoft),
    "ckan": Reader(("ckan", "data4citizen"), _ckan),
    "arcgis": Reader(("arcgis", "arcgis hub"), _dcat),
    "dcat": Reader(("dkan", "dcat"), _dcat),
}
TECHNOLOGIES = {label: tech for tech, reader in READERS.items() for label in reader.labels}
SUPPORTED = tuple(READERS)


# --- registry ---------------------------------------------------------------------------

def slugify(text: str) -> str:
    return normalize_name(text).replace(" ", "-") or "portail"


def normalize_technology(label: object) -> str:
    text = normalize_name(label)
    return TECHNOLOGIES.get(text, text or "inconnue")


def _sirens(value: object) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ()
    found = [re.sub(r"\D", "", s) for s in re.split(r"[,;\s]+", str(value))]
    return tuple(dict.fromkeys(s for s in found if len(s) == 9))


# SIREN prefixes (a hint, never a rule): 21 commune, 22 département, 23 région, 24/20 EPCI.
_PREFIX_BY_TYPE = {vocab.TYPE_COM: ("21",), vocab.TYPE_DEP: ("22",), vocab.TYPE_REG: ("23",),
                   **dict.fromkeys(vocab.EPCI_TYPES, ("24", "20"))}


def owner_of(hosted: Sequence[str], porteur_type: str | None) -> str | None:
    """The SIREN of the body running a portal, when the list of hosted SIRENs tells it."""
    if len(hosted) == 1:
        return hosted[0]
    prefixes = _PREFIX_BY_TYPE.get(str(porteur_type or ""))
    if not prefixes:
        return None
    candidates = [s for s in hosted if s.startswith(prefixes)]
    return candidates[0] if len(candidates) == 1 else None


def read_platform_list(path: Path) -> list[Portal]:
    """The Observatoire's platform list as portals (pure; DataGouv rows are left out,
    data.gouv.fr having its own harvester). Two rows on the same host are one catalogue."""
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    portals: dict[str, Portal] = {}
    by_host: dict[tuple[str, str], str] = {}
    for row in df.to_dict("records"):
        url = row.get("url", "").strip()
        tech = normalize_technology(row.get("Techno"))
        if not url or tech == "datagouv" or urlsplit(url).netloc.endswith("data.gouv.fr"):
            continue
        hosted = _sirens(row.get("Organisations 5")) + _sirens(row.get("Organisations copy"))
        hosted = tuple(dict.fromkeys(hosted))
        porteur = row.get("porteur", "").strip() or None
        collab = row.get("Collab", "").strip() or None
        try:
            nb_hosted = int(row.get("nb-struct-hebergees") or 0)
        except ValueError:
            nb_hosted = 0
        region = row.get("Regcode", "").strip().rsplit("-", 1)[-1] or None
        portal = Portal(
            id="", name=row.get("Nom", "").strip() or url, url=url, technology=tech,
            technology_label=row.get("Techno", "").strip(), porteur_type=porteur,
            owner_siren=owner_of(hosted, porteur), hosted_sirens=hosted,
            shared=(collab not in (None, "Dédié")) or nb_hosted > 1 or len(hosted) > 1,
            collab=collab, region=region if region and region.isdigit() else None,
        )
        key = (portal.host, tech)
        if key in by_host:  # same catalogue listed twice: keep one, union of hosted SIRENs
            first = portals[by_host[key]]
            merged = tuple(dict.fromkeys(first.hosted_sirens + hosted))
            portals[first.id] = _replace(first, hosted_sirens=merged)
            continue
        pid = _unique(slugify(portal.name), portals)
        portals[pid] = _replace(portal, id=pid)
        by_host[key] = pid
    return list(portals.values())


def _replace(p: Portal, **changes: Any) -> Portal:
    from dataclasses import replace
    return replace(p, **changes)


def _unique(base: str, taken: Collection[str]) -> str:
    pid, n = base, 2
    while pid in taken:
        pid, n = f"{base}-{n}", n + 1
    return pid


def user_portals(con: duckdb.DuckDBPyConnection) -> list[Portal]:
    rows = con.execute(db.sql("match_portals_user")).df()
    out = []
    for r in rows.to_dict("records"):
        hosted = _sirens(r["heberges"])
        siren = r["siren"] if isinstance(r["siren"], str) and r["siren"] else None
        out.append(Portal(
            id=r["id"], name=r["nom"], url=r["url"], technology=r["techno"],
            technology_label=r["techno"], owner_siren=siren,
            hosted_sirens=tuple(dict.fromkeys(((siren,) if siren else ()) + hosted)),
            shared=bool(r["partage"]) or len(hosted) > 1, origin="utilisateur",
            active=bool(r["actif"])))
    return out


def merge_registry(seed: Sequence[Portal], users: Sequence[Portal]) -> list[Portal]:
    """Seeded portals plus user ones; a user portal replaces a seeded one on the same host."""
    user_hosts = {p.host for p in users}
    user_ids = {p.id for p in users}
    kept = [p for p in seed if p.host not in user_hosts and p.id not in user_ids]
    return kept + list(users)


def load_portal_registry(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[Portal]:
    """Every known portal: the Observatoire's list (mirror, cache or download) + users',
    with the users' active/inactive switches applied.

    Raises ``sources.SourceUnavailable`` when the platform list cannot be obtained.
    """
    path = fetch(get_source(*PLATFORMS_SOURCE), settings).path
    merged = merge_registry(read_platform_list(path), user_portals(con))
    switches = dict(con.execute("SELECT id, actif FROM portal_state").fetchall())
    return [_replace(p, active=bool(switches[p.id])) if p.id in switches else p for p in merged]


def set_portal_active(con: duckdb.DuckDBPyConnection, portal_id: str, active: bool, *,
                      note: str | None = None, auteur: str | None = None) -> None:
    """Switch a portal of the registry on or off (kept across harvests and updates)."""
    con.execute("INSERT OR REPLACE INTO portal_state (id, actif, note, auteur, changed_at)"
                " VALUES (?, ?, ?, ?, current_timestamp)", [portal_id, active, note, auteur])


def add_user_portal(con: duckdb.DuckDBPyConnection, *, nom: str, url: str, techno: str,
                    siren: str | None = None, heberges: Sequence[str] = (),
                    partage: bool = False, note: str | None = None,
                    auteur: str | None = None) -> str:
    """Record a portal added by a user; return its id. Raises ValueError (French)."""
    techno = normalize_technology(techno)
    if techno not in SUPPORTED:
        raise ValueError(f"technologie « {techno} » : attendu {', '.join(SUPPORTED)}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"adresse « {url} » : une URL http(s)://hôte/... est attendue")
    taken = {r[0] for r in con.execute("SELECT id FROM portal_user").fetchall()}
    pid = slugify(nom)
    if pid in taken:
        raise ValueError(f"un portail « {pid} » existe déjà")
    con.execute(
        "INSERT INTO portal_user (id, nom, url, techno, siren, heberges, partage, note, auteur)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [pid, nom, url, techno, siren, ",".join(heberges) or None, partage, note, auteur])
    return pid


def select_portals(portals: Sequence[Portal],
                   territory: str | Collection[str] | None) -> list[Portal]:
    """Active portals concerned by a territory.

    ``territory`` is None (all), ``"reg:NN"`` (portals of that région, and those whose
    région is unknown) or a collection of SIRENs (portals run by or hosting one of them,
    and those that say nothing of whom they host). Other strings keep every portal: the
    caller turns ``dep:``/``epci:`` into the SIRENs of the territory.
    """
    active = [p for p in portals if p.active]
    if territory is None:
        return active
    if isinstance(territory, str):
        if territory.startswith("reg:"):
            code = territory.split(":", 1)[1]
            return [p for p in active if p.region in (None, code)]
        return active
    wanted = set(territory)
    return [p for p in active
            if not p.hosted_sirens and not p.owner_siren
            or wanted & set(p.hosted_sirens) or p.owner_siren in wanted]


# --- State publishers -------------------------------------------------------------------

@cache
def state_patterns(path: Path = STATE_PUBLISHERS_PATH) -> tuple[re.Pattern[str], ...]:
    with open(path, encoding="utf-8") as fh:
        motifs = [normalize_name(r["motif"]) for r in csv.DictReader(fh)]
    return tuple(re.compile(rf"(?:^| ){re.escape(m)}(?: |$)") for m in motifs if m)


def is_state_publisher(publisher: object) -> bool:
    """True when a publisher text names the State or a national operator (INSEE, IGN...)."""
    text = normalize_name(publisher)
    return bool(text) and any(p.search(text) for p in state_patterns())


# --- HTTP -------------------------------------------------------------------------------

class HostSlots:
    """At most ``per_host`` requests in flight per host, whatever the number of workers."""

    def __init__(self, per_host: int) -> None:
        self.per_host = max(1, per_host)
        self._sems: dict[str, threading.Semaphore] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            sem = self._sems.setdefault(host, threading.Semaphore(self.per_host))
        with sem:
            yield


def make_getter(session: requests.Session, slots: HostSlots) -> Get:
    """GET a JSON document through the host slots; French errors for bad answers."""

    def get(url: str, params: dict[str, Any] | None = None) -> Any:
        with slots.slot(url):
            resp = session.get(url, params=params)
        if resp.status_code >= 400:
            raise PortalError(f"erreur HTTP {resp.status_code} sur {resp.url}")
        try:
            return resp.json()
        except ValueError as exc:
            raise PortalError(f"réponse JSON invalide sur {resp.url} : {exc}") from exc

    return get


def describe_error(exc: BaseException) -> str:
    """A French sentence for what went wrong with a portal."""
    if isinstance(exc, PortalError):
        return str(exc)
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.Timeout):
        return f"portail injoignable : {http_error(exc)}"
    if isinstance(exc, requests.RequestException):
        return http_error(exc)
    return f"réponse inattendue ({type(exc).__name__}) : {exc}"


# --- harvest ----------------------------------------------------------------------------

def fetch_entries(portal: Portal, get: Get) -> tuple[list[dict], list[str]]:
    """The catalogue of one portal as entry dicts, with warnings, read by the reader its
    technology names in ``READERS``."""
    reader = READERS.get(portal.technology)
    if reader is None:
        raise PortalError(f"{UNSUPPORTED} : {portal.technology_label or portal.technology}")
    return reader.fetch(portal, get)


def attribute(portal: Portal, entries: Sequence[dict]
              ) -> tuple[list[PublisherRecord], list[DatasetRecord]]:
    """Records for a portal's entries, each dataset given to the body that published it.

    A dataset goes to the body its ``publisher`` text names, on a shared portal and on a
    dedicated one alike: the text is matched later (``matching``), with the portal's
    owner and hosted SIRENs as clues, so a département's portal does not credit the
    département with its SDIS's or its communes' datasets. Only the datasets that name no
    publisher go to the owner, and only on a dedicated portal (its SIREN as SIRET and as
    the datasets' SIREN hint); on a shared portal they stay unattributed. State
    publishers get no SIREN.
    """
    datasets: list[DatasetRecord] = []
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    owned: dict[str, str | None] = {}   # publisher id -> owner SIREN given to it
    for e in entries:
        text = str(e.get("publisher") or "").strip()
        if text:
            pid, name, owner = f"{portal.id}:{text}", text, None
        elif not portal.shared:
            pid, name, owner = f"{portal.id}:{portal.name}", portal.name, portal.owner_siren
        else:
            pid, name, owner = f"{portal.id}:", "", None
        if pid not in names:
            names[pid] = name
            owned[pid] = owner if not is_state_publisher(name) else None
        counts[pid] = counts.get(pid, 0) + 1
        datasets.append(DatasetRecord(
            source=vocab.SOURCE_PORTAL, dataset_id=f"{portal.id}:{e['dataset_id']}",
            publisher_id=pid, title=str(e.get("title") or e["dataset_id"]), url=e.get("url"),
            platform_id=portal.id, platform_url=portal.url,
            last_update=e.get("modified"), deleted=bool(e.get("deleted")),
            schemas=list(e.get("schemas") or []), state_data=is_state_publisher(name),
            siren_hint=owned[pid]))
    publishers = [
        PublisherRecord(source=vocab.SOURCE_PORTAL, publisher_id=pid, name=names[pid],
                        siret=owned[pid], url=portal.url, platform_id=portal.id, nb_datasets=n)
        for pid, n in counts.items()
    ]
    return publishers, datasets


@dataclass
class PortalResult:
    outcome: SourceOutcome
    publishers: list[PublisherRecord] = field(default_factory=list)
    datasets: list[DatasetRecord] = field(default_factory=list)


def harvest_portal(portal: Portal, get: Get) -> PortalResult:
    """Harvest one portal; never raises: a failure is an outcome with ok=False."""
    if not portal.supported:
        return PortalResult(SourceOutcome(
            portal.source_key, ok=False, skipped=True,
            error=f"{UNSUPPORTED} : {portal.technology_label or portal.technology}"))
    try:
        entries, warnings = fetch_entries(portal, get)
        publishers, datasets = attribute(portal, entries)
    except Exception as exc:  # one bad portal never stops the others
        return PortalResult(SourceOutcome(portal.source_key, ok=False, error=describe_error(exc)))
    return PortalResult(SourceOutcome(portal.source_key, ok=True, items=len(datasets),
                                      item_errors=warnings), publishers, datasets)


def harvest_portals(portals: Sequence[Portal], session: requests.Session, *,
                    territory: str | Collection[str] | None = None, max_workers: int = 4,
                    per_host: int = 1,
                    progress: Callable[[int], None] | None = None,
                    ) -> tuple[list[PublisherRecord], list[DatasetRecord], list[SourceOutcome]]:
    """Harvest the (active, selected) portals concurrently.

    At most ``max_workers`` portals at once and ``per_host`` requests in flight per host.
    One SourceOutcome per portal (``portal:<id>``), in registry order; ``progress(1)`` is
    called as each portal finishes (a tqdm ``update``). ``territory``: see
    ``select_portals`` (pass the territory's SIRENs for ``dep:``/``epci:``).
    """
    selected = select_portals(portals, territory)
    get = make_getter(session, HostSlots(per_host))
    results: dict[str, PortalResult] = {}

    def run(p: Portal) -> None:
        res = harvest_portal(p, get)
        results[p.id] = res
        if progress:
            progress(1)

    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        list(pool.map(run, selected))
    publishers: list[PublisherRecord] = []
    datasets: list[DatasetRecord] = []
    outcomes: list[SourceOutcome] = []
    for p in selected:
        res = results[p.id]
        publishers.extend(res.publishers)
        datasets.extend(res.datasets)
        outcomes.append(res.outcome)
    return publishers, datasets, outcomes
