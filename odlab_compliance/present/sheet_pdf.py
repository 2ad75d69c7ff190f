"""The one-page PDF fiche of a collectivité (fpdf2), for an elected official to print
or forward. It renders the same ``Sheet`` as the page, on one A4 page: long lists are
cut, never spilled on a second page."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from odlab_compliance.analysis.sheet import Sheet

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
ETAT_MARKS = {"present": "à jour", "ancien": "ancien", "absent": "absent",
              "non_renseigne": "non renseigné"}
ETAT_COLORS = {"present": (0, 158, 115), "ancien": (230, 159, 0), "absent": (213, 94, 0),
               "non_renseigne": (120, 120, 120)}


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(14, 12, 14)
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            # A Unicode font: accents, œ, narrow no-break spaces of French figures.
            self.add_font("fiche", "", str(regular))
            self.add_font("fiche", "B", str(bold))
            self.family_name = "fiche"
            self.unicode = True
        else:
            self.family_name = "helvetica"
            self.unicode = False

    def text_of(self, text: str) -> str:
        if self.unicode:
            return text
        text = text.replace("\u202f", " ").replace("\u00a0", " ").replace("’", "'")
        return text.encode("latin-1", "replace").decode("latin-1")

    def para(self, text: str, size: float = 9, bold: bool = False, h: float = 4.6,
             color: tuple[int, int, int] = (0, 0, 0)) -> None:
        self.set_font(self.family_name, "B" if bold else "", size)
        self.set_text_color(*color)
        self.multi_cell(0, h, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        self.ln(1.5)
        self.para(text, size=11, bold=True, h=6, color=(0, 0, 145))


def render(sheet: Sheet) -> bytes:
    """The PDF bytes of a fiche (one A4 page)."""
    pdf = _Pdf()
    pdf.add_page()
    pdf.para(sheet.nom, size=17, bold=True, h=8)
    pdf.para(sheet.sous_titre, size=9, color=(80, 80, 80))
    pdf.para(f"Données au {sheet.date_donnees}", size=8, color=(80, 80, 80))

    pdf.heading(f"Obligation d'ouverture des données : {sheet.obligation}")
    pdf.para(sheet.motif[:600])
    pdf.heading(f"Situation : {sheet.statut}")
    for label, value in sheet.faits:
        pdf.para(f"{label} : {value[:160]}")

    pdf.heading("Jeux prioritaires du Socle commun des données locales")
    col_w = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    rows = sheet.grille.to_dict("records")
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

    pdf.heading("Les trois prochaines étapes les moins coûteuses")
    for n, step in enumerate(sheet.etapes, start=1):
        pdf.para(f"{n}. {step}")

    if len(sheet.semblables):
        pdf.heading("Collectivités comparables")
        for r in sheet.semblables.head(6).to_dict("records"):
            pdf.para(f"• {r['Collectivité']} ({r['Population']} hab.) : {r['Statut']}", size=8.5)
    if sheet.historique:
        pdf.heading("Historique")
        pdf.para(" · ".join(f"{d} : {s}" for d, s in sheet.historique[-6:]), size=8.5)

    pdf.set_y(-18)
    pdf.para("Obligation : loi n° 2016-1321 pour une République numérique (art. L312-1-1 et "
             "D312-1-1-1 du CRPA) : au moins 3 500 habitants ET au moins 50 agents. "
             "Fiche générée par odlab-compliance.", size=7, color=(90, 90, 90), h=3.6)
    return bytes(pdf.output())
