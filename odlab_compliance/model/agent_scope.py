"""What an agent fetch covers: the candidates of the obligation model, whole country or
one département (``agents fetch --all`` / ``--departement``, the first-run page).

Ingest never imports the model: the model computes the candidates and hands them to
``ingest.agents.national`` as a ``Scope``."""

from __future__ import annotations

import duckdb

from odlab_compliance.errors import UserError
from odlab_compliance.ingest.agents import national
from odlab_compliance.ingest.agents.store import departement_sirens
from odlab_compliance.model import coverage

_DEPARTEMENTS = ("SELECT code FROM ref_territoire WHERE vintage = ? AND niveau = 'DEP' "
                 "ORDER BY code")


def fetch_scope(con: duckdb.DuckDBPyConnection, departement: str | None = None
                ) -> national.Scope:
    """The candidates (from the obligation model) and the départements to list: the whole
    country, or one département (its candidates: communes, EPCI/EPT recorded there, the
    département itself)."""
    vintage, sirens = coverage.latest_candidates(con)
    if vintage is None:
        raise UserError("aucun référentiel chargé : les candidates (communes proches du seuil, "
                        "intercommunalités, départements, régions) en viennent. Lancez : "
                        "python -m odlab_compliance reference update --vintage 2026")
    if departement is None:
        deps = [r[0] for r in con.execute(_DEPARTEMENTS, [vintage]).fetchall()]
        return national.Scope(tuple(sirens), tuple(deps))
    inside = set(departement_sirens(con, departement))
    return national.Scope(tuple(s for s in sirens if s in inside), (departement,),
                          f"dep:{departement}")
