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


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[tuple[list[str], str, EmailMessage]] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
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
