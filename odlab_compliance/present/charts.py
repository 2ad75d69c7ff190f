"""Figures of the dashboard (except maps): functions returning plotly figures.

Pages only call ``st.plotly_chart`` on what these return. French conventions: decimal
comma and space as thousands separator (``separators``), percentages as "16 %".
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from odlab_compliance import vocab
from odlab_compliance.fmt import pourcentage

# One colour per status (publishing, not, unknown) and per obligation outside the
# obliged (not obliged, to check), from the vocabulary; used by the maps too.
STATUS_COLORS = {**vocab.STATUT.colours(), vocab.NON_OBLIGEE: vocab.OBLIGATION[
    vocab.NON_OBLIGEE].colour, vocab.A_VERIFIER: vocab.OBLIGATION[vocab.A_VERIFIER].colour}
FRENCH_SEPARATORS = ", "
FONT = dict(family="Marianne, Arial, sans-serif", size=13)


def _layout(fig: go.Figure, title: str, height: int = 320) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0, y=0.98, yanchor="top", font=dict(size=15)),
                      separators=FRENCH_SEPARATORS,
                      font=FONT, height=height, margin=dict(l=10, r=10, t=50 if title else 10,
                                                            b=10),
                      plot_bgcolor="white", paper_bgcolor="white",
                      legend=dict(orientation="h", yanchor="top", y=-0.18, x=0,
                                  font=dict(size=11)))
    # Axis labels (territory names) push the margins instead of being cut.
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def empty_figure(message: str) -> go.Figure:
    """A figure saying there is nothing to draw (instead of an empty frame)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(size=14, color="#555"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, "", height=200)


def status_breakdown(by_type: pd.DataFrame) -> go.Figure:
    """Stacked horizontal bars: obliged collectivités of each type family by status."""
    data = by_type[by_type["obligees"] > 0]
    if data.empty:
        return empty_figure("Aucune collectivité obligée dans ce territoire.")
    fig = go.Figure()
    columns = {vocab.PUBLIE: "n_publie", vocab.VIA_TIERS: "n_via_tiers",
               vocab.NON_PUBLIE: "n_non_publie", vocab.INCONNU: "n_inconnu"}
    for status, column in columns.items():
        fig.add_bar(y=data["libelle"], x=data[column], name=vocab.STATUT.short(status),
                    orientation="h", marker_color=STATUS_COLORS[status],
                    hovertemplate="%{y} : %{x} " + vocab.STATUT.label(status).lower()
                    + "<extra></extra>")
    fig.update_layout(barmode="stack", yaxis=dict(autorange="reversed"))
    fig.update_xaxes(gridcolor="#eee")
    fig = _layout(fig, "Collectivités obligées par type et par statut", height=320)
    fig.update_layout(legend=dict(traceorder="normal", y=-0.12))
    return fig


def no_trend_reason(trend_df: pd.DataFrame) -> str:
    """Why there is no rate to draw (lines joined by <br>): no snapshot at all, or
    snapshots where nobody is obliged under the rule (the legal rule without any agent
    count: everyone « à vérifier »), or statuses all unknown. « Pas encore d'historique »
    was said in all three cases, although two Observatoire editions were there."""
    n = len(trend_df)
    if not n:
        return "Pas encore de collecte ni d'édition de l'Observatoire pour ce territoire."
    dates = f"{n} date(s) ({', '.join(map(str, trend_df['label']))})" if "label" in trend_df \
        else f"{n} date(s)"
    obliged = pd.to_numeric(trend_df.get("obligees"), errors="coerce").fillna(0)
    if obliged.eq(0).all():
        to_check = pd.to_numeric(trend_df.get("n_a_verifier"), errors="coerce").fillna(0)
        if to_check.gt(0).any():
            return (f"Aucune collectivité obligée sous cette règle aux {dates} :<br>"
                    "sans effectif d'agents connu, la loi (3 500 habitants ET 50 agents) ne "
                    "peut conclure.<br>Choisissez la règle qui présume les effectifs "
                    "manquants ou celle de l'Observatoire,<br>ou complétez les effectifs.")
        return f"Aucune collectivité obligée sous cette règle aux {dates} : pas de taux."
    return f"Statut inconnu de toutes les obligées aux {dates} : pas de taux."


def trend(trend_df: pd.DataFrame) -> go.Figure:
    """Publishing rate across snapshots (Observatoire editions included): ``trend_df`` is
    ``StatusModel.status_series`` (``label``, ``taux``, ``publiant``, ...)."""
    data = trend_df.dropna(subset=["taux"])
    if data.empty:
        return empty_figure(no_trend_reason(trend_df))
    custom = data[["publiant", "obligees", "n_inconnu"]].to_numpy()
    # Two short lines under each point (date, origin) instead of one long slanted label.
    x = data["label"].str.replace(" · ", "<br>", regex=False)
    fig = go.Figure(go.Scatter(
        x=x, y=data["taux"], mode="lines+markers+text",
        text=[pourcentage(v, 1) for v in data["taux"]], textposition="top center",
        line=dict(color=STATUS_COLORS[vocab.PUBLIE], width=3),
        customdata=custom,
        hovertemplate="%{x}<br>Taux : %{y:.0%}<br>%{customdata[0]} publient sur "
                      "%{customdata[1]} obligées (%{customdata[2]} inconnues)<extra></extra>"))
    fig.update_yaxes(tickformat=".0%", range=[0, max(1.0, float(data["taux"].max()) * 1.15)],
                     gridcolor="#eee")
    fig.update_xaxes(type="category", title="", tickangle=0)
    return _layout(fig, "Évolution du taux de publication")


def ranking(ranking_df: pd.DataFrame, level_label: str, top: int = 25) -> go.Figure:
    """Sub-territories by publishing rate (best first, at most ``top``)."""
    data = ranking_df.dropna(subset=["taux"]).head(top)
    if data.empty:
        return empty_figure("Pas de sous-territoire à classer.")
    fig = go.Figure(go.Bar(
        y=data["nom"], x=data["taux"], orientation="h", marker_color=STATUS_COLORS[vocab.PUBLIE],
        text=[pourcentage(v, 1) for v in data["taux"]], textposition="auto",
        customdata=data[["publiant", "obligees"]].to_numpy(),
        hovertemplate="%{y} : %{text} (%{customdata[0]} qui publient sur %{customdata[1]} "
                      "obligées)<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickformat=".0%", range=[0, 1], gridcolor="#eee")
    fig.update_yaxes(title="")
    fig.update_xaxes(title=f"Part des collectivités obligées qui publient, par "
                           f"{level_label.lower()} (elle-même et ses collectivités)")
    return _layout(fig, "", height=max(260, 28 * len(data) + 90))


# --- publication grades (issue 18) ------------------------------------------------------------

def grade_distribution(territory: pd.DataFrame, peers: pd.DataFrame | None = None,
                       territory_label: str = "Territoire",
                       peers_label: str = "Territoires comparables") -> go.Figure:
    """Bars: share of each grade A–E in the territory (``analysis.quality.grade_counts``),
    with the peers' shares as markers when given."""
    if territory.empty or not int(territory["nombre"].sum()):
        return empty_figure("Aucune note : pas de collecte, ou statut inconnu partout.")
    colours = vocab.NOTE.colours()
    fig = go.Figure()
    fig.add_bar(x=territory["note"], y=territory["part"], name=territory_label,
                marker_color=[colours[g] for g in territory["note"]],
                text=[f"{n}" for n in territory["nombre"]], textposition="outside",
                customdata=[pourcentage(p) for p in territory["part"]],
                hovertemplate="Note %{x} : %{text} collectivité(s), %{customdata}"
                              "<extra></extra>")
    if peers is not None and not peers.empty:
        fig.add_scatter(x=peers["note"], y=peers["part"], name=peers_label, mode="markers",
                        marker=dict(symbol="line-ew-open", size=28, color="#222",
                                    line=dict(width=3)),
                        customdata=[pourcentage(p) for p in peers["part"]],
                        hovertemplate=peers_label + ", note %{x} : %{customdata}"
                                      "<extra></extra>")
    fig.update_yaxes(tickformat=".0%", title="part des collectivités obligées",
                     rangemode="tozero")
    fig.update_xaxes(title="note de publication", categoryorder="array",
                     categoryarray=list(vocab.NOTE.codes))
    return _layout(fig, "Notes de publication des collectivités obligées", height=340)
