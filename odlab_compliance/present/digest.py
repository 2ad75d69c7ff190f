"""« Mes actions de la semaine » as an e-mail: the same table as the page
(``outreach.weekly.week``: actions due, regressions since the previous snapshot, data
grown old) plus the collectivités that started publishing, for one territory, in plain
French text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from odlab_compliance.analysis import changes
from odlab_compliance.fmt import date_fr, nombre
from odlab_compliance.model.status import StatusModel
from odlab_compliance.outreach import followup, weekly
from odlab_compliance.present.letters import STARTED as NEW_PUBLISHERS
from odlab_compliance.territory import Territory

MAX_ROWS = 40                 # per section: the rest is on the page


@dataclass(frozen=True)
class Week:
    territory: Territory
    territory_name: str
    table: pd.DataFrame           # weekly.week
    new_publishers: list[str]     # names
    snapshot_label: str
    compared_with: str            # label of the previous snapshot ("" when none)
    today: date


def week_for(con: duckdb.DuckDBPyConnection, model: StatusModel, rule: str,
             territory: Territory, territory_name: str, today: date | None = None) -> Week:
    """The week of a territory at the latest snapshot, compared with the previous one."""
    today = today or date.today()
    at = model.status_at(territory, rule)
    state = followup.state(con)
    work = followup.worklist(at.frame, state)
    ordered = sorted(model.snapshots, key=lambda s: (s.date, s.id))
    before = [s for s in ordered if (s.date, s.id) < (at.snapshot.date, at.snapshot.id)]
    if before:
        comp = changes.compare(model, rule, territory, before[-1], at.snapshot,
                               changes.dep_names(con))
        diff, compared = comp.changes, comp.snapshot_from.label
    else:
        diff, compared = changes.diff(at.frame.iloc[0:0], at.frame.iloc[0:0]), ""
    table = weekly.week(at.frame, state, diff, work, today)
    new = diff[diff["changement"].eq(NEW_PUBLISHERS)]["nom"].astype(str).tolist() \
        if len(diff) else []
    return Week(territory, territory_name, table, new, at.snapshot.label, compared, today)


def subject(week: Week) -> str:
    n = len(week.table)
    return (f"Mes actions de la semaine · {week.territory_name} : "
            f"{nombre(n)} à faire" + (f", {nombre(len(week.new_publishers))} nouvelle(s) "
                                      "collectivité(s) qui publient"
                                      if week.new_publishers else ""))


def text(week: Week, link: str = "") -> str:
    """The digest's body (plain text, French)."""
    until = date_fr(week.today + timedelta(days=weekly.WEEK_DAYS))
    lines = [f"Mes actions de la semaine · {week.territory_name}",
             f"Semaine du {date_fr(week.today)} (actions prévues jusqu'au {until} et en "
             f"retard). Données : {week.snapshot_label}"
             + (f", comparées au {week.compared_with}." if week.compared_with else
                " ; aucune collecte antérieure à comparer."), ""]
    counts = weekly.counts(week.table)
    lines += [f"- {label} : {nombre(n)}" for label, n in counts.items()]
    lines.append(f"- Ont commencé à publier : {nombre(len(week.new_publishers))}")
    for label in weekly.SECTIONS.values():
        part = week.table[week.table["Rubrique"].eq(label)] if len(week.table) else \
            week.table
        if part.empty:
            continue
        lines += ["", f"{label} ({nombre(len(part))})"]
        for r in part.head(MAX_ROWS).to_dict("records"):
            contact = f" — contact : {r['Contact']}" if isinstance(r.get("Contact"), str) \
                and r["Contact"] else ""
            lines.append(f"  • {r['Nom']} ({r['Type']}, dép. {r['Dép.'] or '—'}) : "
                         f"{r['Détail']} ; étape : {r['Étape du suivi']}{contact}")
        if len(part) > MAX_ROWS:
            lines.append(f"  … et {nombre(len(part) - MAX_ROWS)} autres (voir le tableau "
                         "de bord).")
    if week.new_publishers:
        lines += ["", f"Ont commencé à publier ({nombre(len(week.new_publishers))})"]
        lines += [f"  • {name}" for name in week.new_publishers[:MAX_ROWS]]
    if week.table.empty and not week.new_publishers:
        lines += ["", "Rien à faire cette semaine sur ce territoire."]
    if link:
        lines += ["", f"Le détail : {link}"]
    lines += ["", "Message envoyé par odlab-compliance (digest send)."]
    return "\n".join(lines) + "\n"
