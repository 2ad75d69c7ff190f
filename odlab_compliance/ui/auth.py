"""Who may write, in the dashboard: the sign-in box and the decision every write checks.

The rules are in ``odlab_compliance.auth`` (pure). Here: read the secrets and the
operator's ``ODLAB_LOCAL_WRITE`` setting (never the listening address), show "Se
connecter" (OIDC) or the editor password form, and keep the password editor's name and
territories in the session. Every page that writes calls ``decision()`` and checks
``can_write`` — and, for an editor limited to territories, each collectivité written —
again when the form is submitted, so a disabled widget is never the only barrier.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from odlab_compliance import auth
from odlab_compliance.config import load_settings
from odlab_compliance.territory import sirens_within

SESSION_EDITOR = "auth_password_editor"
SESSION_TERRITORIES = "auth_password_territories"


def config() -> auth.AuthConfig:
    return auth.config_from(st.secrets, load_settings().local_write)


def _oidc_user() -> dict | None:
    try:
        if st.user.is_logged_in:
            return st.user.to_dict()
    except Exception:  # st.user without an [auth] section or outside a server
        return None
    return None


def decision(cfg: auth.AuthConfig | None = None) -> auth.Decision:
    cfg = cfg or config()
    return auth.decide(cfg, oidc_user=_oidc_user(),
                       password_editor=st.session_state.get(SESSION_EDITOR),
                       password_territories=st.session_state.get(SESSION_TERRITORIES, ()))


def allowed(d: auth.Decision, ref: pd.DataFrame) -> set[str] | None:
    """The SIRENs this editor may write for; None when not limited to territories."""
    return sirens_within(ref, d.territories) if d.limited else None


def may_edit(d: auth.Decision, ref: pd.DataFrame, sirens: list[str] | set[str]) -> bool:
    """Whether the editor may write for every one of ``sirens``."""
    if not d.can_write:
        return False
    scope = allowed(d, ref)
    return scope is None or set(map(str, sirens)) <= scope


def editor_box(key: str) -> auth.Decision:
    """The sign-in state and controls, in an expander at the top of a writing page."""
    cfg = config()
    d = decision(cfg)
    label = ("Modification : " + (d.editor or "")) if d.can_write else "Lecture seule"
    if d.limited:
        label += f" ({d.scope})"
    with st.expander(label, expanded=not d.can_write and cfg.mode != "closed",
                     icon=":material/lock_open:" if d.can_write else ":material/lock:"):
        st.caption(d.reason)
        if cfg.mode == "oidc":
            if _oidc_user():
                st.button("Se déconnecter", key=f"{key}_logout", on_click=st.logout)
            else:
                st.button("Se connecter", key=f"{key}_login", on_click=st.login)
        elif cfg.mode == "password":
            if d.can_write:
                if st.button("Se déconnecter", key=f"{key}_logout"):
                    st.session_state.pop(SESSION_EDITOR, None)
                    st.session_state.pop(SESSION_TERRITORIES, None)
                    st.rerun()
            else:
                _password_form(cfg, key)
    return d


def _password_form(cfg: auth.AuthConfig, key: str) -> None:
    with st.form(f"{key}_login_form", enter_to_submit=False):
        name = st.text_input("Votre nom (inscrit au journal)", key=f"{key}_login_name")
        password = st.text_input("Mot de passe des éditeurs", type="password",
                                 key=f"{key}_login_password")
        if st.form_submit_button("Se connecter"):
            territories = auth.password_territories(cfg, password)
            if not name.strip():
                st.error("Indiquez votre nom : il est inscrit au journal.")
            elif territories is None:
                st.error("Mot de passe incorrect.")
            else:
                st.session_state[SESSION_EDITOR] = name.strip()
                st.session_state[SESSION_TERRITORIES] = territories
                st.rerun()
