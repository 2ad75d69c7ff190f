"""Mes actions de la semaine (prefecture staff): the follow-up actions due, the
regressions since the previous snapshot and the data grown old, for the chosen
territory, in one table to export."""

from datetime import date, timedelta

import streamlit as st

from odlab_compliance.analysis import changes
from odlab_compliance.fmt import date_fr, nombre
from odlab_compliance.outreach import followup, weekly
from odlab_compliance.ui import cache, render, shell
from odlab_compliance.ui import outreach_data as data

ctx = shell.context()
st.title(f"Mes actions de la semaine · {ctx.territory_name}")
at = data.status_or_stop(ctx)
today = date.today()
st.caption(f"Semaine du {date_fr(today)} : actions de suivi prévues jusqu'au "
           f"{date_fr(today + timedelta(days=weekly.WEEK_DAYS))} (et "
           "celles en retard), régressions depuis la collecte précédente, données de plus de "
           "12 mois.")

state = data.followup_state(ctx)
work = followup.worklist(at.frame, state)
ordered = sorted(ctx.snapshots, key=lambda s: (s.date, s.id))
before = [s for s in ordered if (s.date, s.id) < (at.snapshot.date, at.snapshot.id)]
diff = None
if before:
    comp = cache.comparison(ctx.sig, ctx.rule, ctx.territory, before[-1], at.snapshot,
                            ctx.vintage)   # the one Changements shows by default
    diff = comp.changes
    st.caption(f"Régressions : situation du {comp.snapshot_from.label} comparée à celle du "
               f"{comp.snapshot_to.label}.")
else:
    st.caption("Régressions : aucune collecte antérieure à comparer.")
table = weekly.week(at.frame, state, diff if diff is not None
                    else changes.diff(at.frame.iloc[0:0], at.frame.iloc[0:0]), work, today)

n = weekly.counts(table)
cols = st.columns(len(n))
for col, (label, value) in zip(cols, n.items(), strict=True):
    render.metric(col, label, value)
if diff is not None:
    unknown = int(diff["changement"].eq(weekly.NOW_UNKNOWN).sum())
    if unknown:
        st.info(f"{nombre(unknown)} collectivité(s) ont un statut devenu inconnu (source "
                "indisponible) : ce n'est pas une régression, à revoir à la prochaine "
                "collecte.", icon=":material/help:")
age = (today - at.snapshot.date).days
if age > ctx.settings.stale_days:
    st.warning(f"La collecte affichée date du {date_fr(at.snapshot.date)} ({nombre(age)} jours) : "
               "les régressions récentes n'y figurent pas encore.", icon=":material/schedule:")

if table.empty:
    st.success("Rien à faire cette semaine sur ce territoire.")
else:
    st.subheader(f"À faire ({nombre(len(table))})")
    sections = st.multiselect("Rubriques", list(weekly.SECTIONS.values()), key="semaine_sections",
                              placeholder="Toutes", select_all=False)
    shown = table[table["Rubrique"].isin(sections)] if sections else table
    render.table(shown, key="semaine_table", height=420 if len(shown) > 10 else "auto")
    render.downloads(shown, ctx.file_stem("actions-semaine", today.isoformat()),
                     key="semaine_dl")
