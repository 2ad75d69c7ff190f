"""Tableau de bord odlab-compliance: `streamlit run app.py`.

The shell only: page config, the shared sidebar (territory, rule, "as of"), the data
banner, then the page chosen in the registry ``odlab_compliance/ui/navigation.py``.
"""

import logging

import streamlit as st

from odlab_compliance.ui import navigation, render, setup, shell

st.set_page_config(page_title="Open data des collectivités", page_icon=":material/public:",
                   layout="wide")
render.french_widgets()       # Streamlit's own English words, in French (ui/french.css)
setup.stop_on_bad_settings()  # a wrong ODLAB_* variable: a French error box, not a traceback

ctx = shell.base_context()
sections = navigation.build(ctx.ready)
# Streamlit's own menu is hidden: ours (shell.sidebar) carries the user's choices.
page = st.navigation(sections, position="hidden")
# After st.navigation: widgets of the entry script then keep their state across pages.
ctx = shell.sidebar(sections)
shell.banner(ctx)
st.session_state[shell.VIA_APP_KEY] = True
try:
    page.run()
except Exception:  # never a traceback for a user; the log keeps it for the maintainer
    logging.getLogger("odlab_compliance.ui").exception("erreur de page")
    st.warning("Cette page n'a pas pu s'afficher à cause d'une erreur inattendue. Le détail "
               "est dans le journal du serveur ; les autres pages restent utilisables.",
               icon=":material/report:")
finally:
    st.session_state[shell.VIA_APP_KEY] = False
