"""Prévision: the territory's publishing rate over time, a straight-line projection of
when it would reach a target rate (method stated), and "what if" a cohort publishes."""

from datetime import date

import streamlit as st

from odlab_compliance import vocab
from odlab_compliance.analysis import forecast
from odlab_compliance.fmt import date_fr, nombre, pourcentage
from odlab_compliance.ui import cache, render, shell
from odlab_compliance.ui import outreach_data as data

ctx = shell.context()
st.title(f"Prévision · {ctx.territory_name}")
at = data.status_or_stop(ctx)

points = forecast.series(cache.series(ctx.sig, ctx.territory, ctx.rule))
target = st.slider("Taux cible (%)", 10, 100, 80, step=5, key="prev_target") / 100

local = at.frame
candidates = local[local["obligation"].eq(vocab.OBLIGEE)
                   & ~local["statut"].isin(vocab.PUBLISHING)]
choices = dict(zip(candidates["siren"].astype(str), candidates["nom"].astype(str),
                   strict=True))
st.markdown("**Et si… ces collectivités publiaient ?**")
a, b = st.columns([3, 2])
past = data.workshop_list(ctx)
workshop_ids = [None, *past["id"].tolist()] if len(past) else [None]
wlabels = {int(r["id"]): f"invitées de l'atelier n° {r['id']} ({date_fr(r['date_atelier'])})"
           for r in past.to_dict("records")} if len(past) else {}
wid = b.selectbox("Reprendre une cohorte", workshop_ids,
                  format_func=lambda i: "—" if i is None else wlabels[int(i)], key="prev_wid")
preset = [s for s in data.invitations(ctx, int(wid))["siren"] if s in choices] \
    if wid is not None else []
cohort = a.multiselect("Collectivités", list(choices), default=preset, format_func=choices.get,
                       key=f"prev_cohort_{wid}",
                        placeholder="Choisir des collectivités", select_all=False)
now = at.figures
extra = forecast.what_if(local, cohort) if cohort else None

f = forecast.fit(points)
st.plotly_chart(forecast.figure(points, f, target,
                                extra=extra.taux if extra else None),
                key="prev_chart", width="stretch")
st.markdown(render.md_escape(forecast.sentence(f, target)))
c = st.columns(3)
render.metric(c[0], f"Taux au {date_fr(at.snapshot.date)}", now.taux, kind="pct")
render.metric(c[1], "Si la cohorte publie", extra.taux if extra else None, kind="pct",
              help="Même calcul, les collectivités choisies comptées comme publiant.")
if f is not None:
    render.metric(c[2], "Rythme", forecast.points_par_an(f.slope_per_year), kind="text",
                  help="Pente de la droite des moindres carrés.")
if extra and f is not None and extra.taux is not None:
    gained = (extra.taux - (now.taux or 0))
    if f.slope_per_year > 0:
        months = gained / f.slope_per_year * 12
        st.caption(f"Cette cohorte ferait gagner {pourcentage(gained, 1)} de taux, soit environ "
                   f"{nombre(months)} mois d'avance au rythme observé.")

with st.expander("Méthode et limites", icon=":material/info:"):
    st.markdown(forecast.METHOD)
    if f is not None and f.r2 is not None:
        st.caption(f"{f.n} instantanés datés, coefficient de détermination R² = "
                   f"{nombre(f.r2, 2)}, droite calculée le {date_fr(date.today())}.")

table = points.assign(taux=(points["taux"].astype("float64") * 100).round(1))
# The export speaks French too (its headers were the column names: date;taux;obligees...).
headers = {"date": "Date", "taux": "Taux (%)", "obligees": "Obligées", "publiant": "Publient",
           "n_inconnu": "Statut inconnu"}
render.table(table, key="prev_table", labels=headers)
render.downloads(table.rename(columns=headers), ctx.file_stem("prevision"), key="prev_dl")
