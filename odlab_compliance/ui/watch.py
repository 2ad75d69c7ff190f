"""The watch list on a page: its toggle and reasons, which rows are on it, its table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from odlab_compliance import vocab
from odlab_compliance.analysis import watchlist

WATCH_LABELS = {"siren": "SIREN", "code_insee": "Code", "nom": "Nom", "type": "Type",
                "departement": "Dép.", "obligation": "Obligation",
                "population_totale": "Population totale",
                "population_municipale": "Population municipale",
                "annee_population": "Millésime",
                "population_municipale_autre": "Municipale (autre millésime)",
                "annee_population_autre": "Autre millésime", "agents_tranche": "Tranche Sirene",
                "agents_min": "Agents (min.)", "agents_max": "Agents (max.)",
                "veille_libelle": "Pourquoi en veille",
                "ce_qui_changerait": "Ce qui changerait la réponse", "motif": "Motif"}


def watch_filter(key: str) -> list[str] | None:
    """The watch-list filter: None when off, else the reasons kept (all when none chosen)."""
    a, b = st.columns([1, 3])
    on = a.toggle("Liste de veille", key=f"{key}_veille",
                  help="Les collectivités proches d'un seuil : population à ±10 % de 3 500 "
                       "(selon une mesure ou un millésime), mesures de part et d'autre de "
                       "3 500, tranche Sirene 12 ou 21, décompte exact de 40 à 60 agents. Une "
                       "révision de population ou d'effectif peut changer leur réponse.")
    if not on:
        return None
    chosen = b.multiselect("Raisons", list(vocab.VEILLE), format_func=vocab.VEILLE.label,
                           key=f"{key}_veille_raisons", placeholder="Toutes", select_all=False)
    return list(chosen) or list(vocab.VEILLES)


def on_watch(frame: pd.DataFrame, reasons: list[str]) -> pd.Series:
    return watchlist.on_watch_list(frame, only=reasons)


def watch_table(local: pd.DataFrame, reasons: list[str], display: bool = True) -> pd.DataFrame:
    """The watch list of the territory (every obligation: near a threshold either way),
    restricted to ``reasons``, with French labels."""
    out = watchlist.watch_list(local[on_watch(local, reasons)])
    out["obligation"] = vocab.OBLIGATION.labelled(out["obligation"])
    out["type"] = vocab.TYPE.labelled(out["type"])
    out = out.drop(columns=["veille"], errors="ignore").sort_values(["departement", "nom"])
    if not display:
        return out.reset_index(drop=True)
    shown = out[[c for c in WATCH_LABELS if c in out.columns]].copy()
    for c in ("annee_population", "annee_population_autre"):   # years: labels, no « 2 023 »
        if c in shown.columns:
            shown[c] = shown[c].astype("Int64").astype("object").map(
                lambda v: "" if pd.isna(v) else str(v))
    return shown.rename(columns=WATCH_LABELS).reset_index(drop=True)
