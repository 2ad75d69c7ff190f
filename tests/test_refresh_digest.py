"""`digest send` to each editor over a real SMTP server, `--output`, and `refresh`: one
journal row per step, a failed step does not stop the others, the exit code adds the
failed steps."""

from __future__ import annotations

from datetime import date

from odlab_compliance import db
from odlab_compliance.cli import build_parser, main, refresh
from tests.fixtures import annuaire
from tests.fixtures.dashboard import build_db
from tests.httpserver import Reply
from tests.smtpserver import SmtpServer
from tests.test_mailing import secrets_text

EDITORS = """
[odlab_editor_territories]
"agent@haute-garonne.gouv.fr" = ["dep:31"]
"agent@ariege.gouv.fr" = ["dep:09"]
"""


def _secrets(tmp_path, port: int):
    path = tmp_path / "secrets.toml"
    text = secrets_text(port).split("[odlab_editor_territories]")[0] + EDITORS
    path.write_text(text, encoding="utf-8")
    return path


def test_digest_goes_to_each_editor_for_their_territory(settings, tmp_path, capsys):
    build_db.build(settings)
    smtp = SmtpServer().start()
    try:
        secrets = _secrets(tmp_path, smtp.port)
        assert main(["digest", "send", "--secrets", str(secrets)]) == 0
        got = {m["To"]: m for _, _, m in smtp.messages}
    finally:
        smtp.stop()
    assert set(got) == {"agent@haute-garonne.gouv.fr", "agent@ariege.gouv.fr"}
    hg = got["agent@haute-garonne.gouv.fr"]
    assert hg["Subject"].startswith("Mes actions de la semaine · Haute-Garonne : ")
    body = hg.get_content()
    assert "Données de plus de 12 mois (1)" in body and "Colomiers" in body
    assert "Foix" not in body
    assert "Colomiers" not in got["agent@ariege.gouv.fr"].get_content()
    out = tmp_path / "digest.txt"
    assert main(["digest", "send", "--secrets", str(secrets), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Pour : agent@ariege.gouv.fr" in text and "Objet : Mes actions de la semaine" in text


def test_refresh_journals_each_step_and_says_which_failed(settings, server, monkeypatch,
                                                          tmp_path, capsys):
    build_db.build(settings)
    server.add(annuaire.PATH, Reply.json(annuaire.for_reference(build_db.reference_rows())),
               Reply(500, b"panne"))
    monkeypatch.setenv("ODLAB_BASE_URL_ANNUAIRE", server.url)
    smtp = SmtpServer().start()
    secrets = _secrets(tmp_path, smtp.port)
    monday = date(2026, 12, 7)
    args = build_parser().parse_args(["refresh", "--etapes", "contacts,validite,digest",
                                      "--secrets", str(secrets)])
    try:
        assert refresh._refresh(args, clock=lambda: monday) == 0
        assert len(smtp.messages) == 2          # the digest went out on Monday
        # second night: the Annuaire is down, a Tuesday (no digest)
        assert refresh._refresh(args, clock=lambda: date(2026, 12, 8)) == \
            refresh.STEP_BITS["contacts"]
        assert len(smtp.messages) == 2
    finally:
        smtp.stop()
    with db.connect(settings) as con:
        rows = con.execute("SELECT passage, etape, etat, message FROM refresh_step "
                           "ORDER BY id").fetchall()
    assert [(r[1], r[2]) for r in rows] == [
        ("contacts", "reussi"), ("validite", "reussi"), ("digest", "reussi"),
        ("contacts", "echec"), ("validite", "reussi"), ("digest", "ignore")]
    assert len({r[0] for r in rows}) == 2                     # two runs
    assert "Annuaire de l'administration" in rows[3][3]        # why it failed
    assert rows[5][3] == "envoyé le lundi"
    assert main(["refresh", "--journal"]) == 0
    assert "contacts\ten échec" in capsys.readouterr().out


def test_refresh_refuses_an_unknown_step(settings, capsys):
    assert main(["refresh", "--etapes", "moissonnage,cafe"]) == 2
    assert "étape(s) inconnue(s) : cafe" in capsys.readouterr().err
