"""Atelier (workshop organisers): build a cohort, see it on a map with mentor
suggestions, export the invitation list, record the workshop and its attendance, and
see who published within 3 and 6 months."""

from datetime import date

import pandas as pd
import streamlit as st

from odlab_compliance import territory as terr
from odlab_compliance import vocab
from odlab_compliance.errors import InputError
from odlab_compliance.fmt import date_fr
from odlab_compliance.outreach import followup, workshops
from odlab_compliance.outreach.workshops import CohortFilter
from odlab_compliance.present.outreach_charts import cohort_map
from odlab_compliance.ui import auth as ui_auth
from odlab_compliance.ui import outreach_data as data
from odlab_compliance.ui import render, shell, views

LABELS = {"siren": "SIREN", "code_insee": "Code", "nom": "Nom", "type": "Type",
          "departement": "Dép.", "epci_siren": "EPCI", "population_totale": "Population",
          "statut": "Statut", "etape": "Étape du suivi", "distance_km": "Distance (km)",
          "siren_filleul": "SIREN invitée", "nom_filleul": "Invitée", "proximite": "Proximité",
          "present": "Présente", "titre": "Atelier", "date_atelier": "Date"}

MAX_MENTEES = 1000

ctx = shell.context()
st.title(f"Atelier · {ctx.territory_name}")
decision = ui_auth.editor_box("atelier")
at = data.status_or_stop(ctx)

everyone = followup.with_state(data.with_centroids(ctx, at.whole), data.followup_state(ctx))
local = terr.filter_frame(everyone, ctx.territory)
tab_cohort, tab_past = st.tabs(["Préparer un atelier", "Ateliers passés"])

with tab_cohort:
    st.caption("Choisissez les collectivités à inviter. Les distances sont à vol d'oiseau "
               "entre centres des communes.")
    a, b, c = st.columns(3)
    communes = local[local["type"].eq("COM")]
    if ctx.territory.level == "FR":
        communes = communes[communes["population_totale"].fillna(0) >= 10_000]
    venues = dict(zip(communes["code_insee"].astype(str), communes["nom"].astype(str)
                      + " (" + communes["departement"].astype(str) + ")", strict=True))
    venue_code = a.selectbox("Lieu de l'atelier", [None, *sorted(venues, key=venues.get)],
                             format_func=lambda v: "— aucun —" if v is None else venues[v],
                             key="atelier_venue")
    max_km = b.slider("Distance maximale (km)", 5, 200, 40, step=5, key="atelier_km",
                      disabled=venue_code is None)
    exclude = c.checkbox("Exclure les collectivités déjà invitées", value=True,
                         key="atelier_exclude")
    a, b, c = st.columns(3)
    statuts = a.multiselect("Statut", list(vocab.STATUTS), default=[vocab.NON_PUBLIE],
                            format_func=vocab.STATUT.label, key="atelier_statuts",
                            placeholder="Tous")
    bands = b.multiselect("Taille", [label for *_, label in terr.SIZE_BANDS],
                          key="atelier_bands", placeholder="Tous")
    stages = c.multiselect("Étape du suivi", list(vocab.ETAPE), format_func=vocab.ETAPE.label,
                           key="atelier_stages", placeholder="Tous")
    a, b, c = st.columns(3)
    epcis = local[local["type"].isin(terr.EPCI_TYPES)].sort_values("nom")
    epci_names = dict(zip(epcis["siren"].astype(str), epcis["nom"].astype(str), strict=True))
    epci = a.selectbox("Intercommunalité", [None, *epci_names],
                       format_func=lambda v: "Toutes" if v is None else epci_names[v],
                       key="atelier_epci")
    types = b.multiselect("Types", ["COM", *terr.EPCI_TYPES, "DEP", "REG"], default=["COM"],
                          key="atelier_types", placeholder="Tous")
    include_check = c.checkbox("Inclure les obligations à vérifier", key="atelier_verif")

    venue = None
    if venue_code is not None:
        row = communes[communes["code_insee"].eq(venue_code)].iloc[0]
        venue = (str(row["nom"]), float(row["lat"]), float(row["lon"]))
    f = CohortFilter(territory=ctx.territory, epci=epci, size_bands=bands or None,
                     statuts=statuts or None, etapes=stages or None, types=types or None,
                     obligations=(vocab.OBLIGEE, vocab.A_VERIFIER) if include_check
                     else (vocab.OBLIGEE,),
                     venue=venue[1:] if venue else None,
                     max_km=float(max_km) if venue else None,
                     exclude=data.invited(ctx) if exclude else frozenset())
    cohort = workshops.cohort(everyone, f)
    # one numpy pass per invitee (about 1 ms): capped for France-wide cohorts
    mentors = workshops.mentors(everyone, cohort) if len(cohort) <= MAX_MENTEES \
        else pd.DataFrame(columns=["siren_filleul", "nom_filleul", "siren", "nom"])
    st.subheader(f"Cohorte : {len(cohort)} collectivité(s)")
    mentor_points = everyone[everyone["siren"].isin(mentors["siren"])]
    deps = tuple(sorted(set(cohort["departement"].dropna().astype(str))))
    with render.guard("la carte de la cohorte"):
        st.plotly_chart(cohort_map(cohort, mentor_points, venue,
                                   views.cache_geojson(ctx, "DEP", deps) if deps else None),
                        key="atelier_map", width="stretch")
    invitation = workshops.invitation_list(cohort)
    shown = invitation.assign(statut=vocab.STATUT.labelled(invitation["statut"]),
                              etape=vocab.ETAPE.labelled(invitation["etape"]))
    render.table(shown, key="atelier_cohort", labels=LABELS, height=320)
    render.downloads(shown.rename(columns=LABELS), "invitations", key="atelier_dl")

    st.subheader("Parrains possibles")
    st.caption("Collectivités qui publient, de taille voisine (population entre le tiers et "
               "le triple), de la même intercommunalité d'abord, puis du même département, "
               f"puis à moins de {workshops.MENTOR_MAX_KM:.0f} km.")
    if len(cohort) > MAX_MENTEES:
        st.caption(f"Affinez la cohorte ({MAX_MENTEES} collectivités au plus) pour voir les "
                   "parrains possibles.")
    elif mentors.empty:
        st.caption("Aucun parrain trouvé pour cette cohorte.")
    else:
        render.table(mentors, key="atelier_mentors", labels=LABELS, height=240)
        render.downloads(mentors.rename(columns=LABELS), "parrains", key="atelier_mentors_dl")

    st.subheader("Enregistrer l'atelier")
    if not decision.can_write:
        st.info(decision.reason, icon=":material/lock:")
    with st.form("atelier_form"):
        a, b = st.columns(2)
        title = a.text_input("Titre", key="atelier_form_title",
                             placeholder="Atelier « Publier ses délibérations »")
        when = b.date_input("Date", value=date.today(), format="DD/MM/YYYY",
                            key="atelier_form_date")
        notes = st.text_area("Notes", key="atelier_form_notes")
        saved = st.form_submit_button(f"Enregistrer avec les {len(cohort)} invité(s)",
                                      disabled=not decision.can_write)
    if saved:
        if not decision.can_write:
            st.error(decision.reason)
        else:
            try:
                with data.writer(ctx) as con:
                    wid = workshops.create(con, titre=title, date_atelier=when,
                                           editor=decision.editor or "",
                                           lieu_code_insee=venue_code,
                                           lieu_nom=venue[0] if venue else None,
                                           notes=notes or None, invitees=cohort)
                st.success(f"Atelier n° {wid} enregistré avec {len(cohort)} invité(s).")
            except InputError as exc:
                st.error(str(exc))

with tab_past:
    past = data.workshop_list(ctx)
    if past.empty:
        st.caption("Aucun atelier enregistré.")
        st.stop()
    render.table(past[["id", "titre", "date_atelier", "lieu_nom", "nb_invites", "nb_presents"]],
                 key="atelier_past", labels={"id": "N°", "titre": "Atelier", "date_atelier": "Date",
                                             "lieu_nom": "Lieu", "nb_invites": "Invités",
                                             "nb_presents": "Présents"})
    invited_all = data.invitations(ctx)
    hist = data.history(ctx, list(invited_all["siren"].unique()))
    outcome = workshops.outcomes(invited_all, hist)
    if len(outcome):
        st.markdown("**Publication après l'atelier** (présentes qui ne publiaient pas avant)")
        st.caption("« Recul » : un instantané existe après la fin de la période ; sinon le "
                   "chiffre est provisoire.")
        render.table(outcome, key="atelier_outcomes", labels={
            "workshop_id": "N°", "date_atelier": "Date", "invites": "Invitées",
            "presents": "Présentes", "deja_publiants": "Publiaient déjà",
            "publie_3_mois": "Publient sous 3 mois", "recul_3_mois": "Recul 3 mois",
            "publie_6_mois": "Publient sous 6 mois", "recul_6_mois": "Recul 6 mois"})

    ids = list(past["id"])
    labels = {int(r["id"]): f"n° {r['id']} · {date_fr(r['date_atelier'])} · {r['titre']}"
              for r in past.to_dict("records")}
    wid = st.selectbox("Atelier", ids, format_func=lambda i: labels[int(i)], key="atelier_wid")
    inv = data.invitations(ctx, int(wid))
    render.downloads(inv, f"atelier-{wid}-invites", key="atelier_inv_dl")
    edit = inv[["siren", "nom", "distance_km", "present"]].assign(
        present=inv["present"].astype("boolean").fillna(False).astype(bool))
    edited = st.data_editor(edit, key=f"atelier_presence_{wid}", hide_index=True,
                            disabled=["siren", "nom", "distance_km"] if decision.can_write
                            else True,
                            column_config={"present": st.column_config.CheckboxColumn(
                                "Présente"), "nom": "Nom", "siren": "SIREN",
                                "distance_km": st.column_config.NumberColumn(
                                    "Distance (km)", format="localized")})
    if st.button("Enregistrer les présences", key="atelier_presence_save",
                 disabled=not decision.can_write):
        if not decision.can_write:
            st.error(decision.reason)
        else:
            before = dict(zip(edit["siren"], edit["present"], strict=True))
            changed = {s: bool(p) for s, p in zip(edited["siren"], edited["present"],
                                                   strict=True)
                       if bool(p) != bool(before.get(s)) or pd.isna(
                           inv.loc[inv["siren"] == s, "present"].iloc[0])}
            with data.writer(ctx) as con:
                n = workshops.record_attendance(con, int(wid), changed,
                                                editor=decision.editor or "")
            st.success(f"{n} présence(s) enregistrée(s).")
