"""Premier lancement: builds the reference data and the Observatoire history; for an
editor, the remedies too (start a harvest, import the prefecture's staff counts).

Building rewrites the database and reveals where the server reads its files: editors
only (or ODLAB_LOCAL_WRITE=1). A reader is told what the data is and who to ask."""

import streamlit as st

from odlab_compliance.fmt import nombre
from odlab_compliance.ingest.sources import vintages
from odlab_compliance.ui import auth as ui_auth
from odlab_compliance.ui import cache, navigation, remedies, render, setup, shell, sources_view

ctx = shell.context()
st.title("Premier lancement")
decision = ui_auth.editor_box("setup")
info = cache.db_info(ctx.sig)
if ctx.ready:
    described = (f"La base contient le référentiel des collectivités "
                 f"{', '.join(map(str, info['vintages']))} et {nombre(info['snapshots'])} "
                 "collecte(s) ou édition(s) de l'Observatoire open data des territoires, "
                 "obtenus des sources officielles (voir « Méthode et sources »).")
else:
    described = ("La base de données est vide. Une fois construite, elle contient le "
                 "référentiel des collectivités (communes, intercommunalités, départements, "
                 "régions, contours) et l'historique de l'Observatoire open data des "
                 "territoires, depuis les sources officielles.")

if not decision.can_write:
    # A reader: what the data is and who to ask; never the build, never a server path.
    st.info(f"{described}\n\nSeul un éditeur peut construire ou reconstruire la base, "
            f"lancer une collecte ou importer des effectifs : "
            f"{remedies.who_to_ask(ctx.settings)}.", icon=":material/lock:")
    st.stop()
if decision.limited:
    # Building and harvesting change every territory: not for an editor limited to some.
    st.info(f"{described}\n\nVotre accès est limité à {decision.scope} : construire la "
            "base et lancer une collecte concernent tout le pays ; pour cela, "
            f"{remedies.who_to_ask(ctx.settings)}. Vous pouvez importer les effectifs de "
            "votre territoire ci-dessous.", icon=":material/lock:")
    if ctx.ready:
        remedies.agents_section(ctx.settings, decision, "setup",
                                dict(zip(ctx.ref["siren"].astype(str),
                                         ctx.ref["nom"].astype(str), strict=False)),
                                ui_auth.allowed(decision, ctx.ref))
    st.stop()

if ctx.ready:
    st.success(f"{described} Vous pouvez la reconstruire ci-dessous (les saisies des "
               "utilisateurs sont conservées).")
else:
    st.info(described)
if ctx.settings.mirror_dir:
    st.caption("Les fichiers seront lus dans le miroir hors ligne : "
               f"{render.md_escape(str(ctx.settings.mirror_dir))}")
else:
    st.caption("Les fichiers seront téléchargés depuis les sites officiels (accès internet "
               "nécessaire, ou réglez ODLAB_MIRROR_DIR vers un miroir).")

with st.expander("État des sources officielles", expanded=not ctx.ready):
    sources_view.render_check(ctx.settings, "installation_sources")

known = sorted(vintages(), reverse=True)
chosen = st.multiselect("Millésimes du référentiel", known,
                        default=setup.default_vintages(known), key="setup_vintages",
                        select_all=False,
                        help="Le plus récent, et celui qui juge chaque édition de "
                             "l'Observatoire (le dernier millésime de son année ou avant).")
history = st.checkbox("Importer l'historique de l'Observatoire (éditions 2021 et 2022)",
                      value=True, key="setup_observatoire")
online = not ctx.settings.mirror_dir
agents = st.checkbox("Lire les effectifs des collectivités (API Recherche d'entreprises : "
                     "tranche Sirene de chaque collectivité dont l'effectif peut décider)",
                     value=online, disabled=not online, key="setup_agents",
                     help="Sans effectifs, la loi (3 500 habitants ET 50 agents) ne peut pas "
                          "conclure : les effectifs manquants sont alors présumés, et les "
                          "pages le disent." + ("" if online else " Indisponible hors ligne : "
                          "importez le fichier d'effectifs de la préfecture ci-dessous."))
if st.session_state.pop("setup_done", False):
    st.success("C'est prêt : la base est construite. Le menu de gauche donne maintenant "
               "accès à toutes les pages.", icon=":material/check_circle:")
    st.page_link(navigation.page_for(navigation.spec("vue-ensemble")),
                 label="Ouvrir la vue d'ensemble", icon=":material/dashboard:",
                 query_params=shell.shared_params(ctx))
if st.button("Construire la base", type="primary", key="setup_go", disabled=not chosen):
    # Checked again at the click: a hidden button is not a barrier.
    again = ui_auth.decision()
    if not again.can_write or again.limited:
        st.error(again.reason)
    elif setup.build(ctx.settings, sorted(chosen, reverse=True), history, agents and online):
        # Run the app again: the menu then lists every page and the notices of an empty
        # base disappear, without the person having to reload.
        st.session_state["setup_done"] = True
        st.rerun()

if ctx.ready:
    st.subheader("Rafraîchir les données")
    remedies.harvest_section(ctx.settings, decision, "setup")
    st.subheader("Importer des effectifs")
    st.caption("Le fichier d'effectifs de la préfecture (une ligne par collectivité : "
               "siren;agents;annee;source ; la page « Suivi » en donne un modèle pour les "
               "collectivités dont l'effectif manque). Il est vérifié en entier avant "
               "d'écrire : au moindre problème, rien n'est enregistré.")
    names = dict(zip(ctx.ref["siren"].astype(str), ctx.ref["nom"].astype(str), strict=False))
    remedies.agents_section(ctx.settings, decision, "setup", names)
