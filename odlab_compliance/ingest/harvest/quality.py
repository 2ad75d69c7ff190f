"""The quality rows of a snapshot (issue 18): what each dataset's source says of its
licence, frequency, formats and data.gouv.fr score, and the files that declare a schema.

Written by ``save.save_snapshot`` in the snapshot's transaction and carried forward like
the datasets they describe (a territory refresh keeps the rest of France's rows).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.ingest.harvest.records import DatasetRecord

QUALITY_COLUMNS = ["source", "source_key", "dataset_id", "publisher_id", "licence",
                   "frequency", "formats", "quality_score", "quality_criteria", "themes"]
RESOURCE_COLUMNS = ["source", "source_key", "dataset_id", "publisher_id", "resource_id",
                    "url", "format", "filesize", "checksum", "modified", "schema_name",
                    "schema_version", "fingerprint"]


def _key(r: DatasetRecord) -> str:
    return r.source if r.source != vocab.SOURCE_PORTAL else f"{vocab.SOURCE_PORTAL}:{r.platform_id}"


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


# --- what portals give, in udata's vocabulary ------------------------------------------------

# DCAT's EU frequency authority (…/frequency/ANNUAL), ISO 8601 repeating durations (R/P1Y,
# DCAT-US ``accrualPeriodicity``) and French words, to udata's frequency ids (vocab.FREQUENCE).
_FREQUENCY = {
    "CONT": "continuous", "UPDATE_CONT": "continuous", "HOURLY": "hourly", "DAILY": "daily",
    "DAILY_2": "semidaily", "WEEKLY": "weekly", "WEEKLY_2": "semiweekly",
    "WEEKLY_3": "threeTimesAWeek", "BIWEEKLY": "biweekly", "MONTHLY": "monthly",
    "MONTHLY_2": "semimonthly", "MONTHLY_3": "threeTimesAMonth", "BIMONTHLY": "bimonthly",
    "QUARTERLY": "quarterly", "ANNUAL_3": "threeTimesAYear", "ANNUAL_2": "semiannual",
    "ANNUAL": "annual", "BIENNIAL": "biennial", "TRIENNIAL": "triennial",
    "QUINQUENNIAL": "quinquennial", "IRREG": "irregular", "IRREGULAR": "irregular",
    "NEVER": "punctual", "OP_DATPRO": "unknown", "UNKNOWN": "unknown",
    "R/PT1H": "hourly", "R/P1D": "daily", "R/P1W": "weekly", "R/P2W": "biweekly",
    "R/P1M": "monthly", "R/P2M": "bimonthly", "R/P3M": "quarterly", "R/P4M":
    "threeTimesAYear", "R/P6M": "semiannual", "R/P1Y": "annual", "R/P2Y": "biennial",
    "R/P3Y": "triennial", "R/P5Y": "quinquennial",
    "QUOTIDIENNE": "daily", "HEBDOMADAIRE": "weekly", "MENSUELLE": "monthly",
    "TRIMESTRIELLE": "quarterly", "SEMESTRIELLE": "semiannual", "ANNUELLE": "annual",
    "PONCTUELLE": "punctual", "IRREGULIERE": "irregular", "TEMPS REEL": "continuous",
}
_UDATA_IDS = {v.lower(): v for v in _FREQUENCY.values()}


def frequency_id(value: object) -> str | None:
    """A declared frequency as a udata id (``annual``…), None when absent or unknown."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@id") or value.get("uri") or value.get("name")
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.lower() in _UDATA_IDS:
        return _UDATA_IDS[text.lower()]
    key = text.rstrip("/").rsplit("/frequency/", 1)[-1].upper()
    key = key.replace("É", "E").replace("È", "E")
    return _FREQUENCY.get(key)


def format_of(value: object) -> str | None:
    """A resource format (``CSV``, ``text/csv``, ``…/file-type/CSV``) in lower case."""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("label")
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower().rstrip("/")
    text = text.rsplit("/file-type/", 1)[-1]
    mime = {"text/csv": "csv", "application/json": "json", "application/geo+json": "geojson",
            "application/vnd.geo+json": "geojson", "application/pdf": "pdf",
            "application/xml": "xml", "text/xml": "xml",
            "application/vnd.ms-excel": "xls",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
            "application/vnd.oasis.opendocument.spreadsheet": "ods",
            "application/zip": "zip", "text/html": "html"}
    return mime.get(text, text.split(";")[0].strip())
