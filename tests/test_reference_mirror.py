"""End-to-end: each reference vintage built from the offline mirror (ODLAB_MIRROR_DIR)."""

from __future__ import annotations

from pathlib import Path

import pytest

from odlab_compliance import db
from odlab_compliance.config import load_settings
from odlab_compliance.ingest.reference.load import load_vintage

pytestmark = [pytest.mark.mirror, pytest.mark.slow]


def _load(vintage: int, mirror_dir: Path, env: dict[str, str],
          monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
    settings = load_settings()
    with db.connect(settings) as con:
        report = load_vintage(con, vintage, settings)
        types = dict(con.execute("SELECT type, count(*) FROM ref_collectivite WHERE vintage = ? "
                                 "GROUP BY type", [vintage]).fetchall())
        special = dict(con.execute(
            "SELECT type || ' ' || code_insee, siren FROM ref_collectivite "
            "WHERE vintage = ? AND statut_particulier IS NOT NULL", [vintage]).fetchall())
        no_point = con.execute("SELECT count(*) FROM ref_collectivite WHERE vintage = ? "
                               "AND lon IS NULL", [vintage]).fetchall()[0][0]
        levels = dict(con.execute("SELECT niveau, count(*) FROM ref_geometry WHERE vintage = ? "
                                  "GROUP BY niveau", [vintage]).fetchall())
        terr = {r[0] for r in con.execute("SELECT code FROM ref_territoire WHERE vintage = ? "
                                          "AND niveau = 'DEP'", [vintage]).fetchall()}
    return {"report": report, "types": types, "special": special, "no_point": no_point,
            "levels": levels, "terr": terr}


EXPECTED_SPECIAL = {"COM 75056": "217500016", "REG 94": "200076958", "REG 02": "200055507",
                    "REG 03": "200052678", "DEP 976": "229850003", "DEP 6AE": "200094332"}


def test_build_2026_from_mirror(mirror_dir, env, monkeypatch):
    r = _load(2026, mirror_dir, env, monkeypatch)
    t = r["types"]
    assert t["COM"] == 34_875
    assert t["CC"] + t["CA"] + t["CU"] + t["MET"] == 1_255
    assert t["EPT"] == 11 and t["DEP"] == 95 and t["REG"] == 17
    special = r["special"]
    assert {k: v for k, v in special.items() if k in EXPECTED_SPECIAL} == EXPECTED_SPECIAL
    assert special["MET 200046977"] == "200046977"            # Métropole de Lyon
    assert {"67", "68", "2A", "2B", "75"} <= r["terr"] and len(r["terr"]) == 101
    assert r["levels"] == {"COM": 34_868, "EPCI": 1_255, "DEP": 101, "REG": 18}
    assert r["no_point"] == 7          # communes changed in 2025-2026 with no outline yet
    assert r["report"].counts["geojson_octets"]["DEP"] < 1_000_000


def test_build_2022_from_mirror(mirror_dir, env, monkeypatch):
    r = _load(2022, mirror_dir, env, monkeypatch)
    t = r["types"]
    assert t["COM"] == 34_955 and t["EPT"] == 11     # EPT file of the 3.1.1 package
    assert t["CC"] + t["CA"] + t["CU"] + t["MET"] == 1_255
    assert {k: v for k, v in r["special"].items() if k in EXPECTED_SPECIAL} == EXPECTED_SPECIAL
    assert r["no_point"] < 100
    assert any("sans contour" in w for w in r["report"].warnings)
