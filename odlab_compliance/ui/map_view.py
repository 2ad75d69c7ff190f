"""A map on a page: the Carte page's figure for the user's choices (kept by
``cache.map_figure``) and the click that zooms into an area or opens a sheet."""

from __future__ import annotations

from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from odlab_compliance import territory as terr
from odlab_compliance.ui import cache, navigation, shell
from odlab_compliance.ui.shell import Context


def shown_map(ctx: Context, kind: str, arg: str, basemap: bool) -> tuple[go.Figure, pd.DataFrame]:
    """The Carte page's figure and its table: ``kind`` ``rate`` (``arg``: REG or DEP) or
    ``communes`` (``arg``: the département)."""
    return cache.map_figure(ctx.sig, ctx.rule, ctx.snapshot, ctx.territory, kind, arg, basemap)


def _zoom(key: str, level: str, areas: frozenset[str]) -> None:
    """The map's ``on_select`` callback at France or région level: a click on an area (or
    a point inside it) selects that area. A callback runs before the script, so the next
    run draws the area at once; reading the click in the script took a second full run."""
    event = st.session_state.get(key) or {}
    for point in (event.get("selection") or {}).get("points") or []:
        code = str(point.get("customdata") or point.get("location") or "")
        if code in areas:
            shell.set_territory(terr.Territory(level, code))
            return


def map_with_selection(fig: go.Figure, key: str, level: str | None = None,
                       areas: set[str] | None = None) -> None:
    """Show a map. With ``level`` and ``areas`` (France or a région), a click on an area
    or on a point inside it (``customdata``: the area's code) zooms into that area;
    otherwise a click on a collectivité (its SIREN in ``customdata``) opens its sheet."""
    # No toolbar: it covered the legend; zoom with the wheel, move by dragging.
    config = {"displaylogo": False, "displayModeBar": False, "scrollZoom": True}
    if level and areas:
        st.plotly_chart(fig, key=key, width="stretch", theme=None, selection_mode="points",
                        on_select=partial(_zoom, key, level, frozenset(areas)), config=config)
        return
    event = st.plotly_chart(fig, key=key, width="stretch", on_select="rerun", theme=None,
                            selection_mode="points", config=config)
    for point in (event.selection.points if event else []):
        code = str(point.get("customdata") or point.get("location") or "")
        if code:
            st.query_params["siren"] = code
            navigation.switch_to("fiche")
