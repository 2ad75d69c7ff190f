"""Letters and e-mails to a selection, on a page: contacts, a preview of each letter,
the PDF / ZIP / .eml downloads, the templates an editor edits, and sending (editors only,
within their territories). Used by the Courriers page and the Suivi page."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date

import pandas as pd
import streamlit as st

from odlab_compliance import auth
from odlab_compliance.db import facts
from odlab_compliance.errors import InputError, UserError
from odlab_compliance.fmt import date_fr, nombre
from odlab_compliance.ingest import contacts as official_contacts
from odlab_compliance.model.status import StatusAt
from odlab_compliance.outreach import letters, mailing
from odlab_compliance.present import letters as printed
from odlab_compliance.ui import auth as ui_auth
from odlab_compliance.ui import outreach_data as data
from odlab_compliance.ui import render
from odlab_compliance.ui.shell import Context

CONTACT_LABELS = {"nom": "Nom", "contact_retenu": "Contact retenu", "courriel": "Courriel",
                  "contact_origine": "Source du contact", "probleme": "Pourquoi pas de courriel",
                  "siren": "SIREN"}


def official(ctx: Context) -> pd.DataFrame:
    """The stored official contacts (empty before the first ``contacts update``)."""
    def get(con):  # noqa: ANN001, ANN202
        if not facts.table_exists(con, "contact_officiel"):
            return pd.DataFrame(columns=official_contacts.COLUMNS)
        return official_contacts.official(con)
    return data.read(ctx, get, pd.DataFrame(columns=official_contacts.COLUMNS))


def with_contacts(ctx: Context, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the contact columns (Suivi first, then the Annuaire)."""
    return letters.with_contacts(df, official(ctx), data.followup_state(ctx))


def state_with_contacts(ctx: Context, state: pd.DataFrame,
                        sirens: Sequence[str]) -> pd.DataFrame:
    """``state`` (``followup.state``) for ``sirens`` whose ``contact`` is the one typed in
    Suivi, else the Annuaire's (marked « (annuaire) »): for lists people mail-merge."""
    base = pd.DataFrame({"siren": list(dict.fromkeys(map(str, sirens)))})
    cur = state.reindex(columns=["siren", "etape", "contact"]).drop_duplicates("siren")
    out = letters.with_contacts(base.merge(cur, on="siren", how="left"), official(ctx), state)
    typed = out["contact"].astype("object").where(out["contact"].notna()
                                                  & out["contact"].astype(str).str.strip()
                                                  .ne(""))
    from_annuaire = out["contact_retenu"].map(lambda v: f"{v} (annuaire)"
                                              if isinstance(v, str) else None)
    out["contact"] = typed.fillna(from_annuaire)
    return out[["siren", "etape", "contact"]]


def contact_lines(ctx: Context, siren: str) -> list[str]:
    """The contact of one collectivité as markdown lines (escaped), for the sheet: the
    one typed in Suivi first (it takes precedence, and says so), then the Annuaire's."""
    off = official(ctx)
    off = off[off["siren"].eq(siren)]
    state = data.followup_state(ctx)
    typed = state[state["siren"].eq(siren)]["contact"].dropna().tolist() \
        if "contact" in state.columns else []
    lines = []
    if typed and str(typed[0]).strip():
        lines.append(f"**Contact saisi dans le suivi** (prioritaire sur l'annuaire) : "
                     f"{render.md_escape(typed[0])}")
    if len(off):
        r = off.iloc[0]
        parts = [str(r[k]) for k in ("nom", "courriel", "telephone", "adresse")
                 if isinstance(r[k], str) and r[k]]
        lines.append("**Annuaire de l'administration** : "
                     + render.md_escape(" · ".join(parts)))
        if not isinstance(r["courriel"], str):
            lines.append("Pas d'adresse électronique dans l'annuaire"
                         + (f" (publiée : « {render.md_escape(r['courriel_brut'])} », "
                            "invalide)" if isinstance(r["courriel_brut"], str) else "") + ".")
        url = render.safe_url(r["url_fiche"])
        if url:
            lines.append(f"[Fiche sur service-public.gouv.fr]({url})")
    elif not lines:
        lines.append("Aucun contact : l'Annuaire de l'administration n'est pas encore chargé "
                     "dans ce tableau de bord ou ne la connaît pas, et aucun contact n'est "
                     "saisi dans le suivi.")
    return lines


def _secrets() -> Mapping:
    try:
        return st.secrets
    except Exception:  # no secrets file
        return {}


def sender() -> letters.Sender:
    return letters.Sender.from_secrets(_secrets())


def _template(ctx: Context, code: str) -> letters.Template:
    return data.read(ctx, lambda con: letters.current(
        con if facts.table_exists(con, "modele_courrier") else None, code),
        letters.DEFAULTS[code])


def templates_editor(ctx: Context, decision: auth.Decision, key: str) -> None:
    """Edit a template (editors), with its history and the variables it may use."""
    code = st.selectbox("Modèle à modifier", list(letters.DEFAULTS),
                        format_func=letters.LABELS.get, key=f"{key}_edit_code")
    t = _template(ctx, code)
    st.caption(f"Version {t.version} du {date_fr(t.saisi_le)} par "
                f"{auth.editor_label(t.editeur)}." if t.version else
                "Modèle par défaut (aucune version enregistrée).")
    version = f"{code}_{t.version}"
    with st.form(f"{key}_tpl_{version}", enter_to_submit=False):
        objet = st.text_input("Objet", value=t.objet, key=f"{key}_objet_{version}")
        corps = st.text_area("Texte", value=t.corps, height=360, key=f"{key}_corps_{version}")
        saved = st.form_submit_button("Enregistrer une nouvelle version",
                                      disabled=not decision.can_write)
    if saved:
        if not decision.can_write:
            st.error(decision.reason)
        else:
            try:
                with data.writer(ctx, user_work=True) as con:
                    new = letters.save(con, code, objet, corps, editor=decision.editor or "")
                st.success(f"Version {new.version} enregistrée.")
                st.rerun()
            except InputError as exc:
                st.error(str(exc))
    st.markdown("**Variables** (entre `{{ }}`) : " + " ; ".join(
        f"`{k}` ({v})" for k, v in letters.VARIABLES.items()))
    hist = data.read(ctx, lambda con: letters.history(con, code)
                     if facts.table_exists(con, "modele_courrier") else pd.DataFrame(),
                     pd.DataFrame())
    if len(hist):
        render.table(hist.assign(editeur=hist["editeur"].map(auth.editor_label))[
            ["version", "saisi_le", "editeur", "objet"]], key=f"{key}_tpl_hist",
            labels={"version": "Version", "saisi_le": "Enregistrée le",
                    "editeur": "Éditeur", "objet": "Objet"})


def _eml_zip(out: Sequence[letters.Letter], who: letters.Sender) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for x in out:
            zf.writestr(printed.filename(x, "eml"), mailing.eml(x, who))
    return buf.getvalue()


MAX_LETTERS = 300   # beyond, a page would prepare letters for minutes: a smaller territory


def panel(ctx: Context, at: StatusAt, sirens: Sequence[str], decision: auth.Decision, *,
          key: str, what: str) -> None:
    """Letters to ``sirens`` (``what`` names the selection): template, preview,
    downloads, sending. Only the previewed letter is prepared when the page draws; the
    others when a file is downloaded or the e-mails sent."""
    if not sirens:
        st.info("Aucune collectivité dans cette sélection.")
        return
    if len(sirens) > MAX_LETTERS:
        st.info(f"{nombre(len(sirens))} collectivités : choisissez un territoire plus petit "
                f"(un département, une intercommunalité) pour leur écrire "
                f"({nombre(MAX_LETTERS)} courriers au plus à la fois).",
                icon=":material/filter_alt:")
        return
    a, b = st.columns(2)
    code = a.selectbox("Modèle", list(letters.DEFAULTS), format_func=letters.LABELS.get,
                       key=f"{key}_code")
    workshop = None
    if code == "invitation":
        ws = data.workshop_list(ctx)
        if ws.empty:
            st.info("L'invitation nomme un atelier : créez-le d'abord sur la page Atelier.")
            return
        labels = {int(r["id"]): f"{r['titre']} ({date_fr(r['date_atelier'])})"
                  for r in ws.to_dict("records")}
        wid = b.selectbox("Atelier", list(labels), format_func=labels.get, key=f"{key}_ws")
        workshop = ws[ws["id"].eq(wid)].iloc[0].to_dict()
    who = sender()
    template = _template(ctx, code)

    def prepare(chosen: Sequence[str]) -> list[letters.Letter]:
        return data.read(ctx, lambda con: printed.gather(
            con, ctx.model, at, list(chosen), template, who, workshop=workshop), [])

    names = dict(zip(at.whole["siren"].astype(str), at.whole["nom"].astype(str),
                     strict=False))
    sirens = [s for s in sirens if s in names]
    reach = letters.contacts_for(official(ctx), data.followup_state(ctx), sirens)
    missing = [s for s in sirens if reach[s].probleme]
    st.markdown(f"**{nombre(len(sirens))} courrier(s)** pour {what} ; "
                f"**{nombre(len(sirens) - len(missing))}** avec une adresse électronique.")
    if missing:
        with st.expander(f"Sans adresse électronique ({nombre(len(missing))}) : courrier "
                         "postal seulement", icon=":material/mail_lock:"):
            render.table(pd.DataFrame({"nom": [names[s] for s in missing],
                                       "probleme": [reach[s].probleme for s in missing],
                                       "siren": missing}),
                         key=f"{key}_missing", labels=CONTACT_LABELS)
    chosen = st.selectbox("Aperçu", sirens, format_func=names.get, key=f"{key}_preview")
    shown = prepare([chosen])
    if not shown:
        st.caption("Aperçu indisponible.")
        return
    letter = shown[0]
    c = letter.contact
    st.caption(render.md_escape(f"À : {c.courriel or 'aucune adresse'} — {c.origine_libelle}"
                                + (f" ; {c.probleme}" if c.probleme else "")))
    st.text(f"Objet : {letter.objet}")
    st.code(letter.corps, language=None, wrap_lines=True)
    day = date.today().isoformat()
    row = st.container(horizontal=True)
    row.download_button("Courriers (PDF)", lambda: printed.pdf(prepare(sirens), who),
                        f"courriers-{code}-{ctx.territory.key.replace(':', '-')}-{day}.pdf",
                        mime="application/pdf", key=f"{key}_pdf", on_click="ignore",
                        icon=":material/picture_as_pdf:")
    row.download_button("Un PDF par collectivité (ZIP)",
                        lambda: printed.zip_pdfs(prepare(sirens), who),
                        f"courriers-{code}-{day}.zip", mime="application/zip",
                        key=f"{key}_zip", on_click="ignore", icon=":material/folder_zip:")
    row.download_button("Courriels (.eml, ZIP)", lambda: _eml_zip(prepare(sirens), who),
                        f"courriels-{code}-{day}.zip", mime="application/zip",
                        key=f"{key}_eml", on_click="ignore", icon=":material/mail:")
    _postal_form(ctx, at, lambda: prepare(sirens), len(sirens), decision, key)
    _send_form(ctx, at, lambda: prepare(sirens), len(sirens), code, decision, key)


def _postal_form(ctx: Context, at: StatusAt, prepare: Callable[[], list[letters.Letter]],
                 n: int, decision: auth.Decision, key: str) -> None:
    """Printed letters posted: one click adds them to the follow-up log."""
    if not decision.can_write:
        return
    if st.button(f"Inscrire au suivi l'envoi postal de ces {nombre(n)} courriers",
                 key=f"{key}_postal", icon=":material/local_post_office:"):
        try:
            out = prepare()
            with data.writer(ctx, user_work=True) as con:
                n = mailing.record_postal(con, out, editor=decision.editor or "",
                                          origin="page", allowed=ui_auth.allowed(decision, at.whole),
                                          scope=decision.scope)
            st.success(f"{nombre(n)} envoi(s) postal(aux) inscrit(s) au suivi.")
        except InputError as exc:
            st.error(str(exc))


def _send_form(ctx: Context, at: StatusAt, prepare: Callable[[], list[letters.Letter]],
               n: int, code: str, decision: auth.Decision, key: str) -> None:
    st.markdown("**Envoyer par courriel**")
    if not decision.can_write:
        st.info(decision.reason, icon=":material/lock:")
        return
    who = sender()
    try:
        smtp = mailing.SmtpSettings.from_secrets(_secrets())
    except UserError as exc:
        st.info(f"Envoi impossible : {exc}", icon=":material/mail_lock:")
        return
    if who.problems():
        st.info("Envoi impossible : " + " ; ".join(who.problems()), icon=":material/mail_lock:")
        return
    scope = ui_auth.allowed(decision, at.whole)
    default = f"{code}-{ctx.territory.key.replace(':', '-')}-{date.today().isoformat()}"
    with st.form(f"{key}_send", enter_to_submit=False):
        a, b, c = st.columns([3, 1, 1], vertical_alignment="bottom")
        name = a.text_input("Campagne", value=default, key=f"{key}_campaign",
                            help="Relancer une campagne du même nom reprend l'envoi sans "
                                 "renvoyer ce qui est parti.")
        pace = b.number_input("Messages par minute", min_value=1, max_value=600, value=20,
                              key=f"{key}_pace")
        dry = c.checkbox("Simulation", key=f"{key}_dry",
                         help="Montre ce qui serait envoyé, sans rien envoyer ni écrire.")
        st.caption(render.md_escape(
            f"Expéditeur : {who.nom} <{who.courriel}>"
            + (f", réponses à {who.reponse_a}" if who.reponse_a else "")
            + f" ; serveur {smtp.host}:{smtp.port}."))
        go = st.form_submit_button("Simuler l'envoi" if dry else "Envoyer les courriels",
                                   type="primary")
    if not go:
        return
    bar = st.progress(0.0, text="Préparation des courriers…")
    out = prepare()
    done = []

    def tick(o: mailing.Outcome) -> None:
        done.append(o)
        bar.progress(len(done) / max(n, 1), text=f"{o.nom} : {o.libelle}")

    try:
        with data.writer(ctx, user_work=True) as con:
            report = mailing.run_campaign(
                con, name, out, who, editor=decision.editor or "", origin="page", smtp=smtp,
                dry_run=dry, per_minute=float(pace), allowed=scope, scope=decision.scope,
                progress=tick)
    except UserError as exc:
        st.error(str(exc))
        return
    bar.empty()
    lines = report.lines()
    box = st.success if report.ok else st.warning
    box(lines[0])
    st.text("\n".join(lines[1:]))


def sendings(ctx: Context, sirens: Sequence[str], key: str) -> None:
    """The sendings recorded for these collectivités, newest first."""
    df = data.read(ctx, lambda con: mailing.sendings(con)
                   if facts.table_exists(con, "envoi") else pd.DataFrame(), pd.DataFrame())
    if df.empty:
        st.caption("Aucun envoi enregistré.")
        return
    df = df[df["siren"].isin(list(sirens))]
    render.table(df.assign(etat=df["etat"].map(lambda e: mailing.ETAT_LABELS.get(e, e)),
                           modele=df["modele"].map(lambda m: letters.LABELS.get(m, m)),
                           editeur=df["editeur"].map(auth.editor_label))[
        ["maj_le", "campagne", "modele", "siren", "destinataire", "etat", "motif", "editeur"]],
        key=f"{key}_sendings",
        labels={"maj_le": "Le", "campagne": "Campagne", "modele": "Modèle", "siren": "SIREN",
                "destinataire": "Destinataire", "etat": "État", "motif": "Motif",
                "editeur": "Éditeur"})
