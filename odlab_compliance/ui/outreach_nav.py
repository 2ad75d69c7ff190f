"""The outreach pages, as entries of the dashboard's page registry.

``navigation.PAGES`` (the dashboard's) lists the pages shown; these four are added there
by one line: ``PAGES += outreach_nav.PAGES`` (see docs/outreach.md).
"""

from __future__ import annotations

from odlab_compliance.ui.navigation import PageSpec

SECTION = "Suivi et ateliers"
PAGES: list[PageSpec] = [
    PageSpec("suivi.py", "Suivi", ":material/checklist:", "suivi", section=SECTION),
    PageSpec("changements.py", "Changements", ":material/compare_arrows:", "changements",
             section=SECTION),
    PageSpec("atelier.py", "Atelier", ":material/groups:", "atelier", section=SECTION),
    PageSpec("prevision.py", "Prévision", ":material/trending_up:", "prevision",
             section=SECTION),
]


def register(pages: list[PageSpec]) -> None:
    """Append the outreach pages to a registry that does not list them yet."""
    known = {p.file for p in pages}
    pages.extend(p for p in PAGES if p.file not in known)
