"""Errors that reach a user: French messages that name the file and the bad lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class LineError:
    line: int          # 1-based line number in the file as the user sees it (header = 1)
    message: str


class UserError(Exception):
    """A failure the user can act on; ``str()`` is a French message. The CLI prints it and
    exits with code 2, the dashboard shows it as an error box (never a traceback)."""


@dataclass
class InputError(UserError):
    """A user-supplied or downloaded file is unusable; nothing has been written."""

    file: str
    summary: str
    errors: Sequence[LineError] = field(default_factory=list)
    max_listed: int = 20

    def __str__(self) -> str:
        head = f"{self.file} : {self.summary}"
        if not self.errors:
            return head + "\nAucune donnée n'a été enregistrée."
        lines = [f"  ligne {e.line} : {e.message}" for e in self.errors[: self.max_listed]]
        more = len(self.errors) - self.max_listed
        if more > 0:
            lines.append(f"  … et {more} autre(s) ligne(s) en erreur")
        return head + "\n" + "\n".join(lines) + "\nAucune donnée n'a été enregistrée."
