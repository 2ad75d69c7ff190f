"""The obligation engine: rules registry, the pure ``evaluate`` and ``obligations``.

- ``registry``: the presets of ``reference/rules.toml`` (label, legal basis, parameters);
- ``engine``: ``evaluate(df, rule)``, one row per collectivité in, obligation and motif out;
- ``candidates``: whose agent count can decide, and whether it is known (two columns);
- ``table``: ``obligations(con, vintage, rule)``, the reference tables joined to agent
  counts and evaluated (what the dashboard, the status and the exports call).
"""

from odlab_compliance.db.facts import loaded_vintages  # kept for model/evidence.py (issue17b)
from odlab_compliance.model.obligation.engine import (
    A_VERIFIER,
    NON_OBLIGEE,
    OBLIGATIONS,
    OBLIGEE,
    evaluate,
)
from odlab_compliance.model.obligation.registry import (
    Rule,
    as_rule,
    get_rule,
    list_rules,
    parameter_docs,
    rule_ids,
)
from odlab_compliance.model.obligation.table import (
    OUTPUT_COLUMNS,
    VintageNotLoaded,
    obligations,
)

__all__ = [
    "A_VERIFIER", "NON_OBLIGEE", "OBLIGATIONS", "OBLIGEE",
    "OUTPUT_COLUMNS", "Rule", "VintageNotLoaded", "as_rule", "evaluate", "get_rule", "list_rules",
    "loaded_vintages", "obligations", "parameter_docs", "rule_ids",
]
