"""Layers point down: a module imports only from its own floor or the floors below.

    ui/, cli/, app.py, pages/        (6: what people use)
    present/                         (5: figures, maps, exports)
    analysis/, outreach/             (4: built on the model)
    model/                           (3: obligation, snapshots, status)
    ingest/                          (2: reading the official sources and publishers)
    db/, http, config, vocab, ...    (1: the base: every top-level module of the package)

Every ``import`` counts, at the top of a file or inside a function (an import hidden in
a function is still a dependency). No two modules import each other, directly or through
others (a circle hidden by imports inside functions included). Read from the source
(AST), nothing is run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from odlab_compliance.config import PROJECT_ROOT

PACKAGE = "odlab_compliance"
FLOORS = {"ui": 6, "cli": 6, "present": 5, "analysis": 4, "outreach": 4, "model": 3,
          "ingest": 2, "db": 1}
TOP = 6           # app.py, pages/, the package's __main__
BASE = 1          # a module directly in the package (config, http, vocab, fmt...)

# (importing file, imported package) allowed to point up for now. Each one says which
# branch removes it; the lead deletes the line when that branch is merged.
TEMPORARY_EXCEPTIONS: set[tuple[str, str]] = {
    # ingest/agents/national.py reads model.coverage and model.figures: removed on branch
    # issue15 (fetch_all as a class, ingest no longer imports model).
    ("odlab_compliance/ingest/agents/national.py", "odlab_compliance.model"),
}


def floor_of_module(module: str) -> int | None:
    """The floor of a dotted module name of the project (None: not the project's)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    if len(parts) == 1:
        return BASE
    if parts[1] == "__main__":
        return TOP
    return FLOORS.get(parts[1], BASE)


def floor_of_file(root: Path, path: Path) -> int:
    rel = path.relative_to(root)
    if rel.parts[0] != PACKAGE:
        return TOP                              # app.py, pages/
    return floor_of_module(".".join(rel.with_suffix("").parts)) or BASE


def imported_modules(tree: ast.AST) -> set[str]:
    """Dotted names of the project's modules a file imports (``from odlab_compliance
    import db`` names ``odlab_compliance.db``)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == PACKAGE:
                out |= {f"{PACKAGE}.{a.name}" for a in node.names}
            else:
                out.add(node.module)
    return {m for m in out if m.split(".")[0] == PACKAGE}


def upward_imports(root: Path, path: Path) -> list[str]:
    """« file:line -> module (floor a -> floor b) » for each import that points up."""
    rel = str(path.relative_to(root))
    here = floor_of_file(root, path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for module in sorted(imported_modules(tree)):
        there = floor_of_module(module)
        package = ".".join(module.split(".")[:2])
        if there is not None and there > here and (rel, package) not in TEMPORARY_EXCEPTIONS:
            bad.append(f"{rel} -> {module} (étage {here} -> {there})")
    return bad


def code_files(root: Path) -> list[Path]:
    return sorted([*(root / PACKAGE).rglob("*.py"), *(root / "pages").glob("*.py"),
                   root / "app.py"])


def test_layers_point_down():
    bad = [v for f in code_files(PROJECT_ROOT) for v in upward_imports(PROJECT_ROOT, f)]
    assert not bad, "imports qui remontent :\n" + "\n".join(bad)


def test_the_temporary_exceptions_are_still_needed():
    """An exception whose import is gone must be deleted, not left to cover a new one."""
    used = set()
    for rel, package in TEMPORARY_EXCEPTIONS:
        path = PROJECT_ROOT / rel
        if path.is_file():
            mods = imported_modules(ast.parse(path.read_text(encoding="utf-8")))
            if any(m == package or m.startswith(package + ".") for m in mods):
                used.add((rel, package))
    assert used == TEMPORARY_EXCEPTIONS, sorted(TEMPORARY_EXCEPTIONS - used)


@pytest.mark.parametrize("where,source", [
    ("ingest/harvest/planted.py", "from odlab_compliance.model import status\n"),
    ("model/planted.py", "def f():\n    from odlab_compliance.ui import cache\n"),
    ("db/planted.py", "from odlab_compliance import ingest\n"),
    ("outreach/planted.py", "import odlab_compliance.present.exports\n"),
])
def test_the_layer_check_sees_a_planted_upward_import(tmp_path, where, source):
    planted = tmp_path / PACKAGE / where
    planted.parent.mkdir(parents=True)
    planted.write_text(source)
    assert upward_imports(tmp_path, planted)


def test_a_downward_import_passes(tmp_path):
    planted = tmp_path / PACKAGE / "model" / "planted.py"
    planted.parent.mkdir(parents=True)
    planted.write_text("from odlab_compliance import db, vocab\n"
                       "from odlab_compliance.ingest.agents.store import effective_agents\n")
    assert upward_imports(tmp_path, planted) == []


# -- no circle between files ----------------------------------------------------------------

def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the project's modules it imports (``from a.b import c`` names ``a.b.c``
    when c is a module, else ``a.b``), in-function imports included."""
    files = sorted((root / PACKAGE).rglob("*.py"))
    known = {_module_name(root, f) for f in files}
    graph: dict[str, set[str]] = {}
    for f in files:
        edges = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in known}
            elif isinstance(node, ast.ImportFrom) and node.module in known and node.level == 0:
                subs = {f"{node.module}.{a.name}" for a in node.names} & known
                edges |= subs or {node.module}
        me = _module_name(root, f)
        graph[me] = edges - {me}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or not (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_circle_between_modules():
    found = circles(import_graph(PROJECT_ROOT))
    assert not found, "modules qui s'importent en cercle :\n" + "\n".join(map(str, found))


def test_the_circle_check_sees_a_planted_circle(tmp_path):
    model = tmp_path / PACKAGE / "model"
    model.mkdir(parents=True)
    for package in (model.parent, model):
        (package / "__init__.py").write_text("")
    (model / "a.py").write_text("from odlab_compliance.model import b\n")
    (model / "b.py").write_text("def f():\n    from odlab_compliance.model.a import x\n")
    assert circles(import_graph(tmp_path)) == [["odlab_compliance.model.a",
                                                "odlab_compliance.model.b"]]
