"""Which collectivités' agent count can decide their obligation (the *candidates*), and
whose count is known: two columns of every obligation table (``table.obligations``).

Pure functions of a rule's parameters; ``model.coverage`` counts and explains them (see
its docstring for the definition in words).
"""

from __future__ import annotations

import pandas as pd

from odlab_compliance.model.obligation.registry import Rule, as_rule

RULE_LAW = "legal"                    # the law (unknown counts: à vérifier)
FIGURE_COLUMNS = ("population_totale", "population_municipale", "population_municipale_autre")


def candidates(df: pd.DataFrame, rule: Rule | str = RULE_LAW) -> pd.Series:
    """True for the rows whose agent count can decide their obligation under ``rule``."""
    rule = as_rule(rule)
    if df.empty:
        return pd.Series(False, index=df.index, dtype=bool)
    low = round(int(rule["seuil_population"]) * (1 - float(rule["marge_population"])))
    tested = df["type"].isin(list(rule["types_test_population"])).fillna(False)
    near = pd.Series(False, index=df.index)
    for col in FIGURE_COLUMNS:
        if col in df.columns:
            near |= (pd.to_numeric(df[col], errors="coerce") >= low).fillna(False)
    return (~tested | near).astype(bool)


def known_count(df: pd.DataFrame) -> pd.Series:
    """True for the rows whose effective agent count has bounds (not NN, not missing)."""
    if "agents_min" not in df.columns:
        return pd.Series(False, index=df.index, dtype=bool)
    return df["agents_min"].notna().astype(bool)
