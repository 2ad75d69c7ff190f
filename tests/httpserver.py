"""A real HTTP server on 127.0.0.1 that plays data.gouv.fr, portals or file hosts in tests.

Routes map a path (without query string) to a list of ``Reply`` served in order (the last
one repeats) or to a callable ``(Request) -> Reply`` for paginated APIs. Faults are part
of a reply: a status, a delay (to trigger timeouts), a body cut after N bytes while the
announced Content-Length promises more.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    cut_after: int | None = None   # close the connection after this many body bytes

    @classmethod
    def json(cls, payload: object, status: int = 200, **kw: object) -> Reply:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json"}, **kw)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float = 0.0     # time.monotonic() when the request arrived (rate limits in time)

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, [default])[0]


Handler = Callable[[Request], Reply]


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a timed-out request, a retry that gave up) is ordinary
    here: socketserver would print its traceback to stderr, where a test that reads
    the command's stderr would take it for the command's own output."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, list[Reply] | Handler] = {}
        # Answer for a path that has no route (None: 404), e.g. a whole service down.
        self.fallback: Reply | None = None
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                server._serve(self)

            def do_HEAD(self) -> None:
                server._serve(self)

        self.httpd = _QuietServer(("127.0.0.1", 0), _H)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, path: str, *replies: Reply | Handler) -> None:
        if len(replies) == 1 and callable(replies[0]) and not isinstance(replies[0], Reply):
            self.routes[path] = replies[0]
        else:
            self.routes[path] = list(replies)  # type: ignore[arg-type]

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def _next_reply(self, req: Request) -> Reply:
        with self._lock:
            self.requests.append(req)
            route = self.routes.get(req.path)
            if route is None:
                return self.fallback or Reply(404, b"not found")
            if callable(route):
                handler = route
            else:
                return route.pop(0) if len(route) > 1 else route[0]
        return handler(req)

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        req = Request(h.command, parts.path, parse_qs(parts.query), dict(h.headers),
                      time.monotonic())
        reply = self._next_reply(req)
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        try:
            h.send_response(reply.status)
            for k, v in reply.headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            if reply.cut_after is not None:
                h.send_header("Connection", "close")
            h.end_headers()
            if h.command == "HEAD":
                return
            if reply.cut_after is not None:
                h.wfile.write(body[: reply.cut_after])
                h.wfile.flush()
                h.close_connection = True
                return
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
