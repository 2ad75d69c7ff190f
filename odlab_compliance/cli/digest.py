"""`digest send`: « Mes actions de la semaine » by e-mail to each editor, for their
territories (``odlab_editor_territories`` of the secrets); ``--output`` writes it to a
file instead."""

from __future__ import annotations

import argparse
import sys
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, make_msgid
from pathlib import Path

from odlab_compliance import auth, db
from odlab_compliance.cli.followup import territory_arg
from odlab_compliance.config import PROJECT_ROOT, load_settings
from odlab_compliance.errors import InputError
from odlab_compliance.model.status import StatusModel
from odlab_compliance.outreach import mailing
from odlab_compliance.outreach.letters import Sender
from odlab_compliance.present import digest
from odlab_compliance.territory import Territory


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("digest", help="« Mes actions de la semaine » par courriel.",
                       description="Envoie à chaque éditeur (odlab_editor_territories et "
                                   "odlab_editors des secrets) ses actions de la semaine pour "
                                   "ses territoires : actions de suivi dues, régressions, "
                                   "données anciennes, nouvelles collectivités qui publient.")
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    d = s.add_parser("send", help="Envoie (ou écrit avec --output) le digest de la semaine.")
    d.add_argument("--rule", default="legal", help="règle d'obligation (défaut : legal)")
    d.add_argument("--territory", default="fr", metavar="TERRITOIRE",
                   help="territoire des éditeurs sans limite (défaut : fr)")
    d.add_argument("--output", "-o", metavar="FICHIER",
                   help="écrit les digests dans ce fichier texte au lieu de les envoyer")
    d.add_argument("--lien", default="", help="adresse du tableau de bord, citée en fin")
    d.add_argument("--secrets", type=Path, metavar="FICHIER",
                   help="fichier des secrets (défaut : ceux du projet)")
    d.set_defaults(func=_send)


def recipients(sec: dict, default: str) -> list[tuple[str, tuple[str, ...]]]:
    """(e-mail, territory keys) of every editor with an address: limited editors with
    their territories, the others with ``default``."""
    cfg = auth.config_from(sec)
    if cfg.problems:
        raise InputError("secrets", "territoire illisible : " + " ; ".join(cfg.problems))
    out = dict(cfg.territories)
    for email in cfg.editors:
        out.setdefault(email, (default,))
    return [(e, keys) for e, keys in sorted(out.items()) if "@" in e]


def _name(con, key: str) -> str:  # noqa: ANN001
    from odlab_compliance.territory import name_of

    ref = con.execute(db.sql("contacts_reference")).df()
    terr = con.execute("SELECT niveau, code, nom FROM ref_territoire "
                       "QUALIFY row_number() OVER (PARTITION BY niveau, code "
                       "ORDER BY vintage DESC) = 1").df()
    try:
        return name_of(ref, terr, Territory.parse(key))
    except Exception:  # a name is a courtesy; the key always says where
        return key


def _send(args: argparse.Namespace) -> int:
    from odlab_compliance.cli.mail import secrets as read_secrets

    sec = read_secrets(args) if args.secrets else auth.read_secrets(
        auth.secrets_files(PROJECT_ROOT))
    default = territory_arg(args.territory).key
    people = recipients(sec, default)
    if not people and args.output:
        people = [("", (default,))]
    if not people:
        raise InputError("secrets", "aucun éditeur avec une adresse électronique "
                                    "(odlab_editor_territories ou odlab_editors)")
    messages = []
    with db.connect(load_settings()) as con:
        model = StatusModel.from_connection(con)
        for email, keys in people:
            for key in keys:
                t = Territory.parse(key)
                week = digest.week_for(con, model, args.rule, t, _name(con, key))
                messages.append((email, digest.subject(week), digest.text(week, args.lien)))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            for email, subj, body in messages:
                fh.write((f"Pour : {email}\n" if email else "") + f"Objet : {subj}\n\n{body}\n")
        print(f"{args.output} : {len(messages)} digest(s)")
        return 0
    sender = Sender.from_secrets(sec)
    if sender.problems():
        raise InputError("secrets", "expéditeur non configuré : " + " ; ".join(sender.problems()))
    smtp = mailing.SmtpSender(mailing.SmtpSettings.from_secrets(sec))
    failed = 0
    try:
        for email, subj, body in messages:
            msg = EmailMessage(policy=SMTP_POLICY)
            msg["From"] = formataddr((sender.nom, sender.courriel))
            msg["To"] = email
            msg["Subject"] = subj
            msg["Message-ID"] = make_msgid(domain=sender.courriel.split("@")[-1])
            msg.set_content(body, charset="utf-8", cte="quoted-printable")
            try:
                smtp.send(msg)
                print(f"{email} : envoyé ({subj})")
            except Exception as exc:  # one editor's refusal must not stop the others
                failed += 1
                smtp.drop()
                print(f"{email} : échec ({exc})", file=sys.stderr)
    finally:
        smtp.close()
    return 1 if failed else 0
