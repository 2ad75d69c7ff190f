"""`agents import`: Sirene CSV/Parquet and prefecture CSV, the override, and bad input.

Every bad file must be refused with a French message naming the file and the lines, and
leave the database exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.errors import InputError
from odlab_compliance.ingest.agents.detect import (
    PREFECTURE_CSV,
    SIRENE_CSV,
    SIRENE_PARQUET,
    detect,
)
from odlab_compliance.ingest.agents.importer import import_file
from odlab_compliance.ingest.agents.store import effective_agents
from tests.conftest import FIXTURES

AGENTS = FIXTURES / "agents"
SIRENE_HEADER = ("siren,statutDiffusionUniteLegale,trancheEffectifsUniteLegale,"
                 "anneeEffectifsUniteLegale,denominationUniteLegale,categorieJuridiqueUniteLegale")
PREF_HEADER = "siren;agents;annee;source"


@pytest.fixture
def con(settings):
    with db.connect(settings) as c:
        yield c


@pytest.fixture
def loaded(con):
    """A database holding the Sirene fixture and the prefecture fixture."""
    import_file(con, AGENTS / "sirene_stock.csv")
    import_file(con, AGENTS / "prefecture.csv")
    return con


def snapshot(con) -> list[tuple]:
    return con.execute("SELECT siren, source, tranche, agents_min, agents_max, annee, "
                       "source_detail, imported_at FROM agents ORDER BY siren, source").fetchall()


def by_siren(con) -> dict[str, dict]:
    df = effective_agents(con)
    return {r["siren"]: r for r in df.to_dict("records")}


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


# --- detection -------------------------------------------------------------------------

def test_detects_the_three_formats():
    assert detect(AGENTS / "sirene_stock.csv").kind == SIRENE_CSV
    assert detect(AGENTS / "sirene_stock.csv").delimiter == ","
    assert detect(AGENTS / "sirene_stock.parquet").kind == SIRENE_PARQUET
    fmt = detect(AGENTS / "prefecture.csv")
    assert (fmt.kind, fmt.delimiter, fmt.encoding) == (PREFECTURE_CSV, ";", "utf-8")


# --- Sirene ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sirene_stock.csv", "sirene_stock.parquet"])
def test_sirene_keeps_public_units_with_bounds(con, name):
    report = import_file(con, AGENTS / name)
    assert report.written == 10 and report.unknown_bands == 2
    rows = by_siren(con)
    assert "552081317" not in rows and "404833048" not in rows   # companies (5xxx)
    toulouse = rows["213105554"]
    assert (toulouse["agents_tranche"], toulouse["agents_min"], toulouse["agents_annee"]) == (
        "53", 10000, 2023)
    assert pd.isna(toulouse["agents_max"])
    assert (rows["243100534"]["agents_min"], rows["243100534"]["agents_max"]) == (50, 99)
    assert (rows["273100016"]["agents_min"], rows["273100016"]["agents_max"]) == (0, 0)
    # NN and an empty band are unknown, not zero.
    nn, empty = rows["213100696"], rows["213100225"]
    assert nn["agents_tranche"] == "NN"
    for r in (nn, empty):
        assert pd.isna(r["agents_min"]) and pd.isna(r["agents_max"])
    assert "catégorie juridique 7361" in rows["263100018"]["agents_source_detail"]
    assert "unité(s) publique(s)" in report.summary()


def test_sirene_import_replaces_previous_sirene_rows(con, tmp_path):
    import_file(con, AGENTS / "sirene_stock.csv")
    small = write(tmp_path, "stock2.csv", SIRENE_HEADER + "\n213105554,O,52,2024,TOULOUSE,7210\n")
    report = import_file(con, small)
    assert report.replaced == 10 and report.written == 1
    assert con.execute("SELECT count(*) FROM agents WHERE source = 'sirene'").fetchall() == [(1,)]


def test_sirene_semicolon_bom_and_excel_cp1252_are_accepted(con, tmp_path):
    text = ("siren;trancheEffectifsUniteLegale;anneeEffectifsUniteLegale;"
            "denominationUniteLegale;categorieJuridiqueUniteLegale\r\n"
            "213105554;53;2023;COMMUNE DE TOULOUSE;7210\r\n"
            "200030229;12;2022;CC DES COTEAUX DU GIROU (GRÉPIAC);7346\r\n")
    bom = write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert import_file(con, bom).written == 2
    cp = write(tmp_path, "excel.csv", text.encode("cp1252"))
    report = import_file(con, cp)
    assert report.written == 2
    assert any("Windows-1252" in n for n in report.notes)


# --- prefecture and the override -------------------------------------------------------

def test_prefecture_overrides_sirene_and_api(loaded):
    from odlab_compliance.ingest.agents import store

    store.upsert(loaded, store.normalize_rows(pd.DataFrame([{
        "siren": "243100534", "tranche": "22", "agents_min": 100, "agents_max": 199,
        "annee": 2025, "source_detail": "API"}])), "recherche_entreprises")
    rows = by_siren(loaded)
    sicoval = rows["243100534"]       # Sirene says 21 (2023), API 22 (2025), prefecture 48
    assert (sicoval["agents_source"], sicoval["agents_min"], sicoval["agents_max"]) == (
        "prefecture", 48, 48)
    assert pd.isna(sicoval["agents_tranche"])
    assert sicoval["agents_source_detail"] == "prefecture.csv : Bilan social 2024"
    # 52,5 ETP is rounded down; an exact count has no band.
    assert rows["200030229"]["agents_min"] == 52
    assert rows["213105554"]["agents_source"] == "sirene"


def test_api_wins_on_newer_year_and_known_band_beats_unknown(loaded):
    from odlab_compliance.ingest.agents import store

    store.upsert(loaded, pd.DataFrame([
        {"siren": "213105554", "tranche": "52", "agents_min": 5000, "agents_max": 9999,
         "annee": 2024, "source_detail": "API"},
        {"siren": "223100017", "tranche": None, "agents_min": None, "agents_max": None,
         "annee": 2025, "source_detail": "API"},
    ]), "recherche_entreprises")
    rows = by_siren(loaded)
    assert rows["213105554"]["agents_source"] == "recherche_entreprises"
    # An unknown band, even newer, does not hide a known one.
    assert rows["223100017"]["agents_source"] == "sirene"


def test_prefecture_reimport_updates_only_its_sirens(loaded, tmp_path):
    f = write(tmp_path, "p2.csv", PREF_HEADER + "\n243100534;61;2025;Bilan social 2025\n")
    report = import_file(loaded, f)
    assert (report.written, report.replaced) == (1, 1)
    rows = by_siren(loaded)
    assert rows["243100534"]["agents_min"] == 61
    assert rows["213100225"]["agents_min"] == 12      # untouched


def test_prefecture_latin1_excel_file_is_refused_naming_the_line(loaded, tmp_path):
    content = (PREF_HEADER + "\r\n243100534;61;2025;ok\r\n"
               "213100225;14;2025;Déclaration du maire\r\n")
    f = write(tmp_path, "pref-excel.csv", content.encode("cp1252"))
    before = by_siren(loaded)
    with pytest.raises(InputError) as err:
        import_file(loaded, f)
    text = str(err.value)
    assert "pref-excel.csv" in text and "UTF-8" in text and "ligne 3" in text
    assert "ligne 2 " not in text
    assert by_siren(loaded) == before


def test_prefecture_comma_bom_and_header_variants(con, tmp_path):
    f = write(tmp_path, "p.csv", "\ufeffSIREN,Agents,Année,Source\n213100225,\"1 250\",2024,x\n")
    assert import_file(con, f).written == 1
    assert by_siren(con)["213100225"]["agents_min"] == 1250


# --- bad input: clear message, nothing written -----------------------------------------

BAD_PREFECTURE = {
    "missing_columns": ("siren;agents\n213100225;12\n", ["annee", "source", "ligne 1"]),
    "duplicate": (PREF_HEADER + "\n213100225;12;2024;a\n243100534;4;2024;b\n"
                  "213100225;13;2024;c\n", ["ligne 4", "en double (lignes 2, 4)"]),
    "invalid_siren": (PREF_HEADER + "\n213100226;12;2024;a\n", ["ligne 2", "clé de contrôle"]),
    "short_siren": (PREF_HEADER + "\n2131002;12;2024;a\n", ["ligne 2", "7 chiffres"]),
    "siren_scientific": (PREF_HEADER + "\n2.131E+08;12;2024;a\n213100225.0;3;2024;b\n",
                         ["ligne 2", "ligne 3", "nombre (tableur)"]),
    "negative_agents": (PREF_HEADER + "\n213100225;-3;2024;a\n", ["ligne 2", "négatif"]),
    "text_agents": (PREF_HEADER + "\n213100225;beaucoup;2024;a\n",
                    ["ligne 2", "un nombre est attendu"]),
    "absurd_year": (PREF_HEADER + "\n213100225;12;1789;a\n243100534;4;20244;b\n",
                    ["ligne 2", "ligne 3", "invraisemblable"]),
    "empty_file": ("", ["fichier vide"]),
    "header_only": (PREF_HEADER + "\n", ["aucune ligne de données"]),
    "unknown_format": ("nom;population\nToulouse;500000\n", ["colonne(s) manquante(s)",
                                                              "siren"]),
}


def test_all_bad_lines_are_listed_together(con, tmp_path):
    path = write(tmp_path, "many.csv", PREF_HEADER + "\n213100226;12;2024;a\n"
                 "213100225;-1;2024;b\n213100225;1;2024;c\n")
    with pytest.raises(InputError) as info:
        import_file(con, path)
    lines = [e.line for e in info.value.errors]
    assert lines == sorted(lines) and {2, 3} <= set(lines)
    assert "Aucune donnée n'a été enregistrée." in str(info.value)


BAD_SIRENE = {
    "missing_column": (SIRENE_HEADER.replace(",trancheEffectifsUniteLegale", "")
                       + "\n213105554,O,2023,TOULOUSE,7210\n",
                       ["trancheEffectifsUniteLegale", "manquante"]),
    "bad_band_and_duplicate": (SIRENE_HEADER + "\n552081317,O,53,2023,EDF,5599\n"
                               "213105554,O,1,2023,TOULOUSE,7210\n"
                               "243100534,O,21,2023,SICOVAL,7348\n"
                               "243100534,O,21,2023,SICOVAL BIS,7348\n",
                               ["ligne 3", "« 1 »", "ligne 5", "en double (lignes 4, 5)"]),
    "invalid_siren_and_year": (SIRENE_HEADER + "\n213105555,O,53,2023,TOULOUSE,7210\n"
                               "243100534,O,21,1850,SICOVAL,7348\n",
                               ["ligne 2", "clé de contrôle", "ligne 3", "1850"]),
    "no_public_unit": (SIRENE_HEADER + "\n552081317,O,53,2023,EDF,5599\n",
                       ["aucune unité publique"]),
    "ragged_line": (SIRENE_HEADER + "\n213105554,O,53,2023,TOULOUSE,7210,en trop,encore\n",
                    ["lecture impossible", "ligne 2 : ligne illisible", "6 attendues"]),
}


BAD_FILES = {**BAD_PREFECTURE, **{f"sirene_{k}": v for k, v in BAD_SIRENE.items()}}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_refused_and_db_unchanged(loaded, tmp_path, case):
    content, expected = BAD_FILES[case]
    path = write(tmp_path, f"{case}.csv", content)
    before = snapshot(loaded)
    with pytest.raises(InputError) as info:
        import_file(loaded, path)
    message = str(info.value)
    assert message.startswith(f"{case}.csv : ")
    for fragment in expected:
        assert fragment in message, message
    assert snapshot(loaded) == before


def test_bad_sirene_parquet_names_the_row(loaded, tmp_path):
    import duckdb

    path = tmp_path / "bad.parquet"
    c = duckdb.connect()
    c.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?)",
              [str(AGENTS / "sirene_stock.parquet")]).fetchall()
    c.execute("UPDATE t SET siren = '243100519' WHERE siren = '243100518'").fetchall()
    c.table("t").write_parquet(str(path))
    before = snapshot(loaded)
    with pytest.raises(InputError) as info:
        import_file(loaded, path)
    assert "ligne 4 : SIREN « 243100519 » : clé de contrôle invalide" in str(info.value)
    assert snapshot(loaded) == before


def test_excel_workbook_is_refused(con, tmp_path):
    path = write(tmp_path, "effectifs.xlsx", b"PK\x03\x04rest-of-a-zip")
    with pytest.raises(InputError, match="enregistrez-le au format CSV"):
        import_file(con, path)


# --- CLI -------------------------------------------------------------------------------

def test_cli_import_prints_a_french_summary(settings, capsys):
    assert main(["agents", "import", str(AGENTS / "sirene_stock.parquet")]) == 0
    out = capsys.readouterr().out
    assert "10 unité(s) publique(s)" in out and "pas zéro" in out


def test_cli_import_bad_file_exit_2_and_names_lines(settings, tmp_path, capsys):
    path = write(tmp_path, "dup.csv", PREF_HEADER + "\n213100225;1;2024;a\n213100225;2;2024;b\n")
    assert main(["agents", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "dup.csv" in err and "ligne 3" in err and "Aucune donnée" in err
    with db.connect(settings) as c:
        assert c.execute("SELECT count(*) FROM agents").fetchall() == [(0,)]


def test_cli_help_everywhere(capsys):
    for argv in (["agents", "--help"], ["agents", "import", "--help"],
                 ["agents", "fetch", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
    assert "préfecture" in capsys.readouterr().out


def test_la_poste_siren_passes_the_luhn_key(con, tmp_path):
    # The La Poste exception concerns the SIRETs of its establishments, not its SIREN.
    f = write(tmp_path, "poste.csv", PREF_HEADER + "\n356000000;1200;2024;test\n")
    assert import_file(con, f).written == 1


@pytest.mark.mirror
def test_mirror_sample_is_read_with_its_real_types(mirror_dir, con):
    """The mirror's 15 real rows are companies: the real column types are read, and the
    file is refused for holding no public unit, with the database left empty."""
    sample = mirror_dir / "samples" / "sirene-stockunitelegale-schema-sample.parquet"
    assert detect(sample).kind == SIRENE_PARQUET
    with pytest.raises(InputError, match="aucune unité publique"):
        import_file(con, sample)
    assert snapshot(con) == []


def test_cp1252_bytes_beyond_the_detected_head_of_a_sirene_csv(con, tmp_path):
    """Detection looks at the first 64 KB only. A later Excel byte in a column never read
    does not matter; in a column that is read, DuckDB's refusal leads to a cp1252 reading
    and the bad cell is reported with its line."""
    filler = "".join(f"404833048,O,41,2023,SOCIETE {i},5710\n" for i in range(2500))
    good = SIRENE_HEADER + "\n" + filler + "213105554,O,53,2023,TOULOUSE (É),7210\n"
    path = write(tmp_path, "late.csv", good.encode("cp1252"))
    assert path.stat().st_size > 70_000
    assert import_file(con, path).written == 1
    bad = SIRENE_HEADER + "\n" + filler + "213105554,O,5É,2023,TOULOUSE,7210\n"
    path = write(tmp_path, "late_bad.csv", bad.encode("cp1252"))
    with pytest.raises(InputError) as info:
        import_file(con, path)
    assert "ligne 2502 : tranche d'effectifs « 5É » inconnue" in str(info.value)


def test_cli_status(settings, capsys):
    assert main(["agents", "status"]) == 0
    assert "Aucun effectif chargé" in capsys.readouterr().out
    main(["agents", "import", str(AGENTS / "sirene_stock.csv")])
    main(["agents", "import", str(AGENTS / "prefecture.csv")])
    capsys.readouterr()
    assert main(["agents", "status"]) == 0
    out = capsys.readouterr().out
    assert "prefecture : 3 SIREN, 3 avec effectif connu, dont 1 à 50 ou plus" in out
    assert "sirene : 10 SIREN, 8 avec effectif connu, dont 5 à 50 ou plus" in out
