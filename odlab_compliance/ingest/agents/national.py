"""The Sirene band of every candidate through the API Recherche d'entreprises, resumable.

Candidates (``model.coverage``): every EPCI, EPT, département, région and collectivité à
statut particulier, and every commune at or near the population threshold, in the latest
reference vintage.

**One request per page of a listing, not one per SIREN.** For each département of the
reference, one listing of the active public legal units with the natures juridiques of the
candidates (``NATURES_CANDIDATS``), 25 per page (the API's maximum). A listing beyond the
API's cap of 10,000 results per query (``page × per_page`` ≤ 10,000) is split by nature;
whatever still lies beyond the cap, like any candidate no listing returned (a unit with
another nature, a failed page), is then looked up alone (``q=<siren>``). Every unit a
listing returns is kept (small communes too: their band costs nothing more).

**Paced below the service's 7 requests per second** (``PACE``; the service answers 429
beyond and blocks clients that collect many): ``http.RateLimiter`` spaces the requests of
``WORKERS`` threads, so the service's latency does not slow the pace; 429 and 5xx are
retried with backoff by the project's session (``Retry-After`` honoured).

**Resumable.** Each page (its listing, its number, the SIRENs it returned) and each
lookup is written with the agent rows it brought, in one transaction, under a run of
``agents_fetch_run``; writes are grouped every ``FLUSH_SECONDS``. A new ``fetch --all``
resumes the last unfinished run: what is recorded is not requested again, so a kill
(even SIGKILL) loses at most the last second of pages. The database is only opened for
those short writes (the dashboard may read meanwhile).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import duckdb
import requests

from odlab_compliance import db, vocab
from odlab_compliance.config import Settings, load_settings
from odlab_compliance.errors import UserError
from odlab_compliance.fmt import nombre
from odlab_compliance.http import RateLimiter
from odlab_compliance.ingest.agents import recherche_entreprises as api
from odlab_compliance.ingest.agents import store
from odlab_compliance.model import coverage, figures

# Natures juridiques of the candidates: communes, départements, collectivités d'outre-mer
# and other collectivités territoriales (Métropole de Lyon, CEA, Corse...), régions, CU,
# métropoles, CC, CA, and the "other local cooperation bodies" where the EPT are filed.
NATURES_CANDIDATS = ("7210", "7220", "7225", "7229", "7230", "7343", "7344", "7346", "7348",
                     "7349")
ACTIVE = "A"                 # etat_administratif of a unit still in activity
PACE = 6.5                   # requests per second we allow ourselves (the service: 7)
RESULTS_CAP = 10_000         # the API refuses page × per_page beyond this
WORKERS = 4
FLUSH_SECONDS = 1.0
MAX_CONSECUTIVE_FAILURES = 5

_START = ("INSERT INTO agents_fetch_run (run_id, started_at, status) "
          "SELECT coalesce(max(run_id), 0) + 1, now(), ? FROM agents_fetch_run RETURNING run_id")
_LAST = "SELECT run_id, status FROM agents_fetch_run ORDER BY run_id DESC LIMIT 1"
_PAGES = ("SELECT requete, page, total_pages, total_results, sirens FROM agents_fetch_page "
          "WHERE run_id = ?")
_LOOKUPS = "SELECT siren FROM agents_fetch_siren WHERE run_id = ?"
_ADD_PAGE = ("INSERT OR REPLACE INTO agents_fetch_page (run_id, requete, page, total_pages, "
             "total_results, sirens, fetched_at) VALUES (?, ?, ?, ?, ?, ?, now())")
_ADD_LOOKUP = ("INSERT OR REPLACE INTO agents_fetch_siren (run_id, siren, trouve, fetched_at) "
               "VALUES (?, ?, ?, now())")
_COUNT = "UPDATE agents_fetch_run SET requests = requests + ? WHERE run_id = ?"
_FINISH = ("UPDATE agents_fetch_run SET status = ?, ended_at = now(), message = ? "
           "WHERE run_id = ?")
_DEPARTEMENTS = ("SELECT code FROM ref_territoire WHERE vintage = ? AND niveau = 'DEP' "
                 "ORDER BY code")


@dataclass(frozen=True)
class Listing:
    """One listing of the API: a département and natures juridiques, active units."""

    departement: str
    natures: tuple[str, ...] = NATURES_CANDIDATS

    def params(self, page: int) -> dict[str, Any]:
        return {"departement": self.departement, "etat_administratif": ACTIVE,
                "nature_juridique": ",".join(self.natures), "page": page,
                "per_page": api.PER_PAGE}

    @property
    def key(self) -> str:
        params = self.params(1)
        del params["page"], params["per_page"]
        return urlencode(sorted(params.items()))

    def split(self) -> list[Listing]:
        return [Listing(self.departement, (n,)) for n in self.natures]


@dataclass
class Page:
    listing: Listing
    page: int
    total_pages: int
    total_results: int
    rows: list[dict[str, Any]]

    @property
    def sirens(self) -> list[str]:
        return [r["siren"] for r in self.rows]


@dataclass
class Lookup:
    siren: str
    row: dict[str, Any] | None       # None: the API does not know this SIREN


@dataclass
class Progress:
    """What a run did (this resumption) and what it knows (all resumptions)."""

    run_id: int = 0
    resumed: bool = False
    candidates: int = 0
    listings: int = 0
    pages_done_before: int = 0
    pages: int = 0
    lookups: int = 0
    requests: int = 0
    too_many: int = 0                 # 429 answers (each one held every thread a moment)
    seconds: float = 0.0
    not_found: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    beyond_cap: list[str] = field(default_factory=list)
    stopped: str = ""                 # why the run stopped early ("" when it ran to the end)
    known_after: int = 0              # candidates with a known count once written

    @property
    def complete(self) -> bool:
        return not self.stopped

    def summary(self) -> str:
        share = figures.rate(self.known_after, self.candidates)
        lines = [
            f"Effectifs par l'API Recherche d'entreprises{' (reprise)' if self.resumed else ''} : "
            f"{nombre(self.requests)} requête(s) en {nombre(self.seconds, 1)} s "
            f"({nombre(self.pages)} page(s) de liste, {nombre(self.lookups)} recherche(s) par "
            f"SIREN ; {nombre(self.pages_done_before)} page(s) déjà enregistrée(s) non "
            f"redemandée(s) ; {nombre(self.too_many)} réponse(s) 429 « trop de requêtes »).",
            f"{nombre(self.known_after)} candidate(s) sur {nombre(self.candidates)} avec un "
            f"effectif connu ({'' if share is None else nombre(share * 100, 1)} %).",
        ]
        if self.not_found:
            lines.append(f"{nombre(len(self.not_found))} SIREN inconnu(s) de l'API (unités "
                         "non diffusibles ?) : " + ", ".join(self.not_found[:20])
                         + (" …" if len(self.not_found) > 20 else ""))
        if self.beyond_cap:
            lines.append("Au-delà du plafond de 10 000 résultats de l'API (complétées par "
                         "SIREN) : " + ", ".join(self.beyond_cap))
        if self.failures:
            lines.append(f"Échecs ({nombre(len(self.failures))}) : rien n'est supposé à "
                         "leur sujet ; relancez la commande, elle reprendra là où elle "
                         "s'est arrêtée.")
            lines += [f"  {k} : {v}" for k, v in list(self.failures.items())[:20]]
        if self.stopped:
            lines.append(f"Arrêt avant la fin : {self.stopped}. Relancez « agents fetch "
                         "--all » : ce qui est enregistré ne sera pas redemandé.")
        return "\n".join(lines)


# -- what to fetch ----------------------------------------------------------------------------

def targets(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """(candidate SIRENs, département codes) of the latest reference vintage."""
    vintage, sirens = coverage.latest_candidates(con)
    if vintage is None:
        raise UserError("aucun référentiel chargé : les candidates (communes proches du seuil, "
                        "intercommunalités, départements, régions) en viennent. Lancez : "
                        "python -m odlab_compliance reference update --vintage 2026")
    deps = [r[0] for r in con.execute(_DEPARTEMENTS, [vintage]).fetchall()]
    return sirens, deps


def known_candidates(con: duckdb.DuckDBPyConnection, sirens: list[str]) -> int:
    """How many of ``sirens`` have a known effective count (any source)."""
    eff = store.effective_agents(con)
    return int(eff[eff["siren"].isin(sirens) & eff["agents_min"].notna()]["siren"].nunique())


# -- the run's record -------------------------------------------------------------------------

def open_run(con: duckdb.DuckDBPyConnection, new: bool = False) -> tuple[int, bool]:
    """(run_id, resumed): the last run when unfinished (unless ``new``), else a new one."""
    last = con.execute(_LAST).fetchall()
    if last and last[0][1] == vocab.RUN_RUNNING and not new:
        return int(last[0][0]), True
    if last and last[0][1] == vocab.RUN_RUNNING:
        con.execute(_FINISH, [vocab.RUN_FAILED, "abandonnée : nouvelle collecte demandée",
                              last[0][0]])
    return int(con.execute(_START, [vocab.RUN_RUNNING]).fetchall()[0][0]), False


def recorded(con: duckdb.DuckDBPyConnection, run_id: int
             ) -> tuple[dict[str, dict[int, tuple[int, int]]], set[str], set[str]]:
    """(pages by listing key: {page: (total_pages, total_results)}, SIRENs the pages
    returned, SIRENs looked up) of a run."""
    pages: dict[str, dict[int, tuple[int, int]]] = {}
    seen: set[str] = set()
    for key, page, total_pages, total_results, sirens in con.execute(_PAGES, [run_id]).fetchall():
        pages.setdefault(key, {})[int(page)] = (int(total_pages), int(total_results))
        seen.update(sirens.split())
    looked = {r[0] for r in con.execute(_LOOKUPS, [run_id]).fetchall()}
    return pages, seen, looked


def save_batch(con: duckdb.DuckDBPyConnection, run_id: int, pages: list[Page],
               lookups: list[Lookup], requests_made: int) -> None:
    """Agent rows and the progress that brought them, all or nothing."""
    rows = [r for p in pages for r in p.rows] + [lk.row for lk in lookups if lk.row]
    with db.transaction(con):
        if rows:
            store.upsert(con, api.rows_frame(rows), api.SOURCE, in_transaction=True)
        for p in pages:
            con.execute(_ADD_PAGE, [run_id, p.listing.key, p.page, p.total_pages,
                                    p.total_results, " ".join(p.sirens)])
        for lk in lookups:
            con.execute(_ADD_LOOKUP, [run_id, lk.siren, lk.row is not None])
        con.execute(_COUNT, [requests_made, run_id])


# -- fetching --------------------------------------------------------------------------------

ProgressCallback = Callable[[int, int], None]     # (requests done, requests planned)


class _Work:
    """The requests of one resumption: planned, in flight, done; results to write."""

    def __init__(self, client: api.Client, cap: int) -> None:
        self.client = client
        self.cap = cap
        self.max_page = max(1, cap // api.PER_PAGE)
        self.todo: deque[tuple[str, object]] = deque()
        self.planned = 0
        self.done = 0

    def plan(self, kind: str, item: object) -> None:
        self.todo.append((kind, item))
        self.planned += 1

    def page(self, listing: Listing, number: int) -> Page:
        raw = self.client.search(listing.params(number))
        rows = [api.result_row(r) for r in raw["results"]
                if str(r.get("siren", "")).strip()]
        return Page(listing, number, int(raw.get("total_pages") or 0),
                    int(raw.get("total_results") or 0), rows)

    def lookup(self, siren: str) -> Lookup:
        raw = self.client.search({"q": siren, "page": 1, "per_page": 5})
        match = [r for r in raw["results"] if str(r.get("siren", "")).strip() == siren]
        return Lookup(siren, api.result_row(match[0]) if match else None)


def fetch_all(settings: Settings | None = None, *, new: bool = False,
              progress: ProgressCallback | None = None, cap: int = RESULTS_CAP,
              pace: float = PACE, workers: int = WORKERS,
              session: requests.Session | None = None) -> Progress:
    """Fetch (or resume fetching) the band of every candidate; write as it goes."""
    settings = settings or load_settings()
    started = time.monotonic()
    with db.connect(settings) as con:
        sirens, deps = targets(con)
        run_id, resumed = open_run(con, new)
        pages_done, seen, looked = recorded(con, run_id)
    out = Progress(run_id=run_id, resumed=resumed, candidates=len(sirens),
                   listings=len(deps),
                   pages_done_before=sum(len(p) for p in pages_done.values()))
    client = api.Client(settings, session, RateLimiter(pace))   # its session: 429 apart
    work = _Work(client, cap)
    listings = {listing.key: listing for dep in deps for listing in [Listing(dep)]}

    def expand(listing: Listing, total_pages: int, total_results: int) -> None:
        """Plan the pages of a listing whose first page is known."""
        if total_results > cap and len(listing.natures) > 1:
            for part in listing.split():
                listings[part.key] = part
                first = pages_done.get(part.key, {}).get(1)
                if first:
                    expand(part, *first)
                else:
                    work.plan("page", (part, 1))
            return
        if total_results > cap:
            out.beyond_cap.append(f"{listing.departement} nature {listing.natures[0]} "
                                  f"({nombre(total_results)} résultats)")
        for number in range(2, min(total_pages, work.max_page) + 1):
            if number not in pages_done.get(listing.key, {}):
                work.plan("page", (listing, number))

    for listing in list(listings.values()):
        first = pages_done.get(listing.key, {}).get(1)
        if first:
            expand(listing, *first)
        else:
            work.plan("page", (listing, 1))

    batch_pages: list[Page] = []
    batch_lookups: list[Lookup] = []
    last_flush = time.monotonic()
    unsaved_requests = 0

    def flush(force: bool = False) -> None:
        nonlocal last_flush, batch_pages, batch_lookups, unsaved_requests
        if not force and time.monotonic() - last_flush < FLUSH_SECONDS:
            return
        if batch_pages or batch_lookups or unsaved_requests:
            with db.connect(settings) as con:
                save_batch(con, run_id, batch_pages, batch_lookups, unsaved_requests)
        batch_pages, batch_lookups, unsaved_requests = [], [], 0
        last_flush = time.monotonic()

    failures_in_row = 0

    def drain() -> None:
        """Run the planned requests (and those they plan) with ``workers`` threads."""
        nonlocal failures_in_row, unsaved_requests
        inflight: dict[Future, tuple[str, object]] = {}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            while work.todo or inflight:
                while work.todo and len(inflight) < workers * 2 and not out.stopped:
                    kind, item = work.todo.popleft()
                    fn = work.page if kind == "page" else work.lookup
                    args = item if kind == "page" else (item,)
                    inflight[pool.submit(fn, *args)] = (kind, item)
                if not inflight:
                    break
                done, _ = wait(list(inflight), timeout=FLUSH_SECONDS,
                               return_when=FIRST_COMPLETED)
                for fut in done:
                    kind, item = inflight.pop(fut)
                    work.done += 1
                    unsaved_requests += 1
                    try:
                        result = fut.result()
                    except RuntimeError as exc:
                        failures_in_row += 1
                        name = (f"{item[0].departement} page {item[1]}" if kind == "page"
                                else f"SIREN {item}")
                        out.failures[name] = str(exc)
                        if failures_in_row >= MAX_CONSECUTIVE_FAILURES:
                            out.stopped = (f"{failures_in_row} échecs de suite, service "
                                           "indisponible")
                            work.todo.clear()
                        continue
                    failures_in_row = 0
                    if isinstance(result, Page):
                        out.pages += 1
                        batch_pages.append(result)
                        seen.update(result.sirens)
                        if result.page == 1:
                            expand(result.listing, result.total_pages, result.total_results)
                    else:
                        out.lookups += 1
                        batch_lookups.append(result)
                        if result.row is None:
                            out.not_found.append(result.siren)
                if progress:
                    progress(work.done, work.planned)
                flush()
        flush(force=True)

    try:
        drain()
        if not out.stopped:
            for siren in sirens:
                if siren not in seen and siren not in looked:
                    work.plan("siren", siren)
            if progress:
                progress(work.done, work.planned)
            drain()
    finally:
        flush(force=True)
        out.requests = client.requests
        out.too_many = client.too_many
        out.seconds = round(time.monotonic() - started, 1)
        with db.connect(settings) as con:
            if out.complete:
                status = vocab.RUN_DONE_ERRORS if out.failures else vocab.RUN_DONE
                con.execute(_FINISH, [status, None, run_id])
            out.known_after = known_candidates(con, sirens)
    return out


def floor_seconds(requests_count: int, rate: float = api.RATE_PER_SECOND) -> float:
    """The API's own floor for ``requests_count`` requests: requests ÷ 7 per second."""
    return requests_count / rate


def minimal_requests(results_per_listing: list[int]) -> int:
    """The fewest requests that can list those results (one per page of 25)."""
    return sum(max(1, math.ceil(n / api.PER_PAGE)) for n in results_per_listing)


