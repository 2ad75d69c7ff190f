"""The Sirene band of every candidate through the API Recherche d'entreprises, resumable.

Candidates (computed by the caller from ``model.coverage``: ingest never imports the
model): every EPCI, EPT, département, région and collectivité à statut particulier, and
every commune at or near the population threshold, in the latest reference vintage —
of the whole country (``agents fetch --all``) or of one département (``--departement``).

**One request per page of a listing, not one per SIREN.** For each département of the
scope, one listing of the active public legal units with the natures juridiques of the
candidates (``NATURES_CANDIDATS``), 25 per page (the API's maximum). A listing beyond the
API's cap of 10,000 results per query (``page × per_page`` ≤ 10,000) is split by nature;
whatever still lies beyond the cap, like any candidate no listing returned (a unit with
another nature, a failed page), is then looked up alone (``q=<siren>``). Every unit a
listing returns is kept (small communes too: their band costs nothing more).

**Paced below the service's 7 requests per second** (``PACE``, the default of
``ODLAB_RECHERCHE_ENTREPRISES_RATE``; the service answers 429
beyond and blocks clients that collect many): ``http.RateLimiter`` spaces the requests of
``WORKERS`` threads, so the service's latency does not slow the pace; 429 and 5xx are
retried with backoff by the project's session (``Retry-After`` honoured).

**Resumable.** Each page (its listing, its number, the SIRENs it returned) and each
lookup is written with the agent rows it brought, in one transaction, under a run of
``agents_fetch_run``; writes are grouped every ``FLUSH_SECONDS``. A new fetch of the same
scope resumes its last unfinished run: what is recorded is not requested again, so a kill
(even SIGKILL) loses at most the last second of pages. The database is only opened for
those short writes (the dashboard may read meanwhile).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import duckdb
import requests

from odlab_compliance import db, vocab
from odlab_compliance.config import Settings
from odlab_compliance.fmt import nombre
from odlab_compliance.http import RateLimiter
from odlab_compliance.ingest.agents import recherche_entreprises as api
from odlab_compliance.ingest.agents import store

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

_START = ("INSERT INTO agents_fetch_run (run_id, started_at, status, portee) "
          "SELECT coalesce(max(run_id), 0) + 1, now(), ?, ? FROM agents_fetch_run "
          "RETURNING run_id")
_LAST = ("SELECT run_id, status FROM agents_fetch_run WHERE portee = ? "
         "ORDER BY run_id DESC LIMIT 1")
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
    command: str = "agents fetch --all"   # what to run again to resume

    @property
    def complete(self) -> bool:
        return not self.stopped

    def summary(self, share: float | None = None) -> str:
        """French closing summary; ``share``: the known share of candidates (the model
        computes rates: the caller passes it)."""
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
            lines.append(f"Arrêt avant la fin : {self.stopped}. Relancez « {self.command} » : "
                         "ce qui est enregistré ne sera pas redemandé.")
        return "\n".join(lines)


# -- what to fetch ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """What a fetch covers: candidate SIRENs and the départements whose listings are read.

    The caller (the command line) computes the candidates from the obligation model:
    ingest never imports the model. ``name`` keys resumption: ``all`` for the whole
    country, ``dep:31`` for one département (a département's fetch never resumes a
    national one, nor the reverse)."""

    candidates: tuple[str, ...]
    departements: tuple[str, ...]
    name: str = "all"

    @property
    def command(self) -> str:
        return ("agents fetch --all" if self.name == "all"
                else f"agents fetch --departement {self.name.removeprefix('dep:')}")


def known_candidates(con: duckdb.DuckDBPyConnection, sirens: Sequence[str]) -> int:
    """How many of ``sirens`` have a known effective count (any source)."""
    eff = store.effective_agents(con)
    return int(eff[eff["siren"].isin(list(sirens)) & eff["agents_min"].notna()]["siren"]
               .nunique())


# -- the run's record -------------------------------------------------------------------------

def open_run(con: duckdb.DuckDBPyConnection, scope: str = "all", new: bool = False
             ) -> tuple[int, bool]:
    """(run_id, resumed): the last run of ``scope`` when unfinished (unless ``new``), else
    a new one."""
    last = con.execute(_LAST, [scope]).fetchall()
    if last and last[0][1] == vocab.RUN_RUNNING and not new:
        return int(last[0][0]), True
    if last and last[0][1] == vocab.RUN_RUNNING:
        con.execute(_FINISH, [vocab.RUN_FAILED, "abandonnée : nouvelle collecte demandée",
                              last[0][0]])
    return int(con.execute(_START, [vocab.RUN_RUNNING, scope]).fetchall()[0][0]), False


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


class Fetcher:
    """One resumption of a fetch: the listings of the scope's départements page by page,
    then a lookup by SIREN for each candidate no listing returned; results written every
    ``FLUSH_SECONDS`` with the progress that brought them.

    Its state (requests planned and in flight, the batch not yet written, failures in a
    row) lives on the instance: one object, one run, several threads only inside
    ``_drain`` (the results are handled on the calling thread)."""

    def __init__(self, settings: Settings, scope: Scope, *, new: bool = False,
                 progress: ProgressCallback | None = None, cap: int = RESULTS_CAP,
                 pace: float | None = None, workers: int = WORKERS,
                 session: requests.Session | None = None) -> None:
        self.settings = settings
        self.scope = scope
        self.progress = progress
        self.cap = cap
        self.max_page = max(1, cap // api.PER_PAGE)
        self.workers = workers
        # Its own session unless given: 429 is retried through the limiter, not by urllib3.
        self.client = api.Client(settings, session,
                                 RateLimiter(pace or settings.recherche_rate))
        self.started = time.monotonic()
        with db.connect(settings) as con:
            self.run_id, resumed = open_run(con, scope.name, new)
            self.pages_done, self.seen, self.looked = recorded(con, self.run_id)
        self.out = Progress(run_id=self.run_id, resumed=resumed,
                            candidates=len(scope.candidates), listings=len(scope.departements),
                            pages_done_before=sum(len(p) for p in self.pages_done.values()),
                            command=scope.command)
        self.todo: deque[tuple[str, object]] = deque()
        self.planned = self.done = 0
        self.batch_pages: list[Page] = []
        self.batch_lookups: list[Lookup] = []
        self.unsaved_requests = 0
        self.last_flush = time.monotonic()
        self.failures_in_row = 0

    # -- requests (run in worker threads: no shared state written) ---------------------------
    def page(self, listing: Listing, number: int) -> Page:
        raw = self.client.search(listing.params(number))
        rows = [api.result_row(r) for r in raw["results"] if str(r.get("siren", "")).strip()]
        return Page(listing, number, int(raw.get("total_pages") or 0),
                    int(raw.get("total_results") or 0), rows)

    def lookup(self, siren: str) -> Lookup:
        raw = self.client.search({"q": siren, "page": 1, "per_page": 5})
        match = [r for r in raw["results"] if str(r.get("siren", "")).strip() == siren]
        return Lookup(siren, api.result_row(match[0]) if match else None)

    # -- planning ---------------------------------------------------------------------------
    def plan(self, kind: str, item: object) -> None:
        self.todo.append((kind, item))
        self.planned += 1

    def plan_listing(self, listing: Listing) -> None:
        first = self.pages_done.get(listing.key, {}).get(1)
        if first:
            self.expand(listing, *first)
        else:
            self.plan("page", (listing, 1))

    def expand(self, listing: Listing, total_pages: int, total_results: int) -> None:
        """Plan the pages of a listing whose first page is known; split by nature a
        listing beyond the API's cap."""
        if total_results > self.cap and len(listing.natures) > 1:
            for part in listing.split():
                self.plan_listing(part)
            return
        if total_results > self.cap:
            self.out.beyond_cap.append(f"{listing.departement} nature {listing.natures[0]} "
                                       f"({nombre(total_results)} résultats)")
        done = self.pages_done.get(listing.key, {})
        for number in range(2, min(total_pages, self.max_page) + 1):
            if number not in done:
                self.plan("page", (listing, number))

    # -- running ----------------------------------------------------------------------------
    def run(self) -> Progress:
        """Fetch (or resume fetching) the scope; write as it goes; the summary."""
        try:
            for dep in self.scope.departements:
                self.plan_listing(Listing(dep))
            self._drain()
            if not self.out.stopped:
                for siren in self.scope.candidates:
                    if siren not in self.seen and siren not in self.looked:
                        self.plan("siren", siren)
                self._tick()
                self._drain()
        finally:
            self._finish()
        return self.out

    def _tick(self) -> None:
        if self.progress:
            self.progress(self.done, self.planned)

    def _drain(self) -> None:
        """Run the planned requests (and those they plan) with ``workers`` threads."""
        inflight: dict[Future, tuple[str, object]] = {}
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            while self.todo or inflight:
                while self.todo and len(inflight) < self.workers * 2 and not self.out.stopped:
                    kind, item = self.todo.popleft()
                    fut = (pool.submit(self.page, *item) if kind == "page"   # type: ignore[misc]
                           else pool.submit(self.lookup, item))
                    inflight[fut] = (kind, item)
                if not inflight:
                    break
                done, _ = wait(list(inflight), timeout=FLUSH_SECONDS,
                               return_when=FIRST_COMPLETED)
                for fut in done:
                    self._handle(*inflight.pop(fut), fut)
                self._tick()
                self._flush()
        self._flush(force=True)

    def _handle(self, kind: str, item: object, fut: Future) -> None:
        self.done += 1
        self.unsaved_requests += 1
        try:
            result = fut.result()
        except RuntimeError as exc:
            self.failures_in_row += 1
            name = (f"{item[0].departement} page {item[1]}" if kind == "page"  # type: ignore[index]
                    else f"SIREN {item}")
            self.out.failures[name] = str(exc)
            if self.failures_in_row >= MAX_CONSECUTIVE_FAILURES:
                self.out.stopped = f"{self.failures_in_row} échecs de suite, service indisponible"
                self.todo.clear()
            return
        self.failures_in_row = 0
        if isinstance(result, Page):
            self.out.pages += 1
            self.batch_pages.append(result)
            self.seen.update(result.sirens)
            if result.page == 1:
                self.expand(result.listing, result.total_pages, result.total_results)
        else:
            self.out.lookups += 1
            self.batch_lookups.append(result)
            if result.row is None:
                self.out.not_found.append(result.siren)

    def _flush(self, force: bool = False) -> None:
        if not force and time.monotonic() - self.last_flush < FLUSH_SECONDS:
            return
        if self.batch_pages or self.batch_lookups or self.unsaved_requests:
            with db.connect(self.settings) as con:
                save_batch(con, self.run_id, self.batch_pages, self.batch_lookups,
                           self.unsaved_requests)
        self.batch_pages, self.batch_lookups, self.unsaved_requests = [], [], 0
        self.last_flush = time.monotonic()

    def _finish(self) -> None:
        self._flush(force=True)
        self.out.requests = self.client.requests
        self.out.too_many = self.client.too_many
        self.out.seconds = round(time.monotonic() - self.started, 1)
        with db.connect(self.settings) as con:
            if self.out.complete:
                status = vocab.RUN_DONE_ERRORS if self.out.failures else vocab.RUN_DONE
                con.execute(_FINISH, [status, None, self.run_id])
            self.out.known_after = known_candidates(con, self.scope.candidates)


def fetch(settings: Settings, scope: Scope, **options: Any) -> Progress:  # noqa: ANN401
    """Fetch (or resume) the band of every candidate of ``scope`` (see ``Fetcher``)."""
    return Fetcher(settings, scope, **options).run()


def floor_seconds(requests_count: int, rate: float = api.RATE_PER_SECOND) -> float:
    """The API's own floor for ``requests_count`` requests: requests ÷ 7 per second."""
    return requests_count / rate


def minimal_requests(results_per_listing: list[int]) -> int:
    """The fewest requests that can list those results (one per page of 25)."""
    return sum(max(1, math.ceil(n / api.PER_PAGE)) for n in results_per_listing)


