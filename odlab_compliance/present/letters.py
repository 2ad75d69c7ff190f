"""Letters for a selection of collectivités: each one's figures gathered from the model
(status, evidence, the sheet's next steps, the worklist's reasons), rendered with a
template (``outreach.letters``), and printed as one PDF (one A4 page a letter) or as a
ZIP of PDFs (one file a collectivité)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date

import duckdb
import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.analysis.sheet import build_sheet
from odlab_compliance.fmt import fold, is_missing, nombre
from odlab_compliance.ingest import contacts as official_contacts
from odlab_compliance.model.status import StatusAt, StatusModel
from odlab_compliance.outreach import followup
from odlab_compliance.outreach.letters import (
    Contact,
    Letter,
    Sender,
    Template,
    contacts_for,
    render,
)
from odlab_compliance.present.pdf import Pdf

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def long_date(value: object) -> str:
    """« 1er janvier 2027 », « 21 janvier 2027 »: the date as a letter writes it."""
    if is_missing(value) or value == "":
        return ""
    d = pd.Timestamp(value).date()
    return f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month - 1]} {d.year}"


def letter_context(row: Mapping, sheet: object, contact: Contact, sender: Sender, *,
                   motifs: str = "", workshop: Mapping | None = None,
                   today: date | None = None) -> dict:
    """The template variables for one collectivité (pure): ``row`` its status row,
    ``sheet`` its ``analysis.sheet.Sheet``."""
    pop = row.get("population_totale")
    if is_missing(pop):
        pop = row.get("population_municipale")
    grid = sheet.grille
    missing = grid[grid["etat"].eq("absent")]["jeu"].tolist() if len(grid) else []
    stale = grid[grid["etat"].eq("ancien")]["jeu"].tolist() if len(grid) else []
    facts = [f"{label} : {value}" for label, value in sheet.faits
             if value not in ("—", "") and not label.startswith("dont")]
    ws = dict(workshop or {})
    return {
        "collectivite": {"nom": sheet.nom, "type": vocab.TYPE.label(row.get("type")),
                         "population": nombre(pop) if not is_missing(pop) else "",
                         "siren": str(row.get("siren") or ""),
                         "departement": str(row.get("departement") or "")},
        "obligation": {"libelle": sheet.obligation, "motif": sheet.motif},
        "publication": {"statut": sheet.statut, "faits": facts,
                        "date_donnees": sheet.date_donnees},
        "manquants": missing, "anciens": stale, "motifs": motifs,
        "etapes": list(sheet.etapes), "etapes_titre": sheet.etapes_titre,
        "destinataire": {"nom": contact.nom, "courriel": contact.courriel or "",
                         "adresse": contact.adresse or ""},
        "atelier": {"titre": str(ws.get("titre") or ""),
                    "date": long_date(ws.get("date_atelier")),
                    "lieu": str(ws.get("lieu_nom") or "")},
        "date": long_date(today or date.today()),
        **sender.context(),
    }


def gather(con: duckdb.DuckDBPyConnection, model: StatusModel, at: StatusAt,
           sirens: Sequence[str], template: Template, sender: Sender, *,
           workshop: Mapping | None = None, today: date | None = None) -> list[Letter]:
    """One rendered letter per SIREN of ``sirens`` found in ``at`` (in that order)."""
    whole = at.whole
    rows = whole[whole["siren"].isin(list(sirens))].drop_duplicates("siren") \
        .set_index("siren")
    state = followup.state(con)
    try:
        work = followup.worklist(at.frame, state).set_index("siren")["motifs"].to_dict()
    except KeyError:   # no status yet (obligations only): no worklist reasons
        work = {}
    contacts = contacts_for(official_contacts.official(con, sirens), state, list(sirens))
    label = long_date(at.snapshot.date) if at.snapshot is not None else "—"
    out = []
    for siren in sirens:
        if siren not in rows.index:
            continue
        row = {"siren": siren, **rows.loc[siren].to_dict()}
        # An Observatoire edition lists publishers, not their datasets: the sheet's grid
        # says « non renseigné » whatever the evidence, so it is not fetched (matching an
        # edition again costs seconds per collectivité).
        evidence = model.evidence(con, siren, at.snapshot) \
            if at.snapshot is not None and not at.snapshot.is_observatoire else pd.DataFrame()
        epci = None
        if not is_missing(row.get("epci_siren")):
            e = whole[whole["siren"].eq(row["epci_siren"])]
            epci = e.iloc[0].to_dict() if len(e) else None
        # Letters do not cite comparable collectivités: no peers to compute.
        sheet = build_sheet(row, evidence, whole.iloc[0:0], epci, None, label, today)
        ctx = letter_context(row, sheet, contacts[siren], sender,
                             motifs=str(work.get(siren) or ""), workshop=workshop,
                             today=today)
        subject, body = render(template, ctx)
        out.append(Letter(siren, sheet.nom, template.code, subject, body, contacts[siren],
                          ctx["date"]))
    return out


# -- PDF ------------------------------------------------------------------------------------

_SIZES = (10.0, 9.5, 9.0, 8.5, 8.0, 7.5)
_BOTTOM = 16.0   # mm kept free at the bottom of the page


def _write(pdf: Pdf, letter: Letter, sender: Sender, size: float) -> float:
    pdf.add_page()
    pdf.para(sender.nom, size=size + 1, bold=True, h=5)
    for line in (sender.correspondant, sender.telephone,
                 sender.correspondant_courriel or sender.reponse_a or sender.courriel):
        if line:
            pdf.para(line, size=size - 1, h=4.2, color=(70, 70, 70))
    top = pdf.get_y()
    x = pdf.w / 2 + 10
    pdf.set_xy(x, top + 4)
    block = [letter.nom]
    if letter.contact.nom and fold(letter.contact.nom) != fold(letter.nom):
        block.append(letter.contact.nom)
    if letter.contact.adresse:
        block.append(letter.contact.adresse)
    if letter.contact.courriel:
        block.append(letter.contact.courriel)
    pdf.set_font(pdf.family_name, "", size)
    for line in block:
        pdf.set_x(x)
        pdf.multi_cell(pdf.w - x - pdf.r_margin, 4.6, pdf.text_of(line),
                       new_x="LEFT", new_y="NEXT")
    pdf.ln(6)
    place = f"{sender.ville}, le {letter.date}" if sender.ville else f"Le {letter.date}"
    pdf.set_x(x)
    pdf.para(place, size=size)
    pdf.ln(3)
    pdf.para(f"Objet : {letter.objet}", size=size, bold=True, h=5)
    pdf.ln(2)
    for paragraph in re.split(r"\n\s*\n", letter.corps.strip()):
        pdf.para(paragraph.strip(), size=size, h=size * 0.47)
        pdf.ln(size * 0.22)
    end = pdf.get_y()
    pdf.footer_note("Courrier préparé avec odlab-compliance.")
    return end


def _fits(letter: Letter, sender: Sender, scratch: Pdf) -> float | None:
    """The largest type size at which the letter ends above the footer, measured on a
    scratch document (one for a whole batch: loading the font is the slow part)."""
    for size in _SIZES:
        if _write(scratch, letter, sender, size) <= scratch.h - _BOTTOM - 4:
            return size
    return None


def pdf(letters: Sequence[Letter], sender: Sender) -> bytes:
    """All the letters in one PDF, one A4 page each: a long letter is set smaller rather
    than spilled onto a second page; one too long even in small type continues on a
    second page rather than losing its end."""
    doc, scratch = Pdf(), Pdf()
    doc.set_title("Courriers")
    for letter in letters:
        size = _fits(letter, sender, scratch)
        if size is None:
            doc.set_auto_page_break(True, margin=_BOTTOM + 4)
        _write(doc, letter, sender, size or _SIZES[-1])
        doc.set_auto_page_break(False)
    return bytes(doc.output())


def filename(letter: Letter, ext: str) -> str:
    """``<modèle>-<siren>-<nom>.<ext>``, ASCII, for ZIP entries and downloads."""
    name = re.sub(r"[^a-z0-9]+", "-", fold(letter.nom).lower()).strip("-")[:40]
    return f"{letter.modele}-{letter.siren}-{name}.{ext}"


def zip_pdfs(letters: Sequence[Letter], sender: Sender) -> bytes:
    """A ZIP holding one PDF per letter."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for letter in letters:
            zf.writestr(filename(letter, "pdf"), pdf([letter], sender))
    # (each file is its own document: a letter printed or forwarded alone)
    return buf.getvalue()


# -- selections ----------------------------------------------------------------------------

STARTED = "commence"   # analysis.changes.CHANGES: started publishing
LIST_RETARD, LIST_SUIVI, LIST_ATELIER, LIST_VEILLE, LIST_PUBLIE = (
    "retard", "suivi", "atelier", "veille", "publient")
LISTS = {LIST_RETARD: "obligées en retard (liste de suivi)",
         LIST_SUIVI: "toute la liste de suivi (en retard, à évaluer, effectif à obtenir)",
         LIST_ATELIER: "invitées d'un atelier",
         LIST_VEILLE: "liste de veille (proches d'un seuil)",
         LIST_PUBLIE: "ont commencé à publier depuis la collecte précédente (félicitations)"}


def selection(con: duckdb.DuckDBPyConnection, at: StatusAt, which: str, *,
              workshop_id: int | None = None, model: StatusModel | None = None) -> list[str]:
    """The SIRENs of a list of the territory, in the order the pages show them.

    ``publient``: those that started publishing between the previous snapshot and
    ``at``'s (a first publication, to congratulate; ``model`` gives the previous one);
    without a previous snapshot, every collectivité that publishes."""
    from odlab_compliance.analysis.watchlist import watch_list
    from odlab_compliance.outreach import workshops

    frame = at.frame
    if which in (LIST_RETARD, LIST_SUIVI):
        work = followup.worklist(frame, followup.state(con))
        if which == LIST_RETARD:
            work = work[work["categorie"].eq(vocab.TRAVAIL_RETARD)]
        return work["siren"].astype(str).tolist()
    if which == LIST_ATELIER:
        if workshop_id is None:
            from odlab_compliance.errors import InputError

            raise InputError("--atelier", "numéro d'atelier manquant pour la liste « atelier »")
        inv = workshops.invitations(con, workshop_id)
        return [s for s in inv["siren"].astype(str) if s in set(at.whole["siren"])]
    if which == LIST_VEILLE:
        return watch_list(frame, at.rule)["siren"].astype(str).tolist()
    if which == LIST_PUBLIE:
        from odlab_compliance.analysis import changes

        earlier = [] if model is None or at.snapshot is None else sorted(
            (s for s in model.snapshots if (s.date, s.id) < (at.snapshot.date, at.snapshot.id)),
            key=lambda s: (s.date, s.id))
        if earlier:
            before = model.status_at(at.territory, at.rule, earlier[-1]).frame
            diff = changes.diff(before, frame)
            return diff[diff["changement"].eq(STARTED)].sort_values("nom")["siren"] \
                .astype(str).tolist()
        pub = frame[frame.get("statut", pd.Series(dtype=object)).isin(vocab.PUBLISHING)]
        return pub.sort_values("nom")["siren"].astype(str).tolist()
    from odlab_compliance.errors import InputError

    raise InputError("--liste", f"liste « {which} » inconnue (attendu : {', '.join(LISTS)})")
