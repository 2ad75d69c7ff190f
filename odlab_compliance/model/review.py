"""The review queue and the matching report, for the CLI and the pages.

- ``queue``: every proposed match that does not count until an editor confirms it
  (below the review threshold, or flagged), from the latest harvest and from every
  Observatoire edition, current decisions applied;
- ``report``: what became of each publisher of a snapshot (``matching.report``);
- ``edition_comparison``: an edition's figures next to the ones OpenDataFrance published
  for it (``reference/observatoire_publie.csv``), with the rows that explain the gap.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.config import PROJECT_ROOT
from odlab_compliance.fmt import nombre
from odlab_compliance.ingest import matching
from odlab_compliance.model import evidence as ev
from odlab_compliance.model import snapshots as snaps
from odlab_compliance.model.snapshots import Snapshot

QUEUE_COLUMNS = ["source", "publisher_id", "nom", "siren_declare", "siren", "collectivite",
                 "methode", "confiance", "motifs", "raison", "snapshot_id", "instantane"]
PUBLISHED_PATH = PROJECT_ROOT / "reference" / "observatoire_publie.csv"
# The rule of reference/rules.toml that reproduces the Observatoire's list of obliged
# collectivités: an edition is compared with OpenDataFrance's figures under it.
OBSERVATOIRE_RULE = "odf"


def review_snapshots(snapshots: list[Snapshot]) -> list[Snapshot]:
    """The snapshots whose proposals are reviewed: the latest harvest (earlier ones hold
    the same publishers) and every Observatoire edition, newest first."""
    harvests = [s for s in snapshots if not s.is_observatoire]
    return [*harvests[:1], *[s for s in snapshots if s.is_observatoire]]


def queue(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per proposed (publisher, SIREN) pair waiting for a human (QUEUE_COLUMNS),
    least confident first."""
    parts = []
    for snap in review_snapshots(snaps.list_snapshots(con)):
        sm = ev.snapshot_matching(con, snap)
        waiting = matching.pending(sm.matches)
        if waiting.empty:
            continue
        pubs = sm.publishers.drop_duplicates(["source", "publisher_id"])
        df = waiting.merge(pubs, on=["source", "publisher_id"], how="left")
        df = df.merge(sm.classes[["source", "publisher_id", "raison"]],
                      on=["source", "publisher_id"], how="left")
        parts.append(pd.DataFrame({
            "source": df["source"], "publisher_id": df["publisher_id"], "nom": df["name"],
            "siren_declare": df["siret"], "siren": df["siren"],
            "collectivite": df["siren"].map(sm.names), "methode": df["method"],
            "confiance": df["confidence"].astype(float),
            "motifs": df["flags"].map(matching.describe_flags), "raison": df["raison"],
            "snapshot_id": snap.id, "instantane": snap.label}))
    if not parts:
        return pd.DataFrame(columns=QUEUE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out = out.drop_duplicates(["source", "publisher_id", "siren"], keep="first")
    return out.sort_values(["confiance", "source", "nom"], kind="stable")[QUEUE_COLUMNS] \
        .reset_index(drop=True)


def readable_queue(df: pd.DataFrame) -> pd.DataFrame:
    """The queue with French labels and headers (pages, CSV for people)."""
    out = df.assign(source=vocab.SOURCE.labelled(df["source"]),
                    methode=vocab.MATCH_METHOD.labelled(df["methode"]),
                    confiance=df["confiance"].map(lambda v: nombre(v, 2)))
    return out.rename(columns={
        "source": "Source", "publisher_id": "Identifiant", "nom": "Éditeur",
        "siren_declare": "SIREN/SIRET déclaré", "siren": "SIREN proposé",
        "collectivite": "Collectivité proposée", "methode": "Méthode", "confiance": "Score",
        "motifs": "Preuves et signaux", "raison": "Raison", "snapshot_id": "Instantané n°",
        "instantane": "Instantané"})


def report(con: duckdb.DuckDBPyConnection, snapshot: object = snaps.LATEST) -> pd.DataFrame:
    """What became of each publisher of a snapshot (``matching.report.REPORT_COLUMNS``)."""
    snap = snaps.resolve(snaps.list_snapshots(con), snapshot)
    return ev.matching_report(con, snap)


# --- the comparison with OpenDataFrance's published figures -------------------------------

def published_figures() -> pd.DataFrame:
    """edition, indicateur, valeur, libelle, source of ``observatoire_publie.csv``."""
    with open(PUBLISHED_PATH, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    df = pd.DataFrame(rows, columns=["edition", "indicateur", "valeur", "libelle", "source"])
    df["valeur"] = pd.to_numeric(df["valeur"]).astype(int)
    return df


@dataclass
class Comparison:
    """An edition's figures (ours and OpenDataFrance's) and the rows behind the gap."""

    snapshot: Snapshot
    rule: str
    vintage: int
    rows: int                                   # rows of the edition
    outcomes: dict[str, int]                    # rows per vintage.MATCH_OUTCOME code
    credited: int                               # collectivités credited (publish)
    obliged_publishing: int                     # of which obliged under ``rule``
    not_obliged: pd.DataFrame                   # credited but not obliged (siren, nom, type, population)
    published: dict[str, int] = field(default_factory=dict)   # ODF's figures by indicator
    report: pd.DataFrame = field(default_factory=pd.DataFrame)

    def gap(self, indicator: str, ours: int) -> int | None:
        theirs = self.published.get(indicator)
        return None if theirs is None else theirs - ours


def edition_comparison(con: duckdb.DuckDBPyConnection, whole: pd.DataFrame, snap: Snapshot,
                       rule: str, vintage: int) -> Comparison:
    """Compare an edition's result (``whole``: the national status table of ``snap``
    under ``rule``, from ``StatusModel.status_at``) with OpenDataFrance's figures."""
    rep = ev.matching_report(con, snap, vintage)
    publishing = whole[whole["statut"].isin(vocab.PUBLISHING)]
    obliged = publishing[publishing["obligation"] == vocab.OBLIGEE]
    others = publishing[publishing["obligation"] != vocab.OBLIGEE]
    cols = [c for c in ("siren", "nom", "type", "departement", "population_totale")
            if c in others.columns]
    pub = published_figures()
    edition = str(snap.date.year)
    mine = pub[pub["edition"] == edition]
    return Comparison(
        snapshot=snap, rule=rule, vintage=vintage, rows=len(rep),
        outcomes={k: int((rep["resultat"] == k).sum()) for k in vocab.MATCH_OUTCOME},
        credited=len(publishing), obliged_publishing=len(obliged),
        not_obliged=others[cols].sort_values(cols[1:2] or cols).reset_index(drop=True),
        published=dict(zip(mine["indicateur"], mine["valeur"], strict=True)), report=rep)
