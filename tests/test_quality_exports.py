"""Grades in the status export and its datapackage (the grid's version travels with them),
on the dashboard's fixture database through the real command line."""

from __future__ import annotations

import json

import pandas as pd

from odlab_compliance.cli import main
from odlab_compliance.config import load_settings
from odlab_compliance.model import quality
from tests.fixtures.dashboard import build_db

TOULOUSE, COLOMIERS = "213105554", "213101496"


def test_export_status_carries_grades_and_the_grid(env, tmp_path, monkeypatch):
    build_db.build(load_settings())
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(build_db.MIRROR))
    out = tmp_path / "statut.csv"
    assert main(["export", "status", "--output", str(out)]) == 0
    df = pd.read_csv(out, sep=";", dtype=str, encoding="utf-8-sig").set_index("siren")
    tlse = df.loc[TOULOUSE]
    assert (tlse["note"], tlse["note_partielle"]) == ("D", "non")
    assert tlse["schemas_scdl_non_conformes"] == "scdl/deliberations"
    assert "non conforme : délibérations" in tlse["pourquoi_note"]
    assert tlse["version_grille"] == quality.GRID_VERSION
    assert "mettre à jour au moins un jeu" in df.loc[COLOMIERS, "pour_progresser"]
    assert set(df["note"]) <= {"A", "B", "C", "D", "E"}
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert package["grille_qualite"]["version"] == quality.GRID_VERSION
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["note"]["constraints"]["enum"] == ["A", "B", "C", "D", "E"]
    assert fields["note_partielle"]["trueValues"] == ["oui"]


def test_export_observatoire_edition_grades_are_partial(env, tmp_path, monkeypatch):
    build_db.build(load_settings(), harvest=False)
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(build_db.MIRROR))
    out = tmp_path / "statut.csv"
    assert main(["export", "status", "--output", str(out)]) == 0
    df = pd.read_csv(out, sep=";", dtype=str, encoding="utf-8-sig")
    # The fixture's newest edition (2022) gives no counts: publishers get no grade (not
    # E), and say why; the others are E (nothing found).
    listed = df[df["statut"].isin(["publie", "publie_via_tiers"])]
    assert len(listed) == 5 and listed["note"].isna().all()
    assert listed["pourquoi_note"].str.contains("ne donne pas le nombre de jeux").all()
    assert main(["export", "status", "--snapshot", "2021-12-31", "--output", str(out)]) == 0
    df = pd.read_csv(out, sep=";", dtype=str, encoding="utf-8-sig")
    graded = df[df["statut"].isin(["publie", "publie_via_tiers"])]
    assert len(graded) and set(graded["note_partielle"]) == {"oui"}
    assert graded["pourquoi_note"].str.contains("ne donne que le nombre de jeux").all()


def test_sheet_pdf_with_quality_stays_one_page(frame):
    """The fullest quality section (two non-conforming files with long messages) still
    fits the one-page fiche, with the grade and the file's first error in it."""
    import re
    import subprocess

    from odlab_compliance.analysis import quality as aq
    from odlab_compliance.analysis.sheet import build_sheet, similar
    from odlab_compliance.present import sheet_pdf
    from tests.conftest import require_tool

    row = frame[frame["siren"] == TOULOUSE].iloc[0].to_dict()
    row["motif"] = "Obligée : 511 684 habitants (population totale 2023) ≥ 3 500 et " * 3
    ev = pd.DataFrame({"schemas": ["scdl/deliberations"], "last_update": ["2026-10-01"],
                       "title": ["Délibérations"]})
    hist = pd.DataFrame({"label": ["31/12/2021", "31/12/2022"], "statut": ["publie"] * 2})
    sheet = build_sheet(row, ev, similar(frame, TOULOUSE), None, hist, "27/11/2026")
    long = "ligne 3, colonne DELIB_DATE : Format de date incorrect " + "x" * 200
    alerts = [aq.Alert(f"Fichier {i}", "délibérations", 12, [long] * 3) for i in range(3)]
    sec = aq.QualitySection("D", False, "Note D : " + "2 jeux, " * 60, ["publier 1 jeu de plus",
                            "mettre à jour 2 jeux en retard"], "C", alerts)
    data = sheet_pdf.render(sheet, sec)
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    require_tool("pdftotext")
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()
    assert "note D" in text and "Pour passer à C" in text
    assert "Fichier 0" in text and "autre(s) fichier(s) non conforme(s)" in text
