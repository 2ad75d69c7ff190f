"""Who may write (follow-up, workshops, match decisions): pure rules, no streamlit.

Reading is open to all. Writing needs an editor, in this order of precedence:

1. **OpenID Connect** (``st.login``) when the secrets file has an ``[auth]`` section
   (Streamlit's own format). Any signed-in user may write, unless ``odlab_editors``
   (a list of e-mail addresses) is set in the secrets: then only those.
2. **Editor passwords** when the secrets hold ``odlab_editor_password_hash`` (every
   territory) or ``[[odlab_editor_passwords]]`` entries (``hash`` and ``territoires``: a
   password that opens some territories only): salted PBKDF2-SHA256 hashes made with
   ``python -m odlab_compliance.auth`` (a password itself is never stored). The editor
   types their name, which the log records.
3. **Neither**: writing only when the operator asked for it with ``ODLAB_LOCAL_WRITE=1``
   (``make run``: one person on their own machine). It is never inferred from the
   listening address: behind a reverse proxy on the same host every visitor comes from
   127.0.0.1, so "listens on loopback" says nothing about who is writing.

A national deployment limits editors to territories: ``[odlab_editor_territories]``
maps an e-mail address to territory keys (``"a@pref31.gouv.fr" = ["dep:31"]``), and a
territory password carries its own. ``Decision.territories`` is then non-empty and every
write checks each collectivité against it (``territory.sirens_within``).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import os
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from odlab_compliance.territory import Territory

PASSWORD_KEY = "odlab_editor_password_hash"
PASSWORDS_KEY = "odlab_editor_passwords"
EDITORS_KEY = "odlab_editors"
TERRITORIES_KEY = "odlab_editor_territories"
OIDC_SECTION = "auth"
_SCHEME = "pbkdf2_sha256"
ITERATIONS = 600_000          # OWASP 2023 recommendation for PBKDF2-HMAC-SHA256
LOCAL_SUFFIX = " (poste local)"
CLI_SUFFIX = " (ligne de commande)"


@dataclass(frozen=True)
class TerritoryPassword:
    """A password that opens some territories only (a prefecture's own)."""

    hash: str
    territories: tuple[str, ...]


@dataclass(frozen=True)
class AuthConfig:
    oidc: bool
    password_hash: str | None
    editors: tuple[str, ...]
    local_write: bool = False
    # e-mail (lower case) -> territory keys it may edit; absent: every territory
    territories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    territory_passwords: tuple[TerritoryPassword, ...] = ()
    problems: tuple[str, ...] = ()    # French: a bad territory key in the secrets

    @property
    def mode(self) -> str:
        """'oidc', 'password', 'local' (the operator allowed local writing) or 'closed'."""
        if self.oidc:
            return "oidc"
        if self.password_hash or self.territory_passwords:
            return "password"
        return "local" if self.local_write else "closed"


@dataclass(frozen=True)
class Decision:
    can_write: bool
    editor: str | None
    reason: str        # French, shown next to disabled forms
    territories: tuple[str, ...] = ()   # territory keys the editor is limited to; () = all

    @property
    def limited(self) -> bool:
        return bool(self.territories)

    @property
    def scope(self) -> str:
        """The editor's territories as written in the log ("" when not limited)."""
        return ", ".join(self.territories)


def territory_keys(values: object, where: str) -> tuple[tuple[str, ...], list[str]]:
    """Territory keys of the secrets, checked; (keys, problems in French). A typo must
    never widen an editor's territory to France."""
    items = [values] if isinstance(values, str) else list(values or [])  # type: ignore[call-overload]
    keys, problems = [], []
    for item in items:
        try:
            t = Territory.from_cli(str(item), ("REG", "DEP", "EPCI", "COM"))
        except ValueError as exc:
            problems.append(f"{where} : {exc}")
            continue
        keys.append(t.key)
    if not items:
        problems.append(f"{where} : aucun territoire")
    return tuple(keys), problems


def config_from(secrets: Mapping, local_write: bool = False) -> AuthConfig:
    """Read the auth settings from the secrets (a mapping like ``st.secrets``) and the
    operator's ``ODLAB_LOCAL_WRITE`` setting."""
    try:
        oidc = OIDC_SECTION in secrets and bool(secrets[OIDC_SECTION])
    except Exception:  # st.secrets raises when no secrets file exists at all
        oidc = False
    password_hash = _get(secrets, PASSWORD_KEY)
    editors = _get(secrets, EDITORS_KEY) or ()
    if isinstance(editors, str):
        editors = (editors,)
    problems: list[str] = []
    territories: dict[str, tuple[str, ...]] = {}
    for email, values in dict(_get(secrets, TERRITORIES_KEY) or {}).items():
        keys, bad = territory_keys(values, f"{TERRITORIES_KEY}.{email}")
        problems += bad
        territories[str(email).strip().lower()] = keys
    passwords = []
    for i, entry in enumerate(list(_get(secrets, PASSWORDS_KEY) or []), start=1):
        keys, bad = territory_keys(entry.get("territoires"), f"{PASSWORDS_KEY} n° {i}")
        problems += bad
        if entry.get("hash"):
            passwords.append(TerritoryPassword(str(entry["hash"]), keys))
    return AuthConfig(oidc=oidc, password_hash=password_hash or None,
                      editors=tuple(e.strip().lower() for e in editors),
                      local_write=local_write, territories=territories,
                      territory_passwords=tuple(passwords), problems=tuple(problems))


def _get(secrets: Mapping, key: str) -> object:
    try:
        return secrets.get(key)
    except Exception:  # no secrets file
        return None


def secrets_files(project_root: Path) -> list[Path]:
    """Where Streamlit reads secrets from, lowest precedence first."""
    return [Path.home() / ".streamlit" / "secrets.toml",
            project_root / ".streamlit" / "secrets.toml"]


def read_secrets(paths: Sequence[Path]) -> dict:
    """The secrets files merged (later files win), for the command line."""
    out: dict = {}
    for p in paths:
        if p.is_file():
            with open(p, "rb") as fh:
                out.update(tomllib.load(fh))
    return out


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


def password_territories(cfg: AuthConfig, password: str) -> tuple[str, ...] | None:
    """The territories a password opens: () for the all-territory password, the entry's
    keys for a territory password, None for a wrong password."""
    if cfg.password_hash and verify_password(password, cfg.password_hash):
        return ()
    for entry in cfg.territory_passwords:
        if entry.territories and verify_password(password, entry.hash):
            return entry.territories
    return None


def decide(cfg: AuthConfig, *, oidc_user: Mapping | None = None,
           password_editor: str | None = None, password_territories: Sequence[str] = (),
           local_user: str | None = None) -> Decision:
    """May this session write, under which editor name, and in which territories?

    ``oidc_user``: the signed-in user's claims (``st.user``) when logged in;
    ``password_editor``: the name typed by someone who gave a right password, and
    ``password_territories`` the territories that password opens (() = all);
    ``local_user``: the name to record when the operator allowed local writing.
    """
    if cfg.problems:
        return Decision(False, None, "Écriture fermée : les secrets citent un territoire "
                                     "illisible (" + " ; ".join(cfg.problems) + ").")
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
        limited = cfg.territories.get(email, ())
        return Decision(True, name, f"Connecté en tant que {name}" + _scope_text(limited),
                        limited)
    if mode == "password":
        if password_editor and password_editor.strip():
            limited = tuple(password_territories)
            return Decision(True, password_editor.strip(),
                            f"Éditeur : {password_editor.strip()}" + _scope_text(limited),
                            limited)
        return Decision(False, None, "Saisissez le mot de passe des éditeurs pour modifier.")
    if mode == "local":
        who = (local_user or "").strip() or os_user()
        return Decision(True, f"{who}{LOCAL_SUFFIX}",
                        "Poste local : écriture autorisée par l'exploitant "
                        "(ODLAB_LOCAL_WRITE=1).")
    # Said to every visitor: a sentence, not the operator's settings or commands (those
    # are in the README, « Servir le tableau de bord »).
    return Decision(False, None,
                    "Lecture seule : ce tableau de bord n'a pas de connexion d'éditeur. "
                    "Pour modifier le suivi ou les données, demandez un accès à la personne "
                    "qui l'administre.")


def _scope_text(territories: Sequence[str]) -> str:
    return f" ; limité à : {', '.join(territories)}." if territories else "."


def os_user() -> str:
    """The operating-system user running the command (recorded as author or editor)."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container: still record something
        return "utilisateur inconnu"


def cli_editor(explicit: str | None = None) -> str:
    """Editor name recorded by CLI commands: ``--editeur`` or the system user's name."""
    return explicit.strip() if explicit and explicit.strip() else f"{os_user()}{CLI_SUFFIX}"


def cli_territories(cfg: AuthConfig, editor: str) -> tuple[str, ...]:
    """The territories an editor named on the command line is limited to (the same
    ``odlab_editor_territories`` as the dashboard); () when not limited."""
    return cfg.territories.get(editor.strip().lower(), ())


def editor_label(stored: object) -> str:
    """An editor as people read it; older logs wrote ``local:<user>`` and ``cli:<user>``."""
    text = "" if stored is None else str(stored)
    for prefix, suffix in (("local:", LOCAL_SUFFIX), ("cli:", CLI_SUFFIX)):
        if text.startswith(prefix):
            return text[len(prefix):] + suffix
    return text


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
