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
