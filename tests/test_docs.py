"""Documentation stays true: every setting and every CLI command is in the README."""

from __future__ import annotations

from odlab_compliance.cli import build_parser
from odlab_compliance.config import PROJECT_ROOT, SETTINGS

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    head = README.split("## ", 1)[0]
    assert "make run" in head and "make test" in head


def test_every_setting_is_documented():
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in README]
    assert missing == []


def test_every_cli_command_is_documented():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    missing = [name for name in sub.choices if f"odlab_compliance {name}" not in README]
    assert missing == []
