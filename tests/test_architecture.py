"""The house rules that keep one truth across pages, checked on the source (AST):

- a code of obligation, publication status, follow-up stage or run status is spelled only
  in ``odlab_compliance/vocab.py``;
- only the model (``odlab_compliance/model/``) chooses a reference vintage for a snapshot
  or computes a publishing rate;
- streamlit is imported only by ``app.py``, ``pages/`` and ``odlab_compliance/ui/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from odlab_compliance import vocab
from odlab_compliance.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "odlab_compliance"
CODE_FILES = sorted([*PACKAGE.rglob("*.py"), *(PROJECT_ROOT / "pages").glob("*.py"),
                     PROJECT_ROOT / "app.py"])
MODEL = PACKAGE / "model"
CODES = {*vocab.OBLIGATION.codes, *vocab.STATUT.codes, *vocab.ETAPE.codes,
         *vocab.RUN_STATUS.codes}
# (file relative to the project, literal): places where a code's text is not the code.
ALLOWED_LITERALS: set[tuple[str, str]] = set()


def _rel(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def stray_literals(path: Path) -> list[str]:
    """String constants equal to a vocabulary code, outside vocab.py (docstrings aside);
    also codes quoted inside SQL text (``status = 'failed'``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in docs:
            continue
        text = node.value
        hits = {text} & CODES if text in CODES else {c for c in CODES if f"'{c}'" in text}
        for code in hits:
            if (_rel(path), code) not in ALLOWED_LITERALS:
                found.append(f"{_rel(path)}:{node.lineno} « {code} »")
    return found


def test_codes_are_spelled_only_in_the_vocabulary():
    stray = [hit for f in CODE_FILES if f != PACKAGE / "vocab.py" for hit in stray_literals(f)]
    assert not stray, "codes écrits hors de vocab.py :\n" + "\n".join(stray)


def test_the_literal_check_sees_a_planted_code(tmp_path, monkeypatch):
    planted = tmp_path / "planted.py"
    planted.write_text('"""Docstrings may say non_publie."""\n'
                       'x = df["statut"] == "non_publie"\n'
                       'sql = "WHERE status = \'failed\'"\n')
    monkeypatch.setattr(f"{__name__}.PROJECT_ROOT", tmp_path)
    assert sorted(h.split(" ", 1)[1] for h in stray_literals(planted)) == ["« failed »",
                                                                           "« non_publie »"]


# -- the model owns vintages and rates -------------------------------------------------------

VINTAGE_CHOOSERS = {"vintage_for", "loaded_vintages", "compute_table", "status_for",
                    "apply_status"}
# Outside the model, a module may call these to build the model or list what is loaded.
VINTAGE_ALLOWED = {
    # the cache of the model's tables, and what the database holds (listing, not choosing)
    "odlab_compliance/ui/cache.py": {"loaded_vintages"},
    "odlab_compliance/db/facts.py": {"loaded_vintages"},   # its owner
    "odlab_compliance/cli/reference.py": {"loaded_vintages"},
}
RATE_NAMES = ("taux", "publiant", "publishing", "connus", "known", "couverture")


def _called_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            names.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
        elif isinstance(node, ast.Attribute) and node.attr in VINTAGE_CHOOSERS:
            names.add(node.attr)   # passed as a function (a loader)
    return names


def _names_in(node: ast.AST) -> set[str]:
    """Variables, attributes and subscripted column names under ``node`` (not labels)."""
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            names.add(sub.attr)
        elif isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant):
            names.add(str(sub.slice.value))
    return {n.lower() for n in names}


def _rate_divisions(tree: ast.AST) -> list[int]:
    """Lines where a division involves a name or column that smells of a rate."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            if any(r in name for name in _names_in(node) for r in RATE_NAMES):
                lines.append(node.lineno)
    return lines


def model_violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = _rel(path)
    bad = [f"{rel} : choisit un millésime ({name})" for name in
           sorted(_called_names(tree) & VINTAGE_CHOOSERS - VINTAGE_ALLOWED.get(rel, set()))]
    bad += [f"{rel}:{line} : calcule un taux" for line in _rate_divisions(tree)]
    return bad


def test_only_the_model_chooses_a_vintage_or_computes_a_rate():
    outside = [f for f in CODE_FILES if MODEL not in f.parents]
    bad = [v for f in outside for v in model_violations(f)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("source,expected", [
    ("from x import vintage_for\nv = vintage_for(day, loaded)\n", "millésime"),
    ("t = df['publiant'].sum() / df['connus'].sum()\n", "taux"),
    ("load = lambda con: status.compute_table\n", "millésime"),
])
def test_the_model_check_sees_a_planted_violation(tmp_path, monkeypatch, source, expected):
    planted = tmp_path / "odlab_compliance" / "planted.py"
    planted.parent.mkdir()
    planted.write_text(source)
    monkeypatch.setattr(f"{__name__}.PROJECT_ROOT", tmp_path)
    assert any(expected in v for v in model_violations(planted))


def test_streamlit_only_in_the_ui():
    allowed = {PROJECT_ROOT / "app.py", *(PROJECT_ROOT / "pages").glob("*.py"),
               *(PACKAGE / "ui").rglob("*.py")}
    bad = []
    for f in CODE_FILES:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(m.split(".")[0] == "streamlit" for m in mods) and f not in allowed:
                bad.append(_rel(f))
    assert not bad, bad
