"""From the mirror to the export: the 2026 vintage, each rule, against published figures."""

from __future__ import annotations

import csv
import io

import pytest

from odlab_compliance.cli import main
from odlab_compliance.db import connect
from odlab_compliance.model.obligation import OUTPUT_COLUMNS, obligations

pytestmark = [pytest.mark.mirror, pytest.mark.slow]


@pytest.fixture(scope="module")
def mirror_home(mirror_dir, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("mirror_home")
    mp.setenv("ODLAB_HOME", str(home))
    mp.delenv("ODLAB_DB", raising=False)
    mp.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
    assert main(["reference", "update", "--vintage", "2026"]) == 0
    yield home
    mp.undo()


def test_export_and_counts_near_the_observatoire(mirror_home, tmp_path):
    out = tmp_path / "o.csv"
    assert main(["export", "obligations", "--vintage", "2026", "--rule", "odf",
                 "--output", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0])[: len(OUTPUT_COLUMNS)] == OUTPUT_COLUMNS
    assert len(rows) > 35_000
    by_code = {(r["code_insee"], r["type"]): r for r in rows}
    assert by_code[("2A004", "COM")]["obligation"] == "obligee"          # Ajaccio, text code
    assert by_code[("01001", "COM")]["obligation"] == "non_obligee"
    obliged = sum(r["obligation"] == "obligee" for r in rows)
    # The Observatoire open data des territoires publishes about 4,400-4,600 obliged
    # collectivités (docs/obligation.md, « Chiffres »).
    assert 4_000 <= obliged <= 5_000


def test_legal_rule_without_agent_data_never_concludes_obliged(mirror_home):
    with connect() as con:
        df = obligations(con, 2026, "legal")
    assert not (df["obligation"] == "obligee").any()
    assert df.loc[df["type"] != "COM", "obligation"].eq("a_verifier").all()
    paris = df[(df["code_insee"] == "75056") & (df["type"] == "COM")].iloc[0]
    assert paris["motif"].startswith("À vérifier : 2\u202f")
