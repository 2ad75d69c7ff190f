"""Who may write (follow-up, workshops, match decisions): pure rules, no streamlit.

Reading is open to all. Writing needs an editor, in this order of precedence:

1. **OpenID Connect** (``st.login``) when the secrets file has an ``[auth]`` section
   (Streamlit's own format). Any signed-in user may write, unless ``odlab_editors``
   (a list of e-mail addresses) is set in the secrets: then only those.
2. **A shared editor password** when the secrets hold ``odlab_editor_password_hash``:
   a salted PBKDF2-SHA256 hash made with ``python -m odlab_compliance.auth`` (the
   password itself is never stored). The editor types their name, which the log records.
3. **Neither**: writing is allowed only when the app listens on the loopback interface
   (``streamlit run app.py --server.address localhost``), i.e. a single user on their own
   machine; served to others without authentication, the app is read-only.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

PASSWORD_KEY = "odlab_editor_password_hash"
EDITORS_KEY = "odlab_editors"
OIDC_SECTION = "auth"
_SCHEME = "pbkdf2_sha256"
ITERATIONS = 600_000          # OWASP 2023 recommendation for PBKDF2-HMAC-SHA256
_LOCAL_ADDRESSES = ("localhost", "::1", "[::1]")


@dataclass(frozen=True)
class AuthConfig:
    oidc: bool
    password_hash: str | None
    editors: tuple[str, ...]
    server_address: str | None

    @property
    def mode(self) -> str:
        """'oidc', 'password', 'local' (loopback, no auth needed) or 'closed' (read-only)."""
        if self.oidc:
            return "oidc"
        if self.password_hash:
            return "password"
        return "local" if is_local_address(self.server_address) else "closed"


@dataclass(frozen=True)
class Decision:
    can_write: bool
    editor: str | None
    reason: str        # French, shown next to disabled forms


def is_local_address(address: str | None) -> bool:
    """Whether the server listens on loopback only (unset means every interface)."""
    if not address:
        return False
    a = address.strip().lower()
    return a in _LOCAL_ADDRESSES or a.startswith("127.")


def config_from(secrets: Mapping, server_address: str | None) -> AuthConfig:
    """Read the auth settings from the secrets (a mapping like ``st.secrets``)."""
    try:
        oidc = OIDC_SECTION in secrets and bool(secrets[OIDC_SECTION])
    except Exception:  # st.secrets raises when no secrets file exists at all
        oidc = False
    password_hash = _get(secrets, PASSWORD_KEY)
    editors = _get(secrets, EDITORS_KEY) or ()
    if isinstance(editors, str):
        editors = (editors,)
    return AuthConfig(oidc=oidc, password_hash=password_hash or None,
                      editors=tuple(e.strip().lower() for e in editors),
                      server_address=server_address)


def _get(secrets: Mapping, key: str) -> object:
    try:
        return secrets.get(key)
    except Exception:  # no secrets file
        return None


def hash_password(password: str, *, salt: bytes | None = None,
                  iterations: int = ITERATIONS) -> str:
    """``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`` for the secrets file."""
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    b64 = base64.b64encode
    return f"{_SCHEME}${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of a password against ``hash_password``'s output."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(digest)
        got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"),
                                  base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def decide(cfg: AuthConfig, *, oidc_user: Mapping | None = None,
           password_editor: str | None = None, local_user: str | None = None) -> Decision:
    """May this session write, and under which editor name?

    ``oidc_user``: the signed-in user's claims (``st.user``) when logged in;
    ``password_editor``: the name typed by someone who gave the right password;
    ``local_user``: the name to record in loopback mode.
    """
    mode = cfg.mode
    if mode == "oidc":
        if not oidc_user:
            return Decision(False, None, "Connectez-vous pour modifier le suivi.")
        email = str(oidc_user.get("email") or "").strip().lower()
        name = email or str(oidc_user.get("name") or oidc_user.get("sub") or "").strip()
        if not name:
            return Decision(False, None, "Compte sans adresse e-mail : écriture impossible.")
        if cfg.editors and email not in cfg.editors:
            return Decision(False, None,
                            f"Le compte {name} peut lire mais n'est pas éditeur.")
        return Decision(True, name, f"Connecté en tant que {name}.")
    if mode == "password":
        if password_editor and password_editor.strip():
            return Decision(True, password_editor.strip(),
                            f"Éditeur : {password_editor.strip()}.")
        return Decision(False, None, "Saisissez le mot de passe des éditeurs pour modifier.")
    if mode == "local":
        who = (local_user or "").strip() or os_user()
        return Decision(True, f"local:{who}", "Application locale : écriture autorisée.")
    return Decision(False, None,
                    "Lecture seule : l'application est servie sans authentification "
                    "(configurez [auth] ou un mot de passe d'éditeur dans les secrets).")


def os_user() -> str:
    """The operating-system user running the command (recorded as author or editor)."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container: still record something
        return "utilisateur inconnu"


def cli_editor(explicit: str | None = None) -> str:
    """Editor name recorded by CLI commands: ``--editeur`` or ``cli:<os user>``."""
    return explicit.strip() if explicit and explicit.strip() else f"cli:{os_user()}"


def main() -> int:
    """``python -m odlab_compliance.auth``: prints the line to paste into secrets.toml."""
    first = getpass.getpass("Mot de passe des éditeurs : ")
    if len(first) < 10:
        print("Mot de passe trop court (10 caractères au moins).", file=sys.stderr)
        return 2
    if getpass.getpass("Confirmez : ") != first:
        print("Les deux saisies diffèrent.", file=sys.stderr)
        return 2
    print(f'{PASSWORD_KEY} = "{hash_password(first)}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
