"""The one-page PDF report of a territory (fpdf2): the same ``TerritoryReport`` the page
offers, on one A4 page; long lists are cut and say how many are left out."""

from __future__ import annotations

from odlab_compliance.analysis.report import TerritoryReport
from odlab_compliance.fmt import nombre
from odlab_compliance.present.pdf import Pdf


def _table(pdf: Pdf, rows: list[list[str]], widths: list[float], header: list[str]) -> None:
    pdf.set_font(pdf.family_name, "B", 8.5)
    for text, w in zip(header, widths, strict=True):
        pdf.cell(w, 5, pdf.text_of(text), border="B")
    pdf.ln(5)
    pdf.set_font(pdf.family_name, "", 8.5)
    for row in rows:
        for text, w in zip(row, widths, strict=True):
            pdf.cell(w, 4.6, pdf.text_of(str(text)[:60]))
        pdf.ln(4.6)


def render(report: TerritoryReport, grades: str | None = None) -> bytes:
    """The PDF bytes of a territory report (one A4 page); ``grades``: the line of
    ``analysis.quality.grades_summary`` when the snapshot has grades."""
    pdf = Pdf()
    pdf.add_page()
    pdf.para(f"Open data des collectivités — {report.nom}", size=16, bold=True, h=8)
    pdf.para(report.sous_titre, size=9, color=(80, 80, 80))
    pdf.para(f"Situation au {report.date_donnees}", size=8, color=(80, 80, 80))
    for note in report.notes:
        pdf.para(note, size=7.5, color=(120, 60, 0))

    pdf.heading("Chiffres clés")
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    for i, (label, value) in enumerate(report.chiffres):
        if i % 2 == 0:
            y = pdf.get_y()
            pdf.set_x(pdf.l_margin)
        else:
            pdf.set_xy(pdf.l_margin + half, y)
        pdf.set_font(pdf.family_name, "", 8.5)
        pdf.cell(half - 22, 5, pdf.text_of(label))
        pdf.set_font(pdf.family_name, "B", 9)
        pdf.cell(20, 5, pdf.text_of(value), align="R")
        if i % 2 == 1 or i == len(report.chiffres) - 1:
            pdf.ln(5)

    if len(report.par_type):
        pdf.heading("Par type de collectivité")
        _table(pdf, report.par_type.astype(str).values.tolist(), [80, 30, 30, 30],
               list(report.par_type.columns))
    if report.tendance:
        pdf.heading("Évolution du taux de publication")
        pdf.para("   ".join(f"{label} : {rate}" for label, rate in report.tendance), size=8.5)

    if grades:
        pdf.heading("Qualité de la publication")
        pdf.para(grades, size=8.5)

    pdf.heading(f"Obligées qui ne publient pas ({nombre(report.nb_en_retard)})")
    if report.en_retard.empty:
        pdf.para("Aucune à cette date.", size=8.5)
    else:
        _table(pdf, report.en_retard.astype(str).values.tolist(), [95, 55, 30],
               list(report.en_retard.columns))
        left = report.nb_en_retard - len(report.en_retard)
        if left > 0:
            pdf.para(f"… et {nombre(left)} autres (liste complète : page Vue d'ensemble).",
                     size=8, color=(80, 80, 80))

    pdf.heading("Les prochaines étapes les moins coûteuses")
    for n, step in enumerate(report.etapes, start=1):
        pdf.para(f"{n}. {step}", size=8.5)

    pdf.footer_note("Rapport généré par odlab-compliance ; méthode et sources : page "
                    "« Méthode et sources » du tableau de bord.")
    return bytes(pdf.output())
