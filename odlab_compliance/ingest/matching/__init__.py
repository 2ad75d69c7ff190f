"""Matching publishers to collectivités: one matcher for every source.

- ``names``: normalisation of the names people write (rapidfuzz for approaching names);
- ``bodies``: bodies that are not collectivités (State services, SDIS, syndicats…), by
  name and by legal category, kept as data in ``reference/``;
- ``reference``: the collectivités of a vintage indexed by SIREN and name, with the
  successions and former names the reference's history gives;
- ``matcher``: the order of evidence and the scores (documented there and in
  docs/portals.md);
- ``decisions``: human decisions (append-only ledger) and which matches count;
- ``report``: what became of each publisher (matched how, pending, not a collectivité,
  unmatched and why), per source and snapshot.

The matching itself is pure (DataFrames in, DataFrames out); only ``load_decisions``,
``record_decision`` and ``reference.load_reference`` touch the database.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.ingest.matching import reference, report
from odlab_compliance.ingest.matching.decisions import (
    DECISION_COLUMNS,
    apply_decisions,
    apply_to_frame,
    counted,
    current_decisions,
    describe_flags,
    is_counted,
    load_decisions,
    pending,
    record_decision,
)
from odlab_compliance.ingest.matching.matcher import (
    CLASS_COLUMNS,
    MATCH_COLUMNS,
    MIN_CONFIDENCE,
    REVIEW_THRESHOLD,
    judge,
    match_all,
    name_candidates,
    reference_of,
)
from odlab_compliance.ingest.matching.names import (
    ParsedName,
    core_name,
    names_fit,
    normalize_name,
    parse_name,
)
from odlab_compliance.ingest.matching.reference import (
    MatchReference,
    build_reference,
    cached_reference,
    load_reference,
)

HUMAN_DECISIONS = vocab.HUMAN_DECISIONS

__all__ = [
    "CLASS_COLUMNS", "DECISION_COLUMNS", "HUMAN_DECISIONS", "MATCH_COLUMNS", "MIN_CONFIDENCE",
    "REVIEW_THRESHOLD", "MatchReference", "ParsedName", "apply_decisions", "apply_to_frame",
    "build_reference", "cached_reference", "core_name", "counted", "current_decisions", "describe_flags",
    "is_counted", "judge", "load_decisions", "load_reference", "match_all",
    "match_publishers", "name_candidates", "names_fit", "normalize_name", "parse_name",
    "pending", "record_decision", "reference", "report",
]


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
