"""``obligations(con, vintage, rule)``: the obligation of every collectivité of a vintage.

The dashboard, the harvest status and the exports all call this one function, so its
signature and its first columns (``OUTPUT_COLUMNS``) are a contract.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from odlab_compliance import db
from odlab_compliance.db.facts import loaded_vintages
from odlab_compliance.errors import UserError
from odlab_compliance.ingest.agents.store import effective_agents
from odlab_compliance.model.obligation.candidates import candidates, known_count
from odlab_compliance.model.obligation.engine import RESULT_COLUMNS, evaluate
from odlab_compliance.model.obligation.registry import Rule, as_rule

OUTPUT_COLUMNS = (
    "siren", "code_insee", "nom", "type", "departement", "region", "epci_siren",
    "population_totale", "population_municipale", "annee_population", "agents_tranche",
    "agents_min", "agents_annee", "agents_source", "obligation", "motif", "proche_seuil",
)
EXTRA_COLUMNS = (
    "agents_max", "agents_source_detail", "statut_particulier", "ept_siren",
    "population_note", "vintage", "population_municipale_autre", "annee_population_autre",
    "annee_population_vigueur", "territoires", "candidat", "effectif_connu",
)
_INT_COLUMNS = ("population_totale", "population_municipale", "annee_population",
                "population_municipale_autre", "annee_population_autre",
                "annee_population_vigueur", "agents_min", "agents_max", "agents_annee",
                "vintage")
_AGENT_COLUMNS = ("agents_tranche", "agents_min", "agents_max", "agents_annee",
                  "agents_source", "agents_source_detail")


class VintageNotLoaded(UserError, LookupError):
    """The asked reference vintage is not in the database (French message)."""

    def __init__(self, vintage: int, loaded: list[int]):
        self.vintage, self.loaded = vintage, loaded
        known = (f"millésimes chargés : {', '.join(map(str, loaded))}" if loaded
                 else "aucun millésime chargé")
        super().__init__(
            f"le millésime {vintage} du référentiel n'est pas chargé ({known}). "
            f"Chargez-le avec : python -m odlab_compliance reference update --vintage {vintage}")


def with_agents(ref: pd.DataFrame, agents: pd.DataFrame) -> pd.DataFrame:
    """Reference rows plus their effective agent count (left join on SIREN). Pure."""
    agents = agents.reindex(columns=["siren", *_AGENT_COLUMNS])
    agents = agents[agents["siren"].notna()].drop_duplicates("siren")
    ref = ref.drop(columns=[c for c in _AGENT_COLUMNS if c in ref.columns])
    return ref.merge(agents, on="siren", how="left", validate="many_to_one")


def order_columns(df: pd.DataFrame) -> pd.DataFrame:
    """The contract's columns first, then the documented extras, then anything else."""
    first = [*OUTPUT_COLUMNS, *EXTRA_COLUMNS, *RESULT_COLUMNS]
    ordered = [c for c in dict.fromkeys(first) if c in df.columns]
    return df[ordered + [c for c in df.columns if c not in ordered]]


def _types(df: pd.DataFrame) -> pd.DataFrame:
    # Nullable integers: a missing population stays empty instead of turning into a float.
    for c in _INT_COLUMNS:
        if c in df.columns:
            df[c] = pd.to_numeric(df[c]).astype("Int64")
    return df


def obligations(con: duckdb.DuckDBPyConnection, vintage: int, rule: str | Rule) -> pd.DataFrame:
    """One row per collectivité of ``vintage``: reference columns, effective agent count,
    and the rule's ``obligation``, ``motif``, ``proche_seuil`` (columns ``OUTPUT_COLUMNS``
    first, then ``EXTRA_COLUMNS`` and ``proche_seuil_motif``, ``hypothese``, ``regle``).

    Raises ``VintageNotLoaded`` when the vintage is absent, ``KeyError`` for an unknown rule.
    """
    rule = as_rule(rule)
    ref = con.execute(db.sql("collectivite_rule_inputs"), [int(vintage)]).df()
    if ref.empty:
        raise VintageNotLoaded(int(vintage), loaded_vintages(con))
    df = _types(with_agents(ref, effective_agents(con)))
    out = evaluate(df, rule)
    # Whose count can decide (the candidates), and whether it is known: the coverage of
    # agent counts (model.coverage, model.figures) is counted from these two columns.
    out["candidat"] = candidates(out, rule)
    out["effectif_connu"] = known_count(out)
    return order_columns(out).reset_index(drop=True)
