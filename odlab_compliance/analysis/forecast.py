"""Publishing rate over time for a territory, and when it would reach a target rate.

Method (shown on the page): an ordinary least-squares straight line through the dated
rates of the snapshots (``StatusModel.status_series``: the same rates as every page),
extended until it crosses the target.

Limits, stated to the user: a straight line assumes the recent pace continues, while
adoption usually slows near saturation (a logistic curve); with few snapshots or
snapshots close in time the slope is fragile; a change of vintage or rule moves the
denominator and shows as a jump; snapshots made during a source outage have more
``inconnu`` collectivités and a less reliable rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from odlab_compliance import fmt, vocab
from odlab_compliance.model.figures import Figures, figures

METHOD = (
    "Projection linéaire : droite des moindres carrés ajustée sur les taux de publication "
    "datés des instantanés (collectivités obligées qui publient, rapportées à celles dont "
    "le statut est connu), prolongée jusqu'au taux cible. Limites : elle suppose que le "
    "rythme récent se maintient alors que l'adoption ralentit souvent à l'approche de la "
    "saturation ; avec peu d'instantanés ou des dates rapprochées, la pente est fragile ; "
    "un changement de millésime ou de règle déplace le dénominateur ; un instantané pris "
    "pendant une panne de source compte davantage de statuts inconnus."
)
MIN_POINTS = 2
HORIZON_YEARS = 30          # beyond this a straight-line projection means nothing


@dataclass(frozen=True)
class Fit:
    slope_per_year: float   # rate points (0-1) gained per year
    intercept: float        # rate at ``origin``
    origin: date
    r2: float | None
    n: int

    def rate_at(self, day: date) -> float:
        return self.intercept + self.slope_per_year * (day - self.origin).days / 365.25


SERIES_COLUMNS = ["date", "taux", "obligees", "publiant", "n_inconnu"]


def series(status_series: pd.DataFrame) -> pd.DataFrame:
    """The dated rates of ``StatusModel.status_series`` (oldest first): date, taux,
    obligees, publiant, n_inconnu."""
    out = status_series.rename(columns={"date_snapshot": "date"})
    out["date"] = pd.to_datetime(out["date"])
    return out.reindex(columns=SERIES_COLUMNS).sort_values("date").reset_index(drop=True)


def fit(points: pd.DataFrame) -> Fit | None:
    """Least-squares line through (date, taux); None with fewer than two dated rates."""
    pts = points.dropna(subset=["taux"])
    pts = pts.groupby("date", as_index=False)["taux"].mean()
    if len(pts) < MIN_POINTS:
        return None
    origin = pd.Timestamp(pts["date"].min()).date()
    x = (pd.to_datetime(pts["date"]) - pd.Timestamp(origin)).dt.days.to_numpy() / 365.25
    y = pts["taux"].to_numpy(dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float((residual ** 2).sum()) / ss_tot if ss_tot > 0 else None
    return Fit(float(slope), float(intercept), origin, r2, len(pts))


def reach_date(f: Fit, target: float, today: date | None = None) -> date | None:
    """When the line reaches ``target``; ``today`` if already there; None if never
    (flat or falling line, or beyond HORIZON_YEARS)."""
    today = today or date.today()
    if f.rate_at(today) >= target:
        return today
    if f.slope_per_year <= 0:
        return None
    years = (target - f.intercept) / f.slope_per_year
    day = f.origin + timedelta(days=round(years * 365.25))
    if day > today + timedelta(days=round(HORIZON_YEARS * 365.25)):
        return None
    return max(day, today)


def what_if(status: pd.DataFrame, cohort: Iterable[str]) -> Figures:
    """Figures of ``status`` if every collectivité of the cohort published."""
    wanted = set(cohort)
    changed = status.copy()
    changed.loc[changed["siren"].isin(wanted), "statut"] = vocab.PUBLIE
    return figures(changed)


def points_par_an(slope_per_year: float) -> str:
    """« +2,3 points par an », « 0 point par an », « -1 point par an »."""
    value = round(slope_per_year * 100, 1)
    text = fmt.nombre(value, 1).replace(",0", "")
    sign = "+" if value > 0 else ""
    unit = "points" if abs(value) >= 2 else "point"
    return f"{sign}{text} {unit} par an"


def sentence(f: Fit | None, target: float, today: date | None = None) -> str:
    """The projection in one French sentence."""
    if f is None:
        return ("Il faut au moins deux instantanés datés avec un taux connu pour estimer "
                "un rythme.")
    pace = points_par_an(f.slope_per_year)
    day = reach_date(f, target, today)
    goal = fmt.pourcentage(target)
    if day is None:
        return (f"Au rythme observé ({pace}), le taux de {goal} ne serait "
                f"pas atteint dans les {HORIZON_YEARS} ans.")
    if day == (today or date.today()):
        return f"Le taux de {goal} est déjà atteint selon la tendance."
    return (f"Au rythme observé ({pace}, {f.n} instantanés), le taux de "
            f"{goal} serait atteint vers le {fmt.date_fr(day)}.")


def figure(points: pd.DataFrame, f: Fit | None, target: float,
           today: date | None = None, extra: float | None = None) -> go.Figure:
    """Observed rates, the fitted line up to the target date, the target, and the
    "what if" rate as a single point today."""
    today = today or date.today()
    fig = go.Figure()
    fig.add_scatter(x=points["date"], y=points["taux"] * 100, mode="markers+lines",
                    name="Taux observé")
    if f is not None:
        end = reach_date(f, target, today) or today + timedelta(days=5 * 365)
        end = max(end, today)
        xs = [f.origin, end]
        fig.add_scatter(x=xs, y=[f.rate_at(d) * 100 for d in xs], mode="lines",
                        name="Tendance (moindres carrés)", line={"dash": "dash"})
    fig.add_hline(y=target * 100, line_dash="dot", annotation_text="Cible")
    if extra is not None:
        fig.add_scatter(x=[today], y=[extra * 100], mode="markers", name="Si la cohorte publie",
                        marker={"size": 12, "symbol": "star"})
    # Dates as 31/12/2022: plotly's default ticks would name months in English.
    fig.update_xaxes(tickformat="%d/%m/%Y", hoverformat="%d/%m/%Y")
    fig.update_layout(yaxis_title="Taux de publication (%)", xaxis_title=None,
                      yaxis_range=[0, 100], margin={"t": 30, "b": 30}, legend_orientation="h",
                      separators=", ")
    return fig
