"""Suivi (prefecture staff): the worklist of the territory (late, to evaluate, staff count
to obtain) with each collectivité's follow-up stage, dated notes, next action and
contact; every change goes to the log."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from odlab_compliance import auth, vocab
from odlab_compliance.errors import InputError
from odlab_compliance.fmt import date_fr, nombre
from odlab_compliance.outreach import followup
from odlab_compliance.present import exports
from odlab_compliance.ui import auth as ui_auth
from odlab_compliance.ui import followup_upload, mailing_view, remedies, render, shell, watch
from odlab_compliance.ui import outreach_data as data

LABELS = followup.COLUMN_LABELS
FLASH = "suivi_flash"
PROBLEM = "suivi_probleme"   # what the last save could not do, shown by the form


def _save(ctx: shell.Context, decision: auth.Decision, scope: set[str] | None,
          version: str, siren: str, name: str, in_scope: bool, cur_stage: str,
          cur_contact: str, cur_next: date | None) -> None:
    """« Enregistrer »: the form's values (keyed by ``version``) written as one change.
    Only what the editor changed: a note alone never rewrites the stage, the contact or
    the date (the form shows them as they are)."""
    v = {f: st.session_state.get(f"suivi_{f}_{version}")
         for f in ("stage", "date", "note", "planned", "next", "contact")}
    # Checked again here: a disabled button is not a barrier.
    if not decision.can_write:
        st.session_state[PROBLEM] = ("error", decision.reason)
        return
    if not in_scope:
        st.session_state[PROBLEM] = ("error", f"{name} est hors de votre territoire "
                                              f"({decision.scope}).")
        return
    new_next = v["next"] if v["planned"] and v["next"] != cur_next else None
    if cur_next is not None and not v["planned"]:
        new_next = ""   # the editor unchecked the planned action: clear the date
    note, contact = (v["note"] or "").strip(), (v["contact"] or "").strip()
    change = followup.Change(
        siren, etape=v["stage"] if v["stage"] != cur_stage else None,
        note=note or None, date_effet=v["date"], prochaine_action=new_next,
        contact=contact if contact != cur_contact else None)
    if all(getattr(change, f) is None for f in followup.FIELDS):
        st.session_state[PROBLEM] = ("warning", "Rien à enregistrer : changez l'étape, la "
                                                "date, le contact ou écrivez une note.")
        return
    try:
        with data.writer(ctx, user_work=True) as con:
            n = followup.record(con, [change], editor=decision.editor or "",
                                origin="page", allowed=scope, scope=decision.scope)
    except InputError as exc:
        st.session_state[PROBLEM] = exc
        return
    st.session_state[FLASH] = (f"Enregistré ({n} changement(s)) par "
                               f"{auth.editor_label(decision.editor)}.")


ctx = shell.context()
st.title(f"Suivi des collectivités · {ctx.territory_name}")
decision = ui_auth.editor_box("suivi")

at = data.status_or_stop(ctx)

local = at.frame
state = data.followup_state(ctx)
work = followup.worklist(local, state)
scope = ui_auth.allowed(decision, ctx.ref)

counts = work["categorie"].value_counts()
c = st.columns(len(vocab.TRAVAIL))
for col, (code, term) in zip(c, vocab.TRAVAIL.items(), strict=True):
    render.metric(col, term.label, int(counts.get(code, 0)), help=term.help)
st.caption("« En retard » ne compte que ce que la source montre ; quand elle ne donne ni "
           "date ni schéma (éditions de l'Observatoire, portails sans schéma), la "
           "collectivité est « à évaluer », pas en retard.")

f1, f2, f3, f4 = st.columns([2, 3, 2, 2])
lists = f1.multiselect("Liste", list(vocab.TRAVAIL), format_func=vocab.TRAVAIL.label,
                       key="suivi_lists", placeholder="Toutes", select_all=False)
motifs = f2.multiselect("Motif", list(vocab.MOTIF_TRAVAIL),
                        format_func=vocab.MOTIF_TRAVAIL.label, key="suivi_reasons",
                        placeholder="Tous", select_all=False)
stages = f3.multiselect("Étape", list(vocab.ETAPE), format_func=vocab.ETAPE.label,
                        key="suivi_stages", placeholder="Toutes", select_all=False)
search = f4.text_input("Nom contient", key="suivi_search")
veille = watch.watch_filter("suivi")
shown = work
if veille is not None:   # proches d'un seuil : qui est sur le point de (ne plus) être obligé
    shown = shown[shown["siren"].isin(local.loc[watch.on_watch(local, veille), "siren"])]
if lists:
    shown = shown[shown["categorie"].isin(lists)]
if motifs:
    shown = shown[shown[motifs].any(axis=1)]
if stages:
    shown = shown[shown["etape"].isin(stages)]
if search.strip():
    shown = shown[shown["nom"].str.contains(search.strip(), case=False, regex=False)]
epci_names = dict(zip(ctx.ref["siren"].astype(str), ctx.ref["nom"].astype(str), strict=False))
# The address a letter would go to: the contact typed here, else the Annuaire's.
shown = mailing_view.with_contacts(ctx, shown)
table = shown.assign(
    categorie=vocab.TRAVAIL.labelled(shown["categorie"]),
    etape=vocab.ETAPE.labelled(shown["etape"]),
    statut=vocab.STATUT.labelled(shown["statut"]),
    obligation=vocab.OBLIGATION.labelled(shown["obligation"]),
    type=vocab.TYPE.labelled(shown["type"]),
    epci_nom=shown["epci_siren"].map(epci_names),
    dernier_editeur=shown["dernier_editeur"].map(
        lambda e: auth.editor_label(e) if isinstance(e, str) else None))
# What a person reads first: who, where the follow-up is, what to do, why on the list
# (at 1,280 px the stage was off-screen behind the type and the intercommunalité).
# « Mis à jour le » is what tells an import that a file is older than the saved follow-up.
columns = ["nom", "etape", "action", "categorie", "motifs", "population_totale",
           "departement", "epci_nom", "type", "etape_depuis", "prochaine_action", "contact",
           "courriel", "contact_origine", "derniere_note", "date_derniere_note",
           "dernier_editeur", "statut", "obligation", "nb_jeux", "derniere_mise_a_jour",
           "schemas_scdl", "mis_a_jour_le", "siren"]
table = table.reindex(columns=columns)
st.subheader(f"Liste de suivi ({nombre(len(table))})")
render.table(table, key="suivi_table", labels=LABELS, height=380 if len(table) > 10 else "auto",
             action=st.column_config.TextColumn(LABELS["action"], width="medium"))
render.downloads(table.rename(columns=LABELS), ctx.file_stem("suivi-liste"), key="suivi_dl")

to_count = work[work["categorie"].eq(vocab.TRAVAIL_EFFECTIF)]
if len(to_count):
    with st.expander(f"Effectifs à obtenir ({nombre(len(to_count))}) : modèle de fichier "
                     "pour la préfecture", icon=":material/badge:"):
        st.markdown(
            "Sans effectif d'agents, la loi (3 500 habitants **et** 50 agents) ne permet "
            "pas de conclure. Téléchargez le modèle, remplissez la colonne `agents` (et "
            "`source` : « courriel du DGS du 12/11 », …), supprimez les lignes laissées "
            "vides, puis importez-le ci-dessous (éditeurs). La colonne `nom` est ignorée "
            "à l'import.")
        template = followup.agents_template(work)
        st.download_button("Télécharger le modèle (CSV)", exports.to_bytes(template, "csv"),
                           exports.file_name(ctx.file_stem("effectifs-a-obtenir"), "csv"),
                           mime=exports.MIME_TYPES["csv"], key="suivi_agents_tpl",
                           on_click="ignore", icon=":material/download:")
        remedies.agents_section(ctx.settings, decision, "suivi",
                                dict(zip(local["siren"], local["nom"], strict=False)), scope)

due = followup.due(state)
due = due[due["siren"].isin(local["siren"])]
if len(due):
    st.subheader(f"Actions à faire ({nombre(len(due))})")
    names = dict(zip(local["siren"], local["nom"], strict=False))
    render.table(due.assign(nom=due["siren"].map(names),
                            etape=vocab.ETAPE.labelled(due["etape"]))[
        ["nom", "etape", "prochaine_action", "contact", "derniere_note", "siren"]],
        key="suivi_due", labels=LABELS)

st.subheader("Mettre à jour le suivi")
pool = local[local["obligation"].isin([vocab.OBLIGEE, vocab.A_VERIFIER])].sort_values("nom")
choices = dict(zip(pool["siren"].astype(str), pool["nom"].astype(str) + " (" +
                   vocab.TYPE.labelled(pool["type"]).astype(str) + ")", strict=True))
if not choices:
    st.info("Aucune collectivité obligée ou à vérifier dans ce territoire.")
    st.stop()
siren = st.selectbox("Collectivité", list(choices), format_func=choices.get, key="suivi_siren",
                     placeholder="Choisissez une collectivité")
flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(flash)
current = state[state["siren"] == siren]
cur = current.iloc[0].to_dict() if len(current) else {}
cur_stage = cur.get("etape") if isinstance(cur.get("etape"), str) else vocab.DEFAULT_STAGE
cur_contact = cur.get("contact") if isinstance(cur.get("contact"), str) else ""
cur_next = pd.Timestamp(cur["prochaine_action"]).date() \
    if pd.notna(cur.get("prochaine_action")) else None
st.caption(f"Étape actuelle : {vocab.ETAPE.label(cur_stage)}"
           + (f" (depuis le {date_fr(cur['etape_depuis'])})"
              if pd.notna(cur.get("etape_depuis")) else "")
           + (f" · contact : {cur_contact}" if cur_contact else "")
           + (f" · prochaine action le {date_fr(cur_next)}" if cur_next else ""))
in_scope = scope is None or siren in scope
if not decision.can_write:
    st.info(decision.reason, icon=":material/lock:")
elif not in_scope:
    st.info(f"{choices[siren]} est hors de votre territoire ({decision.scope}) : lecture "
            "seule.", icon=":material/lock:")
can_write = decision.can_write and in_scope
# Every widget of the form is keyed by the collectivité and by the time of its latest
# change (choices stay chosen: README, architecture): choosing another collectivité, or saving, gives fresh
# widgets showing its current values, never the previous one's.
version = f"{siren}_{cur.get('mis_a_jour_le', '')}"
with st.form(f"suivi_form_{version}", enter_to_submit=False):
    a, b = st.columns(2)
    a.selectbox("Étape", list(vocab.ETAPE), format_func=vocab.ETAPE.label,
                index=list(vocab.ETAPE).index(cur_stage), key=f"suivi_stage_{version}")
    b.date_input("Date de la note ou du changement d'étape", value=date.today(),
                 format="DD/MM/YYYY", key=f"suivi_date_{version}")
    st.text_area("Note", key=f"suivi_note_{version}",
                 placeholder="Appel, courriel, réunion…")
    a, b, c = st.columns([4, 3, 5], vertical_alignment="bottom")   # label whole at 1,280 px
    # A date field is never left empty: Streamlit would write its English "dd / mm / yyyy"
    # placeholder there. A checkbox says whether an action is planned.
    a.checkbox("Prochaine action prévue", value=cur_next is not None,
               key=f"suivi_planned_{version}",
               help="Décochez pour effacer la date de prochaine action.")
    b.date_input("Date de la prochaine action",
                 value=cur_next or date.today() + timedelta(days=7),
                 format="DD/MM/YYYY", key=f"suivi_next_{version}")
    c.text_input("Personne à contacter", value=cur_contact,
                 key=f"suivi_contact_{version}")
    # Saved in the button's callback, before the next run: that run draws the new state
    # at once (saving then rerunning drew the whole page twice).
    st.form_submit_button("Enregistrer", disabled=not can_write, on_click=_save,
                          args=(ctx, decision, scope, version, siren, choices[siren],
                                in_scope, cur_stage, cur_contact, cur_next))
problem = st.session_state.pop(PROBLEM, None)
if isinstance(problem, InputError):
    render.user_error(problem)
elif problem:
    kind, text = problem
    (st.error if kind == "error" else st.warning)(text)

log = data.followup_log(ctx, [siren])
st.markdown(f"**Journal de {render.md_escape(choices[siren])}**")
if log.empty:
    st.caption("Aucune entrée pour l'instant.")
else:
    render.table(followup.readable_log(log).sort_values("id", ascending=False)[
        ["saisi_le", "editeur", "champ", "valeur", "date_effet", "origine"]],
        key="suivi_log", labels=followup.LOG_LABELS)

followup_upload.section(ctx, decision, scope)

with st.expander("Exporter le suivi du territoire", icon=":material/download:"):
    sirens = set(local["siren"].astype(str))
    today = date.today().isoformat()
    st.markdown("**État actuel** (une ligne par collectivité suivie ; se réimporte tel quel)")
    render.downloads(lambda: data.state_export(ctx, sirens),
                     exports.stem("suivi-etat", ctx.territory.key, today), key="suivi_state_dl")
    st.markdown("**Journal** (une ligne par changement)")
    render.downloads(lambda: data.log_export(ctx, sirens),
                     exports.stem("suivi-journal", ctx.territory.key, today),
                     key="suivi_log_dl")

with st.expander(f"Écrire aux collectivités de la liste affichée ({nombre(len(shown))})",
                 icon=":material/mail:"):
    st.caption("Les collectivités de la liste ci-dessus, avec ses filtres (par exemple "
               "« En retard »). Chaque envoi est inscrit au journal du suivi.")
    # Opt-in: preparing letters costs a moment, which every save of a note would pay.
    if st.toggle("Préparer les courriers de cette liste", key="suivi_mail_on"):
        mailing_view.panel(ctx, at, shown["siren"].astype(str).tolist(), decision,
                           key="suivi_mail", what="la liste affichée")
