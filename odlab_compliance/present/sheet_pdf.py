"""The one-page PDF fiche of a collectivité (fpdf2), for an elected official to print
or forward. It renders the same ``Sheet`` as the page, on one A4 page: long lists are
cut, never spilled on a second page."""

from __future__ import annotations

from odlab_compliance.analysis.quality import QualitySection
from odlab_compliance.analysis.sheet import GRID_LEGEND, GRID_UNKNOWN, Sheet, grid_known
from odlab_compliance.present.pdf import Pdf

ETAT_MARKS = {"present": "à jour", "ancien": "ancien", "absent": "absent",
              "non_renseigne": "non renseigné"}
ETAT_COLORS = {"present": (0, 158, 115), "ancien": (230, 159, 0), "absent": (213, 94, 0),
               "non_renseigne": (120, 120, 120)}


def quality_block(pdf: Pdf, sec: QualitySection) -> None:
    """The grade, why, how to raise it, and the first non-conforming SCDL file (kept
    short: the page holds one A4)."""
    pdf.heading(sec.titre)
    pdf.para(sec.pourquoi[:420], size=8.5)
    if sec.progresser and sec.prochaine:
        pdf.para(f"Pour passer à {sec.prochaine} : " + " ; ".join(sec.progresser) + ".",
                 size=8.5, bold=True)
    for alert in sec.alertes[:2]:
        pdf.para(alert.titre, size=8.5, color=(213, 94, 0), bold=True)
        for err in alert.erreurs[:2]:
            pdf.para(f"• {err[:170]}", size=8)
        pdf.para(alert.action, size=8)
    if len(sec.alertes) > 2:
        pdf.para(f"… et {len(sec.alertes) - 2} autre(s) fichier(s) non conforme(s) : voir la "
                 "fiche en ligne.", size=8)


def render(sheet: Sheet, quality: QualitySection | None = None) -> bytes:
    """The PDF bytes of a fiche (one A4 page), with its quality section when given."""
    pdf = Pdf()
    pdf.add_page()
    pdf.para(sheet.nom, size=17, bold=True, h=8)
    pdf.para(sheet.sous_titre, size=9, color=(80, 80, 80))
    pdf.para(f"Données au {sheet.date_donnees}", size=8, color=(80, 80, 80))

    pdf.heading(f"Obligation d'ouverture des données : {sheet.obligation}")
    pdf.para(sheet.verdict or sheet.motif[:600])
    for line in sheet.changerait[:3]:   # what would change it, and the figures behind it
        pdf.para(line[:600], size=8, color=(80, 80, 80))
    pdf.heading(f"Situation : {sheet.statut}")
    for label, value in sheet.faits:
        pdf.para(f"{label} : {value[:160]}")

    if quality is not None:
        quality_block(pdf, quality)

    pdf.heading("Jeux prioritaires du Socle commun des données locales")
    col_w = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    rows = sheet.grille.to_dict("records") if grid_known(sheet.grille) else []
    if not rows:
        pdf.para(GRID_UNKNOWN, size=8.5)
    for i, r in enumerate(rows):
        if i % 2 == 0:
            x0 = pdf.l_margin
            y0 = pdf.get_y()
        else:
            x0 = pdf.l_margin + col_w
        pdf.set_xy(x0, y0)
        pdf.set_font(pdf.family_name, "B", 8.5)
        pdf.set_text_color(*ETAT_COLORS[r["etat"]])
        pdf.cell(18, 4.6, pdf.text_of(ETAT_MARKS[r["etat"]]))
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(pdf.family_name, "", 8.5)
        pdf.cell(col_w - 18, 4.6, pdf.text_of(str(r["jeu"])))
        if i % 2 == 1 or i == len(rows) - 1:
            pdf.ln(4.6)
    if rows:
        pdf.para(GRID_LEGEND, size=7, color=(90, 90, 90), h=3.4)

    pdf.heading(sheet.etapes_titre)
    for n, step in enumerate(sheet.etapes, start=1):
        pdf.para(f"{n}. {step}")

    if len(sheet.semblables):
        pdf.heading("Collectivités comparables")
        for r in sheet.semblables.head(6).to_dict("records"):
            pdf.para(f"• {r['Collectivité']} ({r['Population']} hab.) : {r['Statut']}", size=8.5)
    if sheet.historique:
        pdf.heading("Historique")
        pdf.para(" · ".join(f"{d} : {s}" for d, s in sheet.historique[-6:]), size=8.5)

    pdf.footer_note("Fiche générée par odlab-compliance.")
    return bytes(pdf.output())
