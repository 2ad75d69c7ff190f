"""Who may write: OIDC, hashed editor password, loopback only, else read-only."""

from __future__ import annotations

import pytest

from odlab_compliance import auth

FAST = auth.hash_password("correct horse battery", iterations=1000)


def test_hash_and_verify():
    assert FAST.startswith("pbkdf2_sha256$1000$")
    assert auth.verify_password("correct horse battery", FAST)
    assert not auth.verify_password("wrong", FAST)
    assert not auth.verify_password("x", "garbage")
    assert auth.hash_password("a", iterations=10) != auth.hash_password("a", iterations=10)


@pytest.mark.parametrize("address, local", [
    (None, False), ("", False), ("0.0.0.0", False), ("192.168.1.4", False),
    ("localhost", True), ("127.0.0.1", True), ("::1", True)])
def test_local_address(address, local):
    assert auth.is_local_address(address) is local


def test_modes_and_precedence():
    assert auth.config_from({}, None).mode == "closed"
    assert auth.config_from({}, "127.0.0.1").mode == "local"
    assert auth.config_from({auth.PASSWORD_KEY: FAST}, "127.0.0.1").mode == "password"
    both = {auth.PASSWORD_KEY: FAST, "auth": {"client_id": "x"}}
    assert auth.config_from(both, None).mode == "oidc"


def test_decisions():
    closed = auth.config_from({}, "0.0.0.0")
    assert not auth.decide(closed, local_user="bob").can_write
    local = auth.decide(auth.config_from({}, "localhost"), local_user="bob")
    assert local.can_write and local.editor == "local:bob"
    pw = auth.config_from({auth.PASSWORD_KEY: FAST}, None)
    assert not auth.decide(pw).can_write
    assert auth.decide(pw, password_editor="Alice").editor == "Alice"
    oidc = auth.config_from({"auth": {"client_id": "x"}, auth.EDITORS_KEY: ["A@pref.fr"]}, None)
    assert not auth.decide(oidc).can_write
    assert auth.decide(oidc, oidc_user={"email": "a@pref.fr"}).editor == "a@pref.fr"
    refused = auth.decide(oidc, oidc_user={"email": "b@x.fr"})
    assert not refused.can_write and "pas éditeur" in refused.reason
    open_oidc = auth.config_from({"auth": {"client_id": "x"}}, None)
    assert auth.decide(open_oidc, oidc_user={"email": "b@x.fr"}).can_write


def test_cli_editor(monkeypatch):
    assert auth.cli_editor("Alice") == "Alice"
    assert auth.cli_editor(None).startswith("cli:")


def test_main_prints_the_secrets_line(monkeypatch, capsys):
    answers = iter(["un mot de passe long", "un mot de passe long"])
    monkeypatch.setattr(auth.getpass, "getpass", lambda prompt="": next(answers))
    assert auth.main() == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f'{auth.PASSWORD_KEY} = "pbkdf2_sha256$')
    stored = line.split('"')[1]
    assert auth.verify_password("un mot de passe long", stored)
    monkeypatch.setattr(auth.getpass, "getpass", lambda prompt="": "court")
    assert auth.main() == 2
