"""The obligation test: one pure function, ``evaluate(df, rule)``.

The law (CRPA art. L312-1-1 and D312-1-1-1; docs/obligation.md): obliged when ≥ 3,500 inhabitants AND ≥ 50 agents. Each row is
judged on two tests, each giving "at or above", "below", "unknown" or (population of a
grouping, département, région) "not applicable"; the rule's ``effectif`` mode says how
an unknown agent count is treated. The motif is written for a mayor: the figures, their
source and year, in French formatting, and the reason in one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.fmt import is_missing, nombre
from odlab_compliance.ingest.agents.bands import BANDS, UNKNOWN
from odlab_compliance.model.obligation.registry import (
    EFFECTIF_HYPOTHESE,
    EFFECTIF_TEST_SINON_HYPOTHESE,
    Rule,
    get_rule,
)

_INT_INPUTS = frozenset({"population_totale", "population_municipale", "annee_population",
                         "agents_min", "agents_max", "agents_annee"})

OBLIGEE, NON_OBLIGEE, A_VERIFIER = vocab.OBLIGEE, vocab.NON_OBLIGEE, vocab.A_VERIFIER
OBLIGATIONS = vocab.OBLIGATIONS

# Columns read by evaluate(); absent ones count as empty (only ``type`` is required).
INPUT_COLUMNS = ("type", "statut_particulier", "population_totale", "population_municipale",
                 "annee_population", "agents_tranche", "agents_min", "agents_max",
                 "agents_annee", "agents_source", "agents_source_detail")
# Columns added by evaluate().
RESULT_COLUMNS = ("obligation", "motif", "proche_seuil", "proche_seuil_motif", "hypothese",
                  "regle")

# Test outcomes.
GE, LT, UNKNOWN_STATE, NOT_APPLICABLE = "ge", "lt", "unknown", "na"

# Wording per type for collectivités not subject to the population threshold.
_GROUP_WORDING = {
    "CC": ("communauté de communes", "toute intercommunalité"),
    "CA": ("communauté d'agglomération", "toute intercommunalité"),
    "CU": ("communauté urbaine", "toute intercommunalité"),
    "MET": ("métropole", "toute intercommunalité"),
    "EPT": ("établissement public territorial", "toute intercommunalité"),
    "DEP": ("département", "tout département"),
    "REG": ("région", "toute région"),
}
_ODF = "selon l'hypothèse de l'Observatoire, qui n'est pas la loi"
_BOTH = "il faut les deux conditions ({sp} habitants et {sa} agents), pas l'une ou l'autre"


@dataclass(frozen=True)
class Test:
    state: str          # GE | LT | UNKNOWN_STATE | NOT_APPLICABLE
    text: str           # the figure with its source, e.g. "12 345 habitants (population ...)"
    near: str = ""      # why it is near the threshold ("" when it is not)


@dataclass(frozen=True)
class Params:
    """A rule's parameters, read and pre-formatted once per evaluation (not per row)."""

    seuil_pop: int
    seuil_ag: int
    types_pop: frozenset[str]
    repli_municipale: bool
    mode: str
    pop_low: int
    pop_high: int
    near_bands: frozenset[str]
    marge_ag: int
    sp: str             # "3 500"
    sa: str             # "50"
    both: str           # the AND-not-OR reminder

    @classmethod
    def of(cls, rule: Rule) -> Params:
        seuil_pop, seuil_ag = int(rule["seuil_population"]), int(rule["seuil_agents"])
        margin = float(rule["marge_population"])
        sp, sa = nombre(seuil_pop), nombre(seuil_ag)
        return cls(seuil_pop=seuil_pop, seuil_ag=seuil_ag,
                   types_pop=frozenset(rule["types_test_population"]),
                   repli_municipale=bool(rule["population_repli_municipale"]),
                   mode=str(rule["effectif"]),
                   pop_low=round(seuil_pop * (1 - margin)),
                   pop_high=round(seuil_pop * (1 + margin)),
                   near_bands=frozenset(rule["tranches_proches"]),
                   marge_ag=int(rule["marge_agents"]), sp=sp, sa=sa,
                   both=_BOTH.format(sp=sp, sa=sa))


def _int(value: object) -> int | None:
    if value is None or type(value) is int:
        return value  # type: ignore[return-value]
    return None if is_missing(value) else int(value)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is not str and is_missing(value):
        return None
    text = str(value).strip()
    return text or None


def _year(value: object) -> str:
    """" 2023" (to follow a label), or "" when the year is unknown."""
    y = _int(value)
    return f" {y}" if y is not None else ""


def _with_year(label: str, year: str) -> str:
    """"tranche Sirene 22, 2023": the label, then the year when known."""
    return label + (f",{year}" if year else "")


def _band_source(code: str, year: str) -> str:
    return _with_year(f"tranche Sirene {code}", year)


def population_test(row: dict, p: Params) -> Test:
    kind = _text(row.get("type")) or ""
    if kind not in p.types_pop:
        noun, every = _GROUP_WORDING.get(kind, ("collectivité", "toute collectivité de ce type"))
        special = _text(row.get("statut_particulier"))
        if special:   # Métropole de Lyon, Corse...: named, and not "like any grouping"
            noun, every = special, "toute collectivité à statut particulier"
        pop = _int(row.get("population_totale"))
        if pop is None:   # départements and régions often only have the municipale
            pop = _int(row.get("population_municipale"))
        if pop is not None:
            return Test(NOT_APPLICABLE, f"{noun} de {nombre(pop)} habitants "
                                        f"(comme {every}, au-delà de {p.sp})")
        return Test(NOT_APPLICABLE, f"{noun} (comme {every}, au-delà de {p.sp} habitants)")
    totale = _int(row.get("population_totale"))
    municipale = _int(row.get("population_municipale"))
    annee = _year(row.get("annee_population"))
    if totale is not None:
        pop, source = totale, f"population totale{annee}, INSEE"
    elif municipale is not None and p.repli_municipale:
        pop, source = municipale, f"population municipale{annee}, INSEE, faute de population totale"
    else:
        return Test(UNKNOWN_STATE, "population inconnue")
    near = ""
    if p.pop_low <= pop <= p.pop_high:
        near = f"population entre {nombre(p.pop_low)} et {nombre(p.pop_high)} habitants"
    if totale is not None and municipale is not None and municipale < p.seuil_pop <= totale:
        near = (f"population municipale ({nombre(municipale)}) sous le seuil, "
                f"population totale ({nombre(totale)}) au-dessus")
    state = GE if pop >= p.seuil_pop else LT
    return Test(state, f"{nombre(pop)} habitants ({source})", near)


@cache
def _band_words(code: str) -> str:
    low, high = BANDS[code]
    if high is None:
        return f"{nombre(low)} salariés ou plus"
    if high == 0:
        return "aucun salarié"
    return f"{nombre(low)} à {nombre(high)} salariés"


def agents_test(row: dict, p: Params) -> Test:
    seuil = p.seuil_ag
    tranche = _text(row.get("agents_tranche"))
    low, high = _int(row.get("agents_min")), _int(row.get("agents_max"))
    annee = _year(row.get("agents_annee"))
    source = _text(row.get("agents_source"))
    if tranche is None and low is None and high is None:
        if source is None:
            return Test(UNKNOWN_STATE, "effectif inconnu (aucune donnée d'effectif chargée)")
        return Test(UNKNOWN_STATE, f"effectif inconnu ({_band_source('vide', annee)})")
    if tranche is None:
        # An exact count (a prefecture's own file): it overrides the Sirene band.
        who = "décompte de la préfecture" if source == "prefecture" else f"décompte {source or ''}".strip()
        detail = _text(row.get("agents_source_detail"))
        origin = _with_year(who, annee) + (
            f", {detail}" if detail and source == "prefecture" else "")
        if low is not None and high is not None and low == high:
            words = f"{nombre(low)} agent{'s' if low > 1 else ''}"
        else:
            words = f"{nombre(low, vide='?')} à {nombre(high, vide='?')} agents"
        state = GE if low is not None and low >= seuil else (
            LT if high is not None and high < seuil else UNKNOWN_STATE)
        near = ""
        if low is not None and low == high and abs(low - seuil) <= p.marge_ag:
            near = (f"effectif entre {nombre(seuil - p.marge_ag)} et "
                    f"{nombre(seuil + p.marge_ag)} agents")
        return Test(state, f"{words} ({origin})", near)
    if tranche == UNKNOWN:
        return Test(UNKNOWN_STATE, f"effectif inconnu ({_band_source(UNKNOWN, annee)})")
    if tranche not in BANDS:
        return Test(UNKNOWN_STATE, f"effectif inconnu (tranche Sirene « {tranche} » non reconnue)")
    b_low, b_high = BANDS[tranche]
    state = GE if b_low >= seuil else (LT if b_high is not None and b_high < seuil else UNKNOWN_STATE)
    near = ""
    if tranche in p.near_bands:
        near = f"tranche Sirene {tranche} ({_band_words(tranche)}), voisine du seuil de {p.sa}"
    return Test(state, f"{_band_words(tranche)} ({_band_source(tranche, annee)})", near)


def decide(row: dict, p: Params) -> tuple[str, str, bool, str, bool]:
    """(obligation, motif, proche_seuil, proche_seuil_motif, hypothese) for one row."""
    sp, sa, both, mode = p.sp, p.sa, p.both, p.mode
    pop = population_test(row, p)
    ag = agents_test(row, p)
    uses_agents = mode != EFFECTIF_HYPOTHESE
    near_reasons = [t.near for t in ((pop, ag) if uses_agents else (pop,)) if t.near]
    near = bool(near_reasons)
    near_text = " ; ".join(near_reasons)
    pop_ok = pop.text if pop.state == NOT_APPLICABLE else f"{pop.text} ≥ {sp}"

    if pop.state == LT:
        # Enough agents does not make up for too few inhabitants: say so (ET, not OU).
        extra = f", même avec {ag.text} ; {both}" if uses_agents and ag.state == GE else ""
        return (NON_OBLIGEE, f"Non obligée : {pop.text}, sous le seuil de {sp}{extra}.",
                near, near_text, False)
    if pop.state == UNKNOWN_STATE:
        if uses_agents and ag.state == LT:
            return (NON_OBLIGEE, f"Non obligée : {ag.text}, sous le seuil de {sa} "
                                 "(population inconnue).", near, near_text, False)
        extra = f" ; {ag.text}" if uses_agents else ""
        return (A_VERIFIER, f"À vérifier : population inconnue{extra}.", near, near_text, False)
    # Population at or above the threshold, or not applicable (groupings, DEP, REG).
    if mode == EFFECTIF_HYPOTHESE:
        return (OBLIGEE, f"Obligée {_ODF} : {pop_ok} ; effectif supposé d'au moins {sa} "
                         "agents, non vérifié.", near, near_text, True)
    if ag.state == GE:
        return (OBLIGEE, f"Obligée : {pop_ok} et {ag.text} ≥ {sa}.", near, near_text, False)
    if ag.state == LT:
        return (NON_OBLIGEE, f"Non obligée : {pop_ok}, mais {ag.text}, sous le seuil de "
                             f"{sa} ; {both}.", near, near_text, False)
    if mode == EFFECTIF_TEST_SINON_HYPOTHESE:
        return (OBLIGEE, f"Obligée {_ODF} : {pop_ok} ; {ag.text}, supposé d'au moins "
                         f"{sa} agents.", near, near_text, True)
    return (A_VERIFIER, f"À vérifier : {pop_ok}, mais {ag.text}.", near, near_text, False)


def _plain_values(s: pd.Series, integer: bool) -> list:
    """The column as Python values with None for a missing cell (cleaned once, vectorised,
    so the per-row code needs no NaN/NA checks)."""
    missing = s.isna().tolist()
    if integer:
        values = pd.to_numeric(s, errors="coerce").fillna(0).astype("int64").tolist()
        return [None if m else v for v, m in zip(values, missing, strict=True)]
    values = s.astype(object).where(~s.isna(), "").astype(str).str.strip().tolist()
    return [None if m or not v else v for v, m in zip(values, missing, strict=True)]


def evaluate(df: pd.DataFrame, rule: Rule | str) -> pd.DataFrame:
    """``df`` (one row per collectivité, columns of ``INPUT_COLUMNS``) plus the columns
    ``obligation``, ``motif``, ``proche_seuil``, ``proche_seuil_motif``, ``hypothese``
    and ``regle``. Pure: ``df`` is not modified."""
    rule = get_rule(rule) if isinstance(rule, str) else rule
    if "type" not in df.columns:
        raise ValueError("colonne « type » absente : impossible d'appliquer la règle")
    params = Params.of(rule)
    present = [c for c in INPUT_COLUMNS if c in df.columns]
    columns = [_plain_values(df[c], c in _INT_INPUTS) for c in present]
    results = [decide(dict(zip(present, values, strict=True)), params)
               for values in zip(*columns, strict=True)]
    out = df.copy()
    if results:
        obligation, motif, near, near_text, assumption = map(list, zip(*results, strict=True))
    else:
        obligation = motif = near = near_text = assumption = []
    out["obligation"] = pd.Series(obligation, index=df.index, dtype="str")
    out["motif"] = pd.Series(motif, index=df.index, dtype="str")
    out["proche_seuil"] = pd.Series(near, index=df.index, dtype="bool")
    out["proche_seuil_motif"] = pd.Series(near_text, index=df.index, dtype="str")
    out["hypothese"] = pd.Series(assumption, index=df.index, dtype="bool")
    out["regle"] = rule.id
    return out
