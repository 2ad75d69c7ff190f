"""Changements entre deux dates: who started publishing, stopped, went stale, became
obliged or not, or is now unknown; digest per département (CSV and e-mail text)."""

import streamlit as st

from odlab_compliance import territory as terr
from odlab_compliance.analysis import changes
from odlab_compliance.errors import InputError
from odlab_compliance.fmt import date_fr
from odlab_compliance.ui import outreach_data as data
from odlab_compliance.ui import render, shell, views

LABELS = {"siren": "SIREN", "code_insee": "Code", "nom": "Nom", "type": "Type",
          "departement": "Dép.", "region": "Région", "changement": "Code",
          "libelle": "Changement", "obligation_avant": "Obligation avant",
          "obligation_apres": "Obligation après", "statut_avant": "Statut avant",
          "statut_apres": "Statut après", "nb_jeux_avant": "Jeux avant",
          "nb_jeux_apres": "Jeux après", "derniere_mise_a_jour": "Dernière mise à jour"}

ctx = shell.context()
st.title(f"Changements · {ctx.territory_name}")
if views.base_frame(ctx) is None:
    st.stop()
snaps = data.snapshot_list(ctx)
if len(snaps) < 2:
    st.info("Il faut au moins deux instantanés (collectes ou éditions de l'Observatoire) "
            "pour comparer deux dates.")
    st.stop()

dates = list(snaps["date_snapshot"])
a, b = st.columns(2)
date_from = a.date_input("Du", value=dates[-2], min_value=dates[0], format="DD/MM/YYYY",
                         key="chg_from")
date_to = b.date_input("Au", value=dates[-1], min_value=dates[0], format="DD/MM/YYYY",
                       key="chg_to")
snap_dates = dict(zip(snaps["snapshot"].astype(int), snaps["date_snapshot"], strict=True))
try:
    if date_from > date_to:
        raise InputError("dates", "la date de début est postérieure à la date de fin")
    snap_from, snap_to = (changes.pick_snapshot(snaps, d) for d in (date_from, date_to))
    comp = changes.compare(
        {"snapshot": int(snap_from["snapshot"]), "date_snapshot": snap_from["date_snapshot"]},
        {"snapshot": int(snap_to["snapshot"]), "date_snapshot": snap_to["date_snapshot"]},
        lambda snap, vintage: data.status_at(ctx, snap, snap_dates[snap]),
        data.vintages(ctx), ctx.territory,
        views.child_names(ctx, "DEP"))
except InputError as exc:
    st.error(exc.summary)
    st.stop()

st.caption(f"Instantané du {date_fr(comp.snapshot_from['date_snapshot'])} comparé à celui du "
           f"{date_fr(comp.snapshot_to['date_snapshot'])} (le plus récent à chaque date). "
           "Un statut devenu « inconnu » vient d'une source indisponible : ce n'est pas un "
           "arrêt de publication.")
n = changes.counts(comp.changes)
cols = st.columns(len(changes.CHANGES))
for col, (code, label) in zip(cols, changes.CHANGES.items(), strict=True):
    render.metric(col, label.split(" (")[0], n[code])
before, after = terr.summary(comp.before)["taux"], terr.summary(comp.after)["taux"]
c1, c2 = st.columns(2)
render.metric(c1, f"Taux au {date_fr(comp.snapshot_from['date_snapshot'])}", before, kind="pct")
render.metric(c2, f"Taux au {date_fr(comp.snapshot_to['date_snapshot'])}", after, kind="pct")

table = comp.changes.assign(
    statut_avant=comp.changes["statut_avant"].map(lambda v: terr.STATUS_LABELS.get(v, v)),
    statut_apres=comp.changes["statut_apres"].map(lambda v: terr.STATUS_LABELS.get(v, v)))
kinds = st.multiselect("Changements affichés", list(changes.CHANGES),
                       format_func=changes.CHANGES.get, key="chg_kinds", placeholder="Tous")
if kinds:
    table = table[table["changement"].isin(kinds)]
st.subheader(f"Collectivités concernées ({len(table)})")
render.table(table.drop(columns=["changement"]), key="chg_table", labels=LABELS, height=360)
stem = (f"changements-{ctx.territory.key.replace(':', '-')}-{date_from.isoformat()}-"
        f"{date_to.isoformat()}")
render.downloads(comp.changes, stem, key="chg_dl")

st.subheader("Résumé par département, à coller dans un courriel")
digests = comp.digests()
if not digests:
    st.caption("Aucun changement sur la période.")
for dep, text in digests.items():
    with st.expander(text.splitlines()[0].split("— ")[-1], expanded=len(digests) == 1):
        st.code(text, language=None)
        st.download_button("Télécharger le texte", text.encode("utf-8"),
                           f"{stem}-{dep}.txt", mime="text/plain", key=f"chg_txt_{dep}",
                           on_click="ignore", icon=":material/download:")
