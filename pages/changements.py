"""Changements entre deux dates: who started publishing, stopped, went stale, became
obliged or not, or is now unknown; digest per département (CSV and e-mail text)."""

import streamlit as st

from odlab_compliance import vocab
from odlab_compliance.analysis import changes
from odlab_compliance.errors import InputError
from odlab_compliance.fmt import date_fr
from odlab_compliance.present import exports
from odlab_compliance.ui import cache, quality_view, render, selection, shell

LABELS = {"siren": "SIREN", "code_insee": "Code", "nom": "Nom", "type": "Type",
          "departement": "Dép.", "region": "Région", "changement": "Code",
          "libelle": "Changement", "obligation_avant": "Obligation avant",
          "obligation_apres": "Obligation après", "statut_avant": "Statut avant",
          "statut_apres": "Statut après", "nb_jeux_avant": "Jeux avant",
          "nb_jeux_apres": "Jeux après", "derniere_mise_a_jour": "Dernière mise à jour",
          "seuil_franchi": "Seuil franchi"}

ctx = shell.context()
st.title(f"Changements · {ctx.territory_name}")
if selection.selection(ctx) is None:
    st.stop()
snaps = sorted(ctx.snapshots, key=lambda sn: (sn.date, sn.id))
if len(snaps) < 2:
    st.info("Il faut au moins deux instantanés (collectes ou éditions de l'Observatoire) "
            "pour comparer deux dates.")
    st.stop()

dates = [sn.date for sn in snaps]
a, b = st.columns(2)
date_from = a.date_input("Du", value=dates[-2], min_value=dates[0], format="DD/MM/YYYY",
                         key="chg_from")
date_to = b.date_input("Au", value=dates[-1], min_value=dates[0], format="DD/MM/YYYY",
                       key="chg_to")
try:
    comp = cache.comparison(ctx.sig, ctx.rule, ctx.territory,
                            *changes.snapshots_between(ctx.model, date_from, date_to),
                            ctx.vintage)
except InputError as exc:
    st.error(exc.summary)
    st.stop()

st.caption(f"Instantané du {comp.snapshot_from.label} comparé à celui du "
           f"{comp.snapshot_to.label} (le plus récent à chaque date), chacun jugé avec le "
           f"référentiel en vigueur à sa date ({comp.before.vintage.vintage} et "
           f"{comp.after.vintage.vintage}). Un statut devenu « inconnu » vient d'une source "
           "indisponible : ce n'est pas un arrêt de publication.")
n = changes.counts(comp.changes)
# Three per row: eight in one row cut every label at 1,280 px (« Ont commencé… »); the
# whole label, with its parenthesis, is the help.
cols = st.columns(3) + st.columns(3) + st.columns(3)
for col, (code, label) in zip(cols, changes.CHANGES.items(), strict=False):
    render.metric(col, label.split(" (")[0], n[code], help=label)
c1, c2 = st.columns(2)
render.metric(c1, f"Taux au {date_fr(comp.snapshot_from.date)}", comp.before.figures.taux,
              kind="pct")
render.metric(c2, f"Taux au {date_fr(comp.snapshot_to.date)}", comp.after.figures.taux,
              kind="pct")

table = comp.changes.assign(
    statut_avant=vocab.STATUT.labelled(comp.changes["statut_avant"]),
    statut_apres=vocab.STATUT.labelled(comp.changes["statut_apres"]),
    obligation_avant=vocab.OBLIGATION.labelled(comp.changes["obligation_avant"]),
    obligation_apres=vocab.OBLIGATION.labelled(comp.changes["obligation_apres"]),
    type=vocab.TYPE.labelled(comp.changes["type"]))
kinds = st.multiselect("Changements affichés", list(changes.CHANGES),
                       format_func=changes.CHANGES.get, key="chg_kinds", placeholder="Tous", select_all=False)
if kinds:
    table = table[table["changement"].isin(kinds)]
st.subheader(f"Collectivités concernées ({len(table)})")
render.table(table.drop(columns=["changement"]), key="chg_table", labels=LABELS, height=360)
stem = exports.stem("changements", ctx.territory.key, ctx.rule, date_from.isoformat(),
                    date_to.isoformat())
render.downloads(table.drop(columns=["changement"]).rename(columns=LABELS), stem, key="chg_dl")

quality_view.changes_section(ctx, comp.before, comp.after, stem)

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
