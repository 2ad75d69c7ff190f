"""Who needs an agent count, and how many have one: candidates and coverage.

The 50-agent test can only decide for a collectivité that passes (or nearly passes) the
population test. The **candidates** are therefore every intercommunality (EPCI, EPT),
département, région and collectivité à statut particulier, and every commune at or near
the population threshold: one of its population figures (municipale or totale, of any
loaded millésime) at or above ``seuil_population × (1 − marge_population)`` (3,150 with
the registry's rules). A candidate's count is **known** when its effective count has
bounds (a Sirene band other than NN, or a prefecture's count).

The share of candidates with a known count (``figures.Figures.couverture_effectifs``,
computed in ``model.figures`` like every rate) chooses the default rule of the first
screen (``default_rule``): the law alone once ``COMPLETE`` of the candidates are known,
the law with missing counts presumed (``legal_hypothese_odf``) before.

Pure functions on the obligation frame (``obligation.obligations``).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from odlab_compliance import db
from odlab_compliance.model.obligation.registry import Rule, get_rule

COMPLETE = 0.95                       # share of candidates known to trust the law alone
RULE_LAW = "legal"                    # the law (unknown counts: à vérifier)
RULE_LAW_PRESUMED = "legal_hypothese_odf"   # the law, unknown counts presumed (said)
FIGURE_COLUMNS = ("population_totale", "population_municipale", "population_municipale_autre")


def candidates(df: pd.DataFrame, rule: Rule | str = RULE_LAW) -> pd.Series:
    """True for the rows whose agent count can decide their obligation under ``rule``."""
    rule = get_rule(rule) if isinstance(rule, str) else rule
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


def default_rule(share: float | None) -> str:
    """The first screen's rule: the law alone once ``COMPLETE`` of the candidates have a
    known count, else the law with missing counts presumed (and said)."""
    return RULE_LAW if share is not None and share >= COMPLETE else RULE_LAW_PRESUMED


def latest_candidates(con: duckdb.DuckDBPyConnection) -> tuple[int | None, list[str]]:
    """(vintage, candidate SIRENs) of the newest loaded reference vintage, the one whose
    collectivités exist today: an agent fetch fills their counts. (None, []) when no
    vintage is loaded."""
    from odlab_compliance.model.obligation import loaded_vintages

    vintages = loaded_vintages(con)
    if not vintages:
        return None, []
    ref = con.execute(db.sql("obligation_collectivites"), [vintages[0]]).df()
    return vintages[0], sorted(set(ref.loc[candidates(ref) & ref["siren"].notna(), "siren"]))


def newest_vintage(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest loaded reference vintage (a watch list or a fetch looks at today)."""
    from odlab_compliance.model.obligation import loaded_vintages

    return next(iter(loaded_vintages(con)), None)
