"""The dashboard's package code: the only place (with ``app.py`` and ``pages/``) that
imports streamlit. ``sheet`` and ``queries`` and ``layers`` are plain Python."""
