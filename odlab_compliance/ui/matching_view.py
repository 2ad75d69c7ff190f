"""The matching on the pages: the review queue (read-only on the Méthode page, with one
click decisions for editors on the Rapprochements page), the matching report of a
snapshot, and an edition's figures next to OpenDataFrance's. Harvested names are shown as
text in tables, never rendered as Markdown or HTML."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from odlab_compliance import auth, vocab
from odlab_compliance.fmt import nombre
from odlab_compliance.model import matching, review
from odlab_compliance.model.snapshots import Snapshot
from odlab_compliance.ui import auth as ui_auth
from odlab_compliance.ui import cache, outreach_data, render
from odlab_compliance.ui.shell import Context

PAGE_SIZE = 25
METHOD_TEXT = f"""
Chaque éditeur trouvé (organisation data.gouv.fr, éditeur d'un portail, ligne d'une édition
de l'Observatoire) passe par **le même rapprochement**, dans cet ordre : le **SIREN déclaré**
quand le nom lui correspond ; une **succession** (SIREN d'une commune fusionnée, d'une
intercommunalité fusionnée, d'un département dont une collectivité à statut particulier
exerce les compétences : d'après l'historique des référentiels, ou d'après le nom quand le
SIREN est périmé) ; enfin le **nom**, normalisé (« Ville de », « Mairie de », « CA du »,
articles, accents, tirets, Saint/St) et comparé avec rapidfuzz, le territoire départageant
les homonymes. Un nom de département ou de région qui fait partie d'un nom
(« Champigny-sur-Marne », « Angers Loire Métropole ») n'est jamais une preuve contre lui.
Les services de l'État, SDIS, syndicats, CCAS, associations et opérateurs sont reconnus par
leur nom et leur catégorie juridique et **jamais comptés automatiquement**, même avec le
SIRET d'une collectivité. Un rapprochement ne compte qu'à partir d'un score de
{nombre(matching.REVIEW_THRESHOLD, 1)} et sans signal ; sinon il attend qu'un éditeur le
confirme. Les décisions valent pour toutes les sources et tous les instantanés, éditions
de l'Observatoire comprises.
"""


def _queue(ctx: Context) -> pd.DataFrame:
    q = cache.matching_queue(ctx.sig)
    return q if not q.empty else pd.DataFrame(columns=review.QUEUE_COLUMNS)


def queue_table(ctx: Context, key: str) -> None:
    """The review queue, read-only, with its download."""
    q = _queue(ctx)
    if q.empty:
        st.caption("Aucun rapprochement à vérifier.")
        return
    shown = review.readable_queue(q)
    render.table(shown, key=key, height=320 if len(shown) > 8 else "auto")
    render.downloads(shown, "rapprochements-a-verifier", key=f"{key}_dl")


def _in_scope(ctx: Context, decision: auth.Decision, siren: object) -> bool:
    """An editor limited to territories decides only for the collectivités there."""
    return ui_auth.may_edit(decision, ctx.ref, [str(siren)])


def _decide(ctx: Context, decision: auth.Decision, row: dict, action: str) -> None:
    # Checked again here: a disabled button is not a barrier.
    if not decision.can_write:
        st.error(decision.reason)
        return
    if not _in_scope(ctx, decision, row["siren"]):
        st.error(f"{row['collectivite'] or row['siren']} est hors de votre territoire "
                 f"({decision.scope}).")
        return
    note = "page Rapprochements" + (f" (territoires : {decision.scope})"
                                    if decision.limited else "")
    with outreach_data.writer(ctx, user_work=False) as con:
        matching.record_decision(con, str(row["publisher_id"]), str(row["siren"]), action,
                                 source=str(row["source"]), auteur=decision.editor or "",
                                 note=note)
    cache.matching_queue.clear()
    st.session_state["rappr_done"] = (f"{vocab.MATCH_DECISION.label(action)} : "
                                      f"{row['nom']} → {row['collectivite'] or row['siren']}")


def review_list(ctx: Context, decision: auth.Decision) -> None:
    """The queue as a list with « Confirmer » and « Rejeter » on each line."""
    done = st.session_state.pop("rappr_done", None)
    if done:
        st.success(done)
    q = _queue(ctx)
    a, b = st.columns([2, 3])
    sources = a.multiselect("Source", list(vocab.SOURCE), format_func=vocab.SOURCE.label,
                            key="rappr_sources", placeholder="Toutes", select_all=False)
    search = b.text_input("Éditeur ou collectivité contient", key="rappr_search")
    if sources:
        q = q[q["source"].isin(sources)]
    if search.strip():
        text = search.strip().lower()
        q = q[q["nom"].fillna("").str.lower().str.contains(text, regex=False)
              | q["collectivite"].fillna("").str.lower().str.contains(text, regex=False)]
    st.subheader(f"À vérifier ({nombre(len(q))})")
    if q.empty:
        st.caption("Rien à vérifier pour ces critères.")
        return
    if not decision.can_write:
        st.info(decision.reason, icon=":material/lock:")
    for i, row in enumerate(q.head(PAGE_SIZE).to_dict("records")):
        with st.container(border=True):
            left, mid, right = st.columns([5, 1, 1], vertical_alignment="center")
            left.markdown(f"**{render.md_escape(row['nom'])}** "
                          f"({render.md_escape(vocab.SOURCE.label(row['source']))}) → "
                          f"**{render.md_escape(row['collectivite'] or row['siren'])}** "
                          f"({row['siren']}) · score {nombre(row['confiance'], 2)} · "
                          f"{render.md_escape(vocab.MATCH_METHOD.label(row['methode']))}")
            why = " ; ".join(str(x) for x in (row["motifs"], row["raison"])
                             if isinstance(x, str) and x)
            if why:
                left.caption(render.md_escape(why))
            can = _in_scope(ctx, decision, row["siren"])
            if decision.can_write and not can:
                left.caption(f"Hors de votre territoire ({decision.scope}) : lecture seule.")
            mid.button("Confirmer", key=f"rappr_ok_{i}", type="primary", disabled=not can,
                       on_click=_decide, args=(ctx, decision, row, vocab.DECISION_CONFIRME))
            right.button("Rejeter", key=f"rappr_no_{i}", disabled=not can,
                         on_click=_decide, args=(ctx, decision, row, vocab.DECISION_REJETE))
    if len(q) > PAGE_SIZE:
        st.caption(f"Les {PAGE_SIZE} premiers sur {nombre(len(q))} (les moins sûrs d'abord) ; "
                   "filtrez pour voir les autres.")


def _summary_table(rep: pd.DataFrame) -> pd.DataFrame:
    table = review.summary(rep)
    out = table.assign(source=vocab.SOURCE.labelled(table["source"]))
    return out.rename(columns={"source": "Source", "total": "Total",
                               **vocab.MATCH_OUTCOME.labels()})


def report_section(ctx: Context) -> None:
    """The matching report of a snapshot, its unmatched list, and for an edition the
    comparison with OpenDataFrance's published figures."""
    snaps = ctx.snapshots
    if not snaps:
        st.caption("Aucun instantané.")
        return
    labels = {s.id: s.label for s in snaps}
    chosen = st.selectbox("Instantané", list(labels), format_func=labels.get,
                          key="methode_rapport_snap")
    snap = next(s for s in snaps if s.id == chosen)
    rep = cache.matching_report(ctx.sig, snap)
    if rep.empty:
        st.caption("Aucun éditeur dans cet instantané.")
        return
    render.table(_summary_table(rep), key="methode_rapport")
    unmatched = rep[rep["resultat"] == vocab.OUTCOME_UNMATCHED]
    st.markdown(f"**Non rapprochés ({nombre(len(unmatched))})**, avec la raison")
    shown = review.readable(unmatched)[["Source", "Éditeur", "SIREN/SIRET déclaré", "Raison"]]
    render.table(shown, key="methode_non_rapproches", height=240 if len(shown) > 6 else "auto")
    render.downloads(review.readable(unmatched), f"non-rapproches-{snap.id}",
                     key="methode_non_rapproches_dl")
    with st.expander("Tous les éditeurs de cet instantané"):
        render.downloads(lambda: review.readable(rep), f"rapport-rapprochement-{snap.id}",
                         key="methode_rapport_dl")
    if snap.is_observatoire:
        comparison_section(ctx, snap)


def comparison_section(ctx: Context, snap: Snapshot) -> None:
    c = cache.edition_comparison(ctx.sig, review.OBSERVATOIRE_RULE, snap)
    if c is None:
        return
    st.markdown(f"**{render.md_escape(snap.label)} et les chiffres publiés par "
                f"OpenDataFrance** (règle `{c.rule}`, référentiel {c.vintage})")
    rows = [("Collectivités qui publient", c.credited, c.published.get("collectivites_publiant")),
            ("dont obligées selon la règle", c.obliged_publishing,
             c.published.get("obligees_publiant"))]
    render.table(pd.DataFrame([{"Chiffre": label, "Projet": ours,
                                "OpenDataFrance": theirs if theirs is not None else None,
                                "Écart": theirs - ours if theirs is not None else None}
                               for label, ours, theirs in rows]), key="methode_odf")
    o = c.outcomes
    st.markdown(
        f"Sur les {nombre(c.rows)} lignes de l'édition, {nombre(o[vocab.OUTCOME_SIREN])} sont "
        f"rapprochées par leur SIREN, {nombre(o[vocab.OUTCOME_SUCCESSION])} par succession "
        f"(SIREN d'un prédécesseur ou périmé), {nombre(o[vocab.OUTCOME_NOM])} par le nom et "
        f"{nombre(o[vocab.OUTCOME_DECISION])} par décision ; "
        f"{nombre(o[vocab.OUTCOME_PENDING])} attendent une vérification, "
        f"{nombre(o[vocab.OUTCOME_NOT_COLLECTIVITE])} ne sont pas des collectivités et "
        f"{nombre(o[vocab.OUTCOME_UNMATCHED])} ne sont pas rapprochées (liste ci-dessus). "
        "**D'où vient l'écart.** L'Observatoire compte des *organisations* : syndicats, "
        "SDIS, agences, offices de tourisme, opérateurs, que ce projet ne compte pas comme "
        "collectivités, et des collectivités d'outre-mer absentes du référentiel (Nouvelle-"
        "Calédonie, Polynésie). Le projet compte une collectivité par SIREN du référentiel "
        "en vigueur à la date de l'édition ; "
        f"{nombre(len(c.not_obliged))} collectivités qui publient n'y sont pas obligées "
        "selon la règle (communes de moins de 3 500 habitants), liste ci-dessous.")
    with st.expander(f"Collectivités qui publient sans être obligées ({nombre(len(c.not_obliged))})"):
        render.table(c.not_obliged.assign(type=vocab.TYPE.labelled(c.not_obliged["type"])),
                     key="methode_non_obligees", height=240,
                     labels={"siren": "SIREN", "nom": "Nom", "type": "Type",
                             "departement": "Dép.", "population_totale": "Population totale"})
