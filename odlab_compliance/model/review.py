"""The review queue and the matching report, for the CLI and the pages.

- ``queue``: every proposed match that does not count until an editor confirms it
  (below the review threshold, or flagged), from the latest harvest and from every
  Observatoire edition, current decisions applied;
- ``report``: what became of each publisher of a snapshot (matched by SIREN, succession,
  name or a human decision, waiting for review, not a collectivité, unmatched — and why),
  one outcome per publisher (``vocab.MATCH_OUTCOME``); ``summary`` counts them per source,
  ``readable`` labels them for people;
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
from odlab_compliance.model import evidence as ev
from odlab_compliance.model import matching
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


def report(con: duckdb.DuckDBPyConnection, snapshot: object = snaps.LATEST,
           vintage: int | None = None) -> pd.DataFrame:
    """What became of each publisher of a snapshot (REPORT_COLUMNS), current decisions
    applied; ``vintage``: the reference that judges it (the snapshot's by default)."""
    snap = snapshot if isinstance(snapshot, Snapshot) \
        else snaps.resolve(snaps.list_snapshots(con), snapshot)
    sm = ev.snapshot_matching(con, snap, vintage)
    return outcomes(sm.publishers, sm.matches, sm.classes, sm.names)


# --- what became of each publisher (pure) ------------------------------------------------

REPORT_COLUMNS = ["source", "publisher_id", "nom", "siren_declare", "resultat", "siren",
                  "collectivite", "methode", "confiance", "motifs", "categorie", "raison"]
_BY_METHOD = {vocab.METHOD_SIREN: vocab.OUTCOME_SIREN,
              vocab.METHOD_SUCCESSION: vocab.OUTCOME_SUCCESSION,
              vocab.METHOD_NOM: vocab.OUTCOME_NOM}
_DECIDED = (vocab.DECISION_CONFIRME, vocab.DECISION_AJOUTE)


def _text(v: object) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return str(v) or None


def outcomes(publishers: pd.DataFrame, matches: pd.DataFrame, classes: pd.DataFrame,
             names: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per publisher (REPORT_COLUMNS).

    ``publishers``: source, publisher_id, name, siret; ``matches``: MATCH_COLUMNS with the
    human decisions applied; ``classes``: CLASS_COLUMNS; ``names``: SIREN -> collectivité
    name, for people."""
    names = names or {}
    m = matches.copy()
    m["counted"] = matching.counted(m) if not m.empty else pd.Series(dtype=bool)
    by_pub = {k: g for k, g in m.groupby("publisher_id")} if not m.empty else {}
    cls = {str(r["publisher_id"]): r for r in classes.to_dict("records")} \
        if classes is not None and not classes.empty else {}
    rows = []
    for pub in publishers.drop_duplicates(["source", "publisher_id"]).to_dict("records"):
        pid = str(pub["publisher_id"])
        g = by_pub.get(pid)
        c = cls.get(pid, {})
        base = {"source": pub["source"], "publisher_id": pid, "nom": pub.get("name"),
                "siren_declare": _text(pub.get("siret")), "categorie": _text(c.get("categorie")),
                "raison": _text(c.get("raison"))}
        chosen, outcome = None, None
        if g is not None:
            ok = g[g["counted"]]
            waiting = g[(g["decision"] == vocab.DECISION_AUTO) & ~g["counted"]]
            if not ok.empty:
                human = ok[ok["decision"].isin(_DECIDED)]
                chosen = (human if not human.empty else ok).sort_values(
                    "confidence", ascending=False).iloc[0]
                outcome = vocab.OUTCOME_DECISION if not human.empty \
                    else _BY_METHOD.get(chosen["method"], vocab.OUTCOME_NOM)
            elif not waiting.empty:
                chosen = waiting.sort_values("confidence", ascending=False).iloc[0]
                outcome = vocab.OUTCOME_PENDING
            elif (g["decision"] == vocab.DECISION_REJETE).any():
                base["raison"] = "rapprochement rejeté par un éditeur"
        if outcome is None:
            outcome = vocab.OUTCOME_NOT_COLLECTIVITE if base["categorie"] \
                else vocab.OUTCOME_UNMATCHED
        row = {**base, "resultat": outcome}
        if chosen is not None:
            row.update(siren=chosen["siren"], collectivite=names.get(str(chosen["siren"])),
                       methode=chosen["method"], confiance=float(chosen["confidence"]),
                       motifs=matching.describe_flags(chosen["flags"]))
        rows.append(row)
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def summary(report: pd.DataFrame) -> pd.DataFrame:
    """Publishers per source and outcome: one row per source, one column per outcome code
    (in ``vocab.MATCH_OUTCOME`` order) and ``total``."""
    cols = [*vocab.MATCH_OUTCOME.codes, "total"]
    if report.empty:
        return pd.DataFrame(columns=["source", *cols])
    table = report.pivot_table(index="source", columns="resultat", values="publisher_id",
                               aggfunc="count", fill_value=0)
    table = table.reindex(columns=list(vocab.MATCH_OUTCOME.codes), fill_value=0)
    table["total"] = table.sum(axis=1)
    return table.reset_index()[["source", *cols]]


def readable(report: pd.DataFrame) -> pd.DataFrame:
    """The report with French labels, for tables and CSV exports meant for people."""
    out = report.copy()
    out["source"] = vocab.SOURCE.labelled(out["source"])
    out["resultat"] = vocab.MATCH_OUTCOME.labelled(out["resultat"])
    out["methode"] = vocab.MATCH_METHOD.labelled(out["methode"], default="")
    out["categorie"] = vocab.ORGANISME.labelled(out["categorie"], default="")
    return out.rename(columns={
        "source": "Source", "publisher_id": "Identifiant", "nom": "Éditeur",
        "siren_declare": "SIREN/SIRET déclaré", "resultat": "Résultat", "siren": "SIREN",
        "collectivite": "Collectivité", "methode": "Méthode", "confiance": "Confiance",
        "motifs": "Signaux", "categorie": "Organisme", "raison": "Raison"})


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
    rep = report(con, snap, vintage)
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
