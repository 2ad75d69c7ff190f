"""The app shell shared by every page: territory, rule and "as of" selectors in the
sidebar, mirrored in the URL query parameters (a link reproduces the view), and the
data-date banner.

URL parameters: ``t`` territory (``fr``, ``reg:76``, ``dep:31``, ``epci:<siren>``,
``com:<code>``), ``regle`` rule id, ``au`` snapshot, ``siren`` the collectivité whose
sheet is open. Session-state keys are prefixed ``shell_``.
"""

from __future__ import annotations

import datetime as dt
import runpy
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st
from streamlit import runtime

from odlab_compliance import territory as terr
from odlab_compliance.config import PROJECT_ROOT, Settings, load_settings
from odlab_compliance.fmt import date_fr, date_heure_fr, is_missing
from odlab_compliance.territory import Territory
from odlab_compliance.ui import cache

ALL = "__tous__"
LATEST = "latest"
SELECT_LEVELS = ("REG", "DEP", "EPCI", "COM")
ALL_LABELS = {"REG": "Toute la France", "DEP": "Toute la région", "EPCI": "Tout le département",
              "COM": "Toute l'intercommunalité"}
DEFAULT_RULE = "legal"
CTX_KEY = "shell_context"
VIA_APP_KEY = "shell_via_app"


@dataclass
class Context:
    """What every page needs for the current run."""

    settings: Settings
    sig: cache.DbSig
    vintage: int | None
    territory: Territory = field(default_factory=Territory)
    territory_name: str = "France"
    rule: str = DEFAULT_RULE
    snapshot: object = LATEST
    snapshot_label: str = ""
    snapshots: pd.DataFrame | None = None
    ready: bool = False   # reference data loaded

    @property
    def ref(self) -> pd.DataFrame:
        return cache.reference(self.sig, self.vintage) if self.vintage else pd.DataFrame()

    @property
    def territories(self) -> pd.DataFrame:
        return cache.territories(self.sig, self.vintage) if self.vintage else pd.DataFrame()

    def status(self, snapshot: object | None = None) -> pd.DataFrame:
        """Status table of the selected rule and snapshot."""
        snap = self.snapshot if snapshot is None else snapshot
        return cache.status(self.sig, self.rule, snap, self.vintage)

    def obligations(self) -> pd.DataFrame | None:
        return cache.obligations(self.sig, self.rule, self.vintage) if self.vintage else None


def context() -> Context:
    """The context built by ``sidebar()`` in this run (pages call this).

    On a server's first session, Streamlit may run a file of ``pages/`` by itself (its
    old "pages folder" mode) when the URL names it, before ``app.py`` has declared
    ``st.navigation``: the page then runs the app shell (which runs the page) and stops,
    so a shared link keeps its menu and its territory.
    """
    if not st.session_state.get(VIA_APP_KEY) and runtime.exists():
        # (AppTest has no runtime and runs page files alone on purpose: left as is.)
        runpy.run_path(str(PROJECT_ROOT / "app.py"), run_name="__main__")
        st.stop()
    ctx = st.session_state.get(CTX_KEY)
    if ctx is None:
        ctx = base_context()
    return ctx


def base_context() -> Context:
    settings = load_settings()
    sig = cache.signature(settings)
    info = cache.db_info(sig)
    vintages = info["vintages"]
    return Context(settings=settings, sig=sig, vintage=vintages[0] if vintages else None,
                   ready=bool(vintages))


# -- territory ------------------------------------------------------------------------

def _key(level: str) -> str:
    return f"shell_terr_{level}"


def _reset_below(level: str) -> None:
    """A selector changed (by the user): clear the levels below; the URL will follow."""
    for lower in SELECT_LEVELS[SELECT_LEVELS.index(level) + 1:]:
        st.session_state[_key(lower)] = ALL
    st.session_state["shell_terr_user"] = True


def _selected() -> Territory:
    """The territory the selectors' states say (deepest level chosen)."""
    t = Territory()
    for level in SELECT_LEVELS:
        value = st.session_state.get(_key(level))
        if value in (None, ALL):
            break
        t = Territory(level, str(value))
    return t


def _apply_url(ref: pd.DataFrame) -> None:
    """Put the URL's territory into the selectors unless the user just changed one: a
    shared link, the back button, a map click or a page switch (which may reset the
    widgets) all show the URL's territory. A URL without ``t`` keeps the selectors."""
    if st.session_state.pop("shell_terr_user", False) or "t" not in st.query_params:
        return
    t = Territory.parse(st.query_params.get("t"))
    if _selected() == t:
        return
    lin = terr.lineage(ref, t)
    for level in SELECT_LEVELS:
        st.session_state[_key(level)] = lin.get(level, ALL)
    st.session_state["shell_terr_applied"] = t.key


def set_territory(t: Territory) -> None:
    """Select ``t`` programmatically (map click, ranking) before the next rerun."""
    st.query_params["t"] = t.key


def territory_selector(ref: pd.DataFrame, territories: pd.DataFrame) -> Territory:
    _apply_url(ref)
    chosen: dict[str, str] = {}
    for level in SELECT_LEVELS:
        options = terr.children(ref, territories, level, chosen)
        key = _key(level)
        if not options:
            st.session_state[key] = ALL
            break
        values = [ALL, *options]
        if st.session_state.get(key) not in values:
            st.session_state[key] = ALL
        label = terr.LEVEL_LABELS[level]
        value = st.selectbox(
            label, values, key=key, on_change=_reset_below, args=(level,),
            format_func=lambda c, lv=level, o=options: ALL_LABELS[lv] if c == ALL else
            (f"{o[c]} ({c})" if lv in ("REG", "DEP") else o[c]))
        if value == ALL:
            break
        chosen[level] = value
    t = Territory()
    for level in SELECT_LEVELS:
        if level in chosen:
            t = Territory(level, chosen[level])
    previous = st.session_state.get("shell_terr_applied")
    if previous is not None and previous != t.key and "siren" in st.query_params:
        # A new territory: the sheet follows it instead of keeping the old collectivité.
        del st.query_params["siren"]
    st.query_params["t"] = t.key
    st.session_state["shell_terr_applied"] = t.key
    return t


# -- rule and snapshot ----------------------------------------------------------------

def rule_selector() -> str:
    rules = cache.rules()
    if not rules:
        return DEFAULT_RULE
    ids = [r["id"] for r in rules]
    labels = {r["id"]: r["label"] for r in rules}
    wanted = st.query_params.get("regle", DEFAULT_RULE)
    if st.session_state.get("shell_rule") not in ids or st.session_state.get(
            "shell_rule_url") != wanted:
        st.session_state["shell_rule"] = wanted if wanted in ids else ids[0]
    rule = st.selectbox("Règle d'obligation", ids, key="shell_rule",
                        format_func=lambda i: labels[i],
                        help="La loi (3 500 habitants ET 50 agents) ou l'hypothèse de travail "
                             "de l'Observatoire open data des territoires.")
    st.query_params["regle"] = rule
    st.session_state["shell_rule_url"] = rule
    return rule


def snapshot_columns(df: pd.DataFrame) -> tuple[str | None, str | None]:
    """(id column, date column) of the snapshots list."""
    ident = next((c for c in ("snapshot", "run_id", "snapshot_id", "id") if c in df.columns), None)
    date = next((c for c in ("snapshot_date", "date_snapshot", "date") if c in df.columns), None)
    return ident, date


def snapshot_label(row: pd.Series, date_col: str | None) -> str:
    when = date_fr(row.get(date_col)) if date_col else ""
    kind = str(row.get("kind") or row.get("source") or "")
    origin = "Observatoire (édition)" if "observatoire" in kind.lower() else "collecte"
    label = row.get("label")
    if not is_missing(label) and str(label):
        return f"{when} · {label}" if when else str(label)
    return f"{when} · {origin}" if when else origin


def snapshot_selector(snaps: pd.DataFrame | None) -> tuple[object, str]:
    if snaps is None or snaps.empty:
        return LATEST, ""
    ident, date_col = snapshot_columns(snaps)
    if ident is None:
        return LATEST, ""
    ordered = snaps.sort_values(date_col, ascending=False) if date_col else snaps
    ids = [str(v) for v in ordered[ident]]
    labels = {str(r[ident]): snapshot_label(r, date_col) for _, r in ordered.iterrows()}
    wanted = st.query_params.get("au", ids[0])
    if st.session_state.get("shell_snap") not in ids or st.session_state.get(
            "shell_snap_url") != wanted:
        st.session_state["shell_snap"] = wanted if wanted in ids else ids[0]
    chosen = st.selectbox("Situation au", ids, key="shell_snap", format_func=lambda i: labels[i],
                          help="Chaque collecte est gardée : choisissez une date passée pour "
                               "revoir la situation d'alors (éditions de l'Observatoire "
                               "comprises).")
    st.query_params["au"] = chosen
    st.session_state["shell_snap_url"] = chosen
    original = ordered[ident].iloc[ids.index(chosen)]
    value = original.item() if hasattr(original, "item") else original
    return value, labels[chosen]


# -- sidebar and banner ---------------------------------------------------------------

def sidebar() -> Context:
    """Build the shared selectors in the sidebar; return (and keep) the run's context."""
    ctx = base_context()
    if ctx.ready:
        with st.sidebar:
            st.markdown("**Territoire**")
            ctx.territory = territory_selector(ctx.ref, ctx.territories)
            ctx.territory_name = terr.name_of(ctx.ref, ctx.territories, ctx.territory)
            st.markdown("**Règle et date**")
            ctx.rule = rule_selector()
            ctx.snapshots = cache.snapshots(ctx.sig)
            ctx.snapshot, ctx.snapshot_label = snapshot_selector(ctx.snapshots)
    st.session_state[CTX_KEY] = ctx
    return ctx


def _as_date(value: object) -> dt.date | None:
    if is_missing(value):
        return None
    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError):
        return None


def banner(ctx: Context) -> None:
    """Date of the data, always visible; a warning when stale or the last harvest failed."""
    if not ctx.ready:
        return
    loads = cache.reference_loads(ctx.sig)
    ref_when = ""
    if not loads.empty:
        row = loads[loads["vintage"].eq(ctx.vintage)]
        if not row.empty:
            ref_when = f" (chargé le {date_heure_fr(row['loaded_at'].iloc[0])})"
    parts = [f"Référentiel {ctx.vintage}{ref_when}"]
    if ctx.snapshot_label:
        parts.insert(0, f"Situation au {ctx.snapshot_label}")
    else:
        parts.insert(0, "Aucune collecte enregistrée")
    st.caption(" · ".join(parts) + f" · Territoire : {ctx.territory_name}")
    journal = cache.journal(ctx.sig)
    if not journal.empty and "status" in journal.columns:
        live = journal[journal["kind"].ne("observatoire")] if "kind" in journal.columns \
            else journal
        live = live[live["status"].ne("running")]
    else:
        live = None
    if live is not None and not live.empty:
        last = live.iloc[0]
        if last["status"] == "failed":
            when = date_heure_fr(last.get("started_at"))
            st.warning(f"La dernière collecte (lancée le {when}) a échoué : les chiffres "
                       "affichés sont ceux de la collecte précédente.", icon=":material/warning:")
    latest = _latest_live_date(ctx.snapshots)
    if latest is not None:
        age = (dt.date.today() - latest).days
        if age > ctx.settings.stale_days:
            st.warning(f"Les données datent du {date_fr(latest)} ({age} jours), au-delà du "
                       f"seuil de {ctx.settings.stale_days} jours : lancez une collecte "
                       "(`python -m odlab_compliance harvest`).", icon=":material/schedule:")


def _latest_live_date(snaps: pd.DataFrame | None) -> dt.date | None:
    """Date of the newest snapshot (of a live harvest when the list tells them apart)."""
    if snaps is None or snaps.empty:
        return None
    _, date_col = snapshot_columns(snaps)
    if date_col is None:
        return None
    frame = snaps
    if "kind" in frame.columns:
        live = frame[~frame["kind"].astype(str).str.contains("observatoire", case=False)]
        frame = live if not live.empty else frame
    dates = [d for d in (_as_date(v) for v in frame[date_col]) if d is not None]
    return max(dates) if dates else None
