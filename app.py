"""Tableau de bord odlab-compliance (placeholder until the dashboard issue)."""

import streamlit as st

st.set_page_config(page_title="Open data des collectivités", layout="wide")
st.title("Open data des collectivités")
st.info("Le tableau de bord arrive bientôt. En attendant, utilisez la ligne de commande : "
        "`python -m odlab_compliance --help`.")
