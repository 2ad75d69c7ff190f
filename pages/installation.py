"""Premier lancement: builds the reference data and the Observatoire history."""

import streamlit as st

from odlab_compliance.ingest.sources import vintages
from odlab_compliance.ui import cache, navigation, render, setup, shell, sources_view

ctx = shell.context()
st.title("Premier lancement")
info = cache.db_info(ctx.sig)
if ctx.ready:
    st.success(f"La base contient le référentiel {', '.join(map(str, info['vintages']))} et "
               f"{info['snapshots']} collecte(s) ou édition(s) de l'Observatoire. Vous pouvez "
               "la reconstruire ci-dessous (les saisies des utilisateurs sont conservées).")
else:
    st.info("La base de données est vide. Construisez-la : le référentiel des collectivités "
            "(communes, intercommunalités, départements, régions, contours) et l'historique "
            "de l'Observatoire open data des territoires, depuis les sources officielles.")
if ctx.settings.mirror_dir:
    st.caption("Les fichiers seront lus dans le miroir hors ligne : "
               f"{render.md_escape(str(ctx.settings.mirror_dir))}")
else:
    st.caption("Les fichiers seront téléchargés depuis les sites officiels (accès internet "
               "nécessaire, ou réglez ODLAB_MIRROR_DIR vers un miroir).")

with st.expander("État des sources officielles", expanded=not ctx.ready):
    sources_view.render_check(ctx.settings, "installation_sources")

known = sorted(vintages(), reverse=True)
chosen = st.multiselect("Millésimes du référentiel", known, default=known[:1],
                        key="setup_vintages")
history = st.checkbox("Importer l'historique de l'Observatoire (éditions 2021 et 2022)",
                      value=True, key="setup_observatoire")
online = not ctx.settings.mirror_dir
agents = st.checkbox("Lire les effectifs des collectivités (API Recherche d'entreprises : "
                     "tranche Sirene de chaque collectivité dont l'effectif peut décider)",
                     value=online, disabled=not online, key="setup_agents",
                     help="Sans effectifs, la loi (3 500 habitants ET 50 agents) ne peut pas "
                          "conclure : les effectifs manquants sont alors présumés, et les "
                          "pages le disent." + ("" if online else " Indisponible hors ligne : "
                          "importez un stock Sirene avec `agents import`."))
if st.session_state.pop("setup_done", False):
    st.success("C'est prêt : la base est construite. Le menu de gauche donne maintenant "
               "accès à toutes les pages.", icon=":material/check_circle:")
    st.page_link(navigation.page_for(navigation.spec("vue-ensemble")),
                 label="Ouvrir la vue d'ensemble", icon=":material/dashboard:",
                 query_params=shell.shared_params(ctx))
if st.button("Construire la base", type="primary", key="setup_go", disabled=not chosen):
    if setup.build(ctx.settings, sorted(chosen, reverse=True), history, agents and online):
        # Run the app again: the menu then lists every page and the notices of an empty
        # base disappear, without the person having to reload.
        st.session_state["setup_done"] = True
        st.rerun()
