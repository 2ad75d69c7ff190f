"""Safe rendering helpers shared by every page.

Harvested text (dataset titles, organisation names, URLs) is untrusted: it is never
passed to ``unsafe_allow_html``; in markdown it is escaped so that ``<script>`` or
``[x](javascript:...)`` shows as text; in tables it is a plain cell, and only http(s)
URLs become links (``LinkColumn``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from odlab_compliance.fmt import date_fr, is_missing, nombre, pourcentage
from odlab_compliance.present import exports

LOG = logging.getLogger("odlab_compliance.ui")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])")


@cache
def _french_css() -> str:
    return (Path(__file__).with_name("french.css")).read_text(encoding="utf-8")


def french_widgets() -> None:
    """French words where Streamlit writes its own English and has no option for it
    (``french.css``: the file uploader); once per run, from ``app.py``."""
    st.html(f"<style>{_french_css()}</style>")


def md_escape(text: object) -> str:
    """Text that markdown shows literally (no link, no HTML tag, no emphasis)."""
    if is_missing(text):
        return ""
    return _MD_SPECIAL.sub(r"\\\1", str(text).replace("\n", " "))


def user_error(exc: Exception) -> None:
    """A French error box for a refused file or entry: the summary, then one line per bad
    line of the file (``str(exc)`` alone runs them together into one paragraph)."""
    from odlab_compliance.errors import InputError

    if not isinstance(exc, InputError) or not exc.errors:
        st.error(md_escape(exc), icon=":material/error:")
        return
    listed = [f"- ligne {e.line} : {md_escape(e.message)}" for e in exc.errors[:exc.max_listed]]
    more = len(exc.errors) - exc.max_listed
    if more > 0:
        listed.append(f"- … et {more} autre(s) ligne(s) en erreur")
    st.error(f"{md_escape(exc.file)} : {md_escape(exc.summary)}\n\n" + "\n".join(listed)
             + "\n\nAucune donnée n'a été enregistrée.", icon=":material/error:")


def safe_url(url: object) -> str | None:
    """The URL when it is http(s) with a host, else None (``javascript:``, ``data:``...)."""
    if is_missing(url) or not isinstance(url, str):
        return None
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def safe_links(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy where the URL columns keep only http(s) links (others become empty)."""
    out = df.copy()
    for c in columns:
        if c in out.columns:
            out[c] = out[c].map(safe_url).astype("object")
    return out


def table(df: pd.DataFrame, *, key: str, links: Sequence[str] = (), labels: dict | None = None,
          height: int | str = "auto", empty: str = "Aucune ligne à afficher.",
          **column_config: object) -> None:
    """A dataframe with http(s)-only link columns, French column labels, numbers written
    the French way (``localized``: the reader's language, French for a French browser;
    the column stays numeric so it still sorts) and empty cells left empty (Streamlit
    would write "None"). A table without rows is a French sentence (``empty``), not
    Streamlit's grid marked « empty »."""
    if df.empty:
        st.caption(empty)
        return
    cfg: dict[str, object] = dict(column_config)
    labels = labels or {}
    for c in links:
        if c in df.columns:
            cfg[c] = st.column_config.LinkColumn(labels.get(c, c), display_text=None)
    shown = for_display(safe_links(df, links))
    for c in shown.columns:
        if c not in cfg and pd.api.types.is_numeric_dtype(shown[c]) \
                and not pd.api.types.is_bool_dtype(shown[c]):
            cfg[c] = st.column_config.NumberColumn(labels.get(c, c), format="localized")
    for c, label in labels.items():
        cfg.setdefault(c, label)
    for c in shown.columns:
        _fit_header(cfg, c, str(labels.get(c, c)), shown[c])
    st.dataframe(shown, key=key, hide_index=True, width="stretch",
                 column_config=cfg, height=height, placeholder="")


def column_width(label: str, values: pd.Series) -> int:
    """Pixels for a column whose header and usual cells show whole: Streamlit sizes a
    column to its cells only, so a short number under a long header was cut at 1,280 px
    (« Distance (… », « Action propo… »). Capped at 400 px (« large »); a sample of the
    cells is enough (the France list has 36,000 rows)."""
    sample = values.head(300)
    cells = sample.map(lambda v: len(str(v)) if not is_missing(v) else 0)
    longest = int(cells.max()) if len(cells) else 0
    # about 8 px a character in the header (bold) and 7.5 in a cell, plus the padding
    # and the sort arrow
    return int(min(400, max(len(label) * 8.2 + 40, longest * 7.5 + 28)))


def _fit_header(cfg: dict[str, object], column: str, label: str, values: pd.Series) -> None:
    """A width only for a column whose header is wider than its cells: the others keep
    Streamlit's fit to their cells (a fixed width for all made half-width tables scroll)."""
    entry = cfg.get(column)
    name = str(entry.get("label") or label) if isinstance(entry, dict) else (entry or label)
    if column_width(str(name), values.iloc[0:0]) <= column_width("", values):
        return
    if entry is None or isinstance(entry, str):
        cfg[column] = st.column_config.Column(entry or label,
                                              width=column_width(entry or label, values))
    elif isinstance(entry, dict) and not entry.get("width"):
        entry["width"] = column_width(str(entry.get("label") or label), values)


def _display_cell(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return date_fr(value)
    return "" if is_missing(value) else value


def for_display(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for the screen: dates as dd/mm/yyyy and empty cells empty (Streamlit would
    write "None"); numbers stay numbers so columns still sort."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_bool_dtype(col):
            out[c] = col.map(lambda v: "" if is_missing(v) else ("oui" if v else "non"))
        elif pd.api.types.is_datetime64_any_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            out[c] = col.astype("object").map(_display_cell)
    return out


def downloads(df: pd.DataFrame | Callable[[], pd.DataFrame], stem: str, *, key: str) -> None:
    """CSV (``;``, UTF-8 with BOM) and XLSX buttons; files are built only when clicked."""
    frame = df if isinstance(df, pd.DataFrame) else None

    def build(fmt: str) -> Callable[[], bytes]:
        def make() -> bytes:
            data = frame if frame is not None else df()  # type: ignore[operator]
            return exports.to_bytes(data, fmt)  # type: ignore[arg-type]
        return make

    row = st.container(horizontal=True)
    row.download_button("Télécharger (CSV)", build("csv"), exports.file_name(stem, "csv"),
                       mime=exports.MIME_TYPES["csv"], key=f"{key}_csv", on_click="ignore",
                       icon=":material/download:")
    row.download_button("Télécharger (Excel)", build("xlsx"), exports.file_name(stem, "xlsx"),
                       mime=exports.MIME_TYPES["xlsx"], key=f"{key}_xlsx", on_click="ignore",
                       icon=":material/download:")


def metric(col: st.delta_generator.DeltaGenerator, label: str, value: object, *,
           kind: str = "int", help: str | None = None) -> None:  # noqa: A002
    if kind == "text":
        text = str(value)
    else:
        text = pourcentage(value, 1, vide="—") if kind == "pct" else nombre(value, vide="—")
    col.metric(label, text, help=help)


@contextmanager
def guard(what: str) -> Iterator[None]:
    """Turn an unexpected error into a French message (the traceback goes to the log)."""
    try:
        yield
    except Exception as exc:  # the page must go on: the user sees a sentence, not a trace
        LOG.exception("erreur dans %s", what)
        st.warning(f"Impossible d'afficher {what} : une erreur inattendue s'est produite "
                   f"({type(exc).__name__}). Le détail est dans le journal du serveur.",
                   icon=":material/report:")
