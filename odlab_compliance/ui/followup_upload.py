"""Suivi: import of a follow-up spreadsheet, previewed before anything is written.

The file is read and compared with the saved follow-up on every run (cheap: one table
per collectivité); the editor sees what each line changes, and the lines that would
undo newer work (older than the saved follow-up, a stage going back) each get a
checkbox: unticked, they are left out of the import and stay in the preview.
"""

from __future__ import annotations

import streamlit as st

from odlab_compliance import auth
from odlab_compliance.errors import InputError
from odlab_compliance.fmt import nombre
from odlab_compliance.outreach import followup, followup_import
from odlab_compliance.ui import outreach_data as data
from odlab_compliance.ui import render
from odlab_compliance.ui.shell import Context

FLASH = "suivi_import_flash"
UPLOAD = "suivi_upload"


def columns_help() -> str:
    """The columns the import reads, as the app's exports name them (Markdown)."""
    labels = followup.COLUMN_LABELS
    parts = [f"« {labels[k]} » (`{k}`) : {v}" if k in labels else f"`{k}` : {v}"
             for k, v in followup_import.COLUMNS.items()]
    return "Colonnes lues :\n\n" + "\n".join(f"- {render.md_escape(p)}" for p in parts)


def _plan(ctx: Context, upload: object, scope: set[str] | None, limit: str
          ) -> followup_import.Plan:
    def make(con):  # noqa: ANN001, ANN202
        return followup_import.plan_bytes(con, upload.getvalue(), upload.name,  # type: ignore[attr-defined]
                                          allowed=scope, scope=limit)
    plan = data.read(ctx, make, None)
    if plan is None:   # a database from before the user tables: the writer creates them
        with data.writer(ctx, user_work=True) as con:
            plan = make(con)
    return plan


def section(ctx: Context, decision: auth.Decision, scope: set[str] | None) -> None:
    """The « Importer un tableau de suivi » expander of the Suivi page."""
    uploaded = st.session_state.get(UPLOAD) is not None
    with st.expander("Importer un tableau de suivi (CSV ou XLSX)", icon=":material/upload:",
                     expanded=uploaded):
        st.caption("Un export de cette page (liste ou état du suivi) modifié dans un tableur, "
                   "ou un fichier à vous. Rien n'est écrit avant votre clic : l'aperçu montre "
                   "d'abord ce que chaque ligne change. Seul ce qui diffère du suivi actuel "
                   "est enregistré (une cellule vide ne change rien) ; une ligne plus "
                   "ancienne que le suivi enregistré ou qui ferait reculer une étape attend "
                   "votre confirmation.")
        with st.popover("Colonnes lues", icon=":material/view_column:"):
            st.markdown(columns_help())
            st.caption("Les autres colonnes des exports de l'application (nom, statut, "
                       "motifs…) sont reconnues et ignorées ; toute autre colonne est "
                       "refusée.")
        render.downloads(followup_import.template(), "modele-suivi", key="suivi_tpl")
        upload = st.file_uploader("Fichier", type=["csv", "xlsx"], key=UPLOAD,
                                  disabled=not decision.can_write)
        flash = st.session_state.pop(FLASH, None)
        if flash:
            st.success(flash)
        if upload is None:
            return
        try:
            plan = _plan(ctx, upload, scope, decision.scope)
        except InputError as exc:
            render.user_error(exc)
            return
        _preview(ctx, plan)
        confirmed = _confirmations(ctx, plan, upload.file_id)
        accepted = plan.accepted(confirmed)
        if not plan.lines:
            return
        label = f"Importer {nombre(len(accepted))} ligne(s)"
        if st.button(label, key="suivi_import", type="primary",
                     disabled=not decision.can_write or not accepted):
            _import(ctx, upload.getvalue(), plan.name, confirmed, decision, scope)


def _preview(ctx: Context, plan: followup_import.Plan) -> None:
    st.markdown(f"**Aperçu de {render.md_escape(plan.name)}** : "
                f"{nombre(len(plan.lines))} ligne(s) changent le suivi, "
                f"{nombre(plan.unchanged)} ne changent rien.")
    st.caption("Colonnes lues : " + (", ".join(f"« {h} »" for h in plan.read) or "aucune")
               + (" · colonnes ignorées : " + ", ".join(f"« {h} »" for h in plan.ignored)
                  if plan.ignored else ""))
    if not plan.lines:
        st.info("Rien à importer : ce fichier ne change rien au suivi enregistré.",
                icon=":material/check:")
        return
    names = dict(zip(ctx.ref["siren"].astype(str), ctx.ref["nom"].astype(str), strict=False))
    render.table(plan.table(names), key="suivi_import_preview",
                 height=300 if len(plan.lines) > 8 else "auto")


def _confirmations(ctx: Context, plan: followup_import.Plan, file_id: str) -> set[int]:
    """One checkbox per line that needs a confirmation; the lines ticked."""
    waiting = plan.to_confirm()
    if not waiting:
        return set()
    st.warning(f"{nombre(len(waiting))} ligne(s) plus ancienne(s) que le suivi enregistré ou "
               "faisant reculer une étape : elles ne sont importées que si vous les cochez, "
               "une par une, après vérification.", icon=":material/history:")
    names = dict(zip(ctx.ref["siren"].astype(str), ctx.ref["nom"].astype(str), strict=False))
    ticked = set()
    for x in waiting:
        text = (f"Appliquer quand même la ligne {x.line} ({names.get(x.siren, x.siren)}) : "
                + " ; ".join(x.edits) + " — " + " ; ".join(x.warnings))
        if st.checkbox(render.md_escape(text), key=f"suivi_confirm_{file_id}_{x.line}"):
            ticked.add(x.line)
    return ticked


def _import(ctx: Context, content: bytes, name: str, confirmed: set[int],
            decision: auth.Decision, scope: set[str] | None) -> None:
    # Checked again here: a disabled button is not a barrier.
    if not decision.can_write:
        st.error(decision.reason)
        return
    try:
        with data.writer(ctx, user_work=True) as con:
            # Compared again with what is saved now: someone may have written meanwhile.
            fresh = followup_import.plan_bytes(con, content, name,
                                               allowed=scope, scope=decision.scope)
            n = followup_import.apply(con, fresh, editor=decision.editor or "",
                                      confirmed=confirmed, allowed=scope,
                                      scope=decision.scope)
    except InputError as exc:
        render.user_error(exc)
        return
    left = fresh.refused(confirmed)
    text = (f"{name} : {nombre(n)} changement(s) importé(s)"
            + (f" par {auth.editor_label(decision.editor)}." if n else "."))
    if left:
        text += (f" {nombre(len(left))} ligne(s) non importée(s) faute de confirmation : "
                 + ", ".join(f"ligne {x.line}" for x in left) + " (toujours dans l'aperçu).")
    st.session_state[FLASH] = text
    st.rerun()
