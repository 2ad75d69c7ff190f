"""« Mes actions de la semaine » for prefecture staff: what to do this week in a
territory, in one table that can be exported — follow-up actions due (overdue or within
seven days), regressions since the previous snapshot, and collectivités whose data grew
old. Pure: DataFrames in, one DataFrame out; the statuses and the comparison come from
the model (``analysis.changes.compare`` with the pages' ``StatusModel``)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.fmt import date_fr

WEEK_DAYS = 7
# Changes between two snapshots that call for action (analysis.changes.CHANGES codes):
# stopped publishing, data went stale, newly obliged. "Now unknown" is a source's
# outage, not a regression: it is counted apart.
REGRESSIONS = ("arrete", "obsolete", "devenu_oblige")
NOW_UNKNOWN = "devenu_inconnu"
SECTIONS = {"action": "Action prévue", "regression": "Régression depuis la collecte "
            "précédente", "ancien": "Données de plus de 12 mois"}
COLUMNS = {"rubrique": "Rubrique", "echeance": "Échéance", "nom": "Nom", "type": "Type",
           "departement": "Dép.", "detail": "Détail", "etape": "Étape du suivi",
           "contact": "Contact", "siren": "SIREN"}


def _state_of(state: pd.DataFrame) -> pd.DataFrame:
    return state.reindex(columns=["siren", "etape", "contact"]).drop_duplicates("siren")


def week(frame: pd.DataFrame, state: pd.DataFrame, changes: pd.DataFrame,
         work: pd.DataFrame, today: date | None = None) -> pd.DataFrame:
    """One row per thing to do, in French (``COLUMNS``), actions first (earliest first),
    then regressions, then stale data (most populated first).

    ``frame``: the territory's status table (names, types, populations); ``state``:
    ``followup.state``; ``changes``: ``analysis.changes.diff`` between the previous and
    the chosen snapshot; ``work``: ``followup.worklist`` of the territory.
    """
    today = today or date.today()
    info = frame.drop_duplicates("siren").set_index("siren")
    rows: list[dict] = []
    pa = pd.to_datetime(state["prochaine_action"]) if len(state) else pd.Series(dtype="M8[ns]")
    limit = pd.Timestamp(today) + pd.Timedelta(days=WEEK_DAYS)
    due = state[pa.notna() & (pa <= limit)] if len(state) else state
    due = due[due["siren"].isin(info.index)].sort_values("prochaine_action")
    for r in due.to_dict("records"):
        when = pd.Timestamp(r["prochaine_action"])
        late = " (en retard)" if when < pd.Timestamp(today) else ""
        note = r.get("derniere_note")
        rows.append({"rubrique": SECTIONS["action"], "echeance": when.date(),
                     "siren": r["siren"],
                     "detail": f"prochaine action le {date_fr(when)}{late}"
                               + (f" ; dernière note : {note}" if isinstance(note, str)
                                  else ""), "_o": 0, "_k": when.value})
    reg = changes[changes["changement"].isin(REGRESSIONS)]
    for r in reg.to_dict("records"):
        rows.append({"rubrique": SECTIONS["regression"], "echeance": None,
                     "siren": r["siren"], "detail": r["libelle"], "_o": 1,
                     "_k": -float(info["population_totale"].get(r["siren"], 0) or 0)
                     if r["siren"] in info.index else 0})
    stale = work[work.get(vocab.MOTIF_ANCIEN, pd.Series(False, index=work.index))
                 .astype(bool)] if len(work) else work
    for r in stale.to_dict("records"):
        last = r.get("derniere_mise_a_jour")
        rows.append({"rubrique": SECTIONS["ancien"], "echeance": None, "siren": r["siren"],
                     "detail": f"dernière mise à jour le {date_fr(last)}"
                               if pd.notna(last) else "données de plus de 12 mois",
                     "_o": 2, "_k": -float(r.get("population_totale") or 0)})
    out = pd.DataFrame(rows, columns=["rubrique", "echeance", "siren", "detail", "_o", "_k"])
    out = out.sort_values(["_o", "_k"], kind="stable").drop(columns=["_o", "_k"])
    names = info.reindex(columns=["nom", "type", "departement"])
    out = out.join(names, on="siren").merge(_state_of(state), on="siren", how="left")
    out["etape"] = vocab.ETAPE.labelled(out["etape"].fillna(vocab.DEFAULT_STAGE))
    out["type"] = vocab.TYPE.labelled(out["type"])
    return out[list(COLUMNS)].rename(columns=COLUMNS).reset_index(drop=True)


def counts(table: pd.DataFrame) -> dict[str, int]:
    """Rows per section of ``week``'s table (every section, zero included)."""
    vc = table["Rubrique"].value_counts() if len(table) else {}
    return {label: int(vc.get(label, 0)) for label in SECTIONS.values()}
