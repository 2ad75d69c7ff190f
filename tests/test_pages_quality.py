"""Publication quality where people decide, through ``AppTest`` on the fixture database:
the sheet (grade, why, what to fix, the datasets table), the overview (grade
distribution, peers' median), the Méthode page (the grid), Changements (grade changes),
the map's colour-by-grade option."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from odlab_compliance.model import quality
from tests import test_pages as pages
from tests.test_pages import dash, shared_home  # noqa: F401 (the shared fixture database)

pytestmark = pytest.mark.usefixtures("dash")


def run_app(query: dict | None = None, page: str | None = None) -> AppTest:
    at = pages.run_app(query, page)
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(markdown: str) -> str:
    """Markdown source as read (the pages escape harvested text)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(at: AppTest) -> str:
    return plain(" ".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                          + [s.value for s in at.subheader] + [e.value for e in at.warning]))


def test_sheet_says_what_is_wrong_and_what_to_fix():
    at = run_app({"siren": "213105554"}, page="pages/fiche.py")
    assert "Qualité de la publication : note D" in [s.value for s in at.subheader]
    alert = plain(at.warning[0].value)
    assert "Délibérations du conseil municipal" in alert and "délibérations : 2 erreurs" in alert
    assert "ligne 3, colonne DELIB_DATE : Format de date incorrect" in alert
    assert "validata.fr" in alert
    body = texts(at)
    assert "Pour passer à C" in body and "publier 1 jeu de plus" in body
    table = next(d.value for d in at.dataframe if "conformite" in d.value.columns)
    row = table[table["titre"] == "Délibérations du conseil municipal"].iloc[0]
    assert (row["conformite"], row["a_jour"], row["frequence"]) == (
        "Non conforme (2 erreurs)", "oui", "mensuelle")
    assert "None" not in table.astype(str).to_numpy().ravel().tolist()


def test_sheet_without_datasets_is_e_and_says_so():
    at = run_app({"siren": "213100696"}, page="pages/fiche.py")   # Blagnac
    assert "Qualité de la publication : note E" in [s.value for s in at.subheader]
    assert "aucun jeu publié trouvé" in texts(at)
    assert not at.warning


def test_overview_grade_distribution_and_peers():
    at = run_app({"t": "dep:31"})
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Note médiane du territoire"] == "E"
    assert "Note médiane · Autres départements" in metrics
    table = next(d.value for d in at.dataframe if list(d.value.columns)[:2] == ["note",
                                                                                 "nombre"])
    assert dict(zip(table["note"], table["nombre"], strict=True))["D"] == "2"


def test_method_page_shows_the_grid_and_its_version():
    at = run_app(page="pages/methode.py")
    body = texts(at)
    assert "Qualité de la publication : la note de A à E" in [h.value for h in at.header]
    for level in quality.GRID:
        for rule in level.rules:
            assert rule.label in body
    assert quality.GRID_VERSION in body


def test_changes_page_lists_grade_changes():
    at = run_app(page="pages/changements.py")
    metrics = {m.label: m.value for m in at.metric}
    assert "Notes en baisse (à surveiller)" in metrics and "Notes en hausse" in metrics
    assert "Notes de publication : évolutions" in [s.value for s in at.subheader]


def test_map_can_colour_communes_by_grade():
    at = run_app({"t": "dep:31"}, page="pages/carte.py")
    at.radio(key="carte_colour").set_value("grades").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "note de publication" in " ".join(c.value for c in at.caption)
