"""The house rules that keep one truth across pages, checked on the source (AST):

- a code of every vocabulary ``vocab.SPELLED_HERE_ONLY`` lists (obligation, publication
  status, follow-up stage, run status, snapshot kind, data source, collectivité type, type
  family) is spelled only in ``odlab_compliance/vocab.py``;
- only the model (``odlab_compliance/model/``) chooses a reference vintage for a snapshot
  or computes a publishing rate;
- streamlit is imported only by ``app.py``, ``pages/`` and ``odlab_compliance/ui/``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from odlab_compliance import vocab
from odlab_compliance.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "odlab_compliance"
CODE_FILES = sorted([*PACKAGE.rglob("*.py"), *(PROJECT_ROOT / "pages").glob("*.py"),
                     PROJECT_ROOT / "app.py"])
MODEL = PACKAGE / "model"
# The codes COM, DEP, REG and EPCI of types and type families are also the territory
# levels' (territory.LEVELS: the level a territory is at, « REG » in a URL or a selector).
# A level is not a type: those four codes count as type literals only where they are
# compared with a collectivité's type (``df["type"].eq("COM")``, ``kind in ("DEP", …)``).
LEVEL_CODES = frozenset({"COM", "DEP", "REG", "EPCI"})
_TYPED = re.compile(r"type|kind")
CODES = {c for v in vocab.SPELLED_HERE_ONLY for c in v.codes}
# (file relative to the project, literal): places where a code's text is not the code.
ALLOWED_LITERALS: set[tuple[str, str]] = {
    # the Observatoire's own field values (« via » : ptf, datagouv), not our source code
    ("odlab_compliance/ingest/harvest/observatoire.py", "datagouv"),
    # a portal technology named « datagouv » in the Observatoire's list, not our source
    ("odlab_compliance/ingest/harvest/portals.py", "datagouv"),
    # the harvest sources a person names on the command line, and a cache folder
    ("odlab_compliance/ingest/harvest/run.py", "datagouv"),
    ("odlab_compliance/ingest/harvest/run.py", "observatoire"),
    ("odlab_compliance/ingest/harvest/run.py", "portal"),
    ("odlab_compliance/ingest/harvest/run.py", "harvest"),
    ("odlab_compliance/cli/harvest.py", "harvest"),        # the command's name
    # the rule that finds a file through data.gouv.fr's API (sources.toml, ``locate``)
    ("odlab_compliance/ingest/locate.py", "datagouv"),
    ("odlab_compliance/ingest/harvest/datagouv.py", "harvest"),  # data.gouv.fr's field
    ("odlab_compliance/model/evidence.py", "datagouv"),    # the Observatoire's « via » value
    # where a portal of the registry was listed first (the Observatoire or a person)
    ("odlab_compliance/ingest/harvest/portals.py", "observatoire"),
}
# Files that still spell type codes, owned by the online-sources work (issue 15): the COG
# and Observatoire readers translate those sources' own type columns. Listed by name so
# the list can only shrink: an entry whose file is clean fails the test below.
NOT_YET_CONVERTED: dict[str, frozenset[str]] = {
    "odlab_compliance/ingest/harvest/observatoire.py": frozenset({"CC", "CA", "CU", "MET", "EPT"}),
    "odlab_compliance/ingest/reference/build.py": frozenset(vocab.TYPE.codes),
    "odlab_compliance/ingest/reference/load.py": frozenset({"COM"}),
}


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


def _parents(tree: ast.AST) -> dict[int, ast.AST]:
    return {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _about_a_type(node: ast.Constant, parents: dict[int, ast.AST]) -> bool:
    """Is this constant compared with a collectivité's type (not a territory level)? Up
    through the tuples, sets and dict values around it, to the comparison or call that uses
    it, which must mention a ``type`` or ``kind``. A dict key is a level mapped to a type."""
    child, up = node, parents.get(id(node))
    while isinstance(up, ast.Tuple | ast.List | ast.Set | ast.Dict | ast.Subscript | ast.Starred):
        if isinstance(up, ast.Dict) and any(k is child for k in up.keys):
            return False
        child, up = up, parents.get(id(up))
    return isinstance(up, ast.Compare | ast.Call) and bool(_TYPED.search(ast.unparse(up)))


def stray_literals(path: Path) -> list[str]:
    """String constants equal to a vocabulary code, outside vocab.py (docstrings aside);
    also codes quoted inside SQL text (``status = 'failed'``). The codes shared with the
    territory levels count where they are compared with a type (``_about_a_type``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs, parents = _docstrings(tree), _parents(tree)
    pending = NOT_YET_CONVERTED.get(_rel(path), frozenset())
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in docs:
            continue
        text = node.value
        hits = {text} & CODES if text in CODES else {c for c in CODES if f"'{c}'" in text}
        for code in hits:
            if code in LEVEL_CODES and not _about_a_type(node, parents):
                continue
            if (_rel(path), code) not in ALLOWED_LITERALS and code not in pending:
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


def test_every_vocabulary_the_module_names_is_checked():
    """The docstring of vocab.py says which codes it alone spells; the check covers each."""
    assert {v.name for v in vocab.SPELLED_HERE_ONLY} >= {
        "obligation", "statut", "etape", "run_status", "snapshot_kind", "source", "type",
        "type_family"}
    for v in vocab.SPELLED_HERE_ONLY:
        assert set(v.codes) <= CODES, v.name


def test_the_literal_check_sees_a_planted_type(tmp_path, monkeypatch):
    """A type or source code written out is caught; a territory level is not a type."""
    planted = tmp_path / "planted.py"
    planted.write_text('communes = df[df["type"].eq("COM")]\n'
                       'epci = r.get("type") in ("CC", "CA")\n'
                       'if kind in ("DEP", "REG"):\n    pass\n'
                       'if source == "portal":\n    pass\n'
                       'snap = {"kind": "harvest"}\n'
                       'levels = ("REG", "DEP", "EPCI", "COM")\n'
                       'if t.level == "REG":\n    pass\n'
                       'rows = df["type"].eq({"REG": REG}[t.level])\n')
    monkeypatch.setattr(f"{__name__}.PROJECT_ROOT", tmp_path)
    assert sorted(h.split(" ", 1)[1] for h in stray_literals(planted)) == [
        "« CA »", "« CC »", "« COM »", "« DEP »", "« REG »", "« harvest »", "« portal »"]


def test_files_not_yet_converted_are_still_unconverted():
    """The list of files still spelling type codes only shrinks: a clean file leaves it."""
    for rel, codes in NOT_YET_CONVERTED.items():
        path = PROJECT_ROOT / rel
        text = path.read_text(encoding="utf-8")
        assert any(f'"{c}"' in text for c in codes), f"{rel} n'écrit plus de type : l'ôter"


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
