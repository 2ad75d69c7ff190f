"""The French tables shown (and exported) under the figures: per type, rankings, lists of
collectivités, coverage of agent counts, the harvest journal."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from odlab_compliance import territory as terr
from odlab_compliance import vocab
from odlab_compliance.analysis import coverage as cov
from odlab_compliance.fmt import pourcentage
from odlab_compliance.model import figures as figs
from odlab_compliance.present import area_maps
from odlab_compliance.ui import auth as ui_auth
from odlab_compliance.ui import remedies, render
from odlab_compliance.ui.shell import Context

LIST_COLUMNS = {"siren": "SIREN", "code_insee": "Code", "nom": "Nom", "type": "Type",
                "departement": "Dép.", "population_totale": "Population totale",
                "obligation": "Obligation", "statut": "Statut", "nb_jeux": "Jeux",
                "derniere_mise_a_jour": "Dernière mise à jour", "plateformes": "Plateformes",
                "motif": "Motif"}


def _percent_columns(out: pd.DataFrame, columns: tuple[str, ...], display: bool) -> None:
    for c in columns:
        values = out[c].astype("float64")
        out[c] = values.map(lambda v: pourcentage(v, 1, vide="—")) if display \
            else (values * 100).round(1)


def by_type_table(by_type: pd.DataFrame, display: bool = True) -> pd.DataFrame:
    """Figures per type family; ``display`` formats rates the French way (else numbers)."""
    out = by_type[["libelle", "obligees", "publiant", "n_via_tiers", "n_non_publie",
                   "n_inconnu", "taux", "n_a_verifier"]].copy()
    # A row of mixed figures comes back as floats: counts are written as whole numbers
    # (the export said « 67,0;13,0 »).
    for c in ("obligees", "publiant", "n_via_tiers", "n_non_publie", "n_inconnu",
              "n_a_verifier"):
        out[c] = pd.to_numeric(out[c]).round().astype("Int64")
    _percent_columns(out, ("taux",), display)
    return out.rename(columns={"libelle": "Type", "obligees": "Obligées", "publiant": "Publient",
                               "n_via_tiers": "dont via une plateforme partagée",
                               "n_non_publie": "Ne publient pas", "n_inconnu": "Statut inconnu",
                               "taux": "Taux" if display else "Taux (%)",
                               "n_a_verifier": "À vérifier"})


def ranking_table(rank: pd.DataFrame, display: bool = True) -> pd.DataFrame:
    out = rank.copy()
    _percent_columns(out, ("taux", "couverture"), display)
    suffix = "" if display else " (%)"
    return out.rename(columns={"code": "Code", "nom": "Nom", "obligees": "Obligées",
                               "publiant": "Publient", "n_inconnu": "Statut inconnu",
                               "taux": "Taux" + suffix,
                               "couverture": "Population couverte" + suffix})


def obliged_list(local: pd.DataFrame, *obligations: str) -> pd.DataFrame:
    """The collectivités of the territory under the given obligations (default: obliged
    and to check), in French, the most populated first."""
    wanted = list(obligations) or [vocab.OBLIGEE, vocab.A_VERIFIER]
    part = local[local["obligation"].isin(wanted)]
    part = part.sort_values(["population_totale", "nom"], ascending=[False, True],
                            na_position="last")
    cols = [c for c in LIST_COLUMNS if c in part.columns]
    out = part[cols].copy()
    out["obligation"] = vocab.OBLIGATION.labelled(out["obligation"])
    out["type"] = vocab.TYPE.labelled(out["type"])
    if "statut" in out.columns:
        out["statut"] = vocab.STATUT.labelled(out["statut"])
    return out.rename(columns=LIST_COLUMNS).reset_index(drop=True)


HARVEST_ONLY = ("Jeux", "Dernière mise à jour")


def show_list(listing: pd.DataFrame, snapshot: object, stem: str, *, key: str,
              height: int = 400) -> None:
    """A list of collectivités (``obliged_list``) with its downloads. For an Observatoire
    edition, the columns only a collecte fills (datasets counted, last update) are left
    out and a sentence says why, rather than two empty columns."""
    if getattr(snapshot, "is_observatoire", False):
        empty = [c for c in HARVEST_ONLY if c in listing.columns and listing[c].isna().all()]
        if empty:
            listing = listing.drop(columns=empty)
            st.caption("Édition de l'Observatoire : elle dit qui publie, sans compter les "
                       "jeux de données ni dater leur dernière mise à jour ; ces colonnes "
                       "s'affichent pour une collecte (choisissez-la dans « Situation au »).")
    render.table(listing, key=key, height=height)
    render.downloads(listing, stem, key=f"{key}_dl")


def coverage_section(ctx: Context, frame: pd.DataFrame, key: str) -> None:
    """Coverage of agent counts per sub-territory of the selected one (or for it alone)."""
    child = terr.CHILD_LEVEL.get(ctx.territory.level)
    if child not in ("REG", "DEP", "EPCI"):
        return
    local = terr.filter_frame(frame, ctx.territory)
    table = figs.coverage_by(local, child, area_maps.child_names(ctx.ref, ctx.territories, child))
    if table.empty:
        return
    st.subheader(f"Effectifs connus par {terr.LEVEL_LABELS[child].lower()}")
    st.caption("Collectivités dont l'effectif peut décider de l'obligation (communes proches "
               "ou au-dessus de 3 500 habitants, intercommunalités, départements, régions) et "
               "part dont l'effectif est connu (tranche Sirene ou décompte de la préfecture). "
               + remedies.agents_sentence(ctx.settings, ui_auth.decision(), other_rule=False))
    render.table(cov.coverage_table(table), key=f"{key}_table")
    render.downloads(cov.coverage_table(table, display=False),
                     f"effectifs-connus-{ctx.territory.key.replace(':', '-')}", key=f"{key}_dl")


def json_list(text: object) -> list[str]:
    """A JSON array stored as text (reference load warnings); [] when absent or invalid."""
    if not isinstance(text, str) or not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return [text]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


JOURNAL_LABELS = {"run_id": "N°", "kind": "Type", "status": "Résultat", "started_at": "Début",
                  "ended_at": "Fin", "snapshot_date": "Date décrite", "territory": "Territoire",
                  "sources_ok": "Sources lues", "sources_failed": "Sources en échec",
                  "item_errors": "Erreurs d'éléments", "failures": "Échecs", "message": "Message",
                  "erreurs": "Premières erreurs"}


def journal_table(journal: pd.DataFrame) -> pd.DataFrame:
    out = journal[[c for c in JOURNAL_LABELS if c in journal.columns]].copy()
    if "status" in out.columns:
        out["status"] = vocab.RUN_STATUS.labelled(out["status"])
    if "kind" in out.columns:
        out["kind"] = vocab.SNAPSHOT_KIND.labelled(out["kind"])
    return out.rename(columns=JOURNAL_LABELS)
