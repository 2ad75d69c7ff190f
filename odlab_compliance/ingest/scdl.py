"""SCDL validity: each file that declares an SCDL schema is checked against its schema
version with Validata (``validata_core``, the validator data.gouv.fr's consolidation and
validata.fr use, built on frictionless), incrementally.

- Only new or changed files: a file is known by its fingerprint (published checksum, else
  size + modified date, see ``harvest.quality.fingerprint``); a fingerprint already in
  ``scdl_validation`` is not downloaded again.
- Bounded per run (``limit``): what is left waits, in the state « pas encore vérifié »
  (no row in the cache); ``ValidationRun.remaining`` says how many.
- Schemas come from schema.data.gouv.fr (source ``scdl-schema`` of the registry), through
  the mirror or the cache like every source.
- A file or schema that cannot be read is « non vérifiable » (``SCDL_ERREUR``), never
  « non conforme »: unknown is not a fault.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import requests

from odlab_compliance import db, vocab
from odlab_compliance.config import Settings
from odlab_compliance.http import describe_error, make_session
from odlab_compliance.ingest.sources import Source, all_sources, download

SCHEMA_SOURCE_ID = "scdl-schema"
LATEST = "latest"
DEFAULT_PER_RUN = 200          # files validated per run at most
MAX_FILE_BYTES = 20 * 1024 * 1024   # a larger file is not downloaded (« non vérifiable »)
MAX_MESSAGES = 5               # first messages kept per file
WRITE_EVERY = 25               # verdicts written together
TABULAR = {"csv", "tsv", "xls", "xlsx", "ods", "txt", ""}


@dataclass
class Outcome:
    """The verdict on one file."""

    state: str                     # vocab.SCDL_VALIDE | SCDL_INVALIDE | SCDL_ERREUR
    nb_errors: int | None = None
    rows_read: int | None = None
    messages: list[str] = field(default_factory=list)


@dataclass
class ValidationRun:
    validated: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    remaining: int = 0             # still « pas encore vérifié » after this run
    seconds: float = 0.0


# --- schemas --------------------------------------------------------------------------------

def schema_source() -> Source:
    return next(s for s in all_sources() if s.id == SCHEMA_SOURCE_ID)


def schema_url(settings: Settings, name: str, version: str | None) -> str:
    src = schema_source()
    return src.url(settings).format(schema=name, version=version or LATEST)


def fetch_schema(settings: Settings, session: requests.Session, name: str,
                 version: str | None) -> dict[str, Any]:
    """The Table Schema of ``name`` at ``version``: mirror, cache, then download."""
    src = schema_source()
    rel = src.mirror.format(schema=name, version=version or LATEST)
    if settings.mirror_dir is not None and (settings.mirror_dir / rel).is_file():
        path = settings.mirror_dir / rel
    else:
        path = settings.cache_dir / SCHEMA_SOURCE_ID / rel
        if not path.is_file():
            download(schema_url(settings, name, version), path, session, settings, None,
                     label=f"schéma {name} {version or LATEST}")
    return json.loads(path.read_text(encoding="utf-8"))


# --- one file -------------------------------------------------------------------------------

def _message(err: dict[str, Any]) -> str:
    """One Validata error as a French sentence a person can act on."""
    where = []
    # rowPosition counts the header as line 1, as a spreadsheet shows the file.
    line = err.get("rowPosition") or err.get("rowNumber")
    if line:
        where.append(f"ligne {line}")
    if err.get("fieldName"):
        where.append(f"colonne {err['fieldName']}")
    title = str(err.get("name") or err.get("title") or "erreur").strip()
    detail = str(err.get("message") or "").strip()
    if detail.startswith("*") or detail == title:   # Validata's "no description" filler
        detail = ""
    cell = err.get("cell")
    text = (", ".join(where) + " : " if where else "") + title
    if detail:
        text += f" ({detail.rstrip('.')})"
    if cell not in (None, ""):
        text += f", valeur « {str(cell)[:60]} »"
    return text


def validate_file(path: Path, schema: dict[str, Any]) -> Outcome:
    """Validate one local file against a Table Schema with Validata."""
    if not isinstance(schema, dict) or not schema.get("fields"):
        return Outcome(vocab.SCDL_ERREUR, messages=[
            "schéma sans liste de colonnes (pas un Table Schema) : validation non prise en "
            "charge"])
    from validata_core import validate  # heavy import (frictionless): only when needed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # frictionless deprecation notices, in English
        try:
            report = validate(str(path), schema)
        except Exception as exc:  # noqa: BLE001 - an unreadable file is not a crash
            return Outcome(vocab.SCDL_ERREUR, messages=[f"fichier illisible ({type(exc).__name__})"])
    data = report if isinstance(report, dict) else report.to_dict()
    errors: list[dict[str, Any]] = list(data.get("errors") or [])
    rows = None
    for task in data.get("tasks") or []:
        errors += list(task.get("errors") or [])
        stats = (task.get("resource") or {}).get("stats") or task.get("stats") or {}
        rows = stats.get("rows", rows)
    if not errors:
        return Outcome(vocab.SCDL_VALIDE, nb_errors=0, rows_read=rows)
    return Outcome(vocab.SCDL_INVALIDE, nb_errors=len(errors), rows_read=rows,
                   messages=[_message(e) for e in errors[:MAX_MESSAGES]])


def _suffix(url: str | None, fmt: str | None) -> str:
    ext = (fmt or "").lower()
    if ext in TABULAR - {""}:
        return "." + ext
    tail = Path(urlsplit(url or "").path).suffix.lower()
    return tail if tail.lstrip(".") in TABULAR else ".csv"


def fetch_file(session: requests.Session, url: str, target: Path,
               max_bytes: int = MAX_FILE_BYTES) -> None:
    """Download ``url`` to ``target``, refusing a file larger than ``max_bytes``."""
    with session.get(url, stream=True) as resp:
        resp.raise_for_status()
        size = int(resp.headers.get("Content-Length") or 0)
        if size > max_bytes:
            raise FileTooLarge(size)
        got = 0
        with open(target, "wb") as out:
            for chunk in resp.iter_content(1 << 16):
                got += len(chunk)
                if got > max_bytes:
                    raise FileTooLarge(got)
                out.write(chunk)


class FileTooLarge(RuntimeError):
    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


def check_resource(settings: Settings, session: requests.Session, row: dict[str, Any],
                   schemas: dict[tuple[str, str], dict[str, Any] | str]) -> Outcome:
    """Fetch the schema (once per run) and the file, then validate."""
    key = (row["schema_name"], row["schema_version"])
    if key not in schemas:
        try:
            schemas[key] = fetch_schema(settings, session, *key)
        except (requests.RequestException, OSError, ValueError) as exc:
            schemas[key] = f"schéma {key[0]} {key[1]} indisponible ({_describe(exc)})"
    schema = schemas[key]
    if isinstance(schema, str):
        return Outcome(vocab.SCDL_ERREUR, messages=[schema])
    if not row.get("url"):
        return Outcome(vocab.SCDL_ERREUR, messages=["le fichier n'a pas d'adresse"])
    fd, name = tempfile.mkstemp(prefix="scdl-", suffix=_suffix(row["url"], row.get("format")),
                                dir=settings.cache_dir if settings.cache_dir.is_dir() else None)
    os.close(fd)
    path = Path(name)
    try:
        try:
            fetch_file(session, row["url"], path)
        except FileTooLarge as exc:
            return Outcome(vocab.SCDL_ERREUR, messages=[
                f"fichier trop volumineux pour être vérifié ici ({exc.size // 1_000_000} Mo, "
                f"limite {MAX_FILE_BYTES // 1_000_000} Mo)"])
        except (requests.RequestException, OSError) as exc:
            return Outcome(vocab.SCDL_ERREUR, messages=[
                f"fichier injoignable ({_describe(exc)})"])
        return validate_file(path, schema)
    finally:
        path.unlink(missing_ok=True)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValueError) and not isinstance(exc, requests.RequestException):
        return "JSON invalide"
    return describe_error(exc)


# --- the incremental run ------------------------------------------------------------------------

def pending(con: duckdb.DuckDBPyConnection, run_id: int, limit: int | None = None
            ) -> pd.DataFrame:
    """Files of snapshot ``run_id`` declaring an SCDL schema whose content (fingerprint)
    has no validation yet; at most ``limit``."""
    df = con.execute(db.sql("scdl_states"), {"run_id": run_id, "latest": LATEST}).df()
    cols = ["resource_id", "schema_name", "schema_version", "fingerprint", "url", "format",
            "dataset_id", "publisher_id", "source"]
    df = df[df["validated_at"].isna()].drop_duplicates(
        ["resource_id", "schema_name", "schema_version", "fingerprint"])[cols]
    df = df.sort_values(["resource_id", "schema_name"]).reset_index(drop=True)
    return df if limit is None else df.head(limit)


def save_outcome(con: duckdb.DuckDBPyConnection, row: dict[str, Any], out: Outcome) -> None:
    con.execute(
        "INSERT OR REPLACE INTO scdl_validation (resource_id, schema_name, schema_version,"
        " fingerprint, url, validated_at, state, nb_errors, rows_read, messages)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [row["resource_id"], row["schema_name"], row["schema_version"], row["fingerprint"],
         row.get("url"), datetime.now(UTC).replace(tzinfo=None), out.state, out.nb_errors,
         out.rows_read, json.dumps(out.messages, ensure_ascii=False) if out.messages else None])


def validate_pending(settings: Settings, run_id: int, *, limit: int = DEFAULT_PER_RUN,
                     session: requests.Session | None = None,
                     tick: Callable[[int], None] | None = None) -> ValidationRun:
    """Validate up to ``limit`` new or changed SCDL files of snapshot ``run_id``.

    The database is opened briefly to read the list, then every ``WRITE_EVERY`` files to
    write their verdicts (opening it costs about a validation: a run cut short loses at
    most that many verdicts, which the next run redoes)."""
    start = time.perf_counter()
    session = session or make_session(settings)
    with db.connect(settings) as con:
        todo = pending(con, run_id)
    result = ValidationRun()
    schemas: dict[tuple[str, str], dict[str, Any] | str] = {}
    batch: list[tuple[dict[str, Any], Outcome]] = []

    def flush() -> None:
        if batch:
            with db.connect(settings) as con, db.transaction(con):
                for r, o in batch:
                    save_outcome(con, r, o)
            batch.clear()

    for row in todo.head(limit).to_dict("records"):
        out = check_resource(settings, session, row, schemas)
        batch.append((row, out))
        if len(batch) >= WRITE_EVERY:
            flush()
        result.validated += 1
        result.by_state[out.state] = result.by_state.get(out.state, 0) + 1
        if tick:
            tick(1)
    flush()
    result.remaining = max(0, len(todo) - result.validated)
    result.seconds = time.perf_counter() - start
    return result


def resource_states(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """Every SCDL file of snapshot ``run_id`` with its state (« pas encore vérifié » when
    its current content has no verdict) and its first messages as a list."""
    df = con.execute(db.sql("scdl_states"), {"run_id": run_id, "latest": LATEST}).df()
    df["state"] = df["state"].fillna(vocab.SCDL_NON_VALIDE)
    df["messages"] = [json.loads(m) if isinstance(m, str) and m else []
                      for m in df["messages"]]
    return df
