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
from dataclasses import dataclass, field, replace

import pandas as pd
import streamlit as st
from streamlit import runtime

from odlab_compliance import territory as terr
from odlab_compliance import vocab
from odlab_compliance.config import PROJECT_ROOT, Settings, load_settings
from odlab_compliance.fmt import date_fr, date_heure_fr, nombre, pourcentage
from odlab_compliance.model import coverage
from odlab_compliance.model.snapshots import LATEST, Snapshot
from odlab_compliance.model.status import StatusAt, StatusModel
from odlab_compliance.present import exports
from odlab_compliance.territory import Territory
from odlab_compliance.ui import auth as ui_auth
from odlab_compliance.ui import cache, navigation, remedies

ALL = "__tous__"
SELECT_LEVELS = ("REG", "DEP", "EPCI", "COM")
ALL_LABELS = {"REG": "Toute la France", "DEP": "Toute la région", "EPCI": "Tout le département",
              "COM": "Toute l'intercommunalité"}
DEFAULT_RULE = coverage.RULE_LAW   # with every count known; see default_rule()
CTX_KEY = "shell_context"
VIA_APP_KEY = "shell_via_app"


@dataclass(frozen=True, eq=False)
class Context:
    """What every page needs for the current run, as plain values: the database state,
    the reference frames of the newest vintage, the status model, and the user's choices
    (territory, rule, snapshot). Built once per run by ``sidebar()``; nothing in it goes
    back to a cache."""

    settings: Settings
    sig: cache.DbSig
    vintage: int | None          # newest loaded: names and choices of the selectors
    model: StatusModel
    ref: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    territories: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    territory: Territory = field(default_factory=Territory)
    territory_name: str = "France"
    rule: str = DEFAULT_RULE
    snapshot: Snapshot | None = None      # None: no snapshot yet (obligations only)
    ready: bool = False   # reference data loaded

    @property
    def snapshots(self) -> list[Snapshot]:
        """Visible snapshots, newest first."""
        return self.model.snapshots

    @property
    def snapshot_label(self) -> str:
        return self.snapshot.label if self.snapshot else ""

    def file_stem(self, what: str, *extra: object) -> str:
        """A download's file name stem that says what it shows: the territory, the rule
        and the date of the snapshot (``obligees-dep-31-odf-2022-12-31``)."""
        day = self.snapshot.date.isoformat() if self.snapshot else None
        return exports.stem(what, *extra, self.territory.key, self.rule, day)

    def status_at(self, snapshot: Snapshot | None = None) -> StatusAt:
        """The statuses of the chosen territory and rule at the chosen snapshot (or at
        ``snapshot``), judged with the vintage in force at its date."""
        snap = snapshot or self.snapshot
        return self.model.status_at(self.territory, self.rule,
                                    snap if snap is not None else LATEST)


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
    """The context before the user's choices: the database state and what it holds."""
    settings = load_settings()
    sig = cache.signature(settings)
    vintages = cache.db_info(sig)["vintages"]
    vintage = vintages[0] if vintages else None
    ref = cache.reference(sig, vintage) if vintage else pd.DataFrame()
    territories = cache.territories(sig, vintage) if vintage else pd.DataFrame()
    return Context(settings=settings, sig=sig, vintage=vintage, model=cache.model(sig),
                   ref=ref, territories=territories, ready=bool(vintages),
                   rule=default_rule(sig, vintage))


def default_rule(sig: cache.DbSig, vintage: int | None) -> str:
    """The rule a new visitor sees: the law alone once 95 % of the collectivités whose
    count can decide have a known count; before, the law with missing counts presumed
    (the pages say how many), so that no first screen reads « 0 obligées »."""
    if vintage is None:
        return DEFAULT_RULE
    return coverage.default_rule(cache.agent_coverage(sig, vintage))


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
    return t


# -- rule and snapshot ----------------------------------------------------------------
#
# The session state is the truth; the URL mirrors it. A URL parameter that differs from
# the value this session last wrote there was put by the user (a shared link, back or
# forward, an edited address) and wins; a missing one (Streamlit drops the query string
# when the sidebar menu switches page) changes nothing: the choice stays chosen.

def _from_url(param: str, state_key: str, options: list[str], default: str) -> None:
    """Put the URL's value of ``param`` into ``state_key`` when the user put it there."""
    wanted = st.query_params.get(param)
    written = st.session_state.get(f"{state_key}_url")
    if wanted is not None and wanted != written and wanted in options:
        st.session_state[state_key] = wanted
    if st.session_state.get(state_key) not in options:
        st.session_state[state_key] = default


def rule_selector(default: str = DEFAULT_RULE, share: float | None = None) -> str:
    """The rule selector; ``default`` (see ``default_rule``) until the user chooses."""
    rules = cache.rules()
    if not rules:
        return default
    ids = [r["id"] for r in rules]
    labels = {r["id"]: r["short"] for r in rules}   # whole in the sidebar's width
    _from_url("regle", "shell_rule", ids, default if default in ids else ids[0])
    known = ("" if share is None else
             f" Effectifs connus pour {pourcentage(share, 1)} des collectivités dont "
             "l'effectif peut décider.")
    rule = st.selectbox("Règle d'obligation", ids, key="shell_rule",
                        format_func=lambda i: labels[i],
                        help="La loi (3 500 habitants ET 50 agents) ou l'hypothèse de travail "
                             "de l'Observatoire open data des territoires. Par défaut, la loi "
                             "seule dès que 95 % des effectifs utiles sont connus ; avant, la "
                             "loi avec les effectifs manquants présumés (les pages disent "
                             "combien)." + known)
    return rule


def short_label(snapshot: Snapshot) -> str:
    """« 31/12/2022 · Observatoire », « 06/12/2026 · Collecte dep:31 »: whole in the
    sidebar's width (« 31/12/2022 · Édition de l'Observatoire » was cut)."""
    what = "Observatoire" if snapshot.is_observatoire else "Collecte"
    if snapshot.territory:
        what += f" {snapshot.territory}"
    return f"{date_fr(snapshot.date)} · {what}"


def snapshot_selector(snapshots: list[Snapshot]) -> Snapshot | None:
    """The "as of" selector (newest first); the URL holds the snapshot's id (``au``)."""
    if not snapshots:
        return None
    by_id = {str(s.id): s for s in snapshots}
    ids = list(by_id)
    _from_url("au", "shell_snap", ids, ids[0])
    chosen = st.selectbox("Situation au", ids, key="shell_snap",
                          format_func=lambda i: short_label(by_id[i]),
                          help="Chaque collecte est gardée : choisissez une date passée pour "
                               "revoir la situation d'alors (éditions de l'Observatoire "
                               "comprises), jugée avec le référentiel en vigueur à cette date.")
    return by_id[chosen]


# -- sidebar and banner ---------------------------------------------------------------

def shared_params(ctx: Context) -> dict[str, str]:
    """The URL parameters of the user's choices (what every page link carries)."""
    if not ctx.ready:
        return {}
    params = {"t": ctx.territory.key, "regle": ctx.rule}
    if ctx.snapshot is not None:
        params["au"] = str(ctx.snapshot.id)
    return params


def _sync_url(ctx: Context) -> None:
    """Write the choices into the URL in one step, only when it does not say them yet
    (each write is a browser history entry)."""
    params = shared_params(ctx)
    current = st.query_params.to_dict()
    wanted = {**current, **params}
    previous = st.session_state.get("shell_terr_applied")
    if previous is not None and previous != ctx.territory.key:
        # A new territory: the sheet follows it instead of keeping the old collectivité.
        wanted.pop("siren", None)
    st.session_state["shell_terr_applied"] = ctx.territory.key
    if wanted != current:
        st.query_params.from_dict(wanted)
    st.session_state["shell_rule_url"] = params.get("regle")
    st.session_state["shell_snap_url"] = params.get("au")


def sidebar(sections: dict[str, list[st.Page]] | None = None) -> Context:
    """The sidebar: the menu (``sections`` from the page registry, each link carrying the
    choices), then the shared selectors; return (and keep) the run's context."""
    ctx = base_context()
    with st.sidebar:
        menu_box = st.container()
        if ctx.ready:
            st.markdown("**Territoire**")
            territory = territory_selector(ctx.ref, ctx.territories)
            name = terr.name_of(ctx.ref, ctx.territories, territory)
            st.markdown("**Règle et date**")
            rule = rule_selector(ctx.rule, cache.agent_coverage(ctx.sig, ctx.vintage))
            ctx = replace(ctx, territory=territory, territory_name=name, rule=rule,
                          snapshot=snapshot_selector(ctx.snapshots))
    if ctx.ready:
        _sync_url(ctx)
    if sections:
        with menu_box:
            navigation.menu(sections, shared_params(ctx))
    st.session_state[CTX_KEY] = ctx
    return ctx


def banner(ctx: Context) -> None:
    """Date of the data and the reference vintage that judges it, always visible; a
    warning when stale, when the last harvest failed, or when the snapshot predates every
    loaded vintage."""
    if not ctx.ready:
        return
    choice = ctx.model.vintage_of(ctx.snapshot)
    loads = cache.reference_loads(ctx.sig)
    ref_when = ""
    if not loads.empty:
        row = loads[loads["vintage"].eq(choice.vintage)]
        if not row.empty:
            ref_when = f" (chargé le {date_heure_fr(row['loaded_at'].iloc[0])})"
    parts = [f"Situation au {ctx.snapshot_label}" if ctx.snapshot
             else "Aucune collecte enregistrée",
             f"Référentiel {choice.vintage}{ref_when}", f"Territoire : {ctx.territory_name}"]
    st.caption(" · ".join(parts))
    if choice.note:
        st.info(choice.note, icon=":material/history:")
    journal = cache.journal(ctx.sig)
    if not journal.empty and "status" in journal.columns:
        live = journal[journal["kind"].ne(vocab.KIND_OBSERVATOIRE)
                       & journal["status"].ne(vocab.RUN_RUNNING)]
        if not live.empty and live.iloc[0]["status"] == vocab.RUN_FAILED:
            when = date_heure_fr(live.iloc[0].get("started_at"))
            st.warning(f"La dernière collecte (lancée le {when}) a échoué : les chiffres "
                       "affichés sont ceux de la collecte précédente.", icon=":material/warning:")
    latest = _latest_live_date(ctx.snapshots)
    if latest is not None:
        age = (dt.date.today() - latest).days
        if age > ctx.settings.stale_days:
            # Everyone is told how old the data is and what refreshes it: an editor the
            # page's button, a reader whom to ask (never a command line).
            text = (f"Les données datent du {date_fr(latest)}, il y a {nombre(age)} jours "
                    f"(au-delà de {nombre(ctx.settings.stale_days)} jours). "
                    + remedies.refresh_sentence(ctx.settings, ui_auth.decision()))
            st.warning(text, icon=":material/schedule:")


def _latest_live_date(snaps: list[Snapshot]) -> dt.date | None:
    """Date of the newest snapshot of a live harvest (of any snapshot if none is live)."""
    live = [s for s in snaps if not s.is_observatoire] or list(snaps)
    return max((s.date for s in live), default=None)
