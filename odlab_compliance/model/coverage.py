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

The two columns are computed by ``obligation.candidates`` (re-exported here); this
module chooses the default rule and lists today's candidates.
"""

from __future__ import annotations

import duckdb

from odlab_compliance import db
from odlab_compliance.db.facts import newest_vintage
from odlab_compliance.model.obligation.candidates import (  # noqa: F401 (re-exported)
    FIGURE_COLUMNS,
    RULE_LAW,
    candidates,
    known_count,
)

COMPLETE = 0.95                       # share of candidates known to trust the law alone
RULE_LAW_PRESUMED = "legal_hypothese_odf"   # the law, unknown counts presumed (said)


def default_rule(share: float | None) -> str:
    """The first screen's rule: the law alone once ``COMPLETE`` of the candidates have a
    known count, else the law with missing counts presumed (and said)."""
    return RULE_LAW if share is not None and share >= COMPLETE else RULE_LAW_PRESUMED


def latest_candidates(con: duckdb.DuckDBPyConnection) -> tuple[int | None, list[str]]:
    """(vintage, candidate SIRENs) of the newest loaded reference vintage, the one whose
    collectivités exist today: an agent fetch fills their counts. (None, []) when no
    vintage is loaded."""
    vintage = newest_vintage(con)
    if vintage is None:
        return None, []
    ref = con.execute(db.sql("collectivite_rule_inputs"), [vintage]).df()
    return vintage, sorted(set(ref.loc[candidates(ref) & ref["siren"].notna(), "siren"]))
