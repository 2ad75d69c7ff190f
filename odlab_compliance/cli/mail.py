"""`mail templates|template-save|preview|letters|eml|send|sendings`: letters and e-mails
to the collectivités of a list, from editable templates, and campaigns sent by SMTP."""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

from odlab_compliance import auth, db
from odlab_compliance.cli.followup import add_territory_options, territory_arg
from odlab_compliance.config import PROJECT_ROOT, load_settings
from odlab_compliance.errors import InputError
from odlab_compliance.model.status import StatusModel
from odlab_compliance.outreach import letters, mailing, workshops
from odlab_compliance.present import letters as printed
from odlab_compliance.territory import sirens_within


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mail", help="Courriers et courriels aux collectivités : modèles, "
                                    "aperçu, PDF, .eml, envoi par SMTP.",
                       description="Courriers et courriels tirés de modèles modifiables "
                                   "(relance, invitation à un atelier, félicitations), remplis "
                                   "avec les chiffres de chaque collectivité. Le compte SMTP "
                                   "et l'expéditeur sont lus dans le fichier des secrets "
                                   "([odlab_smtp], [odlab_courrier]).")
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    t = s.add_parser("templates", help="Liste les modèles et leur version en vigueur.")
    t.set_defaults(func=_templates)
    ts = s.add_parser("template-save", help="Enregistre une nouvelle version d'un modèle.")
    ts.add_argument("modele", choices=list(letters.DEFAULTS))
    ts.add_argument("--objet", required=True, help="objet (Jinja2)")
    ts.add_argument("--corps", required=True, metavar="FICHIER", help="texte (Jinja2, UTF-8)")
    ts.add_argument("--editeur", help="nom inscrit (défaut : utilisateur du système)")
    ts.set_defaults(func=_template_save)
    for name, helptext, func in (
            ("preview", "Affiche les courriers (texte) de la sélection.", _preview),
            ("letters", "Écrit les courriers en un PDF (une page chacun) ou un ZIP de PDF.",
             _letters),
            ("eml", "Écrit les courriels en fichiers .eml (un dossier ou un ZIP).", _eml),
            ("send", "Envoie les courriels par SMTP (campagne reprise sans double envoi).",
             _send)):
        c = s.add_parser(name, help=helptext)
        _selection_options(c)
        if name in ("letters", "eml"):
            c.add_argument("--output", "-o", required=True, metavar="FICHIER",
                           help=".pdf ou .zip (letters) ; dossier ou .zip (eml)")
        if name == "send":
            c.add_argument("--campagne", required=True,
                           help="nom de la campagne : relancer le même nom reprend l'envoi "
                                "interrompu sans renvoyer ce qui est parti")
            c.add_argument("--editeur", required=True,
                           help="éditeur qui envoie (inscrit au suivi ; ses territoires "
                                "dans les secrets limitent l'envoi)")
            c.add_argument("--rythme", type=float, default=20.0, metavar="N",
                           help="messages par minute (défaut : 20)")
            c.add_argument("--simulation", action="store_true",
                           help="montre ce qui serait envoyé, sans rien envoyer ni écrire")
            c.add_argument("--renvoyer-incertains", action="store_true",
                           help="renvoie aussi les messages interrompus pendant la remise "
                                "au serveur (à vérifier d'abord dans la boîte d'envoi)")
        c.set_defaults(func=func)
    e = s.add_parser("sendings", help="Liste les envois enregistrés.")
    e.add_argument("--campagne")
    e.set_defaults(func=_sendings)


def _selection_options(c: argparse.ArgumentParser) -> None:
    c.add_argument("--modele", required=True, choices=list(letters.DEFAULTS))
    c.add_argument("--liste", default=printed.LIST_RETARD, choices=list(printed.LISTS),
                   help="; ".join(f"{k} : {v}" for k, v in printed.LISTS.items()))
    c.add_argument("--siren", action="append", default=[],
                   help="une collectivité (répétable) au lieu d'une liste")
    c.add_argument("--atelier", type=int, metavar="ID",
                   help="atelier (invitation, et liste « atelier »)")
    c.add_argument("--secrets", type=Path, metavar="FICHIER",
                   help="fichier des secrets (défaut : ~/.streamlit/secrets.toml et "
                        ".streamlit/secrets.toml du projet)")
    add_territory_options(c)


def secrets(args: argparse.Namespace) -> dict:
    if getattr(args, "secrets", None):
        if not args.secrets.is_file():
            raise InputError(str(args.secrets), "fichier des secrets introuvable")
        return auth.read_secrets([args.secrets])
    return auth.read_secrets(auth.secrets_files(PROJECT_ROOT))


def _templates(args: argparse.Namespace) -> int:
    with db.connect(load_settings()) as con:
        for code in letters.DEFAULTS:
            t = letters.current(con, code)
            version = f"version {t.version} du {t.saisi_le:%d/%m/%Y} par {t.editeur}" \
                if t.version else "modèle par défaut"
            print(f"{code}\t{t.label}\t{version}\n\tobjet : {t.objet}")
    return 0


def _template_save(args: argparse.Namespace) -> int:
    body = Path(args.corps).read_text(encoding="utf-8")
    with db.connect(load_settings()) as con:
        t = letters.save(con, args.modele, args.objet, body,
                         editor=auth.cli_editor(args.editeur))
    print(f"modèle « {t.label} » : version {t.version} enregistrée")
    return 0


def build(con, args: argparse.Namespace, sec: dict) -> list[letters.Letter]:  # noqa: ANN001
    """The letters of the selection given on the command line."""
    return build_with_scope(con, args, sec)[0]


def build_with_scope(con, args: argparse.Namespace, sec: dict,  # noqa: ANN001
                     editor: str = "") -> tuple[list[letters.Letter], set[str] | None, str]:
    """The letters, and the SIRENs ``editor`` may write to with its territories as text
    (None, "" when not limited): ``odlab_editor_territories`` of the given secrets."""
    model = StatusModel.from_connection(con)
    at = model.status_at(territory_arg(args.territory), args.rule, args.snapshot)
    workshop = None
    if args.atelier is not None:
        ws = workshops.list_workshops(con)
        found = ws[ws["id"].eq(args.atelier)]
        if found.empty:
            raise InputError("--atelier", f"atelier {args.atelier} inconnu")
        workshop = found.iloc[0].to_dict()
    if args.modele == "invitation" and workshop is None:
        raise InputError("--atelier", "l'invitation nomme un atelier : ajoutez --atelier ID")
    sirens = args.siren or printed.selection(con, at, args.liste, workshop_id=args.atelier,
                                             model=model)
    template = letters.current(con, args.modele)
    out = printed.gather(con, model, at, sirens, template,
                         letters.Sender.from_secrets(sec), workshop=workshop)
    keys = auth.cli_territories(auth.config_from(sec), editor) if editor else ()
    if not keys:
        return out, None, ""
    return out, sirens_within(at.whole, keys), ", ".join(keys)


def _preview(args: argparse.Namespace) -> int:
    with db.connect(load_settings()) as con:
        out = build(con, args, secrets(args))
    for letter in out:
        c = letter.contact
        print(f"=== {letter.nom} ({letter.siren}) → {c.courriel or '(pas d’adresse)'} — "
              f"{c.origine_libelle}" + (f" ; {c.probleme}" if c.probleme else ""))
        print(f"Objet : {letter.objet}\n\n{letter.corps}")
    print(f"{len(out)} courrier(s).", file=sys.stderr)
    return 0


def _letters(args: argparse.Namespace) -> int:
    target = Path(args.output)
    if target.suffix.lower() not in (".pdf", ".zip"):
        raise InputError(args.output, "extension attendue : .pdf ou .zip")
    sec = secrets(args)
    with db.connect(load_settings()) as con:
        out = build(con, args, sec)
    sender = letters.Sender.from_secrets(sec)
    data = printed.pdf(out, sender) if target.suffix.lower() == ".pdf" \
        else printed.zip_pdfs(out, sender)
    target.write_bytes(data)
    print(f"{target} : {len(out)} courrier(s)")
    return 0


def _eml(args: argparse.Namespace) -> int:
    sec = secrets(args)
    with db.connect(load_settings()) as con:
        out = build(con, args, sec)
    sender = letters.Sender.from_secrets(sec)
    target = Path(args.output)
    files = {printed.filename(x, "eml"): mailing.eml(x, sender) for x in out}
    if target.suffix.lower() == ".zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
        target.write_bytes(buf.getvalue())
    else:
        target.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (target / name).write_bytes(data)
    missing = sum(1 for x in out if not x.destinataire)
    print(f"{target} : {len(files)} courriel(s)"
          + (f", dont {missing} sans adresse (champ « À » vide)" if missing else ""))
    return 0


def check_editor(sec: dict, editor: str) -> None:
    """On the command line, ``--editeur`` must be an editor of the secrets when they
    name editors (``odlab_editors``)."""
    cfg = auth.config_from(sec)
    if cfg.problems:
        raise InputError("secrets", "territoire illisible : " + " ; ".join(cfg.problems))
    if cfg.editors and editor.strip().lower() not in cfg.editors:
        raise InputError("--editeur", f"« {editor} » n'est pas éditeur (odlab_editors des "
                                      "secrets) : seuls les éditeurs envoient")


def _send(args: argparse.Namespace) -> int:
    sec = secrets(args)
    editor = args.editeur.strip()
    check_editor(sec, editor)
    if args.rythme <= 0:
        raise InputError("--rythme", "nombre de messages par minute positif attendu")
    with db.connect(load_settings()) as con:
        out, allowed, scope = build_with_scope(con, args, sec, editor)
        smtp = None if args.simulation else mailing.SmtpSettings.from_secrets(sec)

        def show(o: mailing.Outcome) -> None:
            print(f"{o.nom} ({o.siren}) : {o.libelle}"
                  + (f" — {o.motif}" if o.motif and o.etat != mailing.EN_COURS else ""),
                  file=sys.stderr, flush=True)

        report = mailing.run_campaign(
            con, args.campagne, out, letters.Sender.from_secrets(sec), editor=editor,
            origin="cli", smtp=smtp, dry_run=args.simulation, per_minute=args.rythme,
            allowed=allowed, scope=scope, resend_uncertain=args.renvoyer_incertains,
            progress=show)
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


def _sendings(args: argparse.Namespace) -> int:
    with db.connect(load_settings()) as con:
        df = mailing.sendings(con, args.campagne)
    for r in df.to_dict("records"):
        print(f"{r['campagne']}\t{r['siren']}\t{r['destinataire'] or ''}\t"
              f"{mailing.ETAT_LABELS.get(r['etat'], r['etat'])}\t{r['motif'] or ''}\t"
              f"{r['maj_le']:%d/%m/%Y %H:%M}")
    return 0
