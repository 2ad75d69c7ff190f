"""Data shaping shared by the pages: the base frame of the current context, the trend,
and the French tables shown (and exported) under each figure."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from odlab_compliance import territory as terr
from odlab_compliance import vocab
from odlab_compliance.fmt import nombre
from odlab_compliance.model import figures as figs
from odlab_compliance.model.status import StatusAt
from odlab_compliance.ui import cache, render
from odlab_compliance.ui.shell import Context

MAX_TREND_POINTS = 12
LIST_COLUMNS = {"siren": "SIREN", "code_insee": "Code", "nom": "Nom", "type": "Type",
                "departement": "Dép.", "population_totale": "Population totale",
                "obligation": "Obligation", "statut": "Statut", "nb_jeux": "Jeux",
                "derniere_mise_a_jour": "Dernière mise à jour", "plateformes": "Plateformes",
                "motif": "Motif"}


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


def _percent_columns(out: pd.DataFrame, columns: tuple[str, ...], display: bool) -> None:
    from odlab_compliance.fmt import pourcentage

    for c in columns:
        values = out[c].astype("float64")
        out[c] = values.map(lambda v: pourcentage(v, 1, vide="—")) if display \
            else (values * 100).round(1)


def by_type_table(by_type: pd.DataFrame, display: bool = True) -> pd.DataFrame:
    """Figures per type family; ``display`` formats rates the French way (else numbers)."""
    out = by_type[["libelle", "obligees", "publiant", "n_via_tiers", "n_non_publie",
                   "n_inconnu", "taux", "n_a_verifier"]].copy()
    _percent_columns(out, ("taux",), display)
    return out.rename(columns={"libelle": "Type", "obligees": "Obligées", "publiant": "Publient",
                               "n_via_tiers": "dont via une plateforme partagée",
                               "n_non_publie": "Ne publient pas", "n_inconnu": "Statut inconnu",
                               "taux": "Taux" if display else "Taux (%)",
                               "n_a_verifier": "À vérifier"})


def child_names(ctx: Context, level: str) -> dict[str, str]:
    if level in ("REG", "DEP"):
        t = ctx.territories
        part = t[t["niveau"].eq(level)]
        return dict(zip(part["code"].astype(str), part["nom"].astype(str), strict=True))
    ref = ctx.ref
    part = ref[ref["type"].isin(terr.EPCI_TYPES)] if level == "EPCI" else ref[ref["type"].eq(vocab.TYPE_COM)]
    key = "siren" if level == "EPCI" else "code_insee"
    return dict(zip(part[key].astype(str), part["nom"].astype(str), strict=True))


def ranking_table(rank: pd.DataFrame, display: bool = True) -> pd.DataFrame:
    out = rank.copy()
    _percent_columns(out, ("taux", "couverture"), display)
    suffix = "" if display else " (%)"
    return out.rename(columns={"code": "Code", "nom": "Nom", "obligees": "Obligées",
                               "publiant": "Publient", "n_inconnu": "Statut inconnu",
                               "taux": "Taux" + suffix,
                               "couverture": "Population couverte" + suffix})


def no_agents_notice(figures: figs.Figures) -> None:
    """Under the legal rule, without agent counts everyone is « à vérifier »: say why and
    what to do, instead of showing empty figures."""
    if figures.n_a_verifier and not figures.obligees:
        st.info(f"{nombre(figures.n_a_verifier)} collectivité(s) sont « à vérifier » : aucun effectif "
                "d'agents n'est chargé, et la loi exige 3 500 habitants ET 50 agents. Importez "
                "les effectifs (`python -m odlab_compliance agents import FICHIER`) ou choisissez "
                "la règle de l'Observatoire dans le menu de gauche.", icon=":material/info:")


def figures_notes(figures: figs.Figures) -> None:
    """Beside the key figures: how many obliged collectivités are presumed, how complete
    the agent counts are, and what a rate computed on partial counts rests on."""
    from odlab_compliance.analysis import coverage as cov

    presumed = cov.presumed_sentence(figures)
    partial = cov.partial_rate_note(figures)
    lines = [x for x in (presumed, cov.coverage_sentence(figures), partial) if x]
    if figures.n_a_verifier and figures.obligees:
        lines.append(f"{nombre(figures.n_a_verifier)} collectivité(s) à vérifier (effectif "
                     "inconnu ou improbable, ou populations de part et d'autre de 3 500) ne "
                     "sont comptées ni parmi les obligées ni parmi les non obligées : voir leur "
                     "liste et la liste de veille ci-dessous.")
    if lines and (presumed or partial):
        st.info("\n\n".join(lines), icon=":material/groups:")
    elif lines:
        st.caption(" ".join(lines))


def rate_help(figures: figs.Figures, text: str) -> str:
    """A rate's help text, with what it rests on when agent counts are partial."""
    from odlab_compliance.analysis import coverage as cov

    note = cov.partial_rate_note(figures)
    return f"{text} {note}" if note else text


def coverage_section(ctx: Context, frame: pd.DataFrame, key: str) -> None:
    """Coverage of agent counts per sub-territory of the selected one (or for it alone)."""
    from odlab_compliance.analysis import coverage as cov

    child = terr.CHILD_LEVEL.get(ctx.territory.level)
    if child not in ("REG", "DEP", "EPCI"):
        return
    local = terr.filter_frame(frame, ctx.territory)
    table = figs.coverage_by(local, child, child_names(ctx, child))
    if table.empty:
        return
    st.subheader(f"Effectifs connus par {terr.LEVEL_LABELS[child].lower()}")
    st.caption("Collectivités dont l'effectif peut décider de l'obligation (communes proches "
               "ou au-dessus de 3 500 habitants, intercommunalités, départements, régions) et "
               "part dont l'effectif est connu (tranche Sirene ou décompte de la préfecture). "
               "Pour compléter : `python -m odlab_compliance agents fetch --all`.")
    render.table(cov.coverage_table(table), key=f"{key}_table")
    render.downloads(cov.coverage_table(table, display=False),
                     f"effectifs-connus-{ctx.territory.key.replace(':', '-')}", key=f"{key}_dl")


WATCH_LABELS = {"siren": "SIREN", "code_insee": "Code", "nom": "Nom", "type": "Type",
                "departement": "Dép.", "obligation": "Obligation",
                "population_totale": "Population totale",
                "population_municipale": "Population municipale",
                "annee_population": "Millésime",
                "population_municipale_autre": "Municipale (autre millésime)",
                "annee_population_autre": "Autre millésime", "agents_tranche": "Tranche Sirene",
                "agents_min": "Agents (min.)", "agents_max": "Agents (max.)",
                "veille_libelle": "Pourquoi en veille",
                "ce_qui_changerait": "Ce qui changerait la réponse", "motif": "Motif"}


def watch_filter(key: str) -> list[str] | None:
    """The watch-list filter: None when off, else the reasons kept (all when none chosen)."""
    a, b = st.columns([1, 3])
    on = a.toggle("Liste de veille", key=f"{key}_veille",
                  help="Les collectivités proches d'un seuil : population à ±10 % de 3 500 "
                       "(selon une mesure ou un millésime), mesures de part et d'autre de "
                       "3 500, tranche Sirene 12 ou 21, décompte exact de 40 à 60 agents. Une "
                       "révision de population ou d'effectif peut changer leur réponse.")
    if not on:
        return None
    chosen = b.multiselect("Raisons", list(vocab.VEILLE), format_func=vocab.VEILLE.label,
                           key=f"{key}_veille_raisons", placeholder="Toutes")
    return list(chosen) or list(vocab.VEILLES)


def on_watch(frame: pd.DataFrame, reasons: list[str]) -> pd.Series:
    from odlab_compliance.analysis import watchlist

    return watchlist.on_watch_list(frame, only=reasons)


def watch_table(local: pd.DataFrame, reasons: list[str], display: bool = True) -> pd.DataFrame:
    """The watch list of the territory (every obligation: near a threshold either way),
    restricted to ``reasons``, with French labels."""
    from odlab_compliance.analysis import watchlist

    out = watchlist.watch_list(local[on_watch(local, reasons)])
    out["obligation"] = vocab.OBLIGATION.labelled(out["obligation"])
    out["type"] = vocab.TYPE.labelled(out["type"])
    out = out.drop(columns=["veille"], errors="ignore").sort_values(["departement", "nom"])
    if not display:
        return out.reset_index(drop=True)
    shown = out[[c for c in WATCH_LABELS if c in out.columns]].copy()
    for c in ("annee_population", "annee_population_autre"):   # years: labels, no « 2 023 »
        if c in shown.columns:
            shown[c] = shown[c].astype("Int64").astype("object").map(
                lambda v: "" if pd.isna(v) else str(v))
    return shown.rename(columns=WATCH_LABELS).reset_index(drop=True)


def obliged_list(local: pd.DataFrame, *obligations: str) -> pd.DataFrame:
    """The collectivités of the territory under the given obligations (default: obliged
    and to check), in French, the most populated first."""
    wanted = list(obligations) or [vocab.OBLIGEE, vocab.A_VERIFIER]
    part = local[local["obligation"].isin(wanted)]
    part = part.sort_values(["population_totale", "nom"], ascending=[False, True],
                            na_position="last")
    cols = [c for c in LIST_COLUMNS if c in part.columns]
    out = part[cols].copy()
    out["obligation"] = vocab.OBLIGATION.labelled(out["obligation"])
    out["type"] = vocab.TYPE.labelled(out["type"])
    if "statut" in out.columns:
        out["statut"] = vocab.STATUT.labelled(out["statut"])
    return out.rename(columns=LIST_COLUMNS).reset_index(drop=True)


# -- maps -----------------------------------------------------------------------------

def with_centroids(ctx: Context, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows plus lon/lat from the reference (the status table has no coordinates)."""
    if {"lon", "lat"} <= set(rows.columns):
        return rows
    ref = ctx.ref[["type", "code_insee", "lon", "lat"]]
    return rows.merge(ref, on=["type", "code_insee"], how="left")


def rate_map_figure(ctx: Context, frame: pd.DataFrame, level: str, basemap: bool):  # noqa: ANN201
    """France or a région: areas of ``level`` (REG or DEP) by rate, obliged communes as points."""
    from odlab_compliance.present import maps

    local = terr.filter_frame(frame, ctx.territory)
    names = child_names(ctx, level)
    areas_ref = ctx.territories[ctx.territories["niveau"].eq(level)]
    if ctx.territory.level == "REG":
        areas_ref = areas_ref[areas_ref["region"].eq(ctx.territory.code)]
    # Every area is drawn; one without obliged collectivités has no rate (grey).
    rates = pd.DataFrame({"code": areas_ref["code"].astype(str)}).merge(
        figs.rates(local, level, names), on="code", how="left")
    rates["nom"] = rates["code"].map(names).fillna(rates["nom"])
    rates[["obligees", "publiant"]] = rates[["obligees", "publiant"]].fillna(0)
    codes = tuple(rates["code"])
    areas = cache_geojson(ctx, level, codes)
    communes = local[local["type"].eq(vocab.TYPE_COM)
                     & local["obligation"].isin([vocab.OBLIGEE, vocab.A_VERIFIER])]
    points = with_centroids(ctx, communes)
    outline = cache_geojson(ctx, "REG", None) if level == "DEP" and ctx.territory.level == "FR" \
        else None
    fig = maps.rate_map(areas, rates, points, outlines=outline, basemap=basemap,
                        fit=ctx.territory.level != "FR", area_column=terr.CHILD_COLUMN[level],
                        # Names within a région (its départements); at France level the
                        # régions are known by their shape and named on hover: writing
                        # names costs the browser about half a second (bench_dashboard).
                        names=ctx.territory.level != "FR")
    return fig, rates


def cached_map(ctx: Context, kind: str, arg: str, basemap: bool):  # noqa: ANN201
    """The Carte page's figure (and its table), built once per database, rule, snapshot,
    territory and option: hover texts of thousands of points are not rebuilt each run."""
    return _cached_map(ctx.sig, ctx.vintage, ctx.rule, ctx.snapshot, ctx.territory, kind, arg,
                       basemap)


@st.cache_resource(show_spinner=False, max_entries=32)
def _cached_map(sig, vintage: int, rule: str, snapshot: object,  # noqa: ANN001, ANN202
                territory: terr.Territory, kind: str, arg: str, basemap: bool):
    from odlab_compliance.config import load_settings

    ctx = Context(settings=load_settings(), sig=sig, vintage=vintage, territory=territory,
                  rule=rule, snapshot=snapshot, ready=True)
    at = ctx.status_at()
    # Names, outlines and centroids of the vintage that judges the snapshot.
    ctx.vintage = at.vintage.vintage
    frame = at.whole
    if kind == "rate":
        return rate_map_figure(ctx, frame, arg, basemap)
    return commune_map_figure(ctx, frame, arg, basemap)


def map_with_selection(fig, key: str, level: str | None = None,  # noqa: ANN001
                       areas: set[str] | None = None) -> None:
    """Show a map. With ``level`` and ``areas`` (France or a région), a click on an area
    or on a point inside it (``customdata``: the area's code) zooms into that area;
    otherwise a click on a collectivité (its SIREN in ``customdata``) opens its sheet."""
    from odlab_compliance.ui import navigation, shell

    # No toolbar: it covered the legend; zoom with the wheel, move by dragging.
    event = st.plotly_chart(fig, key=key, width="stretch", on_select="rerun", theme=None,
                            selection_mode="points",
                            config={"displaylogo": False, "displayModeBar": False,
                                    "scrollZoom": True})
    for point in (event.selection.points if event else []):
        code = str(point.get("customdata") or point.get("location") or "")
        if level and areas:
            if code in areas:
                shell.set_territory(terr.Territory(level, code))
                st.rerun()
        elif code:
            st.query_params["siren"] = code
            navigation.switch_to("fiche")


def commune_map_figure(ctx: Context, frame: pd.DataFrame, dep: str, basemap: bool):  # noqa: ANN201
    """One département (or the EPCI selected): commune polygons by status, EPCI outlines."""
    from odlab_compliance.present import maps

    t = ctx.territory
    scope = t if t.level == "EPCI" else terr.Territory("DEP", dep)
    local = terr.filter_frame(frame, scope)
    communes = local[local["type"].eq(vocab.TYPE_COM)]
    codes = tuple(sorted(communes["code_insee"].astype(str)))
    epcis = tuple(sorted(set(communes["epci_siren"].dropna().astype(str))))
    area = cache_geojson(ctx, "EPCI", (t.code,)) if t.level == "EPCI" \
        else cache_geojson(ctx, "DEP", (dep,))
    fig = maps.commune_map(cache_geojson(ctx, "COM", codes), communes,
                           epci_outlines=cache_geojson(ctx, "EPCI", epcis),
                           area_outline=area, basemap=basemap)
    return fig, communes


def cache_geojson(ctx: Context, level: str, codes: tuple[str, ...] | None) -> dict:
    from odlab_compliance.ui import cache

    return cache.geojson(ctx.sig, ctx.vintage, level, codes)


# -- collectivité sheet -----------------------------------------------------------------

def collectivite_labels(rows: pd.DataFrame) -> dict[str, str]:
    """SIREN → « Toulouse (commune, 31) » / « Toulouse Métropole (métropole) », for
    choosing a collectivité among homonyms."""
    out = {}
    for r in rows.to_dict("records"):
        kind = vocab.TYPE.label(r.get("type")).lower()
        where = f", {r['departement']}" if r.get("type") == vocab.TYPE_COM \
            and isinstance(r.get("departement"), str) else ""
        out[str(r["siren"])] = f"{r['nom']} ({kind}{where})"
    return out


def default_siren(ctx: Context, frame: pd.DataFrame) -> str | None:
    """The collectivité of the selected territory (a commune, an EPCI, a département)."""
    t = ctx.territory
    if t.level == "FR":
        return None
    if t.level == "EPCI":
        rows = frame[frame["siren"].eq(t.code)]
    else:
        rows = frame[frame["type"].eq({"REG": vocab.TYPE_REG, "DEP": vocab.TYPE_DEP, "COM": vocab.TYPE_COM}[t.level])
                     & frame["code_insee"].eq(t.code)]
        if rows.empty and t.level in ("REG", "DEP"):
            # the collectivité exerting its powers (CEA for 68, Corse for 2B, Paris for 75)
            rows = frame[terr.governs(frame, t)]
    return str(rows["siren"].iloc[0]) if len(rows) and pd.notna(rows["siren"].iloc[0]) else None


def history(ctx: Context, siren: str) -> pd.DataFrame:
    """The collectivité's status at each snapshot (oldest first, the last 12)."""
    return cache.history(ctx.sig, ctx.rule, (siren,)).tail(MAX_TREND_POINTS)


EVIDENCE_LABELS = {"title": "Jeu de données", "url": "Lien", "platform": "Plateforme",
                   "last_update": "Mise à jour", "schemas": "Schémas", "source": "Source",
                   "publisher": "Publié par", "counted": "Compté", "reason": "Raison"}
EVIDENCE_LINKS = ("url", "platform")


def evidence_table(evidence: pd.DataFrame) -> pd.DataFrame:
    """The evidence as shown: known columns, the source in French, and without the
    columns a source leaves empty (an Observatoire edition lists no dataset titles)."""
    out = evidence[[c for c in EVIDENCE_LABELS if c in evidence.columns]].copy()
    if "source" in out.columns:
        out["source"] = vocab.SOURCE.labelled(out["source"])
    empty = [c for c in out.columns if out[c].isna().all()]
    return out.drop(columns=empty)


def json_list(text: object) -> list[str]:
    """A JSON array stored as text (reference load warnings); [] when absent or invalid."""
    import json

    if not isinstance(text, str) or not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return [text]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


JOURNAL_LABELS = {"run_id": "N°", "kind": "Type", "status": "Résultat", "started_at": "Début",
                  "ended_at": "Fin", "snapshot_date": "Date décrite", "territory": "Territoire",
                  "sources_ok": "Sources lues", "sources_failed": "Sources en échec",
                  "item_errors": "Erreurs d'éléments", "failures": "Échecs", "message": "Message",
                  "erreurs": "Premières erreurs"}


def journal_table(journal: pd.DataFrame) -> pd.DataFrame:
    out = journal[[c for c in JOURNAL_LABELS if c in journal.columns]].copy()
    if "status" in out.columns:
        out["status"] = vocab.RUN_STATUS.labelled(out["status"])
    if "kind" in out.columns:
        out["kind"] = vocab.SNAPSHOT_KIND.labelled(out["kind"])
    return out.rename(columns=JOURNAL_LABELS)
