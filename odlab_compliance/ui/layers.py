"""Late lookup of the data layers the dashboard reads (reference, obligation, status,
harvest). The layers are built in parallel with the dashboard: a layer that is not there
yet makes a page say "pas encore disponible" instead of failing. Nothing here computes
anything: it only finds the real functions by their agreed names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

# Agreed function -> candidate "module:attribute" places, first found wins.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "obligations": ("odlab_compliance.obligation:obligations",
                    "odlab_compliance.obligation.table:obligations"),
    "list_rules": ("odlab_compliance.obligation:list_rules",
                   "odlab_compliance.obligation.registry:list_rules"),
    "get_rule": ("odlab_compliance.obligation:get_rule",
                 "odlab_compliance.obligation.registry:get_rule"),
    "parameter_docs": ("odlab_compliance.obligation:parameter_docs",
                       "odlab_compliance.obligation.registry:parameter_docs"),
    "status_table": ("odlab_compliance.status:status_table",),
    "list_snapshots": ("odlab_compliance.status:list_snapshots",),
    "evidence": ("odlab_compliance.status:evidence",),
    "journal": ("odlab_compliance.status:journal",),
    "load_vintage": ("odlab_compliance.reference:load_vintage",
                     "odlab_compliance.reference.load:load_vintage",
                     "odlab_compliance.reference.loader:load_vintage"),
    "import_observatoire": ("odlab_compliance.harvest.run:import_observatoire",),
    "status_rules": ("odlab_compliance.status:STATUS_RULES",),
}
LABELS = {
    "obligations": "le calcul de l'obligation",
    "list_rules": "le registre des règles", "get_rule": "le registre des règles",
    "parameter_docs": "le registre des règles",
    "status_table": "le statut de publication", "list_snapshots": "l'historique des collectes",
    "evidence": "les preuves de publication", "journal": "le journal des collectes",
    "load_vintage": "le chargement du référentiel",
    "import_observatoire": "l'import des éditions de l'Observatoire",
    "status_rules": "les règles de statut",
}


def find(name: str) -> Callable | None:
    """The agreed function ``name``, or None when its layer is not installed yet."""
    value = find_value(name)
    return value if callable(value) else None


def find_value(name: str) -> object | None:
    """The agreed object ``name`` (a function or a constant), or None."""
    for spec in CANDIDATES[name]:
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        value = getattr(module, attr, None)
        if value is not None:
            return value
    return None


def missing(*names: str) -> list[str]:
    """French labels of the layers among ``names`` that are not available."""
    return sorted({LABELS[n] for n in names if find_value(n) is None})
