"""The page registry and the menu: ``app.py`` hands the pages to ``st.navigation`` (whose
own menu is hidden) and ``menu`` draws the sidebar menu.

Our menu is links that carry the user's choices (territory, rule, "as of"): a click opens
the page with them in its URL in one step, so the address always describes what the page
shows, a link opened in a new tab keeps them, and the browser's back and forward buttons
step through pages (Streamlit's own menu drops the query string, and putting it back
afterwards adds history entries that "back" then walks through).

Adding a page is one line in ``PAGES`` (its file lives in ``pages/``). A page that needs
data (``needs_data``) is hidden while the database is empty; the first-run page is then
the only data page shown.
"""

from __future__ import annotations

import runpy
from dataclasses import dataclass

import streamlit as st

from odlab_compliance.config import PROJECT_ROOT

PAGES_DIR = PROJECT_ROOT / "pages"


@dataclass(frozen=True)
class PageSpec:
    file: str            # file name in pages/: the URL path + ".py" (see test_pages)
    title: str
    icon: str            # material icon
    url_path: str
    section: str = "Tableau de bord"
    needs_data: bool = True
    setup: bool = False  # the first-run page: default when the database is empty


PAGES: list[PageSpec] = [
    PageSpec("vue-ensemble.py", "Vue d'ensemble", ":material/dashboard:", "vue-ensemble"),
    PageSpec("carte.py", "Carte", ":material/map:", "carte"),
    PageSpec("fiche.py", "Fiche collectivité", ":material/description:", "fiche"),
    # Pages of the follow-up area (prefecture staff, workshop organisers).
    PageSpec("suivi.py", "Suivi", ":material/checklist:", "suivi", section="Suivi"),
    PageSpec("semaine.py", "Mes actions de la semaine", ":material/event_upcoming:", "semaine",
             section="Suivi"),
    PageSpec("changements.py", "Changements", ":material/compare_arrows:", "changements",
             section="Suivi"),
    PageSpec("atelier.py", "Atelier", ":material/groups:", "atelier", section="Suivi"),
    PageSpec("courriers.py", "Courriers et courriels", ":material/mail:", "courriers",
             section="Suivi"),
    PageSpec("prevision.py", "Prévision", ":material/trending_up:", "prevision",
             section="Suivi"),
    PageSpec("methode.py", "Méthode et sources", ":material/menu_book:", "methode",
             section="À propos", needs_data=False),
    PageSpec("rapprochements.py", "Rapprochements", ":material/rule:", "rapprochements",
             section="À propos"),
    PageSpec("installation.py", "Premier lancement", ":material/build:", "installation",
             section="À propos", needs_data=False, setup=True),
]


def spec(url_path: str) -> PageSpec:
    """The registered page of ``url_path`` (KeyError when none)."""
    for page in PAGES:
        if page.url_path == url_path:
            return page
    raise KeyError(url_path)


def page_for(spec: PageSpec, *, default: bool = False) -> st.Page:
    return st.Page(PAGES_DIR / spec.file, title=spec.title, icon=spec.icon,
                   url_path=spec.url_path, default=default)


HOME = "accueil"


def _home_of(entry: PageSpec) -> st.Page:
    """The app's root page: it shows ``entry`` (the overview). Streamlit serves its default
    page at "/" only, so the overview itself is an ordinary page and a bookmarked
    ``/vue-ensemble`` opens it instead of « Page not found »."""

    def home() -> None:
        runpy.run_path(str(PAGES_DIR / entry.file), run_name="__main__")

    # Hidden: the overview has its own link in the menu.
    return st.Page(home, title=entry.title, icon=entry.icon, url_path=HOME, default=True,
                   visibility="hidden")


def build(ready: bool) -> dict[str, list[st.Page]]:
    """Sections and pages for ``st.navigation``: everything when data is loaded (the root
    showing the first page), else the first-run page (default) and the pages that work
    without data. The root page is registered but not in the menu (see ``menu``)."""
    sections: dict[str, list[st.Page]] = {}
    home = None
    for entry in PAGES:
        if entry.needs_data and not ready:
            continue
        if ready and home is None and not entry.setup:
            home = _home_of(entry)
            sections.setdefault(entry.section, []).append(home)
        default = entry.setup and not ready
        sections.setdefault(entry.section, []).append(page_for(entry, default=default))
    return sections


def menu(sections: dict[str, list[st.Page]], params: dict[str, str]) -> None:
    """The sidebar menu: one link per page, carrying ``params`` (the shared choices)."""
    for section, pages in sections.items():
        st.caption(section)
        for page in pages:
            if page.visibility == "hidden":
                continue
            st.page_link(page, label=page.title, icon=page.icon, query_params=params,
                         width="stretch")



def switch_to(url_path: str) -> None:
    """Open a registered page by its url path (keeps the query parameters)."""
    st.switch_page(page_for(spec(url_path)), query_params=dict(st.query_params))
