"""The quality rows of a snapshot (issue 18): what each dataset's source says of its
licence, frequency, formats and data.gouv.fr score, and the files that declare a schema.

Written by ``save.save_snapshot`` in the snapshot's transaction and carried forward like
the datasets they describe (a territory refresh keeps the rest of France's rows).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pandas as pd

from odlab_compliance.ingest.harvest.records import DatasetRecord

QUALITY_COLUMNS = ["source", "source_key", "dataset_id", "publisher_id", "licence",
                   "frequency", "formats", "quality_score", "quality_criteria", "themes"]
RESOURCE_COLUMNS = ["source", "source_key", "dataset_id", "publisher_id", "resource_id",
                    "url", "format", "filesize", "checksum", "modified", "schema_name",
                    "schema_version", "fingerprint"]


def _key(r: DatasetRecord) -> str:
    return r.source if r.source != "portal" else f"portal:{r.platform_id}"


def _join(values: Iterable[str]) -> str | None:
    return ",".join(sorted({v for v in values if v})) or None


def fingerprint(checksum: str | None, filesize: int | None, modified: str | None) -> str:
    """What tells a changed file without downloading it: the published checksum, else
    the size and the modification date (a file whose source gives none of them has the
    same fingerprint forever: it is validated once, and again when the cache is cleared)."""
    if checksum:
        return f"checksum:{checksum}"
    return f"taille:{filesize if filesize is not None else '?'};modifie:{modified or '?'}"


def quality_frame(records: Iterable[DatasetRecord]) -> pd.DataFrame:
    rows = [{"source": r.source, "source_key": _key(r), "dataset_id": r.dataset_id,
             "publisher_id": r.publisher_id, "licence": r.licence, "frequency": r.frequency,
             "formats": _join(r.formats), "quality_score": r.quality_score,
             "quality_criteria": (json.dumps(r.quality_criteria, sort_keys=True)
                                  if r.quality_criteria else None),
             "themes": _join(r.themes)} for r in records]
    return pd.DataFrame(rows, columns=QUALITY_COLUMNS)


def resources_frame(records: Iterable[DatasetRecord]) -> pd.DataFrame:
    rows = [{"source": r.source, "source_key": _key(r), "dataset_id": r.dataset_id,
             "publisher_id": r.publisher_id, "resource_id": x.resource_id, "url": x.url,
             "format": x.format, "filesize": x.filesize, "checksum": x.checksum,
             "modified": x.modified, "schema_name": x.schema_name,
             "schema_version": x.schema_version,
             "fingerprint": fingerprint(x.checksum, x.filesize, x.modified)}
            for r in records for x in r.resources]
    frame = pd.DataFrame(rows, columns=RESOURCE_COLUMNS)
    frame["filesize"] = frame["filesize"].astype("Int64")
    return frame
