"""E-mails from letters: ``.eml`` files, and campaigns sent through SMTP without losing
or doubling a message.

A campaign has a name (its key, given by the editor or generated) and a template. Each
(campaign, collectivité, template) gets one row of ``envoi`` before anything is sent:

- ``en_cours`` is written and committed *before* the message is handed to the server,
  ``envoye`` right after the server accepted it, then the sending is added to the
  follow-up log (the note carries the key, so a crash between the two is repaired on the
  next run without a second note);
- a rerun of the same campaign skips what is ``envoye``; a row left ``en_cours`` by a
  crash (SIGKILL, power cut) may or may not have reached the server: it is never resent
  automatically but listed as « à vérifier », and ``renvoyer_incertains`` resends it;
- an invalid or missing address is ``ignore`` with its reason, a refusal by the server
  ``echec``: both are retried by a rerun (the address may have been corrected), both are
  listed at the end.

The SMTP account comes from the secrets file (``[odlab_smtp]``), never from the database.
"""

from __future__ import annotations

import smtplib
import ssl
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr
from pathlib import Path

import duckdb

from odlab_compliance import db, vocab
from odlab_compliance.emails import address_problem
from odlab_compliance.errors import InputError, UserError
from odlab_compliance.fmt import date_fr
from odlab_compliance.outreach import followup
from odlab_compliance.outreach.letters import LABELS, Letter, Sender

SMTP_KEY = "odlab_smtp"
SECURITIES = ("starttls", "tls", "aucune")
# États d'un envoi (colonne envoi.etat) and their French labels.
A_ENVOYER, EN_COURS, ENVOYE, IGNORE, ECHEC = "a_envoyer", "en_cours", "envoye", "ignore", \
    "echec"
ETAT_LABELS = {A_ENVOYER: "à envoyer", EN_COURS: "à vérifier (interrompu pendant l'envoi)",
               ENVOYE: "envoyé", IGNORE: "non envoyé (adresse)", ECHEC: "refusé par le serveur"}


class SmtpUnavailable(UserError):
    """The SMTP server cannot be reached or refuses the account (French message)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str = "starttls"     # starttls | tls | aucune
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0
    cafile: str = ""               # a private CA (internal relay); default: the system's

    @classmethod
    def from_secrets(cls, secrets: Mapping) -> SmtpSettings:
        """``[odlab_smtp]`` of the secrets: ``host``, ``port``, ``securite``,
        ``utilisateur``, ``mot_de_passe`` (and ``autorite`` for a relay whose certificate
        a private authority signed); a French ``InputError`` when unusable."""
        try:
            raw = dict(secrets.get(SMTP_KEY) or {})
        except Exception:
            raw = {}
        if not raw.get("host"):
            raise InputError("secrets", f"serveur d'envoi non configuré : ajoutez une section "
                                        f"[{SMTP_KEY}] (host, port, securite, utilisateur, "
                                        "mot_de_passe) au fichier des secrets")
        security = str(raw.get("securite", "starttls")).lower()
        if security not in SECURITIES:
            raise InputError("secrets", f"[{SMTP_KEY}] securite « {security} » inconnue "
                                        f"(attendu : {', '.join(SECURITIES)})")
        try:
            port = int(raw.get("port") or (465 if security == "tls" else 587))
        except (TypeError, ValueError):
            raise InputError("secrets", f"[{SMTP_KEY}] port : nombre entier attendu") from None
        cafile = str(raw.get("autorite") or "")
        if cafile and not Path(cafile).is_file():
            raise InputError("secrets", f"[{SMTP_KEY}] autorite : fichier « {cafile} » "
                                        "introuvable")
        return cls(str(raw["host"]), port, security, str(raw.get("utilisateur") or ""),
                   str(raw.get("mot_de_passe") or ""),
                   float(raw.get("delai") or 30.0), cafile)


def message_id(key: str, sender: Sender) -> str:
    domain = sender.courriel.split("@")[-1] if "@" in sender.courriel else "odlab.invalid"
    return f"<{key}@{domain}>"


def build_message(letter: Letter, sender: Sender, key: str | None = None) -> EmailMessage:
    """The e-mail of a letter: UTF-8 text, From/Reply-To from the sender, a Message-ID
    made from the sending's key (the same key always gives the same Message-ID)."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = formataddr((sender.nom, sender.courriel)) if sender.courriel else sender.nom
    if letter.destinataire:
        msg["To"] = formataddr((letter.nom, letter.destinataire))
    if sender.reponse_a:
        msg["Reply-To"] = sender.reponse_a
    msg["Subject"] = letter.objet
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id(key or uuid.uuid4().hex, sender)
    msg["X-Odlab-Siren"] = letter.siren
    msg.set_content(letter.corps, charset="utf-8", cte="quoted-printable")
    return msg


def eml(letter: Letter, sender: Sender) -> bytes:
    """A ``.eml`` file (RFC 5322, CRLF line ends) that any mail client opens."""
    return build_message(letter, sender).as_bytes()


def sending_key(campaign: str, siren: str, template: str) -> str:
    return f"{campaign}.{siren}.{template}"


# -- campaigns ------------------------------------------------------------------------------

@dataclass
class Outcome:
    """One collectivité of a campaign run, for the final report."""

    siren: str
    nom: str
    etat: str
    destinataire: str | None = None
    motif: str | None = None

    @property
    def libelle(self) -> str:
        return ETAT_LABELS.get(self.etat, self.etat)


@dataclass
class Report:
    campaign: str
    template: str
    dry_run: bool
    sent: list[Outcome] = field(default_factory=list)         # sent by this run
    already: list[Outcome] = field(default_factory=list)      # sent by an earlier run
    would_send: list[Outcome] = field(default_factory=list)   # dry run
    skipped: list[Outcome] = field(default_factory=list)      # no valid address, territory
    failed: list[Outcome] = field(default_factory=list)       # refused by the server
    uncertain: list[Outcome] = field(default_factory=list)    # interrupted while sending
    unlogged: list[Outcome] = field(default_factory=list)     # sent, follow-up refused
    stopped: str | None = None                                # why the run stopped early

    @property
    def ok(self) -> bool:
        return not (self.failed or self.uncertain or self.stopped)

    def lines(self) -> list[str]:
        """The report in French: counts, then every collectivité not sent and why."""
        head = (f"Campagne « {self.campaign} » ({LABELS.get(self.template, self.template)})"
                + (" — simulation, rien n'est envoyé" if self.dry_run else ""))
        out = [head]
        if self.dry_run:
            out.append(f"  serait envoyé : {len(self.would_send)}")
            out += [f"    {o.nom} ({o.siren}) → {o.destinataire}" for o in self.would_send]
        else:
            out.append(f"  envoyé maintenant : {len(self.sent)}")
        out.append(f"  déjà envoyé lors d'une exécution précédente : {len(self.already)}")
        for title, items in (("non envoyé (adresse ou territoire)", self.skipped),
                             ("refusé par le serveur", self.failed),
                             ("à vérifier : interrompu pendant la remise au serveur, le "
                              "message a pu partir (vérifiez la boîte d'envoi, puis "
                              "relancez avec --renvoyer-incertains pour le renvoyer)",
                              self.uncertain),
                             ("envoyé mais non inscrit au suivi", self.unlogged)):
            if items:
                out.append(f"  {title} : {len(items)}")
                out += [f"    {o.nom} ({o.siren}) : {o.motif or o.libelle}" for o in items]
        if self.stopped:
            out.append(f"  arrêt : {self.stopped}")
        return out


def campaign_id(con: duckdb.DuckDBPyConnection, name: str, template: str,
                editor: str) -> int:
    """The campaign called ``name`` (created when new); refuses a name already used
    with another template."""
    name = name.strip()
    if not name:
        raise InputError("campagne", "nom de campagne vide")
    row = con.execute("SELECT id, modele FROM campagne WHERE nom = ?", [name]).fetchone()
    if row is not None:
        if row[1] != template:
            raise InputError("campagne", f"la campagne « {name} » envoie déjà le modèle "
                                         f"« {LABELS.get(row[1], row[1])} » : choisissez un "
                                         "autre nom")
        return int(row[0])
    with db.transaction(con):
        con.execute("INSERT INTO campagne (nom, modele, editeur) VALUES (?, ?, ?)",
                    [name, template, editor])
    return int(con.execute("SELECT id FROM campagne WHERE nom = ?", [name]).fetchone()[0])


def _states(con: duckdb.DuckDBPyConnection, cid: int) -> dict[str, tuple[str, str | None]]:
    rows = con.execute("SELECT siren, etat, destinataire FROM envoi WHERE campagne_id = ?",
                       [cid]).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def _set(con: duckdb.DuckDBPyConnection, cid: int, letter: Letter, key: str, etat: str,
         motif: str | None = None, mid: str | None = None) -> None:
    with db.transaction(con):
        con.execute(
            "INSERT INTO envoi (campagne_id, siren, modele, cle, destinataire, etat, motif, "
            "message_id, maj_le) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campagne_id, "
            "siren, modele) DO UPDATE SET destinataire = excluded.destinataire, etat = "
            "excluded.etat, motif = excluded.motif, message_id = coalesce(excluded."
            "message_id, envoi.message_id), maj_le = excluded.maj_le",
            [cid, letter.siren, letter.modele, key, letter.destinataire, etat, motif, mid,
             datetime.now(UTC).replace(tzinfo=None)])


def _note(letter: Letter, campaign: str, key: str, when: date) -> str:
    label = LABELS.get(letter.modele, letter.modele)
    return (f"Courriel « {label} » envoyé le {date_fr(when)} à {letter.destinataire} "
            f"(campagne {campaign}, réf. {key})")


def record_in_followup(con: duckdb.DuckDBPyConnection, letter: Letter, campaign: str,
                       key: str, *, editor: str, origin: str, scope: str = "",
                       when: date | None = None) -> str | None:
    """Add the sending to the follow-up log (the stage becomes « contactée » when it was
    « à contacter »), unless a note with this key is already there. Returns why the log
    refused it (French), None when recorded or already there: the message is gone, so a
    refusal is reported, never raised."""
    notes = followup.log(con, [letter.siren])
    if len(notes) and notes["valeur"].astype(str).str.contains(f"réf. {key})",
                                                               regex=False).any():
        return None
    current = followup.state(con)
    mine = current[current["siren"].eq(letter.siren)] if len(current) else current
    stage = mine["etape"].iloc[0] if len(mine) else None
    new_stage = vocab.ETAPE_CONTACTEE if (stage is None or stage != stage
                                          or stage == vocab.ETAPE_A_CONTACTER) else None
    when = when or date.today()
    try:
        followup.record(con, [followup.Change(letter.siren, etape=new_stage,
                                              note=_note(letter, campaign, key, when),
                                              date_effet=when)],
                        editor=editor, origin=origin, scope=scope)
    except InputError as exc:
        return "; ".join(e.message for e in exc.errors) or exc.summary
    return None


def record_postal(con: duckdb.DuckDBPyConnection, letters: Sequence[Letter], *, editor: str,
                  origin: str, allowed: set[str] | None = None, scope: str = "",
                  when: date | None = None) -> int:
    """Add printed letters sent by post to the follow-up log, all or nothing (one dated
    note each, stage « contactée » when it was « à contacter »); the number recorded."""
    when = when or date.today()
    current = followup.state(con)
    stages = dict(zip(current["siren"], current["etape"], strict=False)) if len(current) \
        else {}
    changes = []
    for letter in letters:
        stage = stages.get(letter.siren)
        new = vocab.ETAPE_CONTACTEE if stage in (None, vocab.ETAPE_A_CONTACTER) \
            or stage != stage else None
        label = LABELS.get(letter.modele, letter.modele)
        changes.append(followup.Change(letter.siren, etape=new, date_effet=when,
                                       note=f"Courrier « {label} » envoyé par la poste le "
                                            f"{date_fr(when)}"))
    followup.record(con, changes, editor=editor, origin=origin, allowed=allowed,
                    scope=scope)
    return len(changes)


class SmtpSender:
    """One SMTP connection, opened on the first message and reopened when lost."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        # Certificates are always verified (host name included); a private authority is
        # added, never a switch that turns verification off.
        context = ssl.create_default_context(cafile=s.cafile or None)
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                      context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=context)
            if s.user:
                smtp.login(s.user, s.password)
        except smtplib.SMTPAuthenticationError:
            raise SmtpUnavailable(f"le serveur d'envoi {s.host}:{s.port} refuse le compte "
                                  f"« {s.user} » (identifiant ou mot de passe)") from None
        except ssl.SSLCertVerificationError as exc:
            raise SmtpUnavailable(f"certificat du serveur d'envoi {s.host}:{s.port} refusé "
                                  f"({exc.verify_message}) : vérifiez l'adresse, ou donnez "
                                  "l'autorité qui l'a signé (autorite = \"/chemin/ca.pem\")"
                                  ) from None
        except smtplib.SMTPNotSupportedError:
            raise SmtpUnavailable(f"le serveur d'envoi {s.host}:{s.port} ne propose pas "
                                  "STARTTLS : réglez securite = \"tls\" ou \"aucune\"") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpUnavailable(f"serveur d'envoi {s.host}:{s.port} injoignable "
                                  f"({type(exc).__name__})") from None
        return smtp

    def send(self, msg: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._open()
        self._smtp.send_message(msg)

    def drop(self) -> None:
        self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None


def run_campaign(con: duckdb.DuckDBPyConnection, campaign: str, letters: Sequence[Letter],
                 sender: Sender, *, editor: str, origin: str,
                 smtp: SmtpSettings | None = None, dry_run: bool = False,
                 per_minute: float = 20.0, allowed: set[str] | None = None,
                 scope: str = "", resend_uncertain: bool = False,
                 progress: Callable[[Outcome], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> Report:
    """Send ``letters`` (one template) as campaign ``campaign``; see the module's text.

    ``allowed``: the SIRENs an editor limited to territories may write to (None: all);
    ``per_minute``: the pace the editor chose (a pause between two messages).
    """
    if not editor or not editor.strip():
        raise InputError("envoi", "éditeur inconnu : seul un éditeur connecté envoie")
    templates = {letter.modele for letter in letters}
    if len(templates) > 1:
        raise InputError("envoi", "une campagne envoie un seul modèle")
    template = templates.pop() if templates else ""
    report = Report(campaign, template, dry_run)
    if not letters:
        return report
    if not dry_run:
        problems = sender.problems()
        if problems:
            raise InputError("secrets", "expéditeur non configuré : " + " ; ".join(problems))
        if smtp is None:
            raise InputError("secrets", "serveur d'envoi non configuré")
    cid = None if dry_run else campaign_id(con, campaign, template, editor)
    row = con.execute("SELECT id FROM campagne WHERE nom = ?", [campaign]).fetchone() \
        if dry_run else (cid,)
    states = _states(con, int(row[0])) if row else {}
    pause = 60.0 / per_minute if per_minute > 0 else 0.0
    mailer = None if dry_run else SmtpSender(smtp)  # type: ignore[arg-type]
    first = True
    try:
        for letter in letters:
            key = sending_key(campaign, letter.siren, letter.modele)
            etat, dest = states.get(letter.siren, (None, None))
            out = Outcome(letter.siren, letter.nom, etat or A_ENVOYER, letter.destinataire)

            def done(o: Outcome = out) -> None:
                if progress:
                    progress(o)

            if etat == ENVOYE:
                out.destinataire = dest
                report.already.append(out)
                if not dry_run:   # a crash may have come between the server and the log
                    record_in_followup(con, _with(letter, dest), campaign, key,
                                       editor=editor, origin=origin, scope=scope)
                done()
                continue
            if etat == EN_COURS and not resend_uncertain:
                out.etat, out.motif = EN_COURS, ETAT_LABELS[EN_COURS]
                report.uncertain.append(out)
                done()
                continue
            if allowed is not None and letter.siren not in allowed:
                out.etat, out.motif = IGNORE, f"hors de votre territoire ({scope})"
                report.skipped.append(out)
                done()
                continue
            problem = letter.contact.probleme or address_problem(letter.destinataire)
            if problem:
                out.etat, out.motif = IGNORE, problem
                report.skipped.append(out)
                if not dry_run:
                    _set(con, cid, letter, key, IGNORE, problem)  # type: ignore[arg-type]
                done()
                continue
            if dry_run:
                report.would_send.append(out)
                done()
                continue
            if not first and pause:
                sleep(pause)
            first = False
            msg = build_message(letter, sender, key)
            _set(con, cid, letter, key, EN_COURS, None, msg["Message-ID"])  # type: ignore[arg-type]
            try:
                mailer.send(msg)  # type: ignore[union-attr]
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                reason = f"adresse refusée par le serveur ({code} {_text(text)})"
                _set(con, cid, letter, key, ECHEC, reason)  # type: ignore[arg-type]
                out.etat, out.motif = ECHEC, reason
                report.failed.append(out)
                done()
                continue
            except smtplib.SMTPResponseException as exc:
                reason = f"refusé par le serveur ({exc.smtp_code} {_text(exc.smtp_error)})"
                _set(con, cid, letter, key, ECHEC, reason)  # type: ignore[arg-type]
                out.etat, out.motif = ECHEC, reason
                report.failed.append(out)
                mailer.drop()  # type: ignore[union-attr]
                done()
                continue
            except (OSError, smtplib.SMTPException, SmtpUnavailable) as exc:
                # The connection is gone: the message was not accepted (no 250 came
                # back). Stop: the next messages would fail the same way.
                reason = str(exc) if isinstance(exc, SmtpUnavailable) else \
                    f"connexion au serveur d'envoi perdue ({type(exc).__name__})"
                _set(con, cid, letter, key, ECHEC, reason)  # type: ignore[arg-type]
                out.etat, out.motif = ECHEC, reason
                report.failed.append(out)
                report.stopped = reason + " ; relancez la même campagne pour reprendre"
                done()
                break
            _set(con, cid, letter, key, ENVOYE, None, msg["Message-ID"])  # type: ignore[arg-type]
            refused = record_in_followup(con, letter, campaign, key, editor=editor,
                                         origin=origin, scope=scope)
            out.etat = ENVOYE
            report.sent.append(out)
            if refused:
                report.unlogged.append(Outcome(out.siren, out.nom, ENVOYE, out.destinataire,
                                               f"suivi : {refused}"))
            done()
    finally:
        if mailer is not None:
            mailer.close()
    return report


def _with(letter: Letter, dest: str | None) -> Letter:
    """``letter`` with the address it was actually sent to (an earlier run's)."""
    from dataclasses import replace

    return replace(letter, contact=replace(letter.contact, courriel=dest))


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def sendings(con: duckdb.DuckDBPyConnection, campaign: str | None = None):  # noqa: ANN201
    """The sendings (all campaigns or one), newest first, as a DataFrame."""
    return con.execute(db.sql("mail_sendings"), {"campagne": campaign}).df()
