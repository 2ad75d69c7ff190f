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


def test_every_make_target_in_the_readme_exists():
    import re

    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    used = set(re.findall(r"(?<!apt-get install )\bmake ([a-z-]+)", README))
    assert used and used <= targets, used - targets
    start = README.split("## Démarrer", 1)[1].split("## ", 1)[0]
    assert "make install-browser" in start and "ODLAB_MIRROR_DIR" in start


def test_docs_cite_the_project_docs_not_a_private_note():
    import os

    private = "DOMAIN" + ".md"   # the team's notes, not in the repository
    skip = {".venv", ".git", "data", "artifacts", "__pycache__", "node_modules"}
    citing = []
    for folder, dirs, files in os.walk(PROJECT_ROOT):
        dirs[:] = [d for d in dirs if d not in skip]    # never walk a virtual environment
        for name in files:
            if name.endswith((".py", ".md", ".toml", ".sql")) or name == "Makefile":
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    if private in fh.read():
                        citing.append(os.path.relpath(path, PROJECT_ROOT))
    assert citing == []
