"""The one-page A4 PDF documents (fpdf2) shared by the collectivité sheet and the
territory report: a Unicode font (DejaVu, for accents and the narrow no-break spaces of
French figures; Helvetica with replacements when it is absent), paragraphs, headings and
the legal footer."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
LEGAL_FOOTER = ("Obligation : loi n° 2016-1321 pour une République numérique (art. L312-1-1 "
                "et D312-1-1-1 du CRPA) : au moins 3 500 habitants ET au moins 50 agents. ")


class Pdf(FPDF):
    """A4 portrait, no automatic page break: long lists are cut by the callers."""

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

    def footer_note(self, text: str) -> None:
        self.set_y(-18)
        self.para(LEGAL_FOOTER + text, size=7, color=(90, 90, 90), h=3.6)
