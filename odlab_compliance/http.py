"""The one polite HTTP client of the project.

One ``requests.Session`` with a timeout, a User-Agent naming the project, and retries with
exponential backoff on 429 and 5xx only (honouring ``Retry-After``). A ``RateLimiter``
spaces requests for services that publish a quota (Recherche d'entreprises: 7/s).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from odlab_compliance import __version__
from odlab_compliance.config import Settings, load_settings

USER_AGENT = f"odlab-compliance/{__version__} (suivi open data des collectivités)"
RETRY_STATUSES = (429, 500, 502, 503, 504)


class TimeoutSession(requests.Session):
    """A session whose requests all carry a default timeout."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, **kwargs)


def make_session(settings: Settings | None = None, *,
                 retry_statuses: tuple[int, ...] = RETRY_STATUSES) -> requests.Session:
    """Build the project's session from the settings (timeout, retries, backoff).

    ``retry_statuses``: the statuses urllib3 retries by itself. A client that paces its
    requests with a ``RateLimiter`` leaves 429 out and retries it through the limiter:
    a retry outside it would add to the very burst that earned the 429."""
    settings = settings or load_settings()
    retry_class = Retry if 429 in retry_statuses else _RetryWithout429
    retry = retry_class(
        total=settings.http_retries,
        # A host that cannot be reached is usually down or gone (or we are offline):
        # one more try, not the full series, or a harvest of 200 portals offline crawls.
        connect=min(settings.http_retries, 1),
        read=settings.http_retries,
        status=settings.http_retries,
        backoff_factor=settings.http_backoff,
        backoff_max=60,
        status_forcelist=retry_statuses,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = TimeoutSession(settings.http_timeout)
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


class _RetryWithout429(Retry):
    """urllib3 retries a 429 carrying ``Retry-After`` even outside ``status_forcelist``:
    not this one (the caller retries it through its rate limiter)."""

    RETRY_AFTER_STATUS_CODES = frozenset({413, 503})


class RateLimiter:
    """At most ``rate`` calls per second, shared by threads.

    Calls get evenly spaced slots; then, since a thread can wake up late (another thread
    holding the interpreter lock) and its slot be close to the next one's, a release also
    waits until ``interval`` has passed since the previous *actual* release: releases are
    never closer than ``interval``, so a burst cannot form on the service's side."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._last = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            time.sleep(delay)
        while True:
            with self._lock:
                now = time.monotonic()
                gap = self._last + self.interval - now
                if gap <= 0:
                    self._last = now
                    return
            time.sleep(gap)

    def hold(self, seconds: float) -> None:
        """No call passes for ``seconds`` from now (after a 429: every thread waits)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + max(0.0, seconds))


def retry_after(resp: requests.Response, default: float = 1.0) -> float:
    """Seconds a ``Retry-After`` header asks to wait (a number of seconds; ``default``
    when absent or given as a date)."""
    value = resp.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


def paginate(session: requests.Session, url: str, params: dict[str, Any] | None = None,
             limiter: RateLimiter | None = None) -> Iterator[dict[str, Any]]:
    """Yield each page of a udata-style list, following ``next_page`` until it is null."""
    next_url: str | None = url
    next_params = params
    while next_url:
        if limiter:
            limiter.wait()
        resp = session.get(next_url, params=next_params)
        resp.raise_for_status()
        page = resp.json()
        yield page
        next_url = page.get("next_page")
        next_params = None  # next_page already carries the query string


# French names of the HTTP statuses a user meets; others get their class ("erreur serveur").
HTTP_REASONS = {
    400: "requête refusée", 401: "authentification demandée", 403: "accès refusé",
    404: "adresse introuvable", 408: "délai dépassé côté serveur", 410: "ressource supprimée",
    429: "trop de requêtes", 500: "erreur interne du serveur", 502: "passerelle en erreur",
    503: "service indisponible", 504: "passerelle hors délai",
}
_DNS_MARKS = ("NameResolutionError", "Name or service not known", "Failed to resolve",
              "Temporary failure in name resolution", "nodename nor servname")


def http_reason(code: int) -> str:
    if code in HTTP_REASONS:
        return HTTP_REASONS[code]
    return "erreur serveur" if code >= 500 else "erreur de la requête" if code >= 400 else "réponse inattendue"


def error_kind(exc: BaseException) -> str:
    """What failed, as one of: ``dns``, ``tls``, ``timeout``, ``refused``, ``cut``, ``http``,
    ``server-retries``, ``json``, ``other``: the journal, the CLI and the dashboard word
    their message and their advice from it."""
    text = str(exc)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return "http"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "cut"
    if isinstance(exc, requests.exceptions.SSLError) or "SSLError" in text \
            or "CERTIFICATE_VERIFY_FAILED" in text:
        return "tls"
    # urllib3 reports a read timeout that exhausted its retries as a ConnectionError
    if isinstance(exc, requests.Timeout) or "timed out" in text.lower():
        return "timeout"
    if isinstance(exc, requests.ConnectionError):
        if any(mark in text for mark in _DNS_MARKS):
            return "dns"
        if "Max retries exceeded" in text and "responses" in text:
            return "server-retries"
        return "refused"
    if isinstance(exc, requests.exceptions.JSONDecodeError | json.JSONDecodeError):
        return "json"
    return "other"


def _host(exc: BaseException) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None) or ""
    return urlsplit(url).netloc or "?"


def describe_error(exc: BaseException) -> str:
    """A short French sentence for a failed request, naming the host, without the
    library's (English) text: urllib3's internals would fill the journal and the dashboard
    with noise that a user cannot act on."""
    host = _host(exc)
    kind = error_kind(exc)
    if kind == "http":
        code = exc.response.status_code  # type: ignore[attr-defined]
        return f"erreur HTTP {code} ({http_reason(code)}) sur {exc.response.url}"  # type: ignore[attr-defined]
    return {
        "cut": f"transfert interrompu, fichier tronqué ({host})",
        "tls": f"connexion sécurisée (TLS) impossible avec {host} : certificat refusé ou "
               "protocole incompatible",
        "timeout": f"délai d'attente dépassé ({host})",
        "dns": f"nom d'hôte introuvable : {host} (réseau indisponible ou adresse périmée)",
        "server-retries": f"trop d'erreurs serveur, abandon après plusieurs essais ({host})",
        "refused": f"connexion refusée ou coupée ({host})",
        "json": f"réponse JSON invalide ({host})",
    }.get(kind) or (f"erreur réseau ({host}, {type(exc).__name__})"
                    if isinstance(exc, requests.RequestException) else _other(exc))


def _other(exc: BaseException) -> str:
    """Errors outside requests: the project's own (already French, e.g. an export that
    lacks a column) keep their text; the system's (English) are named in French."""
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f" ({exc.filename})" if exc.filename else ""
        return {28: f"disque plein{where}", 13: f"permission refusée{where}",
                30: f"système de fichiers en lecture seule{where}"}.get(
            exc.errno, f"erreur du système de fichiers n° {exc.errno}{where}")
    return str(exc)[:300] or f"erreur inattendue ({type(exc).__name__})"


def what_to_do(exc: BaseException) -> str:
    """What a user can do about ``exc``, in French (one sentence)."""
    kind = error_kind(exc)
    if kind == "http":
        code = exc.response.status_code  # type: ignore[attr-defined]
        if code in (404, 410):
            return ("L'adresse officielle a peut-être changé : vérifiez-la (reference/sources.toml "
                    "ou la variable ODLAB_BASE_URL_… / ODLAB_…_URL qui la remplace).")
        if code in (401, 403):
            return "Le service refuse l'accès : vérifiez l'adresse et un éventuel proxy."
        if code == 429:
            return "Le service limite le nombre de requêtes : réessayez dans quelques minutes."
        return "Le service est en panne ou surchargé : réessayez plus tard."
    return {
        "dns": "Vérifiez la connexion à internet (ou le proxy) ; hors ligne, utilisez un "
               "dossier miroir (ODLAB_MIRROR_DIR).",
        "tls": "Vérifiez l'heure de la machine et ses certificats racine (paquet "
               "ca-certificates), ou un proxy qui intercepte HTTPS.",
        "timeout": "Le service est lent ou surchargé : réessayez plus tard, ou augmentez "
                   "ODLAB_HTTP_TIMEOUT (secondes).",
        "refused": "Le service est arrêté ou l'adresse est erronée : réessayez plus tard, ou "
                   "vérifiez l'adresse.",
        "cut": "La connexion a été coupée pendant le transfert : réessayez.",
        "server-retries": "Le service est en panne ou surchargé : réessayez plus tard.",
        "json": "Le service a répondu autre chose que les données attendues : réessayez plus "
                "tard ; si cela dure, son format a peut-être changé.",
    }.get(kind, "Réessayez ; si l'erreur persiste, le détail est dans le journal.")
