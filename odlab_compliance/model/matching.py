"""Matching at read time: what the human decisions and the review rule make of the
matches, whenever a snapshot is read.

The harvest-time half (``ingest.matching``) proposes automatic matches and stores them
with a harvest; an Observatoire edition is matched when it is read. Here:

- the review rule (``is_counted``): which matches count without a person, which wait;
- the human decisions on matches (confirm, reject, add), kept in the append-only table
  ``match_decision`` (migration 0003): the last decision on a (publisher, SIREN) pair is
  the one in force. They are applied at read time, to every source (data.gouv.fr,
  portals, Observatoire editions) and every snapshot, so a decision taken today changes
  earlier snapshots' statuses when they are recomputed;
- the matching reference kept in memory between reads (``cached_reference``): the
  model's own cache, beside ``ui/cache.py`` (which caches what pages show), because an
  edition is matched at every read and rebuilding the reference of France takes seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.db import facts
from odlab_compliance.ingest.matching import (
    MATCH_COLUMNS,
    MatchReference,
    load_reference,
    match_all,
    reference_of,
)
from odlab_compliance.ingest.matching.matcher import REVIEW_THRESHOLD

DECISION_COLUMNS = ["publisher_id", "siren", "decision", "source", "note", "auteur", "decided_at"]


def _flags(*codes: object) -> str:
    return ",".join(dict.fromkeys(c for c in codes if isinstance(c, str) and c))


def is_counted(decision: object, confidence: object, flags: object) -> bool:
    """Does this match attribute the publisher's datasets? A human confirmation or
    addition always does; an automatic match only at ``REVIEW_THRESHOLD`` or above and
    without a flag that asks for review (``vocab.INFO_FLAGS`` only inform)."""
    if decision in (vocab.DECISION_CONFIRME, vocab.DECISION_AJOUTE):
        return True
    if decision != vocab.DECISION_AUTO:
        return False
    try:
        conf = float(confidence)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    codes = [f for f in str(flags or "").split(",") if f]
    return conf >= REVIEW_THRESHOLD and all(f in vocab.INFO_FLAGS for f in codes)


def counted(matches: pd.DataFrame) -> pd.Series:
    """``is_counted`` for each row of a match frame."""
    if matches.empty:
        return pd.Series([], dtype=bool, index=matches.index)
    return pd.Series([is_counted(d, c, f) for d, c, f in zip(
        matches["decision"], matches["confidence"], matches["flags"], strict=True)],
        index=matches.index, dtype=bool)


def pending(matches: pd.DataFrame) -> pd.DataFrame:
    """Automatic matches that wait for a human: below the threshold or flagged."""
    if matches.empty:
        return matches
    auto = matches[matches["decision"] == vocab.DECISION_AUTO]
    return auto[~counted(auto)]


def describe_flags(flags: object) -> str:
    """French sentences for a comma-separated list of flag codes."""
    return " ; ".join(vocab.MATCH_FLAG.label(f) for f in str(flags or "").split(",") if f)


def current_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """The last decision per (publisher, SIREN): the log is append-only."""
    if decisions.empty:
        return decisions
    ordered = decisions.sort_values("seq") if "seq" in decisions else decisions
    return ordered.drop_duplicates(["publisher_id", "siren"], keep="last").reset_index(drop=True)


def apply_decisions(rows: list[dict], publishers: pd.DataFrame,
                    decisions: pd.DataFrame | None) -> list[dict]:
    """Apply the current human decisions to match rows (dicts with MATCH_COLUMNS).

    ``publishers`` (source, publisher_id) says which publishers are present: a decision
    about an absent publisher waits. ``confirme`` makes the pair THE match of the
    publisher (its other automatic matches become ``rejete``); ``ajoute`` adds a pair;
    ``rejete`` keeps the row, marked, so the ledger shows what was refused.
    """
    if decisions is None or decisions.empty:
        return rows
    present = {str(p): str(s) for p, s in zip(publishers["publisher_id"],
                                              publishers["source"], strict=False)}
    by_pair = {(str(r["publisher_id"]), str(r["siren"])): r for r in rows}
    for d in current_decisions(decisions).to_dict("records"):
        pid, siren, decision = str(d["publisher_id"]), str(d["siren"]), d["decision"]
        if pid not in present:
            continue  # the publisher is not in this snapshot: the decision waits
        row = by_pair.get((pid, siren))
        if decision == vocab.DECISION_REJETE:
            if row is not None:
                row["decision"] = vocab.DECISION_REJETE
            continue
        if row is None:
            row = {"source": present[pid], "publisher_id": pid, "siren": siren,
                   "method": vocab.METHOD_DECISION, "flags": ""}
            rows.append(row)
            by_pair[(pid, siren)] = row
        row["decision"], row["confidence"] = decision, 1.0
        if decision == vocab.DECISION_CONFIRME:
            for other in rows:
                if (str(other["publisher_id"]) == pid and str(other["siren"]) != siren
                        and other["decision"] == vocab.DECISION_AUTO):
                    other["decision"] = vocab.DECISION_REJETE
                    other["flags"] = _flags(other.get("flags"), vocab.FLAG_OVERRIDDEN)
    return rows


def apply_to_frame(matches: pd.DataFrame, publishers: pd.DataFrame,
                   decisions: pd.DataFrame | None) -> pd.DataFrame:
    """``apply_decisions`` on a frame; same columns back."""
    if decisions is None or decisions.empty:
        return matches
    rows = apply_decisions(matches.to_dict("records"), publishers, decisions)
    out = pd.DataFrame(rows, columns=matches.columns)
    out["confidence"] = pd.to_numeric(out["confidence"]).astype(float)
    out["flags"] = out["flags"].fillna("").astype(str)
    return out


# --- the ledger (user data, migration 0003) ---------------------------------------------

def load_decisions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every recorded human decision, oldest first (columns DECISION_COLUMNS + seq)."""
    return con.execute(db.sql("match_decisions")).df()


def record_decision(con: duckdb.DuckDBPyConnection, publisher_id: str, siren: str,
                    decision: str, *, source: str | None = None, note: str | None = None,
                    auteur: str | None = None) -> int:
    """Append a human decision; return its sequence number. Never updates or deletes."""
    if decision not in vocab.HUMAN_DECISIONS:
        raise ValueError(f"décision inconnue : {decision} (attendu : "
                         f"{', '.join(vocab.HUMAN_DECISIONS)})")
    row = con.execute(
        "INSERT INTO match_decision (publisher_id, siren, decision, source, note, auteur) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
        [publisher_id, siren, decision, source, note, auteur],
    ).fetchone()
    return int(row[0])


# --- the publishers of a source, matched and decided -------------------------------------

def match_publishers(publishers: pd.DataFrame, collectivites: pd.DataFrame | MatchReference,
                     decisions: pd.DataFrame | None = None, *,
                     portals: Sequence[object] | None = None) -> pd.DataFrame:
    """One row per (publisher, SIREN) match, human decisions applied last.

    ``publishers`` has the PublisherRecord fields (source, publisher_id, name, siret,
    platform_id, ...); ``collectivites`` is a vintage's collectivités (siren, nom, type,
    departement, region, ...) or a prepared ``MatchReference`` (with history);
    ``decisions`` is ``load_decisions(con)``; ``portals`` (the registry) lets a portal's
    hosted SIRENs, owner and région weigh in. Columns: MATCH_COLUMNS (method: a
    ``vocab.MATCH_METHOD`` code, decision: a ``vocab.MATCH_DECISION`` code, flags: comma-
    separated ``vocab.MATCH_FLAG`` codes).
    """
    if publishers is None or publishers.empty:
        return pd.DataFrame(columns=MATCH_COLUMNS)
    rows, _ = match_all(publishers, reference_of(collectivites), portals=portals)
    out = apply_to_frame(rows, publishers, decisions)
    return out.sort_values(["source", "publisher_id", "siren"], kind="stable").reset_index(drop=True)


# --- the matching reference, kept between reads --------------------------------------------

_CACHE: dict[tuple, MatchReference] = {}
_CACHE_SIZE = 2   # one per loaded vintage of the current state (~60 MB each)


def _row(con: duckdb.DuckDBPyConnection, name: str, table: str) -> tuple:
    return tuple(con.execute(db.sql(name)).fetchone()) if facts.table_exists(con, table) else ()


def _signature(con: duckdb.DuckDBPyConnection, vintage: int | None) -> tuple:
    """What the reference of ``vintage`` depends on: the database file, the reference
    loads (every vintage: the others are its history), the reference rows themselves and
    the agent imports (legal categories)."""
    files = tuple(r[2] for r in con.execute("PRAGMA database_list").fetchall())
    loads = tuple(r[:2] for r in con.execute(db.sql("reference_load")).fetchall()) \
        if facts.table_exists(con, "ref_load") else ()
    content = (_row(con, "ref_collectivite_fingerprint", "ref_collectivite")
               + _row(con, "ref_commune_ancienne_fingerprint", "ref_commune_ancienne"))
    return files, vintage, loads, content, _row(con, "agents_fingerprint", "agents")


def cached_reference(con: duckdb.DuckDBPyConnection, vintage: int | None = None
                     ) -> MatchReference:
    """``ingest.matching.load_reference``, kept in memory while the reference and agent
    tables do not change (an edition is matched at read time: every status table would
    rebuild it)."""
    key = _signature(con, vintage)
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = load_reference(con, vintage)
    return _CACHE[key]
