"""Carte: France (régions or départements by rate, obliged communes as points) or one
département (commune polygons by status, EPCI outlines). A click opens the sheet."""

import streamlit as st

from odlab_compliance import territory as terr
from odlab_compliance.fmt import fold
from odlab_compliance.ui import map_view, notices, render, selection, shell, tables

ctx = shell.context()
st.title(f"Carte · {ctx.territory_name}")

at = selection.selection(ctx)
if at is None:
    st.stop()

t = ctx.territory
notices.no_agents_notice(at.figures)
basemap = st.toggle("Fond de carte OpenStreetMap (nécessite internet dans le navigateur)",
                    key="carte_basemap", value=ctx.settings.map_basemap,
                    help="Sans fond de carte, la carte s'affiche même hors ligne.")

if t.level in ("FR", "REG"):
    level = "DEP" if t.level == "REG" else st.radio(
        "Colorier par", ["REG", "DEP"], key="carte_level", horizontal=True,
        format_func=lambda v: {"REG": "Régions", "DEP": "Départements"}[v])
    st.caption("Couleur des zones : taux de publication des collectivités obligées. Points : "
               "communes obligées, colorées selon leur statut (survolez-les pour leur nom). "
               "Cliquez sur une zone, ou sur un point, pour détailler la zone ; la fiche "
               "d'une commune s'ouvre depuis la carte d'un département."
               + (" Les régions d'outre-mer se choisissent dans le menu de gauche."
                  if t.level == "FR" else ""))
    with render.guard("la carte"):
        fig, rates = map_view.shown_map(ctx, "rate", level, basemap)
        map_view.map_with_selection(fig, "carte_france", level, set(rates["code"]))
        ordered = rates.dropna(subset=["obligees"]).sort_values(
            "nom", key=lambda s: s.astype(str).map(fold))   # « Île-de-France » among the I
        render.table(tables.ranking_table(ordered), key="carte_rates")
        render.downloads(tables.ranking_table(ordered, display=False), ctx.file_stem("taux", level),
                         key="carte_rates_dl")
else:
    dep = terr.lineage(ctx.ref, t).get("DEP")
    if not dep:
        st.info("Choisissez un département dans le menu de gauche.")
        st.stop()
    colour = st.radio("Colorier les communes par", ["communes", "grades"], key="carte_colour",
                      horizontal=True, format_func=lambda v: {
                          "communes": "Statut de publication",
                          "grades": "Note de publication (A à E)"}[v])
    what = "leur statut" if colour == "communes" else "leur note de publication (page Méthode)"
    st.caption(f"Communes colorées selon {what} (les communes non obligées en gris clair) ; "
               "traits noirs : limites des intercommunalités. Cliquez sur une commune pour "
               "ouvrir sa fiche.")
    with render.guard("la carte du département"):
        fig, communes = map_view.shown_map(ctx, colour, dep, basemap)
        map_view.map_with_selection(fig, "carte_dep")
        tables.show_list(tables.obliged_list(communes), at.snapshot,
                         ctx.file_stem("communes", dep), key="carte_communes", height=320)
