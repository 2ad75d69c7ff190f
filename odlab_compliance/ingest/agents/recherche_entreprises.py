"""Staff bands from the API Recherche d'entreprises (recherche-entreprises.api.gouv.fr).

``GET /search`` answers ``{results, total_results, page, per_page, total_pages}``; each
result carries the legal unit's ``siren``, ``nature_juridique``,
``tranche_effectif_salarie`` and ``annee_tranche_effectif_salarie`` (string or number),
and ``siege.departement``. ``per_page`` is at most 25. The service allows 7 requests per
second per IP and answers 429 beyond: requests are spaced by ``http.RateLimiter`` and
429/5xx are retried with backoff (honouring ``Retry-After``) by ``http.make_session``.

Two ways in: a list of SIRENs (``q=<siren>``, one request each) or every public body of
a département (filters ``departement`` + ``nature_juridique``, paged; the API matches a
département on any establishment, so results are kept only when their head office is
there). A SIREN whose request failed is reported as *not fetched*, never as zero agents.
Fetching returns rows; ``save`` writes them (fetching is separate from saving).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import requests

from odlab_compliance.config import Settings, load_settings
from odlab_compliance.fmt import nombre
from odlab_compliance.http import (
    RateLimiter,
    describe_error,
    http_reason,
    make_session,
    retry_after,
)
from odlab_compliance.ingest.agents import store
from odlab_compliance.ingest.agents.bands import band_bounds, normalize_band
from odlab_compliance.ingest.agents.validate import year_problem

SOURCE = "recherche_entreprises"
DEFAULT_URL = "https://recherche-entreprises.api.gouv.fr"
SEARCH_PATH = "/search"
RATE_PER_SECOND = 7.0
PER_PAGE = 25
MAX_CONSECUTIVE_FAILURES = 3
SERVER_ERRORS = (500, 502, 503, 504)   # retried by the session; 429 by the client
# Catégories juridiques of the public bodies of a territory (INSEE, nomenclature des
# catégories juridiques, niveau III: 72xx collectivités, 73xx établissements publics locaux).
NATURES_PUBLIQUES = ("7210", "7220", "7225", "7229", "7230", "7343", "7344", "7345", "7346",
                     "7348", "7353", "7354", "7355", "7357", "7361", "7372")
_DEPARTEMENT_RE = re.compile(r"^(0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])$")


@dataclass
class FetchOutcome:
    rows: pd.DataFrame                                   # rows of the agents table
    not_fetched: dict[str, str] = field(default_factory=dict)   # key -> French reason
    not_found: list[str] = field(default_factory=list)  # SIRENs the API does not know
    requests: int = 0

    def summary(self, written: int) -> str:
        """The French closing summary of a fetch that wrote ``written`` rows."""
        unknown = int(self.rows["agents_min"].isna().sum()) if written else 0
        lines = [f"{nombre(written)} tranche(s) d'effectifs enregistrée(s) depuis l'API "
                 f"({nombre(self.requests)} requête(s)), dont {nombre(unknown)} sans tranche "
                 "connue (effectif inconnu, pas zéro)."]
        if self.not_found:
            lines.append(f"{nombre(len(self.not_found))} SIREN inconnu(s) de l'API : "
                         + ", ".join(self.not_found))
        if self.not_fetched:
            lines.append(f"Non récupéré(s) ({nombre(len(self.not_fetched))}) : rien n'est "
                         "supposé à leur sujet, relancez plus tard.")
            lines += [f"  {key} : {reason}" for key, reason in self.not_fetched.items()]
        return "\n".join(lines)


def departement_problem(code: str) -> str | None:
    """Why ``code`` is not a département code the API accepts, or None."""
    if _DEPARTEMENT_RE.match(code.strip().upper()):
        return None
    return f"département « {code} » : code attendu comme 01, 31, 2A, 974"


def result_row(result: dict[str, Any]) -> dict[str, Any]:
    """One API result -> one row of the agents table (pure)."""
    code = normalize_band(result.get("tranche_effectif_salarie"))
    low, high = band_bounds(code)
    raw_year = result.get("annee_tranche_effectif_salarie")
    year = None if year_problem(raw_year) else int(str(raw_year).strip())
    nature = result.get("nature_juridique") or "?"
    return {
        "siren": str(result.get("siren", "")).strip(),
        "tranche": code,
        "agents_min": low,
        "agents_max": high,
        "annee": year,
        "source_detail": f"API Recherche d'entreprises, nature juridique {nature}",
    }


def rows_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=store.ROW_COLUMNS)
    return frame.drop_duplicates("siren", keep="first").reset_index(drop=True)


class Client:
    """The session, the limiter and the request count of one fetch."""

    def __init__(self, settings: Settings | None, session: requests.Session | None,
                 limiter: RateLimiter | None) -> None:
        self.settings = settings or load_settings()
        # 429 is retried here, through the limiter (see http.make_session).
        self.session = session or make_session(self.settings, retry_statuses=SERVER_ERRORS)
        self.limiter = limiter or RateLimiter(RATE_PER_SECOND)
        self.url = self.settings.base_url("RECHERCHE_ENTREPRISES", DEFAULT_URL) + SEARCH_PATH
        self.requests = 0
        self.too_many = 0                # 429 answers received
        self._count = threading.Lock()   # several threads may share one client

    def search(self, params: dict[str, Any]) -> dict[str, Any]:
        """One page; raises ``RuntimeError`` with a French reason when unusable.

        A 429 holds every thread of this client for the time the service asks
        (``Retry-After``, else one second) and the request is tried again through the
        limiter, ``http_retries`` times at most."""
        for attempt in range(self.settings.http_retries + 1):
            self.limiter.wait()
            with self._count:
                self.requests += 1
            try:
                resp = self.session.get(self.url, params=params)
            except requests.RequestException as exc:
                raise RuntimeError(f"service injoignable : {describe_error(exc)}") from exc
            if resp.status_code != 429 or attempt == self.settings.http_retries:
                break
            with self._count:
                self.too_many += 1
            self.limiter.hold(retry_after(resp))
        if resp.status_code != 200:
            raise RuntimeError(f"réponse HTTP {resp.status_code} après "
                               f"{self.settings.http_retries} nouvelle(s) tentative(s) "
                               f"({http_reason(resp.status_code)})")
        try:
            page = resp.json()
        except ValueError as exc:
            raise RuntimeError("réponse illisible (JSON invalide)") from exc
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise RuntimeError("réponse inattendue (pas de liste « results »)")
        return page


def fetch_sirens(sirens: Iterable[str], settings: Settings | None = None, *,
                 session: requests.Session | None = None, limiter: RateLimiter | None = None,
                 progress: Callable[[int], None] | None = None) -> FetchOutcome:
    """The band of each SIREN (one request each); failures are listed, not zeroed.

    After ``MAX_CONSECUTIVE_FAILURES`` failures in a row (each already retried) the
    service is taken as down: the remaining SIRENs are listed as not tried, instead of
    waiting for every one of them in turn.
    """
    client = Client(settings, session, limiter)
    rows, outcome = [], FetchOutcome(rows_frame([]))
    failures = 0
    for siren in dict.fromkeys(sirens):
        if failures >= MAX_CONSECUTIVE_FAILURES:
            outcome.not_fetched[siren] = (f"non tenté : {failures} échecs de suite, service "
                                          "indisponible")
        else:
            try:
                page = client.search({"q": siren, "page": 1, "per_page": 5})
            except RuntimeError as exc:
                outcome.not_fetched[siren] = str(exc)
                failures += 1
            else:
                failures = 0
                match = [r for r in page["results"]
                         if str(r.get("siren", "")).strip() == siren]
                if match:
                    rows.append(result_row(match[0]))
                else:
                    outcome.not_found.append(siren)
        if progress:
            progress(1)
    outcome.rows = rows_frame(rows)
    outcome.requests = client.requests
    return outcome


def fetch_departement(departement: str, settings: Settings | None = None, *,
                      session: requests.Session | None = None,
                      limiter: RateLimiter | None = None,
                      progress: Callable[[int], None] | None = None) -> FetchOutcome:
    """Every public body with its head office in ``departement``, page after page.

    A page that fails makes the whole listing *not fetched* (an incomplete list would
    look complete): the outcome then has no rows and one entry in ``not_fetched``.
    """
    dep = departement.strip().upper()
    client = Client(settings, session, limiter)
    params = {"departement": dep, "nature_juridique": ",".join(NATURES_PUBLIQUES),
              "per_page": PER_PAGE}
    rows: list[dict[str, Any]] = []
    page_no, total_pages = 1, 1
    try:
        while page_no <= total_pages:
            page = client.search({**params, "page": page_no})
            total_pages = int(page.get("total_pages") or 0)
            for result in page["results"]:
                seat = (result.get("siege") or {}).get("departement")
                if seat is None or str(seat).upper() == dep:
                    rows.append(result_row(result))
            if progress:
                progress(1)
            page_no += 1
    except RuntimeError as exc:
        return FetchOutcome(rows_frame([]), {f"département {dep}": f"page {page_no} : {exc}"},
                            requests=client.requests)
    return FetchOutcome(rows_frame(rows), requests=client.requests)


def save(con: duckdb.DuckDBPyConnection, outcome: FetchOutcome) -> int:
    """Write the fetched rows (upsert by SIREN, one transaction); return the count."""
    if outcome.rows.empty:
        return 0
    return store.upsert(con, outcome.rows, SOURCE)
