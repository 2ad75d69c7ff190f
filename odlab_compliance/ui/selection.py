"""The user's choices as data: the statuses of the chosen territory, rule and snapshot
(with the notice a page shows when there are none), the trend, the names of sub-areas."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from odlab_compliance.model.status import StatusAt
from odlab_compliance.present import area_maps
from odlab_compliance.ui import cache, render
from odlab_compliance.ui.shell import Context

MAX_TREND_POINTS = 12


def selection(ctx: Context) -> StatusAt | None:
    """The statuses of the user's choices, with the French notices a page needs (empty
    base, no snapshot yet); None (with a message) when nothing can be shown."""
    if not ctx.ready:
        st.info("La base est vide : ouvrez la page « Premier lancement ».")
        return None
    at = None
    with render.guard("le statut de publication"):
        at = ctx.status_at()
        if not at.has_status:
            st.info("Aucune collecte n'est encore enregistrée : seule l'obligation est "
                    "affichée. Lancez `python -m odlab_compliance harvest`.")
    return at


def trend(ctx: Context) -> pd.DataFrame:
    """The territory's figures at each snapshot (oldest first, the last 12)."""
    return cache.series(ctx.sig, ctx.territory, ctx.rule).tail(MAX_TREND_POINTS)


def child_names(ctx: Context, level: str) -> dict[str, str]:
    """Code → name of the areas of ``level`` in the newest reference."""
    return area_maps.child_names(ctx.ref, ctx.territories, level)
