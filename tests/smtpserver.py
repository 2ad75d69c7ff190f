"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts.

``refuse`` holds recipient addresses answered with 550 at RCPT, as a real server does for
an unknown mailbox. ``stop()`` then ``start()`` plays a server that goes down and comes
back on the same port."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, box: SmtpServer) -> None:
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201
        if address.lower() in self.box.refuse:
            return "550 5.1.1 Boite aux lettres inconnue"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        msg = message_from_bytes(envelope.content, policy=default)
        with self.box.lock:
            self.box.messages.append((list(envelope.rcpt_tos), envelope.mail_from, msg))
        return "250 Message accepte"


def make_certificate(folder) -> tuple[str, str, str]:  # noqa: ANN001
    """A private authority and a certificate it signs for 127.0.0.1 (openssl): (CA file,
    certificate, key), as an internal mail relay has."""
    import subprocess

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    ca_key, ca, key, csr, cert = (str(folder / n) for n in
                                  ("ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
        "-days", "2", "-subj", "/CN=Autorite de test")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
        "-subj", "/CN=127.0.0.1")
    ext = folder / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "2", "-extfile", str(ext))
    return ca, cert, key


class SmtpServer:
    def __init__(self, port: int | None = None, *, starttls: tuple[str, str] | None = None,
                 implicit_tls: tuple[str, str] | None = None) -> None:
        """``starttls`` / ``implicit_tls``: (certificate, key) to offer STARTTLS (and
        require it) or to speak TLS from the first byte (port 465 style)."""
        self.starttls, self.implicit_tls = starttls, implicit_tls
        self.port = port or free_port()
        self.messages: list[tuple[list[str], str, EmailMessage]] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        import ssl

        kwargs: dict = {}
        if self.starttls:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*self.starttls)
            kwargs = {"tls_context": ctx, "require_starttls": True}
        if self.implicit_tls:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*self.implicit_tls)
            kwargs = {"ssl_context": ctx}
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                      **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def sirens(self) -> list[str]:
        with self.lock:
            return [m["X-Odlab-Siren"] for _, _, m in self.messages]
