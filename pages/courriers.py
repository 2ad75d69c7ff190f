"""Courriers et courriels: letters and e-mails from editable templates to a list of the
territory (the worklist, a workshop's cohort, the watch list, the publishers), with each
one's contact, a preview, PDF / ZIP / .eml downloads and sending by e-mail (editors)."""

import streamlit as st

from odlab_compliance.fmt import date_fr, nombre
from odlab_compliance.present import letters as printed
from odlab_compliance.ui import auth as ui_auth
from odlab_compliance.ui import mailing_view, render, shell
from odlab_compliance.ui import outreach_data as data

ctx = shell.context()
st.title(f"Courriers et courriels · {ctx.territory_name}")
decision = ui_auth.editor_box("courriers")
at = data.status_or_stop(ctx)

lists = {printed.LIST_RETARD: "Obligées en retard", printed.LIST_SUIVI: "Toute la liste de suivi",
         printed.LIST_ATELIER: "Invitées d'un atelier",
         printed.LIST_VEILLE: "Liste de veille (proches d'un seuil)",
         printed.LIST_PUBLIE: "Ont commencé à publier (félicitations)"}
which = st.radio("Destinataires", list(lists), format_func=lists.get, horizontal=True,
                 key="courriers_list")
workshop_id = None
if which == printed.LIST_ATELIER:
    ws = data.workshop_list(ctx)
    if ws.empty:
        st.info("Aucun atelier enregistré : créez-le sur la page Atelier.")
        st.stop()
    labels = {int(r["id"]): f"{r['titre']} ({date_fr(r['date_atelier'])})"
              for r in ws.to_dict("records")}
    workshop_id = st.selectbox("Atelier", list(labels), format_func=labels.get,
                               key="courriers_ws")
sirens = data.read(ctx, lambda con: printed.selection(con, at, which, workshop_id=workshop_id,
                                                     model=ctx.model), [])
pool = mailing_view.with_contacts(ctx, at.frame[at.frame["siren"].isin(sirens)][["siren", "nom"]])
names = dict(zip(pool["siren"], pool["nom"], strict=True))
picked = sirens
if len(sirens) <= mailing_view.MAX_LETTERS:   # a list a person can go through
    picked = st.multiselect(f"Collectivités ({nombre(len(sirens))})", sirens, default=sirens,
                            format_func=lambda s: names.get(s, s),
                            key=f"courriers_pick_{which}", select_all=False)
with st.expander(f"Contacts ({nombre(len(pool))})", icon=":material/contact_mail:"):
    st.caption("Un contact saisi par la préfecture dans le Suivi prime sur l'Annuaire de "
               "l'administration (service-public.gouv.fr).")
    render.table(pool, key="courriers_contacts", labels=mailing_view.CONTACT_LABELS)

mailing_view.panel(ctx, at, picked, decision, key="courriers", what=lists[which].lower())

with st.expander("Modèles de courrier", icon=":material/edit_note:"):
    mailing_view.templates_editor(ctx, decision, "courriers")
with st.expander("Envois enregistrés", icon=":material/outbox:"):
    mailing_view.sendings(ctx, sirens, "courriers")
