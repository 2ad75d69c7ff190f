"""Rapprochements à vérifier (editors): the proposed publisher -> collectivité matches that
do not count until someone confirms them; one click to confirm or reject."""

import streamlit as st

from odlab_compliance.ui import auth as ui_auth
from odlab_compliance.ui import matching_view, shell

ctx = shell.context()
st.title("Rapprochements")
decision = ui_auth.editor_box("rappr")
st.markdown("Un rapprochement proposé avec un score sous le seuil, ou signalé (SIRET qui ne "
            "correspond pas au nom, organisme qui n'est pas une collectivité, homonymes, "
            "nom seulement approchant…), **ne compte pas** tant qu'il n'est pas confirmé. "
            "La décision vaut pour toutes les sources et tous les instantanés, y compris les "
            "éditions de l'Observatoire, et survit aux collectes suivantes.")
matching_view.review_list(ctx, decision)
