"""Suivi (prefecture staff): obliged collectivités that are behind, their follow-up
stage, dated notes, next action and contact; every change goes to the log."""

from datetime import date

import pandas as pd
import streamlit as st

from odlab_compliance import vocab
from odlab_compliance.errors import InputError
from odlab_compliance.fmt import date_fr
from odlab_compliance.outreach import followup, followup_import
from odlab_compliance.ui import auth as ui_auth
from odlab_compliance.ui import outreach_data as data
from odlab_compliance.ui import render, shell

LABELS = {"siren": "SIREN", "code_insee": "Code", "nom": "Nom", "type": "Type",
          "departement": "Dép.", "epci_siren": "EPCI", "population_totale": "Population",
          "obligation": "Obligation", "statut": "Statut", "nb_jeux": "Jeux",
          "derniere_mise_a_jour": "Dernière mise à jour", "schemas_scdl": "Schémas SCDL",
          "retard": "Retard", "etape": "Étape", "etape_depuis": "Depuis",
          "prochaine_action": "Prochaine action", "contact": "Contact",
          "derniere_note": "Dernière note", "date_derniere_note": "Date de la note",
          "dernier_editeur": "Dernier éditeur"}

ctx = shell.context()
st.title(f"Suivi des collectivités · {ctx.territory_name}")
decision = ui_auth.editor_box("suivi")

at = data.status_or_stop(ctx)

local = at.frame
state = data.followup_state(ctx)
late = followup.behind(local, state).reindex(columns=followup.BEHIND_COLUMNS)

c = st.columns(5)
render.metric(c[0], "Obligées en retard", len(late),
              help="Obligées qui ne publient pas, au statut inconnu, aux données de plus de "
                   "12 mois ou sans jeu au format SCDL.")
for col, (stage, label) in zip(c[1:], list(vocab.ETAPE.labels().items())[:4], strict=True):
    render.metric(col, label, int((late["etape"] == stage).sum()))

f1, f2, f3 = st.columns([2, 2, 2])
reasons = f1.multiselect("Retard", list(followup.BEHIND_REASONS),
                         format_func=followup.BEHIND_REASONS.get, key="suivi_reasons", placeholder="Tous")
stages = f2.multiselect("Étape", list(vocab.ETAPE), format_func=vocab.ETAPE.label,
                        key="suivi_stages", placeholder="Tous")
search = f3.text_input("Nom contient", key="suivi_search")
shown = late
if reasons:
    shown = shown[shown["retard"].map(
        lambda r: any(followup.BEHIND_REASONS[x] in str(r) for x in reasons))]
if stages:
    shown = shown[shown["etape"].isin(stages)]
if search.strip():
    shown = shown[shown["nom"].str.contains(search.strip(), case=False, regex=False)]
shown = shown.assign(etape=vocab.ETAPE.labelled(shown["etape"]),
                     statut=vocab.STATUT.labelled(shown["statut"]),
                     obligation=vocab.OBLIGATION.labelled(shown["obligation"]),
                     type=vocab.TYPE.labelled(shown["type"]))
shown = shown.sort_values(["population_totale", "nom"], ascending=[False, True])
st.subheader(f"Collectivités en retard ({len(shown)})")
render.table(shown, key="suivi_table", labels=LABELS, height=380)
render.downloads(shown.rename(columns=LABELS),
                 f"suivi-retard-{ctx.territory.key.replace(':', '-')}", key="suivi_dl")

due = followup.due(state)
due = due[due["siren"].isin(local["siren"])]
if len(due):
    st.subheader(f"Actions à faire ({len(due)})")
    names = dict(zip(local["siren"], local["nom"], strict=False))
    render.table(due.assign(nom=due["siren"].map(names),
                            etape=vocab.ETAPE.labelled(due["etape"]))[
        ["siren", "nom", "etape", "prochaine_action", "contact", "derniere_note"]],
        key="suivi_due", labels=LABELS)

st.subheader("Mettre à jour le suivi")
pool = local[local["obligation"].isin([vocab.OBLIGEE, vocab.A_VERIFIER])].sort_values("nom")
choices = dict(zip(pool["siren"].astype(str), pool["nom"].astype(str) + " (" +
                   pool["type"].astype(str) + ")", strict=True))
if not choices:
    st.info("Aucune collectivité obligée dans ce territoire.")
    st.stop()
siren = st.selectbox("Collectivité", list(choices), format_func=choices.get, key="suivi_siren")
current = state[state["siren"] == siren]
cur = current.iloc[0].to_dict() if len(current) else {}
cur_stage = cur.get("etape") if isinstance(cur.get("etape"), str) else vocab.DEFAULT_STAGE
st.caption(f"Étape actuelle : {vocab.ETAPE.label(cur_stage)}"
           + (f" · contact : {cur['contact']}" if isinstance(cur.get("contact"), str) else "")
           + (f" · prochaine action le {date_fr(cur['prochaine_action'])}"
              if pd.notna(cur.get("prochaine_action")) else ""))
if not decision.can_write:
    st.info(decision.reason, icon=":material/lock:")
with st.form("suivi_form", clear_on_submit=True):
    a, b = st.columns(2)
    stage = a.selectbox("Étape", list(vocab.ETAPE), format_func=vocab.ETAPE.label,
                        index=list(vocab.ETAPE).index(cur_stage), key="suivi_form_stage")
    when = b.date_input("Date", value=date.today(), format="DD/MM/YYYY", key="suivi_form_date")
    note = st.text_area("Note", key="suivi_form_note", placeholder="Appel, courriel, réunion…")
    a, b = st.columns(2)
    next_action = a.date_input("Prochaine action", value=None, format="DD/MM/YYYY",
                               key="suivi_form_next")
    contact = b.text_input("Personne à contacter", key="suivi_form_contact",
                           placeholder=cur.get("contact") if isinstance(cur.get("contact"), str)
                           else "")
    submitted = st.form_submit_button("Enregistrer", disabled=not decision.can_write)
if submitted:
    # Checked again here: a disabled button is not a barrier.
    if not decision.can_write:
        st.error(decision.reason)
    else:
        change = followup.Change(siren, etape=stage if stage != cur_stage else None,
                                 note=note.strip() or None, date_effet=when,
                                 prochaine_action=next_action,
                                 contact=contact.strip() or None)
        if all(getattr(change, f) is None for f in followup.FIELDS):
            st.warning("Rien à enregistrer : changez l'étape ou écrivez une note.")
        else:
            try:
                with data.writer(ctx) as con:
                    n = followup.record(con, [change], editor=decision.editor or "",
                                        origin="page")
                st.success(f"Enregistré ({n} changement(s)) par {decision.editor}.")
            except InputError as exc:
                st.error(str(exc))

log = data.followup_log(ctx, [siren])
st.markdown(f"**Journal de {render.md_escape(choices[siren])}**")
if log.empty:
    st.caption("Aucune entrée pour l'instant.")
else:
    render.table(followup.readable_log(log).sort_values("id", ascending=False)[
        ["saisi_le", "editeur", "champ", "valeur", "date_effet", "origine"]],
        key="suivi_log", labels={"saisi_le": "Saisi le", "editeur": "Éditeur",
                                 "champ": "Champ", "valeur": "Valeur",
                                 "date_effet": "Date", "origine": "Origine"})

with st.expander("Importer un tableau de suivi (CSV ou XLSX)", icon=":material/upload:"):
    st.caption("Colonnes : " + " ; ".join(f"`{k}` ({v})"
                                          for k, v in followup_import.COLUMNS.items())
               + ". Tout le fichier est vérifié avant d'écrire : au moindre problème, rien "
                 "n'est enregistré.")
    render.downloads(followup_import.template(), "modele-suivi", key="suivi_tpl")
    upload = st.file_uploader("Fichier", type=["csv", "xlsx"], key="suivi_upload",
                              disabled=not decision.can_write)
    if upload is not None and st.button("Importer", key="suivi_import",
                                        disabled=not decision.can_write):
        if not decision.can_write:
            st.error(decision.reason)
        else:
            try:
                with data.writer(ctx) as con:
                    n = followup_import.import_bytes(con, upload.getvalue(), upload.name,
                                                     editor=decision.editor or "")
                st.success(f"{n} changement(s) importé(s).")
            except InputError as exc:
                st.error(str(exc))

with st.expander("Exporter tout le suivi", icon=":material/download:"):
    st.markdown("**État actuel** (une ligne par collectivité suivie)")
    render.downloads(lambda: data.read(ctx, followup.state_with_names, pd.DataFrame()),
                     "suivi-etat", key="suivi_state_dl")
    st.markdown("**Journal** (une ligne par changement)")
    render.downloads(lambda: data.followup_log(ctx), "suivi-journal", key="suivi_log_dl")
