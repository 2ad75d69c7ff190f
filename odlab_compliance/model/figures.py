"""The figures of a set of collectivités: how many are obliged, publish, are unknown; the
publishing rate and the population covered. The only place where a rate is computed.

- **taux** (publishing rate) = obliged collectivités that publish (themselves or through a
  shared platform) / obliged collectivités whose status is known. ``inconnu`` is shown
  apart and left out of the denominator: a portal that is down says nothing about
  compliance. None when no obliged collectivité has a known status.
- **couverture** = population of obliged *communes* that publish / population of obliged
  communes (communes only, so nobody is counted twice through their EPCI, département and
  région). None when there is no obliged commune or no status.
- **couverture_effectifs** = candidates (``model.coverage``) whose agent count is known /
  candidates. None without candidates. ``presumees`` counts the obliged collectivités
  whose obligation rests on a presumed count (the rule's assumption): a rate computed
  while ``couverture_effectifs`` < 1 rests partly on them, and pages say so beside it.

Counts of a group are computed in one vectorised pass (``figures_by``), so a table of a
hundred départements costs what one territory costs; ``figures`` is its one-group case.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from odlab_compliance import territory as terr
from odlab_compliance import vocab

# Columns of ``figures_by`` (and fields of ``Figures``), in display order.
COUNT_COLUMNS = ("collectivites", "obligees", "n_a_verifier", "n_publie", "n_via_tiers",
                 "n_non_publie", "n_inconnu", "population_obligee", "population_couverte",
                 "presumees", "candidats", "effectifs_connus")
FIGURE_COLUMNS = (*COUNT_COLUMNS, "publiant", "connus", "taux", "couverture",
                  "couverture_effectifs")


def rate(part: float | int | None, whole: float | int | None) -> float | None:
    """``part / whole``, None when ``whole`` is zero or missing."""
    if whole is None or pd.isna(whole) or not whole:
        return None
    return float(part or 0) / float(whole)


@dataclass(frozen=True)
class Figures:
    collectivites: int = 0
    obligees: int = 0
    n_a_verifier: int = 0
    n_publie: int = 0
    n_via_tiers: int = 0
    n_non_publie: int = 0
    n_inconnu: int = 0
    population_obligee: int = 0
    population_couverte: int = 0
    presumees: int = 0
    candidats: int = 0
    effectifs_connus: int = 0
    has_status: bool = True

    @property
    def publiant(self) -> int:
        return self.n_publie + self.n_via_tiers

    @property
    def connus(self) -> int:
        return self.obligees - self.n_inconnu

    @property
    def taux(self) -> float | None:
        return rate(self.publiant, self.connus) if self.has_status else None

    @property
    def couverture(self) -> float | None:
        return rate(self.population_couverte, self.population_obligee) \
            if self.has_status else None

    @property
    def couverture_effectifs(self) -> float | None:
        return rate(self.effectifs_connus, self.candidats)

    @property
    def effectifs_partiels(self) -> bool:
        """True when some candidates have no known count (figures rest partly on the
        rule's presumption, or on « à vérifier »)."""
        return self.effectifs_connus < self.candidats

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out.pop("has_status")
        out.update(publiant=self.publiant, connus=self.connus, taux=self.taux,
                   couverture=self.couverture,
                   couverture_effectifs=self.couverture_effectifs)
        return out


def _bool(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        return pd.Series(False, index=df.index)
    return df[column].astype("boolean").fillna(False).astype(bool)


def _flags(df: pd.DataFrame) -> pd.DataFrame:
    """One row per collectivité: 0/1 columns that sum to the counts."""
    obligation = df["obligation"] if "obligation" in df.columns \
        else pd.Series(pd.NA, index=df.index, dtype="object")
    obliged = obligation.eq(vocab.OBLIGEE).fillna(False).astype(bool)
    if "statut" in df.columns:
        statut = df["statut"]
    else:  # no snapshot yet: every obliged collectivité's status is unknown
        statut = pd.Series(vocab.INCONNU, index=df.index, dtype="object")
    is_commune = df["type"].eq(vocab.TYPE_COM).fillna(False).astype(bool) if "type" in df.columns \
        else pd.Series(False, index=df.index)
    pop = pd.to_numeric(df["population_totale"], errors="coerce").fillna(0) \
        if "population_totale" in df.columns else pd.Series(0.0, index=df.index)
    out = pd.DataFrame({
        "collectivites": 1,
        "obligees": obliged,
        "n_a_verifier": obligation.eq(vocab.A_VERIFIER).fillna(False).astype(bool),
        "n_publie": obliged & statut.eq(vocab.PUBLIE).fillna(False),
        "n_via_tiers": obliged & statut.eq(vocab.VIA_TIERS).fillna(False),
        "n_non_publie": obliged & statut.eq(vocab.NON_PUBLIE).fillna(False),
        "n_inconnu": obliged & statut.eq(vocab.INCONNU).fillna(False),
        "presumees": obliged & _bool(df, "hypothese"),
        "candidats": _bool(df, "candidat"),
        "effectifs_connus": _bool(df, "candidat") & _bool(df, "effectif_connu"),
    }, index=df.index).astype("int64")
    commune_pop = pop.where(obliged & is_commune, 0.0)
    out["population_obligee"] = commune_pop
    out["population_couverte"] = commune_pop.where(statut.isin(vocab.PUBLISHING), 0.0)
    return out


def _finish(counts: pd.DataFrame, has_status: bool) -> pd.DataFrame:
    counts = counts.copy()
    for c in ("population_obligee", "population_couverte"):
        counts[c] = counts[c].round().astype("int64")
    counts["publiant"] = counts["n_publie"] + counts["n_via_tiers"]
    counts["connus"] = counts["obligees"] - counts["n_inconnu"]
    counts["taux"] = [rate(p, k) if has_status else None
                      for p, k in zip(counts["publiant"], counts["connus"], strict=True)]
    counts["couverture"] = [rate(p, k) if has_status else None for p, k in
                            zip(counts["population_couverte"], counts["population_obligee"],
                                strict=True)]
    counts["couverture_effectifs"] = [rate(k, c) for k, c in
                                      zip(counts["effectifs_connus"], counts["candidats"],
                                          strict=True)]
    for c in ("taux", "couverture", "couverture_effectifs"):
        counts[c] = counts[c].astype("Float64")
    return counts


def figures(df: pd.DataFrame) -> Figures:
    """The figures of the collectivités of ``df`` (one row each)."""
    has_status = "statut" in df.columns
    if df.empty:
        return Figures(has_status=has_status)
    sums = _flags(df).sum()
    return Figures(**{c: int(round(float(sums[c]))) for c in COUNT_COLUMNS},
                   has_status=has_status)


def figures_by(df: pd.DataFrame, key: pd.Series | str) -> pd.DataFrame:
    """``FIGURE_COLUMNS`` per value of ``key`` (a column name or a Series aligned with
    ``df``), indexed by that value; rows with an empty key are left out."""
    keys = df[key] if isinstance(key, str) else key
    flags = _flags(df)
    counts = flags.groupby(keys.astype("object"), dropna=True, sort=False).sum()
    return _finish(counts, "statut" in df.columns)


FAMILY_ORDER = tuple(terr.FAMILY_LABELS)


def by_type(df: pd.DataFrame) -> pd.DataFrame:
    """One row per type family (communes, EPCI/EPT, départements, régions), in that order:
    ``famille``, ``libelle`` and the figures."""
    fam = df["type"].map(terr.family) if len(df) else pd.Series(dtype="object")
    table = figures_by(df, fam) if len(df) else pd.DataFrame(columns=FIGURE_COLUMNS)
    rows = []
    for code, label in terr.FAMILY_LABELS.items():
        values = table.loc[code].to_dict() if code in table.index \
            else Figures(has_status="statut" in df.columns).as_dict()
        rows.append({"famille": code, "libelle": label, **values})
    return pd.DataFrame(rows, columns=["famille", "libelle", *FIGURE_COLUMNS])


AREA_COLUMNS = ("code", "nom", "obligees", "publiant", "n_inconnu", "taux", "couverture")


def rates(df: pd.DataFrame, level: str, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Figures per area of ``level`` (REG, DEP, EPCI or COM): each collectivité counts in
    the area its own column points to (a commune in its EPCI, a département in its
    région...) and in every area whose powers it exerts (the CEA in 67 and 68), so an
    area's row agrees with that area's own view; areas without obliged collectivités are
    left out. Not a partition: do not add the rows up."""
    if df.empty:
        return pd.DataFrame(columns=AREA_COLUMNS)
    part = df[df["type"].eq(vocab.TYPE_COM)] if level == "COM" else terr.with_governed_areas(df, level)
    column = terr.CHILD_COLUMN[level]
    table = figures_by(part, column)
    table = table[table["obligees"] > 0]
    out = table.reset_index(names="code")
    out["code"] = out["code"].astype(str)
    fallback = {}
    if level == "COM":
        fallback = dict(zip(part["code_insee"].astype(str), part["nom"].astype(str),
                            strict=False))
    out["nom"] = [(names or {}).get(c) or fallback.get(c) or c for c in out["code"]]
    return out[list(AREA_COLUMNS)].reset_index(drop=True)


def ranking(df: pd.DataFrame, t: terr.Territory, names: dict[str, str] | None = None
            ) -> pd.DataFrame:
    """Sub-territories of ``t`` ranked by publishing rate (best first), then by size."""
    child = terr.CHILD_LEVEL.get(t.level)
    if child is None:
        return pd.DataFrame(columns=AREA_COLUMNS)
    out = rates(terr.filter_frame(df, t), child, names)
    if out.empty:
        return out
    order = out.assign(_r=out["taux"].astype("float64").fillna(-1.0))
    order = order.sort_values(["_r", "obligees"], ascending=[False, False])
    return order.drop(columns="_r").reset_index(drop=True)


COVERAGE_COLUMNS = ("code", "nom", "candidats", "effectifs_connus", "couverture_effectifs",
                    "obligees", "presumees", "n_a_verifier")


def coverage_by(df: pd.DataFrame, level: str, names: dict[str, str] | None = None
                ) -> pd.DataFrame:
    """Coverage of agent counts per area of ``level`` (REG, DEP, EPCI): candidates, how
    many have a known count and their share, obliged collectivités and how many of them
    rest on a presumed count, à vérifier. Like ``rates``, a collectivité counts in every
    area whose powers it exerts. Areas without candidates are left out."""
    if df.empty or "candidat" not in df.columns:
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    part = terr.with_governed_areas(df, level)
    table = figures_by(part, terr.CHILD_COLUMN[level])
    table = table[table["candidats"] > 0]
    out = table.reset_index(names="code")
    out["code"] = out["code"].astype(str)
    out["nom"] = [(names or {}).get(c) or c for c in out["code"]]
    return out[list(COVERAGE_COLUMNS)].sort_values("code").reset_index(drop=True)
