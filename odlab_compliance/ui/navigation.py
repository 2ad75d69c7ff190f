"""The page registry: ``app.py`` hands it to ``st.navigation``.

Adding a page is one line in ``PAGES`` (its file lives in ``pages/``). A page that needs
data (``needs_data``) is hidden while the database is empty; the first-run page is then
the only data page shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from odlab_compliance.config import PROJECT_ROOT

PAGES_DIR = PROJECT_ROOT / "pages"


@dataclass(frozen=True)
class PageSpec:
    file: str            # file name in pages/
    title: str
    icon: str            # material icon
    url_path: str
    section: str = "Tableau de bord"
    needs_data: bool = True
    setup: bool = False  # the first-run page: default when the database is empty


PAGES: list[PageSpec] = [
    PageSpec("vue_ensemble.py", "Vue d'ensemble", ":material/dashboard:", "vue-ensemble"),
    PageSpec("carte.py", "Carte", ":material/map:", "carte"),
    PageSpec("fiche.py", "Fiche collectivité", ":material/description:", "fiche"),
    # Pages of the follow-up area (prefecture staff, workshop organisers).
    PageSpec("suivi.py", "Suivi", ":material/checklist:", "suivi", section="Suivi"),
    PageSpec("changements.py", "Changements", ":material/compare_arrows:", "changements",
             section="Suivi"),
    PageSpec("atelier.py", "Atelier", ":material/groups:", "atelier", section="Suivi"),
    PageSpec("prevision.py", "Prévision", ":material/trending_up:", "prevision",
             section="Suivi"),
    PageSpec("methode.py", "Méthode et sources", ":material/menu_book:", "methode",
             section="À propos", needs_data=False),
    PageSpec("premier_lancement.py", "Premier lancement", ":material/build:", "installation",
             section="À propos", needs_data=False, setup=True),
]


def page_for(spec: PageSpec, *, default: bool = False) -> st.Page:
    return st.Page(PAGES_DIR / spec.file, title=spec.title, icon=spec.icon,
                   url_path=spec.url_path, default=default)


def build(ready: bool) -> dict[str, list[st.Page]]:
    """Sections and pages for ``st.navigation``: everything when data is loaded, else the
    first-run page (default) and the pages that work without data."""
    sections: dict[str, list[st.Page]] = {}
    first_default = True
    for spec in PAGES:
        if spec.needs_data and not ready:
            continue
        default = (spec.setup if not ready else (first_default and not spec.setup))
        if default:
            first_default = False
        sections.setdefault(spec.section, []).append(page_for(spec, default=default))
    return sections


def switch_to(url_path: str) -> None:
    """Open a registered page by its url path (keeps the query parameters)."""
    for spec in PAGES:
        if spec.url_path == url_path:
            st.switch_page(page_for(spec), query_params=dict(st.query_params))
    raise KeyError(url_path)
