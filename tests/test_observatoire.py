"""Observatoire editions 2021 and 2022 read as dated snapshots (own fixtures, official shapes)."""

from __future__ import annotations

import pandas as pd
import pytest

from odlab_compliance.errors import InputError
from odlab_compliance.ingest.harvest.observatoire import COLUMNS, read_edition
from tests.conftest import FIXTURES

HERE = FIXTURES / "portals"
ED_2021 = HERE / "observatoire-organisations-2021.csv"
ED_2022 = HERE / "observatoire-organisations-2022-12-31.csv"


def _by_siren(df: pd.DataFrame) -> dict[str, dict]:
    return {r["siren"]: r for r in df.to_dict("records")}


def test_2021_edition_cleans_sirens_and_tells_shared_platforms():
    df = read_edition(ED_2021, "2021")
    assert list(df.columns) == COLUMNS
    rows = _by_siren(df)
    # trailing space and an invisible U+200E mark are gone
    assert {"254002272", "187609110"} <= set(rows)
    assert all(len(s) == 9 and s.isdigit() for s in df["siren"])
    acigne = rows["213500010"]
    assert acigne["via"] == "ptf" and acigne["statut"] == "publie_via_tiers"
    assert acigne["plateforme"] == "Data Rennes Métropole" and acigne["nb_jeux_ptf"] == 4
    assert acigne["type"] == "COM" and acigne["date_edition"] == "2021-12-31"
    # the body running the shared platform publishes itself
    assert rows["244900015"]["statut"] == "publie"
    assert rows["214900078"]["statut"] == "publie_via_tiers"     # Angers on Data Angers (CU)
    assert rows["214700015"]["statut"] == "publie"               # Agen, dedicated portal
    assert rows["243500139"]["via"] == "ptf+datagouv" and rows["243500139"]["statut"] == "publie"
    adacl = rows["254002272"]
    assert adacl["via"] == "datagouv" and adacl["statut"] == "publie"
    assert adacl["nb_jeux_datagouv"] == 6 and pd.isna(adacl["plateforme"])


def test_2022_edition_derives_via_and_platform_from_columns():
    df = read_edition(ED_2022, "2022")
    assert list(df.columns) == COLUMNS
    rows = _by_siren(df)
    assert rows["213500010"]["via"] == "ptf"
    assert rows["213500010"]["plateforme"] == "Data Rennes Métropole"
    assert rows["213500010"]["statut"] == "publie_via_tiers"
    assert rows["254002272"]["via"] == "datagouv"
    assert rows["232000018"]["via"] == "ptf+datagouv"
    assert rows["232000018"]["statut"] == "publie"           # platform not in the list
    assert rows["215202979"]["via"] == "datagouv"             # only the techno says it
    assert rows["200072049"]["type"] == "CC"
    assert rows["214900078"]["statut"] == "publie_via_tiers"  # trailing space in the SIREN
    assert rows["214700015"]["plateforme"] == "Data Agen" and rows["214700015"]["statut"] == "publie"
    assert set(df["date_edition"]) == {"2022-12-31"}
    assert df["nb_jeux_ptf"].isna().all()


def test_platforms_can_be_given_explicitly(env, tmp_path):
    copy = tmp_path / "orgs.csv"
    copy.write_bytes(ED_2021.read_bytes())
    # no platform list next to it, no mirror, no URL: no platform is known to be shared
    without = _by_siren(read_edition(copy, "2021"))
    assert without["213500010"]["statut"] == "publie"
    with_list = _by_siren(read_edition(copy, "2021",
                                       platforms=HERE / "observatoire-plateformes.csv"))
    assert with_list["213500010"]["statut"] == "publie_via_tiers"


def test_bad_rows_name_file_and_lines(tmp_path):
    bad = tmp_path / "observatoire-organisations-2021.csv"
    text = ED_2021.read_text(encoding="utf-8-sig").splitlines()
    text[2] = text[2].replace("254002272 ", "2540022")
    text[3] = text[3].replace(",datagouv,", ",ailleurs,")
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_edition(bad, "2021")
    message = str(err.value)
    assert str(bad) in message
    assert "ligne 3 : SIREN « 2540022 » : 7 chiffres au lieu de 9" in message
    assert "ligne 4 : merge « ailleurs »" in message
    with pytest.raises(InputError, match="colonnes manquantes"):
        read_edition(ED_2022, "2021")
    with pytest.raises(InputError, match="édition « 2019 » inconnue"):
        read_edition(ED_2021, "2019")


@pytest.mark.mirror
def test_mirror_editions(mirror_dir):
    odf = mirror_dir / "odf"
    e21 = read_edition(odf / "observatoire-organisations-2021.csv", "2021")
    e22 = read_edition(odf / "observatoire-organisations-2022-12-31.csv", "2022")
    assert len(e21) == 891 and len(e22) == 1060
    for df in (e21, e22):
        assert df["siren"].str.fullmatch(r"\d{9}").all()
        assert set(df["via"]) == {"ptf", "datagouv", "ptf+datagouv"}
        assert set(df["statut"]) == {"publie", "publie_via_tiers"}
    assert e21.loc[e21["siren"] == "213500010", "statut"].item() == "publie_via_tiers"
