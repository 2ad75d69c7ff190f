"""Vue d'ensemble: key figures, by type, trend across snapshots, sub-territories ranked."""

import streamlit as st

from odlab_compliance import territory as terr
from odlab_compliance import vocab
from odlab_compliance.analysis.report import build_report
from odlab_compliance.fmt import nombre
from odlab_compliance.model import figures as figs
from odlab_compliance.present import charts, exports, report_pdf
from odlab_compliance.ui import (
    cache,
    notices,
    quality_view,
    render,
    selection,
    shell,
    tables,
    watch,
)

ctx = shell.context()
st.title(f"Vue d'ensemble · {ctx.territory_name}")

at = selection.selection(ctx)
if at is None:
    st.stop()
frame, local, s = at.whole, at.frame, at.figures

c = st.columns(3) + st.columns(3)   # two rows: the labels are read whole
render.metric(c[0], "Collectivités obligées", s.obligees,
              help="Au moins 3 500 habitants ET au moins 50 agents (la loi ne dit pas « ou »). "
                   "Voir la page Méthode et sources.")
render.metric(c[1], "Publient", s.publiant,
              help="Au moins un jeu de données, sur leur plateforme, data.gouv.fr ou une "
                   "plateforme partagée.")
render.metric(c[2], "dont via une plateforme partagée", s.n_via_tiers)
render.metric(c[3], "Taux de publication", s.taux, kind="pct",
              help=notices.rate_help(s, "Collectivités qui publient / obligées dont le statut "
                                      "est connu."))
render.metric(c[4], "Population couverte", s.couverture, kind="pct",
              help="Part de la population des communes obligées vivant dans une commune "
                   "qui publie.")
render.metric(c[5], "Statut inconnu", s.n_inconnu,
              help="Une source n'a pas pu être lue : ni conforme ni non conforme. "
                   "Exclues du taux.")
notices.no_agents_notice(s)
notices.figures_notes(s)

if at.has_status:
    rule = next((r for r in cache.rules() if r["id"] == ctx.rule), {"label": ctx.rule,
                                                                     "assumption": False})

    def _report() -> bytes:
        report = build_report(at, selection.trend(ctx), ctx.territory_name, rule["label"],
                              bool(rule["assumption"]))
        return report_pdf.render(report, quality_view.report_line(ctx, frame, local,
                                                                  at.snapshot))

    st.download_button("Télécharger le rapport du territoire (PDF, une page)", _report,
                       exports.file_name(ctx.file_stem("rapport"), "pdf"),
                       mime="application/pdf", key="ve_report", on_click="ignore",
                       icon=":material/picture_as_pdf:")

by_type = figs.by_type(local)
# One figure per row: the legends and territory names need the page's width.
with render.guard("la répartition par type"):
    st.plotly_chart(charts.status_breakdown(by_type), key="ve_by_type", width="stretch",
                    theme=None)
with render.guard("l'évolution"):
    st.plotly_chart(charts.trend(selection.trend(ctx)), key="ve_trend", width="stretch",
                    theme=None)

st.subheader("Par type de collectivité")
render.table(tables.by_type_table(by_type), key="ve_by_type_table")
render.downloads(tables.by_type_table(by_type, display=False), ctx.file_stem("par-type"),
                 key="ve_by_type_dl")

quality_view.overview_section(ctx, frame, local, at.snapshot if at.has_status else None)

child = terr.CHILD_LEVEL.get(ctx.territory.level)
if child:
    st.subheader(f"Classement des sous-territoires ({terr.LEVEL_LABELS[child].lower()}s)")
    st.caption(f"Pour chaque {terr.LEVEL_LABELS[child].lower()} : part des collectivités "
               "obligées de son territoire qui publient (la collectivité qui porte la zone "
               "comprise, par exemple une intercommunalité et ses communes membres), parmi "
               "celles dont le statut est connu : les chiffres de sa propre vue d'ensemble "
               "et de son rapport PDF. Une collectivité peut compter dans plusieurs lignes.")
    rank = figs.ranking(frame, ctx.territory, selection.child_names(ctx, child))
    with render.guard("le classement"):
        st.plotly_chart(charts.ranking(rank, terr.LEVEL_LABELS[child]), key="ve_rank",
                        width="stretch", theme=None)
    render.table(tables.ranking_table(rank), key="ve_rank_table")
    render.downloads(tables.ranking_table(rank, display=False), ctx.file_stem("classement"), key="ve_rank_dl")

tables.coverage_section(ctx, frame, key="ve_coverage")

veille = watch.watch_filter("ve")
if veille is None:
    st.subheader(f"Collectivités obligées du territoire ({nombre(s.obligees)})")
    st.caption("Les plus peuplées d'abord.")
    tables.show_list(tables.obliged_list(local, vocab.OBLIGEE), at.snapshot,
                     ctx.file_stem("obligees"), key="ve_list")
else:
    watched = watch.watch_table(local, veille)
    st.subheader(f"Liste de veille : collectivités proches d'un seuil ({nombre(len(watched))})")
    st.caption("Obligées ou non : celles qu'une révision de population ou d'effectif peut "
               "faire changer de réponse, avec ce qui la changerait.")
    render.table(watched, key="ve_list", height=400)
    render.downloads(watched, ctx.file_stem("veille"), key="ve_list_dl")
if s.n_a_verifier:
    with st.expander(f"Collectivités à vérifier ({nombre(s.n_a_verifier)})",
                     icon=":material/help:"):
        st.caption("Leur obligation dépend d'une donnée manquante ou incertaine (le plus "
                   "souvent l'effectif d'agents) : le motif dit laquelle.")
        to_check = tables.obliged_list(local, vocab.A_VERIFIER)
        render.table(to_check, key="ve_check", height=320)
        render.downloads(to_check, ctx.file_stem("a-verifier"), key="ve_check_dl")
