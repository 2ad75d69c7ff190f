"""One harvest run over every selected source: journal, fetch, match, save.

The database is opened three times, briefly: to open the run and read the context
(collectivités, previous snapshot, portal registry, decisions), then nothing while the
network is used, then once to write the snapshot and close the run in one transaction.
A run that dies anywhere leaves the previous snapshot current (see ``journal``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import requests

from odlab_compliance import db, vocab
from odlab_compliance.config import Settings, load_settings
from odlab_compliance.db import facts
from odlab_compliance.http import RateLimiter, make_session
from odlab_compliance.ingest import matching
from odlab_compliance.ingest.harvest import datagouv, journal, observatoire, save
from odlab_compliance.ingest.harvest import portals as portal_harvest
from odlab_compliance.ingest.harvest.records import DatasetRecord, PublisherRecord, SourceOutcome
from odlab_compliance.ingest.sources import SourceUnavailable, all_sources, fetch
from odlab_compliance.territory import Territory, filter_frame

SOURCES = ("datagouv", "portals", "observatoire")
OBSERVATOIRE_SOURCE_ID = "odf-organisations"
SCDL_SOURCE_ID = "scdl-schemas"

Progress = Callable[[str, int | None], Callable[[int], None]]


@dataclass
class RunResult:
    run_id: int | None
    status: str
    outcomes: list[SourceOutcome] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    message: str | None = None

    @property
    def failed_sources(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.failed]


# A harvest is national, or refreshes a région, a département or an intercommunality.
HARVEST_LEVELS = ("REG", "DEP", "EPCI")




# --- context read before fetching ----------------------------------------------------------

def collectivites(con: duckdb.DuckDBPyConnection, vintage: int | None = None) -> pd.DataFrame:
    """The collectivités of a reference vintage (latest loaded by default)."""
    if vintage is None:
        vintage = facts.newest_vintage(con)
    return con.execute(db.sql("collectivite_match_keys"), {"vintage": vintage}).df()


def territory_sirens(colls: pd.DataFrame, territory: Territory) -> set[str]:
    return set(filter_frame(colls, territory)["siren"].dropna())


def snapshot_publishers(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    return con.execute("SELECT * EXCLUDE (run_id) FROM harvest_publisher WHERE run_id = ?",
                       [run_id]).df()


def snapshot_matches(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    return con.execute("SELECT * EXCLUDE (run_id) FROM harvest_match WHERE run_id = ?",
                       [run_id]).df()


def scdl_schema_names(settings: Settings) -> tuple[list[str], str | None]:
    """Names of the SCDL (and related) schemas, from the mirror/cache/site; error text."""
    try:
        src = next(s for s in all_sources() if s.id == SCDL_SOURCE_ID)
        path = fetch(src, settings).path
    except (StopIteration, SourceUnavailable, OSError) as exc:
        return [], f"liste des schémas SCDL indisponible ({exc})"
    if path.suffix == ".csv":
        names = pd.read_csv(path, dtype=str)["schema_name"].dropna().tolist()
    else:
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            return [], f"liste des schémas SCDL illisible ({exc})"
        names = [s.get("name") for s in payload.get("schemas", []) if s.get("name")]
    return sorted(set(names)), None


# --- matching --------------------------------------------------------------------------------

def match(publishers: pd.DataFrame, ref: matching.MatchReference,
          portals: list[Any] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The automatic matches of every publisher of the snapshot, and what the matcher
    said of each (body category, reason). Human decisions are not stored with the
    snapshot: they are applied whenever it is read, so a later decision counts too."""
    rows, classes = matching.match_all(publishers, ref, portals=portals)
    return rows.reindex(columns=save.MATCH_COLUMNS), classes


# --- the run ------------------------------------------------------------------------------

@dataclass
class _Context:
    run_id: int
    base_run_id: int | None
    colls: pd.DataFrame
    base_publishers: pd.DataFrame
    base_matches: pd.DataFrame
    portals: list[Any]
    reference: matching.MatchReference | None = None
    portals_error: str | None = None


def _read_context(con: duckdb.DuckDBPyConnection, settings: Settings, sources: list[str],
                  territory: Territory | None) -> _Context:
    base = journal.latest_visible(con, vocab.KIND_HARVEST)
    portals: list[Any] = []
    portals_error = None
    if "portals" in sources:
        try:
            portals = portal_harvest.load_portal_registry(con, settings)
        except (SourceUnavailable, OSError, ValueError) as exc:
            portals_error = f"registre des portails indisponible : {exc}"
    empty_pubs = pd.DataFrame(columns=save.PUBLISHER_COLUMNS)
    empty_matches = pd.DataFrame(columns=save.MATCH_COLUMNS)
    context = dict(
        base_run_id=base, colls=collectivites(con),
        base_publishers=snapshot_publishers(con, base) if base else empty_pubs,
        base_matches=snapshot_matches(con, base) if base else empty_matches,
        portals=portals, portals_error=portals_error,
        reference=matching.load_reference(con))
    # Opened last: an error while reading the context leaves no "running" row behind.
    run_id = journal.start_run(con, vocab.KIND_HARVEST, sources,
                               territory=str(territory) if territory else None)
    return _Context(run_id=run_id, **context)


def _territory_publishers(ctx: _Context, sirens: set[str]) -> list[PublisherRecord]:
    """data.gouv.fr organisations of the previous snapshot that belong to the territory."""
    pubs = ctx.base_publishers
    if pubs.empty:
        return []
    pubs = pubs[pubs["source"] == datagouv.SOURCE]
    matched = set(ctx.base_matches.loc[ctx.base_matches["siren"].isin(sirens)
                                       & (ctx.base_matches["source"] == datagouv.SOURCE),
                                       "publisher_id"])
    by_siret = pubs["siret"].fillna("").str[:9].isin(sirens)
    sel = pubs[by_siret | pubs["publisher_id"].isin(matched)]
    return [PublisherRecord(source=r.source, publisher_id=r.publisher_id, name=r.name or "",
                            siret=r.siret if isinstance(r.siret, str) else None,
                            url=r.url if isinstance(r.url, str) else None,
                            badges=(r.badges or "").split(",") if isinstance(r.badges, str) else [],
                            platform_id=r.platform_id,
                            nb_datasets=None if pd.isna(r.nb_datasets) else int(r.nb_datasets))
            for r in sel.itertuples()]


def _portal_frame(portals: list[Any]) -> pd.DataFrame:
    rows = []
    for p in portals:
        hosted = getattr(p, "sirens", None) or getattr(p, "hosted_sirens", None) or []
        rows.append({"platform_id": getattr(p, "id", None) or getattr(p, "portal_id", None),
                     "url": getattr(p, "url", None), "name": getattr(p, "name", None),
                     "owner_siren": getattr(p, "owner_siren", None),
                     "hosted": ",".join(sorted(hosted)) or None})
    return pd.DataFrame(rows, columns=save.PLATFORM_COLUMNS)


def run_harvest(settings: Settings | None = None, *, sources: list[str] | None = None,
                territory: str | None = None, full_catalogue: bool = False,
                rate: float = datagouv.DEFAULT_RATE, session: requests.Session | None = None,
                progress: Progress | None = None) -> RunResult:
    """Harvest data.gouv.fr and/or the portals into a new snapshot; import the Observatoire
    editions when asked. Never raises for a source that fails: it is in the outcomes."""
    settings = settings or load_settings()
    wanted = list(sources or SOURCES)
    unknown = [s for s in wanted if s not in SOURCES]
    if unknown:
        raise ValueError(f"source inconnue : {', '.join(unknown)} (connues : {', '.join(SOURCES)})")
    terr = Territory.from_cli(territory, HARVEST_LEVELS) if territory else None
    result = RunResult(None, vocab.RUN_DONE)
    if "observatoire" in wanted:
        # Asked for explicitly, a missing edition file is a failure; as part of "all
        # sources" (a nightly job) it is a warning, or the job would fail every night.
        result.outcomes.extend(import_observatoire(settings, strict=sources is not None))
    live = [s for s in wanted if s != "observatoire"]
    if not live:
        result.status = vocab.RUN_DONE_ERRORS if result.failed_sources else vocab.RUN_DONE
        return result
    with db.connect(settings) as con:
        ctx = _read_context(con, settings, live, terr)
    result.run_id = ctx.run_id
    try:
        _run(settings, ctx, result, live, terr, full_catalogue, rate,
             session or make_session(settings), progress)
    except BaseException as exc:  # KeyboardInterrupt too: close the run, then re-raise
        with db.connect(settings) as con:
            journal.fail_run(con, ctx.run_id, f"échec du moissonnage : {exc!r}")
        raise
    if result.status == vocab.RUN_DONE and result.failed_sources:
        result.status = vocab.RUN_DONE_ERRORS
    return result


def _run(settings: Settings, ctx: _Context, result: RunResult, live: list[str],
         terr: Territory | None, full_catalogue: bool, rate: float,
         session: requests.Session, progress: Progress | None) -> None:
    publishers, datasets, outcomes, carry, scdl = _fetch_all(
        settings, ctx, live, terr, full_catalogue, rate, session, progress)
    result.outcomes.extend(outcomes)
    own = [o for o in outcomes if o.source_key == datagouv.SOURCE
           or o.source_key.startswith("portal")]
    if own and all(not o.ok for o in own):
        # One line a scheduler's mail can show: each portal's error is in the journal.
        portals = [o for o in own if o.source_key.startswith("portal")]
        parts = [f"{o.source_key} ({o.error})" for o in own if o not in portals]
        if portals:
            parts.append(f"{len(portals)} portail(s) (détail : « harvest runs »)")
        message = "toutes les sources ont échoué : " + " ; ".join(parts)
        with db.connect(settings) as con:
            with db.transaction(con):
                save.save_outcomes(con, ctx.run_id, outcomes)
                journal.finish_run(con, ctx.run_id, vocab.RUN_FAILED, message=message)
        result.status, result.message = vocab.RUN_FAILED, message
        return
    pub_df = save.publishers_frame(publishers)
    ds_df = save.datasets_frame(datasets)
    all_pubs = _union_publishers(pub_df, ctx, carry)
    ref = ctx.reference if ctx.reference is not None else matching.build_reference(ctx.colls)
    matches, classes = match(all_pubs, ref, ctx.portals)
    result.counts = {"organisations": len(all_pubs), "jeux_moissonnes": len(ds_df),
                     "correspondances": int(len(matches))}
    platforms = _portal_frame(ctx.portals) if "portals" in live else None
    with db.connect(settings) as con:
        if platforms is None and ctx.base_run_id is not None:
            platforms = con.execute(
                "SELECT * EXCLUDE (run_id) FROM harvest_platform WHERE run_id = ?",
                [ctx.base_run_id]).df()
        result.status = save.save_snapshot(
            con, ctx.run_id, publishers=pub_df, datasets=ds_df, outcomes=outcomes,
            matches=matches, classes=classes, platforms=platforms, scdl_schemas=scdl,
            carry=carry, counts=result.counts)


def _union_publishers(new: pd.DataFrame, ctx: _Context, carry: save.Carry) -> pd.DataFrame:
    """This run's publishers plus those the snapshot carries from the previous one."""
    base = ctx.base_publishers
    if carry.base_run_id is None or base.empty:
        return new
    keep = ~base["source_key"].isin(carry.replaced_keys)
    if carry.replaced_publishers:
        pairs = list(zip(base["source"], base["publisher_id"], strict=True))
        keep &= pd.Series([p not in carry.replaced_publishers for p in pairs], index=base.index)
    return pd.concat([new, base.loc[keep, save.PUBLISHER_COLUMNS]], ignore_index=True)


def _fetch_all(settings: Settings, ctx: _Context, live: list[str], terr: Territory | None,
               full_catalogue: bool, rate: float, session: requests.Session,
               progress: Progress | None
               ) -> tuple[list[PublisherRecord], list[DatasetRecord], list[SourceOutcome],
                          save.Carry, list[str]]:
    limiter = RateLimiter(rate)
    publishers: list[PublisherRecord] = []
    datasets: list[DatasetRecord] = []
    outcomes: list[SourceOutcome] = []
    carry = save.Carry(base_run_id=ctx.base_run_id)
    scdl, scdl_error = scdl_schema_names(settings)
    if "datagouv" in live:
        if terr is None:
            got = datagouv.fetch_bulk(
                session, settings, settings.cache_dir / "harvest" / f"run-{ctx.run_id}",
                known_sirens=set(ctx.colls["siren"].dropna()), full_catalogue=full_catalogue,
                limiter=limiter, progress=progress)
            carry.replaced_keys.add(datagouv.SOURCE)
        else:
            sirens = territory_sirens(ctx.colls, terr)
            known = _territory_publishers(ctx, sirens)
            sirets = sorted({p.siret for p in known if p.siret})
            tick = progress("data.gouv.fr organisations", len(known)) if progress else None
            got = datagouv.refresh_territory(session, settings, sirets, known=known,
                                             limiter=limiter, tick=tick)
            if not got.outcome.ok:
                # Only the territory's organisations are concerned (their item errors make
                # them "inconnu"); the rest of France keeps the previous evidence.
                got.outcome.item_errors.append(datagouv.item_error(
                    str(terr), got.outcome.error or "échec du rafraîchissement"))
                got.outcome.ok, got.outcome.error = True, None
            # An organisation whose refresh failed keeps its previous rows (nothing lost).
            failed = {save.split_item_error(e)[0] for e in got.outcome.item_errors}
            got.publishers = [p for p in got.publishers if p.publisher_id not in failed]
            carry.replaced_publishers |= {(p.source, p.publisher_id) for p in got.publishers}
        publishers += got.publishers
        datasets += got.datasets
        outcomes.append(got.outcome)
    if "portals" in live:
        if ctx.portals_error:
            outcomes.append(SourceOutcome("portals", ok=False, error=ctx.portals_error))
        else:
            tick = progress("portails", len(ctx.portals)) if progress else None
            scope: str | set[str] | None = None
            if terr is not None:
                scope = str(terr) if terr.level == "REG" else territory_sirens(ctx.colls, terr)
            pubs, dss, outs = portal_harvest.harvest_portals(ctx.portals, session, territory=scope,
                                                          progress=tick)
            publishers += pubs
            datasets += dss
            outcomes += outs
            carry.replaced_keys |= {o.source_key for o in outs}
    if scdl_error and outcomes:
        outcomes[0].item_errors.append(datagouv.item_error("scdl-schemas", scdl_error))
    return publishers, datasets, outcomes, carry, scdl


# --- Observatoire editions ------------------------------------------------------------------

def observatoire_sources() -> list[Any]:
    return [s for s in all_sources() if s.id == OBSERVATOIRE_SOURCE_ID]


def import_observatoire(settings: Settings, sources: list[Any] | None = None,
                        reader: Callable[[Path, str], pd.DataFrame] | None = None, *,
                        strict: bool = True) -> list[SourceOutcome]:
    """Each Observatoire edition becomes a dated snapshot (kind ``observatoire``), once."""
    if reader is None:
        reader = _edition_reader(settings, observatoire.read_edition)
    out = []
    for src in sources if sources is not None else observatoire_sources():
        key = f"observatoire:{src.vintage}"
        with db.connect(settings) as con:
            journal.recover_stale(con)
            if _edition_imported(con, key):
                out.append(SourceOutcome(key, ok=True, items=0))
                continue
        try:
            path = fetch(src, settings).path
        except SourceUnavailable as exc:
            out.append(SourceOutcome(key, ok=not strict, error=None if not strict else str(exc),
                                     item_errors=[] if strict else [
                                         datagouv.item_error(key, f"édition absente : {exc}")]))
            continue
        try:
            edition = reader(path, str(src.vintage))
        except Exception as exc:  # noqa: BLE001 - one edition failing never stops the others
            out.append(SourceOutcome(key, ok=False, error=str(exc)))
            continue
        edition_date = _edition_date(edition, src.vintage)
        outcome = SourceOutcome(key, ok=True, items=len(edition))
        with db.connect(settings) as con:
            run_id = journal.start_run(con, vocab.KIND_OBSERVATOIRE, [key],
                                       snapshot_date=edition_date)
            save.save_observatoire(con, run_id, edition.reindex(columns=save.OBSERVATOIRE_COLUMNS),
                                   outcome)
        out.append(outcome)
    return out


def _edition_reader(settings: Settings, read_edition: Callable[..., pd.DataFrame]
                    ) -> Callable[[Path, str], pd.DataFrame]:
    """``read_edition`` with the portal registry, so that an edition's platforms are told
    own or shared wherever its file comes from (mirror, cache)."""
    try:
        with db.connect(settings) as con:
            registry = portal_harvest.load_portal_registry(con, settings)
    except (SourceUnavailable, OSError, ValueError):
        registry = None  # read_edition falls back to the list next to the file

    def read(path: Path, edition: str) -> pd.DataFrame:
        return read_edition(path, edition, platforms=registry)
    return read


def _edition_imported(con: duckdb.DuckDBPyConnection, key: str) -> bool:
    row = con.execute(db.sql("harvest_source_visible_count"),
                      {"kind": vocab.KIND_OBSERVATOIRE, "visible": list(vocab.VISIBLE_RUNS),
                       "source_key": key}).fetchone()
    return bool(row and row[0])


def _edition_date(edition: pd.DataFrame, vintage: int) -> date:
    if "date_edition" in edition and edition["date_edition"].notna().any():
        return pd.to_datetime(edition["date_edition"].dropna().iloc[0]).date()
    return date(int(vintage), 12, 31)
