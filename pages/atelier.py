"""Atelier (workshop organisers): build a cohort, see it on a map with mentor
suggestions, export the invitation list, record the workshop and its attendance, and
see who published within 3 and 6 months."""

from datetime import date

import pandas as pd
import streamlit as st

from odlab_compliance import territory as terr
from odlab_compliance import vocab
from odlab_compliance.errors import InputError
from odlab_compliance.fmt import date_fr, nombre
from odlab_compliance.outreach import followup, workshops
from odlab_compliance.outreach.workshops import CohortFilter
from odlab_compliance.present import exports
from odlab_compliance.present.outreach_charts import cohort_map
from odlab_compliance.ui import auth as ui_auth
from odlab_compliance.ui import cache, mailing_view, render, shell
from odlab_compliance.ui import outreach_data as data

MAX_MENTEES = 1000

ctx = shell.context()
st.title(f"Atelier · {ctx.territory_name}")
decision = ui_auth.editor_box("atelier")
at = data.status_or_stop(ctx)

state = data.followup_state(ctx)
everyone = followup.with_state(data.with_centroids(ctx, at.whole), state)
local = terr.filter_frame(everyone, ctx.territory)
names = dict(zip(ctx.ref["siren"].astype(str), ctx.ref["nom"].astype(str), strict=False))
scope = ui_auth.allowed(decision, ctx.ref)
tab_cohort, tab_past = st.tabs(["Préparer un atelier", "Ateliers passés"])

with tab_cohort:
    st.caption("Choisissez les collectivités à inviter. Les distances sont à vol d'oiseau "
               "entre centres des communes.")
    a, b, c = st.columns(3)
    communes = local[local["type"].eq(vocab.TYPE_COM)]
    if ctx.territory.level == "FR":
        communes = communes[communes["population_totale"].fillna(0) >= 10_000]
    venues = dict(zip(communes["code_insee"].astype(str), communes["nom"].astype(str)
                      + " (" + communes["departement"].astype(str) + ")", strict=True))
    venue_code = a.selectbox("Lieu de l'atelier", sorted(venues, key=venues.get), index=None,
                             format_func=venues.get, key="atelier_venue",
                             placeholder="Aucun (choisissez une commune)")
    max_km = b.slider("Distance maximale (km)", 5, 200, 40, step=5, key="atelier_km",
                      disabled=venue_code is None)
    exclude = c.checkbox("Exclure les collectivités déjà invitées", value=True,
                         key="atelier_exclude")
    a, b, c = st.columns(3)
    statuts = a.multiselect("Statut", list(vocab.STATUTS), default=[vocab.NON_PUBLIE],
                            format_func=vocab.STATUT.label, key="atelier_statuts",
                            placeholder="Tous", select_all=False)
    bands = b.multiselect("Taille", [label for *_, label in terr.SIZE_BANDS],
                          key="atelier_bands", placeholder="Tous", select_all=False)
    stages = c.multiselect("Étape du suivi", list(vocab.ETAPE), format_func=vocab.ETAPE.label,
                           key="atelier_stages", placeholder="Tous", select_all=False)
    a, b, c = st.columns(3)
    epcis = local[local["type"].isin(terr.EPCI_TYPES)].sort_values("nom")
    epci_names = dict(zip(epcis["siren"].astype(str), epcis["nom"].astype(str), strict=True))
    epci = a.selectbox("Intercommunalité", list(epci_names), index=None,
                       format_func=epci_names.get, key="atelier_epci", placeholder="Toutes")
    types = b.multiselect("Types", list(vocab.TYPE.codes), default=[vocab.TYPE_COM],
                          format_func=vocab.TYPE.label, key="atelier_types",
                          placeholder="Tous", select_all=False)
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
    st.subheader(f"Cohorte : {nombre(len(cohort))} collectivité(s)")
    mentor_points = everyone[everyone["siren"].isin(mentors["siren"])]
    france = ctx.territory.level == "FR"
    # France-wide: région outlines (18 shapes) rather than every département's
    outline_level = "REG" if france else "DEP"
    codes = tuple(sorted(set(cohort["region" if france else "departement"].dropna()
                             .astype(str))))
    with render.guard("la carte de la cohorte"):
        st.plotly_chart(cohort_map(cohort, mentor_points, venue,
                                   cache.geojson(ctx.sig, ctx.vintage, outline_level, codes)
                                   if codes else None),
                        key="atelier_map", width="stretch")
    if france:
        st.caption("Carte centrée sur la métropole : pour les outre-mer, choisissez leur "
                   "région dans le menu de gauche.")
    # The contact typed in Suivi, else the Annuaire's: the list serves a mail merge.
    shown = workshops.for_people(workshops.invitation_list(cohort), workshops.INVITATION_LABELS,
                                 names, mailing_view.state_with_contacts(
                                     ctx, state, cohort["siren"].astype(str)))
    render.table(shown, key="atelier_cohort", height=320 if len(shown) > 8 else "auto")
    render.downloads(shown, ctx.file_stem("invitations"), key="atelier_dl")

    st.subheader("Parrains possibles")
    st.caption("Collectivités qui publient, de taille voisine (population entre le tiers et "
               "le triple), de la même intercommunalité d'abord, puis du même département, "
               f"puis à moins de {workshops.MENTOR_MAX_KM:.0f} km.")
    if len(cohort) > MAX_MENTEES:
        st.caption(f"Affinez la cohorte ({nombre(MAX_MENTEES)} collectivités au plus) pour "
                   "voir les parrains possibles.")
    elif mentors.empty:
        st.caption("Aucun parrain trouvé pour cette cohorte.")
    else:
        mentor_table = workshops.for_people(workshops.mentor_rows(mentors, everyone),
                                            workshops.MENTOR_LABELS, names, state)
        render.table(mentor_table, key="atelier_mentors",
                     height=240 if len(mentor_table) > 6 else "auto")
        render.downloads(mentor_table, ctx.file_stem("parrains"), key="atelier_mentors_dl")

    st.subheader("Enregistrer l'atelier")
    away = workshops.outside(cohort["siren"], scope)
    if not decision.can_write:
        st.info(decision.reason, icon=":material/lock:")
    elif away:
        st.info(f"{nombre(len(away))} collectivité(s) de la cohorte sont hors de votre "
                f"territoire ({decision.scope}) : restreignez la cohorte pour enregistrer "
                "l'atelier.", icon=":material/lock:")
    can_save = decision.can_write and not away
    with st.form("atelier_form", enter_to_submit=False):
        a, b = st.columns(2)
        title = a.text_input("Titre", key="atelier_form_title",
                             placeholder="Atelier « Publier ses délibérations »")
        when = b.date_input("Date", value=date.today(), format="DD/MM/YYYY",
                            key="atelier_form_date")
        notes = st.text_area("Notes", key="atelier_form_notes")
        saved = st.form_submit_button(f"Enregistrer avec les {nombre(len(cohort))} invité(s)",
                                      disabled=not can_save)
    if saved:
        if not decision.can_write:
            st.error(decision.reason)
        else:
            try:
                with data.writer(ctx, user_work=True) as con:
                    wid = workshops.create(con, titre=title, date_atelier=when,
                                           editor=decision.editor or "",
                                           lieu_code_insee=venue_code,
                                           lieu_nom=venue[0] if venue else None,
                                           notes=notes or None, invitees=cohort,
                                           allowed=scope)
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
    ref_cols = ctx.ref.drop_duplicates("siren")[["siren", "type", "departement", "epci_siren",
                                                 "population_totale"]]
    inv_people = workshops.for_people(inv.merge(ref_cols, on="siren", how="left"),
                                      workshops.INVITATION_LABELS, names,
                                      mailing_view.state_with_contacts(
                                          ctx, state, inv["siren"].astype(str)))
    day = pd.Timestamp(past.set_index("id").loc[wid, "date_atelier"]).date().isoformat()
    render.downloads(inv_people, exports.stem(f"atelier-{wid}-invitees", day),
                     key="atelier_inv_dl")
    edit = inv[["siren", "nom", "distance_km", "present"]].assign(
        present=inv["present"].astype("boolean").fillna(False).astype(bool),
        distance_km=workshops.whole_km(inv["distance_km"]))
    edited = st.data_editor(edit, key=f"atelier_presence_{wid}", hide_index=True,
                            disabled=["siren", "nom", "distance_km"] if decision.can_write
                            else True,
                            column_config={"present": st.column_config.CheckboxColumn(
                                "Présente"), "nom": "Nom", "siren": "SIREN",
                                "distance_km": st.column_config.NumberColumn(
                                    "Distance (km)", format="localized", width=render.column_width(
                                        "Distance (km)", edit["distance_km"]))})
    away = workshops.outside(inv["siren"], scope)
    if decision.can_write and away:
        st.info(f"Cet atelier invite {nombre(len(away))} collectivité(s) hors de votre "
                f"territoire ({decision.scope}) : vous ne pouvez enregistrer que les présences "
                "de votre territoire.", icon=":material/lock:")
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
            refused = workshops.outside(changed, scope)
            if refused:
                st.error("Présences hors de votre territoire, non enregistrées : "
                         + ", ".join(names.get(s, s) for s in refused) + ".")
            else:
                try:
                    with data.writer(ctx, user_work=True) as con:
                        n = workshops.record_attendance(con, int(wid), changed,
                                                        editor=decision.editor or "",
                                                        allowed=scope)
                    st.success(f"{n} présence(s) enregistrée(s).")
                except InputError as exc:
                    st.error(str(exc))
