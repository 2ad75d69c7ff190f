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


def make_session(settings: Settings | None = None) -> requests.Session:
    """Build the project's session from the settings (timeout, retries, backoff)."""
    settings = settings or load_settings()
    retry = Retry(
        total=settings.http_retries,
        # A host that cannot be reached is usually down or gone (or we are offline):
        # one more try, not the full series, or a harvest of 200 portals offline crawls.
        connect=min(settings.http_retries, 1),
        read=settings.http_retries,
        status=settings.http_retries,
        backoff_factor=settings.http_backoff,
        backoff_max=60,
        status_forcelist=RETRY_STATUSES,
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


class RateLimiter:
    """At most ``rate`` calls per second, shared by threads."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            time.sleep(delay)


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


def describe_error(exc: BaseException) -> str:
    """A short French sentence for a failed request, naming the host, without urllib3's
    internals (they would fill the journal and the dashboard with noise)."""
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None) or ""
    host = urlsplit(url).netloc or "?"
    text = str(exc)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"erreur HTTP {exc.response.status_code} sur {exc.response.url}"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"transfert interrompu, fichier tronqué ({host})"
    # urllib3 reports a read timeout that exhausted its retries as a ConnectionError
    if isinstance(exc, requests.Timeout) or "timed out" in text.lower():
        return f"délai d'attente dépassé ({host})"
    if isinstance(exc, requests.ConnectionError):
        if "NameResolutionError" in text or "Name or service not known" in text:
            return f"nom d'hôte introuvable : {host} (réseau indisponible ou adresse périmée)"
        if "Max retries exceeded" in text and "responses" in text:
            return f"trop d'erreurs serveur, abandon après plusieurs essais ({host})"
        return f"connexion refusée ou coupée ({host})"
    if isinstance(exc, requests.exceptions.JSONDecodeError | json.JSONDecodeError):
        return f"réponse JSON invalide ({host})"
    if isinstance(exc, requests.RequestException):
        return f"erreur réseau ({host}) : {text[:200]}"
    return text[:300]
