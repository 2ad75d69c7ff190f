"""What became of each publisher: matched (by SIREN, succession, name, a human decision),
waiting for review, not a collectivité, or unmatched — and why. Pure functions.

One outcome per publisher (``vocab.MATCH_OUTCOME``), from its matches after the human
decisions and from what the matcher said besides (``CLASS_COLUMNS``: the kind of body, the
reason). ``summary`` counts them per source; the unmatched list is what the report
exports.
"""

from __future__ import annotations

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.ingest.matching.decisions import counted, describe_flags

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
    m["counted"] = counted(m) if not m.empty else pd.Series(dtype=bool)
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
                       motifs=describe_flags(chosen["flags"]))
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
