"""The dashboard's package code: the only place (with ``app.py`` and ``pages/``) that
imports streamlit. ``queries`` is plain Python."""
