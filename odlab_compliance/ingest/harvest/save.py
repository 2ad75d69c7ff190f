"""Writing a snapshot: records in, rows out, the run closed in the same transaction.

Frames are inserted through DuckDB's DataFrame scan (one statement per table), which
is what makes a 50,000-dataset snapshot take seconds instead of minutes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import duckdb
import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.ingest.harvest import journal
from odlab_compliance.ingest.harvest.records import DatasetRecord, PublisherRecord, SourceOutcome

PUBLISHER_COLUMNS = ["source", "source_key", "publisher_id", "name", "siret", "url", "badges",
                     "platform_id", "nb_datasets"]
DATASET_COLUMNS = ["source", "source_key", "dataset_id", "publisher_id", "title", "url",
                   "platform_id", "platform_url", "last_update", "archived", "deleted",
                   "schemas", "harvest_domain", "state_data", "siren_hint"]
MATCH_COLUMNS = ["source", "publisher_id", "siren", "method", "confidence", "decision", "flags"]
CLASS_COLUMNS = ["source", "publisher_id", "categorie", "raison"]
PLATFORM_COLUMNS = ["platform_id", "url", "name", "owner_siren", "hosted"]
OBSERVATOIRE_COLUMNS = ["siren", "nom", "type", "statut", "via", "plateforme", "url_plateforme",
                        "nb_jeux_ptf", "nb_jeux_datagouv", "date_edition"]
_ITEM_RE = re.compile(r"^\[(?P<item>[^\]]*)\]\s*(?P<msg>.*)$", re.S)


def source_key(source: str, platform_id: str | None) -> str:
    """The outcome key a record depends on: ``datagouv`` or ``portal:<id>``."""
    return source if source != vocab.SOURCE_PORTAL else f"portal:{platform_id}"


def _join(values: object) -> str | None:
    if isinstance(values, (list, tuple, set)):
        return ",".join(sorted(str(v) for v in values)) or None
    return values if values else None  # type: ignore[return-value]


def _frame(records: Iterable[PublisherRecord | DatasetRecord], columns: list[str],
           list_field: str) -> pd.DataFrame:
    rows = []
    for r in records:
        d = asdict(r)
        d[list_field] = _join(d[list_field])
        d["source_key"] = source_key(r.source, r.platform_id)
        rows.append(d)
    return pd.DataFrame(rows, columns=columns)


def publishers_frame(records: Iterable[PublisherRecord]) -> pd.DataFrame:
    return _frame(records, PUBLISHER_COLUMNS, "badges")


def datasets_frame(records: Iterable[DatasetRecord]) -> pd.DataFrame:
    return _frame(records, DATASET_COLUMNS, "schemas")


def split_item_error(text: str) -> tuple[str | None, str]:
    """``[item] message`` -> (item, message); other texts have no item."""
    m = _ITEM_RE.match(text)
    return (m.group("item"), m.group("msg")) if m else (None, text)


@dataclass
class Carry:
    """What a partial run takes over from the previous snapshot (``base_run_id``).

    Sources in ``replaced_keys`` were harvested in full by this run; publishers in
    ``replaced_publishers`` (source, publisher_id) were refreshed one by one (territory).
    Everything else of the base snapshot is copied, so every snapshot is complete.
    """

    base_run_id: int | None = None
    replaced_keys: set[str] = field(default_factory=set)
    replaced_publishers: set[tuple[str, str]] = field(default_factory=set)


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], run_id: int,
            frame: pd.DataFrame | None) -> int:
    if frame is None or frame.empty:
        return 0
    data = frame.reindex(columns=columns).copy()
    data.insert(0, "run_id", run_id)
    view = f"_save_{table}"
    con.register(view, data)
    try:
        cols = ", ".join(["run_id", *columns])
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")  # noqa: S608 (constants)
    finally:
        con.unregister(view)
    return len(data)


def _carry_forward(con: duckdb.DuckDBPyConnection, run_id: int, carry: Carry,
                   own_outcomes: Iterable[str]) -> None:
    if carry.base_run_id is None:
        return
    keys = sorted(carry.replaced_keys) or [""]
    skip = sorted(set(carry.replaced_keys) | set(own_outcomes)) or [""]
    pubs = pd.DataFrame(sorted(carry.replaced_publishers), columns=["source", "publisher_id"],
                        dtype=object)
    con.register("_replaced_publishers", pubs)
    try:
        params = {"run_id": run_id, "base": carry.base_run_id, "keys": keys}
        con.execute(db.sql("harvest_carry_publishers"), params)
        con.execute(db.sql("harvest_carry_datasets"), params)
        con.execute(db.sql("harvest_carry_sources"),
                    {"run_id": run_id, "base": carry.base_run_id, "skip": skip})
    finally:
        con.unregister("_replaced_publishers")


def save_snapshot(con: duckdb.DuckDBPyConnection, run_id: int, *,
                  publishers: pd.DataFrame, datasets: pd.DataFrame,
                  outcomes: list[SourceOutcome], matches: pd.DataFrame | None = None,
                  classes: pd.DataFrame | None = None, platforms: pd.DataFrame | None = None, scdl_schemas: Iterable[str] = (),
                  carry: Carry | None = None, counts: dict | None = None) -> str:
    """Write the snapshot and close the run, all or nothing; return the run status."""
    carry = carry or Carry()
    failed = [o for o in outcomes if o.failed]
    item_errors = sum(len(o.item_errors) for o in outcomes)
    status = vocab.RUN_DONE_ERRORS if failed or item_errors else vocab.RUN_DONE
    with db.transaction(con):
        _insert(con, "harvest_publisher", PUBLISHER_COLUMNS, run_id, publishers)
        _insert(con, "harvest_dataset", DATASET_COLUMNS, run_id, datasets)
        _carry_forward(con, run_id, carry, [o.source_key for o in outcomes])
        _insert(con, "harvest_match", MATCH_COLUMNS, run_id, matches)
        _insert(con, "harvest_match_class", CLASS_COLUMNS, run_id, classes)
        _insert(con, "harvest_platform", PLATFORM_COLUMNS, run_id, platforms)
        _insert(con, "harvest_scdl_schema", ["schema_name"], run_id,
                pd.DataFrame({"schema_name": sorted(set(scdl_schemas))}))
        save_outcomes(con, run_id, outcomes)
        journal.finish_run(con, run_id, status, counts=counts, base_run_id=carry.base_run_id)
    return status


def save_outcomes(con: duckdb.DuckDBPyConnection, run_id: int,
                  outcomes: list[SourceOutcome]) -> None:
    """One row per source and one per item error (inside the caller's transaction)."""
    src = pd.DataFrame([{"source_key": o.source_key, "ok": o.ok, "error": o.error,
                         "items": o.items} for o in outcomes],
                       columns=["source_key", "ok", "error", "items"])
    _insert(con, "harvest_source", ["source_key", "ok", "error", "items"], run_id, src)
    errs = []
    for o in outcomes:
        for text in o.item_errors:
            item, msg = split_item_error(text)
            errs.append({"source_key": o.source_key, "item": item, "message": msg})
    _insert(con, "harvest_error", ["source_key", "item", "message"], run_id,
            pd.DataFrame(errs, columns=["source_key", "item", "message"]))


def save_observatoire(con: duckdb.DuckDBPyConnection, run_id: int, edition: pd.DataFrame,
                      outcome: SourceOutcome) -> str:
    """An Observatoire edition as a dated snapshot of its own."""
    status = vocab.RUN_DONE_ERRORS if outcome.item_errors else vocab.RUN_DONE
    with db.transaction(con):
        _insert(con, "harvest_observatoire", OBSERVATOIRE_COLUMNS, run_id, edition)
        save_outcomes(con, run_id, [outcome])
        journal.finish_run(con, run_id, status, counts={"organisations": len(edition)})
    return status
