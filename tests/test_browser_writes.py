"""Nothing lost, nothing opened (issue 16, items 1-3), in a real headless Chromium against
a real ``streamlit run`` server on 127.0.0.1:

1. a server without sign-in and without ODLAB_LOCAL_WRITE: « Construire la base » is
   refused to an anonymous visitor, who never sees the server's mirror folder;
2. the worklist exported before a newer change, re-imported: the older line is refused
   (the stage stays where it was) until the editor confirms that line, then written;
3. a note typed into the exported « Dernière note » cell, with its date, is recorded.

Each was run against the code before the fix and failed there. Screenshots go to
artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import date
from pathlib import Path

import pytest

from odlab_compliance import db
from odlab_compliance.config import PROJECT_ROOT
from odlab_compliance.outreach import followup
from tests.conftest import FIXTURES
from tests.fixtures.dashboard import browser
from tests.fixtures.outreach.rows import MURET
from tests.test_browser_outreach import start  # noqa: F401 (the servers' fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
MIRROR = FIXTURES / "reference" / "mirror"


@pytest.fixture
def page(chromium):
    pg = browser.new_page(chromium)
    yield pg
    pg.context.close()


def _record(dbpath: Path, change: followup.Change) -> None:
    with db.connect(path=dbpath) as con:
        followup.record(con, [change], editor="alice", origin="page")


def _state(dbpath: Path) -> dict:
    with db.connect(path=dbpath, read_only=True) as con:
        st = followup.state(con)
    return st.set_index("siren").loc[MURET].to_dict()


def _download_worklist(page, target_dir: Path) -> Path:  # noqa: ANN001
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Télécharger (CSV)").first.click()
    target = target_dir / info.value.suggested_filename
    info.value.save_as(target)
    return target


def _upload(page, path: Path) -> None:  # noqa: ANN001
    page.get_by_text("Importer un tableau de suivi").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.wait_for_timeout(500)
    browser.wait_drawn(page)


def _import_button(page):  # noqa: ANN001, ANN202
    return page.get_by_role("button", name="Importer").last


def _import(page) -> None:  # noqa: ANN001
    _import_button(page).click()
    page.wait_for_timeout(500)
    browser.wait_drawn(page)


def _shoot(page, name: str) -> None:  # noqa: ANN001
    """The import's expander (the page scrolls inside Streamlit's main area)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    box = page.locator('[data-testid="stExpander"]').filter(has_text="Importer un tableau")
    box.first.screenshot(path=str(SHOTS / name))


def test_anonymous_visitor_cannot_build_the_base_nor_see_the_mirror(start, page):  # noqa: F811
    url, dbpath = start({"ODLAB_MIRROR_DIR": str(MIRROR)}, build=False)
    # an empty base: the root is Premier lancement
    browser.open_page(page, url + "/", title="Premier lancement")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "premier-lancement-lecture-seule.png"), full_page=True)
    body = page.locator('[data-testid="stMain"]').inner_text()
    button = page.get_by_role("button", name="Construire la base")
    # A reader is told what the data is and who to ask, never offered the build.
    assert button.count() == 0 or button.is_disabled()
    assert str(MIRROR) not in page.content()
    assert "miroir" not in body.lower()
    assert "administr" in body.lower()
    if button.count():
        button.click(force=True)
        page.wait_for_timeout(1500)
        browser.wait_drawn(page)
    assert "C'est prêt" not in page.locator('[data-testid="stMain"]').inner_text()
    if dbpath.exists():
        with db.connect(path=dbpath, read_only=True) as con:
            assert con.execute("SELECT count(*) FROM ref_collectivite").fetchone()[0] == 0


def test_an_older_export_is_refused_until_the_editor_confirms_it(start, page, tmp_path):  # noqa: F811
    url, dbpath = start({"ODLAB_LOCAL_WRITE": "1"})
    _record(dbpath, followup.Change(MURET, etape="contacte", date_effet=date(2026, 11, 2)))
    browser.open_page(page, url + "/suivi?t=dep:31", title="Suivi")
    older = _download_worklist(page, tmp_path)
    time.sleep(1.2)   # the export's « Mis à jour le » is to the second
    _record(dbpath, followup.Change(MURET, etape="accompagne", date_effet=date(2026, 11, 20)))

    browser.open_page(page, url + "/suivi?t=dep:31", title="Suivi")
    _upload(page, older)
    main = page.locator('[data-testid="stMain"]')
    _shoot(page, "suivi-import-apercu-ancien.png")
    # refused: the page says which line and why, and offers nothing to import until the
    # line is confirmed; Muret stays « Accompagnée »
    assert "plus ancienne que le suivi enregistré" in main.inner_text()
    assert "reculerait" in main.inner_text()
    if _import_button(page).is_enabled():
        _import(page)
    assert _state(dbpath)["etape"] == "accompagne"

    confirm = page.get_by_role("checkbox").filter(has_text="Muret")
    if not confirm.count():
        confirm = page.locator('[data-testid="stCheckbox"]').filter(has_text="Muret")
    confirm.first.click()
    browser.wait_drawn(page)
    _shoot(page, "suivi-import-apercu-confirme.png")
    _import(page)
    page.get_by_text("1 changement(s) importé(s)").first.wait_for(timeout=30_000)
    assert _state(dbpath)["etape"] == "contacte"
    assert browser.errors_on(page) == []


def test_a_note_typed_in_the_export_is_recorded_with_its_date(start, page, tmp_path):  # noqa: F811
    url, dbpath = start({"ODLAB_LOCAL_WRITE": "1"})
    _record(dbpath, followup.Change(MURET, etape="contacte", note="Premier appel",
                                    date_effet=date(2026, 11, 2)))
    browser.open_page(page, url + "/suivi?t=dep:31", title="Suivi")
    exported = _download_worklist(page, tmp_path)
    raw = exported.read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw), delimiter=";"))
    assert "Dernière note" in rows[0] and "Date de la note" in rows[0]
    for row in rows:
        if row["SIREN"] == MURET:
            row["Dernière note"] = "Rendez-vous fixé avec le DGS le 9 décembre"
            row["Date de la note"] = "03/12/2026"
    edited = tmp_path / "suivi-modifie.csv"
    with open(edited, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)

    _upload(page, edited)
    _shoot(page, "suivi-import-apercu-note.png")
    _import(page)
    page.get_by_text("1 changement(s) importé(s)").first.wait_for(timeout=30_000)
    now = _state(dbpath)
    assert now["derniere_note"] == "Rendez-vous fixé avec le DGS le 9 décembre"
    assert now["date_derniere_note"].date() == date(2026, 12, 3)
    assert now["etape"] == "contacte"
    assert browser.errors_on(page) == []


def test_an_editor_imports_the_prefectures_staff_counts_from_the_page(start, page, tmp_path):  # noqa: F811
    """Item 6: the remedy is a button, not `agents import FICHIER`: a bad file names its
    lines and writes nothing; a good one is previewed, then written."""
    from tests.fixtures.outreach.rows import AUCH, BLAGNAC

    url, dbpath = start({"ODLAB_LOCAL_WRITE": "1"})
    browser.open_page(page, url + "/installation?t=dep:31", title="Premier lancement")
    # the old data's banner names the button, not `python -m odlab_compliance harvest`
    assert "python -m" not in page.locator('[data-testid="stMain"]').inner_text()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(
        has_text="Fichier d'effectifs").locator('input[type="file"]')
    bad = tmp_path / "effectifs.csv"
    bad.write_text(f"siren;agents;annee;source\n{BLAGNAC};320;2025;DGS\n"
                   f"{AUCH};beaucoup;2025;DGS\n", encoding="utf-8")
    uploader.set_input_files(str(bad))
    error = page.locator('[data-testid="stAlertContentError"]').filter(has_text="ligne 3")
    error.wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Enregistrer").count() == 0

    good = tmp_path / "effectifs-prefecture.csv"
    good.write_text(f"siren;agents;annee;source\n{BLAGNAC};320;2025;DGS\n"
                    f"{AUCH};41;2025;courriel du 12/11\n", encoding="utf-8")
    uploader.set_input_files(str(good))
    button = page.get_by_role("button", name="Enregistrer 2 effectif(s)")
    button.wait_for(timeout=30_000)
    browser.wait_drawn(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator('[data-testid="stMain"]').screenshot(
        path=str(SHOTS / "premier-lancement-effectifs-apercu.png"))
    button.click()
    page.get_by_text("effectif(s) de préfecture enregistré(s)").wait_for(timeout=30_000)
    with db.connect(path=dbpath, read_only=True) as con:
        got = dict(con.execute("SELECT siren, agents_min FROM agents WHERE source = "
                               "'prefecture' AND siren IN (?, ?)", [BLAGNAC, AUCH]).fetchall())
    assert got == {BLAGNAC: 320, AUCH: 41}
    assert browser.errors_on(page) == []
