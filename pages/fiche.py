"""Fiche collectivité: obliged and why, status with evidence, SCDL grid, history,
comparison with similar collectivités, the cheapest next steps, one-page PDF."""

import pandas as pd
import streamlit as st

from odlab_compliance.analysis.sheet import (
    GRID_LEGEND,
    build_sheet,
    grid_known,
    grid_unknown,
    similar,
)
from odlab_compliance.present import sheet_pdf
from odlab_compliance.ui import (
    cache,
    mailing_view,
    quality_view,
    render,
    selection,
    sheet_view,
    shell,
)

ctx = shell.context()
at = selection.selection(ctx)
if at is None:
    st.stop()
frame = at.whole

# Choice: the URL's ``siren``, else the selected territory's own collectivité.
local = at.frame
choices = local.dropna(subset=["siren"]).sort_values("nom")
labels = sheet_view.collectivite_labels(choices)
default = sheet_view.default_siren(ctx, frame)
wanted = st.query_params.get("siren") or default
if wanted and wanted not in labels:
    me = frame[frame["siren"].eq(wanted)]
    if len(me):  # a link to a collectivité outside the selected territory still opens
        labels = {**sheet_view.collectivite_labels(me.head(1)), **labels}
if not labels:
    st.title("Fiche collectivité")
    st.info("Aucune collectivité dans ce territoire.")
    st.stop()
options = list(labels)
if "fiche_siren" not in st.session_state or st.session_state.get("fiche_url") != wanted or (
        st.session_state.get("fiche_siren") not in options + [None]):
    st.session_state["fiche_siren"] = wanted if wanted in labels else None
# Nothing chosen by default at France or région level: the person picks (no arbitrary
# first commune in alphabetical order).
siren = st.selectbox("Collectivité", options, key="fiche_siren", format_func=labels.get,
                     placeholder="Tapez un nom, un code INSEE ou un SIREN…")
if siren is None:
    st.title("Fiche collectivité")
    st.info("Choisissez une collectivité ci-dessus, ou un territoire plus petit dans le menu "
            "de gauche (un département, une intercommunalité, une commune).",
            icon=":material/search:")
    st.stop()
# The URL names the collectivité unless it is the territory's own (which ``t`` already
# says): one history entry per choice, none for merely opening the sheet.
in_url = st.query_params.get("siren")
if siren != default and in_url != siren:
    st.query_params["siren"] = siren
elif siren == default and in_url not in (None, siren):
    del st.query_params["siren"]
st.session_state["fiche_url"] = siren

row = frame[frame["siren"].eq(siren)].iloc[0].to_dict()
evidence = None
if at.has_status:
    evidence = cache.evidence(ctx.sig, siren, at.snapshot)
ev = evidence if evidence is not None else pd.DataFrame()
epci_row = None
if row.get("epci_siren"):
    epci = frame[frame["siren"].eq(row["epci_siren"])]
    epci_row = epci.iloc[0].to_dict() if len(epci) else None
peers = similar(frame, siren)
hist = sheet_view.history(ctx, siren) if at.has_status else None
rule = next((r for r in cache.rules() if r["id"] == ctx.rule), None)
sheet = build_sheet(row, ev, peers, epci_row, hist, ctx.snapshot_label or "—", rule=rule)
quality_sec = quality_view.section_for(ctx, siren, row, at.snapshot if at.has_status else None)

st.title(sheet.nom)
st.caption(render.md_escape(sheet.sous_titre))

left, right = st.columns(2)
with left:
    st.subheader(f"Obligation : {sheet.obligation}")
    # One sentence under the rule in force; the figures behind it (and any second
    # population, of another millésime) only in « Ce qui changerait la réponse ».
    st.markdown(render.md_escape(sheet.verdict))
    if sheet.changerait:
        with st.expander("Ce qui changerait la réponse", icon=":material/help:"):
            for line in sheet.changerait:
                st.markdown(render.md_escape(line))
with right:
    st.subheader(f"Situation : {sheet.statut}")
    for label, value in sheet.faits:
        st.markdown(f"**{label}** : {render.md_escape(value)}")

quality_view.sheet_section(ctx, quality_sec, row, siren)

st.subheader("Preuves de publication")
if evidence is None:
    # No snapshot yet: the frame holds the obligations only.
    st.caption("Aucune collecte enregistrée : pas encore de preuves de publication.")
elif ev.empty:
    st.caption("Aucun jeu de données trouvé pour cette collectivité à cette date.")
else:
    shown = sheet_view.evidence_table(ev)
    render.table(shown, key="fiche_evidence", links=sheet_view.EVIDENCE_LINKS,
                 labels=sheet_view.EVIDENCE_LABELS)
    render.downloads(shown.rename(columns=sheet_view.EVIDENCE_LABELS), ctx.file_stem("preuves", siren),
                     key="fiche_evidence_dl")

st.subheader("Jeux prioritaires du Socle commun des données locales")
if grid_known(sheet.grille):
    grid_labels = {"jeu": "Jeu", "libelle_etat": "État", "jeux": "Jeux", "schema": "Schéma",
                   "derniere_mise_a_jour": "Dernière mise à jour"}
    grid = sheet.grille[list(grid_labels)]
    render.table(grid, key="fiche_grid", labels=grid_labels)
    st.caption(GRID_LEGEND)
    render.downloads(grid.rename(columns=grid_labels), ctx.file_stem("socle-commun", siren),
                     key="fiche_grid_dl")
else:
    st.caption(grid_unknown(any(not s.is_observatoire for s in ctx.snapshots)))

st.subheader(sheet.etapes_titre)
for n, step in enumerate(sheet.etapes, start=1):
    st.markdown(f"{n}\\. {render.md_escape(step)}")
if sheet.liens:
    links = st.container(horizontal=True)
    for words, address in sheet.liens:   # a button: the address is never shown raw
        if (url := render.safe_url(address)) is not None:
            links.link_button(words, url, icon=":material/open_in_new:")

st.subheader("Contact")
for line in mailing_view.contact_lines(ctx, siren):
    st.markdown(line)

c1, c2 = st.columns(2)
with c1:
    st.subheader("Historique")
    if sheet.historique:
        render.table(pd.DataFrame(sheet.historique, columns=["Date", "Statut"]), key="fiche_hist")
    else:
        st.caption("Pas d'historique pour cette collectivité.")
with c2:
    st.subheader("Collectivités comparables")
    st.caption("Même type et même tranche de population, dans la même intercommunalité, "
               "sinon le même département ou la même région.")
    render.table(sheet.semblables, key="fiche_peers")
    render.downloads(sheet.semblables, ctx.file_stem("comparables", siren), key="fiche_peers_dl")

st.download_button("Télécharger la fiche (PDF, une page)", lambda: sheet_pdf.render(sheet, quality_sec),
                   f"fiche-{siren}.pdf", mime="application/pdf", key="fiche_pdf",
                   on_click="ignore", icon=":material/picture_as_pdf:", type="primary")
