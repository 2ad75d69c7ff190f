"""The « État des sources » table of the first-run and Méthode pages (``sources check``).

Checking asks every official host (or reads every mirror file): a few seconds, so it
runs when the person asks, and the result stays in the session."""

from __future__ import annotations

import streamlit as st

from odlab_compliance.config import Settings
from odlab_compliance.ingest.source_check import check_all
from odlab_compliance.present import sources_check
from odlab_compliance.ui import render

HELP = ("Chaque source officielle : répond-elle, son format est-il celui qu'attend le projet, "
        "son millésime, sa taille et sa date. C'est aussi la commande "
        "« python -m odlab_compliance sources check ».")


def render_check(settings: Settings, key: str) -> None:
    """A button that checks every source, then the table and what to do."""
    where = "le dossier miroir" if settings.mirror_dir else "les sites officiels"
    if st.button(f"Vérifier les sources ({where})", key=f"{key}_go", help=HELP):
        with st.spinner("Interrogation des sources officielles…"):
            st.session_state[f"{key}_checks"] = check_all(settings)
    checks = st.session_state.get(f"{key}_checks")
    if not checks:
        return
    summary = sources_check.summary(checks, by_title=True)
    if any(c.failed for c in checks):
        st.error(summary, icon=":material/error:")
    elif any(c.fallback or not c.answers for c in checks):
        st.warning(summary, icon=":material/warning:")
    else:
        st.success(summary, icon=":material/check_circle:")
    shown = sources_check.table(checks).drop(columns="Identifiant")
    render.table(shown, key=f"{key}_table", links=("Adresse",))
    render.downloads(shown, "etat-des-sources", key=f"{key}_dl")
