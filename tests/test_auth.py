"""Who may write: OIDC, hashed editor passwords, local writing only when the operator set
ODLAB_LOCAL_WRITE (never inferred from the listening address), else read-only; editors
limited to territories."""

from __future__ import annotations

from odlab_compliance import auth

FAST = auth.hash_password("correct horse battery", iterations=1000)


def test_hash_and_verify():
    assert FAST.startswith("pbkdf2_sha256$1000$")
    assert auth.verify_password("correct horse battery", FAST)
    assert not auth.verify_password("wrong", FAST)
    assert not auth.verify_password("x", "garbage")
    assert auth.hash_password("a", iterations=10) != auth.hash_password("a", iterations=10)


def test_modes_and_precedence():
    assert auth.config_from({}).mode == "closed"
    assert auth.config_from({}, local_write=True).mode == "local"
    assert auth.config_from({auth.PASSWORD_KEY: FAST}, local_write=True).mode == "password"
    both = {auth.PASSWORD_KEY: FAST, "auth": {"client_id": "x"}}
    assert auth.config_from(both).mode == "oidc"


def test_the_listening_address_never_opens_writing(monkeypatch):
    """Behind a reverse proxy on the same host every visitor comes from 127.0.0.1: the
    address says nothing. Only the operator's setting opens local writing."""
    from odlab_compliance.config import load_settings

    assert not hasattr(auth, "is_local_address")
    assert load_settings({}).local_write is False
    assert load_settings({"ODLAB_LOCAL_WRITE": "1"}).local_write is True
    closed = auth.decide(auth.config_from({}, local_write=load_settings({}).local_write))
    assert not closed.can_write and "Lecture seule" in closed.reason


def test_decisions():
    closed = auth.config_from({})
    assert not auth.decide(closed, local_user="bob").can_write
    local = auth.decide(auth.config_from({}, local_write=True), local_user="bob")
    assert local.can_write and local.editor == "bob (poste local)"
    pw = auth.config_from({auth.PASSWORD_KEY: FAST})
    assert not auth.decide(pw).can_write
    assert auth.decide(pw, password_editor="Alice").editor == "Alice"
    oidc = auth.config_from({"auth": {"client_id": "x"}, auth.EDITORS_KEY: ["A@pref.fr"]})
    assert not auth.decide(oidc).can_write
    assert auth.decide(oidc, oidc_user={"email": "a@pref.fr"}).editor == "a@pref.fr"
    refused = auth.decide(oidc, oidc_user={"email": "b@x.fr"})
    assert not refused.can_write and "pas éditeur" in refused.reason
    open_oidc = auth.config_from({"auth": {"client_id": "x"}})
    assert auth.decide(open_oidc, oidc_user={"email": "b@x.fr"}).can_write


def test_territories_of_editors():
    secrets = {"auth": {"client_id": "x"},
               auth.TERRITORIES_KEY: {"Agent@Pref31.gouv.fr": ["dep:31"],
                                      "region@pref.gouv.fr": ["reg:76", "dep:2A"]}}
    cfg = auth.config_from(secrets)
    d = auth.decide(cfg, oidc_user={"email": "agent@pref31.gouv.fr"})
    assert d.can_write and d.territories == ("dep:31",) and "limité à : dep:31" in d.reason
    assert auth.decide(cfg, oidc_user={"email": "region@pref.gouv.fr"}).scope == \
        "reg:76, dep:2A"
    assert not auth.decide(cfg, oidc_user={"email": "x@y.fr"}).limited
    # a typo never widens a territory to France: writing closes, with the reason
    bad = auth.config_from({**secrets, auth.TERRITORIES_KEY: {"a@b.fr": ["dept31"]}})
    refused = auth.decide(bad, oidc_user={"email": "a@b.fr"})
    assert not refused.can_write and "dept31" in refused.reason
    # a territory password opens its territories only, the shared one everything
    hash31 = auth.hash_password("mot de passe 31", iterations=1000)
    pw = auth.config_from({auth.PASSWORD_KEY: FAST, auth.PASSWORDS_KEY: [
        {"hash": hash31, "territoires": ["dep:31"]}]})
    assert auth.password_territories(pw, "mot de passe 31") == ("dep:31",)
    assert auth.password_territories(pw, "correct horse battery") == ()
    assert auth.password_territories(pw, "faux") is None
    assert auth.decide(pw, password_editor="Léa", password_territories=("dep:31",)).scope \
        == "dep:31"
    only31 = auth.config_from({auth.PASSWORDS_KEY: [{"hash": hash31,
                                                      "territoires": ["dep:31"]}]})
    assert only31.mode == "password"


def test_cli_editor(monkeypatch):
    assert auth.cli_editor("Alice") == "Alice"
    assert auth.cli_editor(None).endswith(" (ligne de commande)")
    assert auth.editor_label("local:root") == "root (poste local)"
    assert auth.editor_label("cli:root") == "root (ligne de commande)"
    assert auth.editor_label("a@pref.fr") == "a@pref.fr"


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
