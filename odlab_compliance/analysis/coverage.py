"""French sentences and tables about the coverage of agent counts, for the pages.

The figures come from ``model.figures`` (``Figures.candidats``, ``effectifs_connus``,
``couverture_effectifs``, ``presumees``; ``coverage_by``); this module only words them, so
that the overview, the Méthode page and the CLI say the same thing. Pure functions.
"""

from __future__ import annotations

import pandas as pd

from odlab_compliance.fmt import nombre, pourcentage
from odlab_compliance.model import coverage
from odlab_compliance.model.figures import Figures


def coverage_sentence(f: Figures) -> str:
    """« Effectifs connus pour 3 % des candidates (150 sur 5 040). »"""
    if not f.candidats:
        return "Aucune collectivité de ce territoire n'a besoin d'un effectif pour être jugée."
    return (f"Effectifs connus pour {pourcentage(f.couverture_effectifs, 1)} des collectivités "
            f"dont l'effectif peut décider ({nombre(f.effectifs_connus)} sur "
            f"{nombre(f.candidats)} : communes proches ou au-dessus de 3 500 habitants, "
            "intercommunalités, départements, régions).")


def presumed_sentence(f: Figures) -> str | None:
    """How many obliged collectivités rest on a presumed count, or None when none."""
    if not f.presumees:
        return None
    return (f"Dont {nombre(f.presumees)} présumée(s) : effectif inconnu, supposé d'au moins "
            "50 agents (hypothèse de l'Observatoire, pas la loi).")


def partial_rate_note(f: Figures) -> str | None:
    """The note a rate needs when it was computed on partial coverage, else None."""
    if not f.effectifs_partiels or not f.obligees:
        return None
    parts = [f"calculé alors que {pourcentage(f.couverture_effectifs, 1)} seulement des "
             "effectifs utiles sont connus"]
    if f.presumees:
        parts.append(f"{nombre(f.presumees)} des {nombre(f.obligees)} obligées le sont par "
                     "hypothèse")
    if f.n_a_verifier:
        parts.append(f"{nombre(f.n_a_verifier)} à vérifier n'y sont pas comptées")
    return "Taux " + " ; ".join(parts) + "."


def complete(f: Figures) -> bool:
    share = f.couverture_effectifs
    return share is not None and share >= coverage.COMPLETE


COVERAGE_LABELS = {"code": "Code", "nom": "Nom", "candidats": "Collectivités à évaluer",
                   "effectifs_connus": "Effectif connu", "couverture_effectifs": "Part connue",
                   "obligees": "Obligées", "presumees": "dont présumées",
                   "n_a_verifier": "À vérifier"}


def coverage_table(table: pd.DataFrame, display: bool = True) -> pd.DataFrame:
    """``figures.coverage_by`` with French headers; the share as « 12,5 % » (display) or
    a number of percent (exports)."""
    out = table.copy()
    share = out["couverture_effectifs"].astype("float64")
    out["couverture_effectifs"] = share.map(lambda v: pourcentage(v, 1, vide="—")) \
        if display else (share * 100).round(1)
    labels = dict(COVERAGE_LABELS)
    if not display:
        labels["couverture_effectifs"] = "Part connue (%)"
    return out.rename(columns=labels)
