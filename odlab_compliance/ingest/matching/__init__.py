"""Matching publishers to collectivités at harvest time: one matcher for every source.

- ``names``: normalisation of the names people write (rapidfuzz for approaching names);
- ``bodies``: bodies that are not collectivités (State services, SDIS, syndicats…), by
  name and by legal category, kept as data in ``reference/``;
- ``reference``: the collectivités of a vintage indexed by SIREN and name, with the
  successions, former names and names of usage (``reference/noms_usage.csv``);
- ``matcher``: the order of evidence and the scores (documented there and in
  docs/portals.md).

The matching is pure (DataFrames in, DataFrames out); only ``reference.load_reference``
reads the database. What the matches become when a snapshot is read — the review rule,
the human decisions, the reference kept in memory — is the model's
(``model.matching``); what became of each publisher, its report (``model.review``).
"""

from __future__ import annotations

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
    load_reference,
)

__all__ = [
    "CLASS_COLUMNS", "MATCH_COLUMNS", "MIN_CONFIDENCE", "REVIEW_THRESHOLD", "MatchReference",
    "ParsedName", "build_reference", "core_name", "judge", "load_reference", "match_all",
    "name_candidates", "names_fit", "normalize_name", "parse_name", "reference_of",
]
