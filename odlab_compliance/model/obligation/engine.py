"""The obligation test: one pure function, ``evaluate(df, rule)``.

The law (CRPA art. L312-1-1 and D312-1-1-1; docs/obligation.md): a collectivité
territoriale is obliged when it has ≥ 3,500 inhabitants AND ≥ 50 agents; any other
administration (an EPCI, an EPT) when it has ≥ 50 agents. Each row is judged on two
tests, each giving "at or above", "below", "unknown" or (population of a grouping,
département, région) "not applicable"; the rule's ``effectif`` mode says how an unknown
agent count is treated. The motif is written for a mayor: the figures, their source and
millésime, in French formatting, and the reason in one sentence.

Populations (see ingest/reference/populations.py): the pair (population_totale,
population_municipale) is of ONE millésime, ``annee_population``; ``population_municipale_
autre`` is the municipale of another millésime (``annee_population_autre``); the millésime
in force in the vintage's year is ``annee_population_vigueur``. When the pair is older than
the millésime in force and the other municipale is of that millésime, the newest
municipale is a floor of the totale (a totale is at least its municipale): at or above
3,500 it passes whatever the totale; under it, the older totale decides, and when that
older totale is at or above 3,500 the answer is "à vérifier" (the totale in force is not
known). Two millésimes are never combined into one figure.
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
    as_rule,
)

_INT_INPUTS = frozenset({"population_totale", "population_municipale", "annee_population",
                         "population_municipale_autre", "annee_population_autre",
                         "annee_population_vigueur", "agents_min", "agents_max",
                         "agents_annee"})

OBLIGEE, NON_OBLIGEE, A_VERIFIER = vocab.OBLIGEE, vocab.NON_OBLIGEE, vocab.A_VERIFIER
OBLIGATIONS = vocab.OBLIGATIONS

# Columns read by evaluate(); absent ones count as empty (only ``type`` is required).
INPUT_COLUMNS = ("type", "statut_particulier", "population_totale", "population_municipale",
                 "annee_population", "population_municipale_autre", "annee_population_autre",
                 "annee_population_vigueur", "agents_tranche", "agents_min", "agents_max",
                 "agents_annee", "agents_source", "agents_source_detail")
# Columns added by evaluate().
RESULT_COLUMNS = ("obligation", "motif", "proche_seuil", "proche_seuil_motif", "hypothese",
                  "regle")

# Test outcomes.
GE, LT, UNKNOWN_STATE, NOT_APPLICABLE = "ge", "lt", "unknown", "na"

# Collectivités not tested on their population. Intercommunalities (EPCI, EPT) are not
# collectivités territoriales: the 3,500-inhabitant exemption does not concern them, only
# the 50-agent one does. Départements and régions are collectivités territoriales, all far
# above 3,500 inhabitants.
_INTERCO = vocab.EPCI_TYPES
# « la communauté de communes », « le département »: the type's label, in a sentence.
_GROUP_NOUN = {c: t.label.lower() for c, t in vocab.TYPE.items() if c != vocab.TYPE_COM}
_EVERY = {vocab.TYPE_DEP: "tout département", vocab.TYPE_REG: "toute région"}
_NOT_COLTER = ("le seuil de {sp} habitants ne vise que les collectivités territoriales, pas "
               "les intercommunalités")
_SALARIES = "effectif salarié, pas en équivalent temps plein"
_ODF = "selon l'hypothèse de l'Observatoire, qui n'est pas la loi"
_BOTH = "il faut les deux conditions ({sp} habitants et {sa} agents), pas l'une ou l'autre"


@dataclass(frozen=True)
class Test:
    state: str          # GE | LT | UNKNOWN_STATE | NOT_APPLICABLE
    text: str           # the figure with its source, e.g. "12 345 habitants (population ...)"
    near: str = ""      # why it is near the threshold ("" when it is not)
    doubtful: bool = False   # a known figure too improbable to conclude on (band 00/01)


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
    doubtful_bands: frozenset[str]
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
                   doubtful_bands=frozenset(rule["tranches_improbables"]),
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


def _not_applicable(row: dict, kind: str, p: Params) -> Test:
    """Groupings, départements, régions: not tested on population; say why, with the
    figure and its millésime."""
    noun = _GROUP_NOUN.get(kind, "collectivité")
    special = _text(row.get("statut_particulier"))
    pop = _int(row.get("population_totale"))
    measure = "population totale"
    if pop is None:   # départements and régions: a sum of municipales
        pop, measure = _int(row.get("population_municipale")), "population municipale"
    year = _year(row.get("annee_population"))
    if kind in (vocab.TYPE_DEP, vocab.TYPE_REG) and measure == "population municipale":
        measure += f"{year}, somme de ses communes"
    else:
        measure += year
    figure = f" de {nombre(pop)} habitants ({measure})" if pop is not None else ""
    if special:   # Métropole de Lyon, Corse...: named, and not "like any grouping"
        like = "" if "statut particulier" in special \
            else " comme toute collectivité à statut particulier"
        return Test(NOT_APPLICABLE, f"{special}{figure}, au-delà de {p.sp} habitants{like}")
    if kind in _INTERCO:
        return Test(NOT_APPLICABLE, f"{noun}{figure} : {_NOT_COLTER.format(sp=p.sp)}")
    every = _EVERY.get(kind, "toute collectivité de ce type")
    return Test(NOT_APPLICABLE, f"{noun}{figure}, au-delà de {p.sp} habitants comme {every}")


def _near_population(figures: list[tuple[int, str]], p: Params) -> str:
    """Why the population is near the threshold: a figure within the margin, or figures
    (measures or millésimes) on both sides of it; "" when none."""
    reasons = []
    if any(p.pop_low <= v <= p.pop_high for v, _ in figures):
        reasons.append(f"population entre {nombre(p.pop_low)} et {nombre(p.pop_high)} "
                       "habitants")
    above = [w for v, w in figures if v >= p.seuil_pop]
    below = [w for v, w in figures if v < p.seuil_pop]
    if above and below:
        reasons.append(f"{', '.join(below)} sous le seuil, {', '.join(above)} au-dessus")
    return " ; ".join(reasons)


def population_test(row: dict, p: Params) -> Test:
    kind = _text(row.get("type")) or ""
    if kind not in p.types_pop:
        return _not_applicable(row, kind, p)
    totale = _int(row.get("population_totale"))
    municipale = _int(row.get("population_municipale"))
    year = _int(row.get("annee_population"))
    autre = _int(row.get("population_municipale_autre"))
    year_autre = _int(row.get("annee_population_autre")) if autre is not None else None
    in_force = _int(row.get("annee_population_vigueur"))
    y, ya = _year(year), _year(year_autre)
    figures = [(v, f"{w} ({nombre(v)})") for v, w in (
        (totale, f"population totale{y}"), (municipale, f"population municipale{y}"),
        (autre, f"population municipale{ya}")) if v is not None]
    near = _near_population(figures, p)
    pair_in_force = in_force is None or year == in_force
    if not pair_in_force and year_autre is not None and year_autre == in_force:
        # The newest municipale is of the millésime in force, the pair is older.
        if autre >= p.seuil_pop:
            return Test(GE, f"{nombre(autre)} habitants (population municipale{ya}, INSEE ; "
                            f"la population totale{ya}, au moins égale, n'est pas dans les "
                            "fichiers chargés)", near)
        if totale is not None and totale >= p.seuil_pop:
            return Test(UNKNOWN_STATE, f"population municipale{ya} de {nombre(autre)} "
                                       f"habitants, sous {p.sp}, mais population totale{y} de "
                                       f"{nombre(totale)} habitants : la population totale"
                                       f"{ya}, celle qui compte, n'est pas dans les fichiers "
                                       "chargés", near)
        if totale is not None:
            return Test(LT, f"{nombre(totale)} habitants (population totale{y}, INSEE ; "
                            f"population municipale{ya} : {nombre(autre)})", near)
        if p.repli_municipale:
            return Test(LT, f"{nombre(autre)} habitants (population municipale{ya}, Insee, "
                            "faute de population totale)", near)
        return Test(UNKNOWN_STATE, "population totale inconnue", near)
    if totale is not None:
        pop, source = totale, f"population totale{y}, INSEE"
    elif municipale is not None and p.repli_municipale:
        pop, source = municipale, f"population municipale{y}, INSEE, faute de population totale"
    else:
        return Test(UNKNOWN_STATE, "population inconnue", near)
    if not pair_in_force:
        source += f" ; le millésime {in_force}, en vigueur, n'est pas chargé"
    state = GE if pop >= p.seuil_pop else LT
    if autre is not None and year_autre is not None and year is not None \
            and year_autre > year and (autre >= p.seuil_pop) != (state == GE):
        source += (f" ; millésime suivant ({year_autre}, en vigueur au 1er janvier "
                   f"{year_autre + 3}) : {nombre(autre)} habitants en population municipale")
    return Test(state, f"{nombre(pop)} habitants ({source})", near)


@cache
def _band_words(code: str) -> str:
    low, high = BANDS[code]
    if high is None:
        return f"{nombre(low)} salariés ou plus"
    if high == 0:
        return "aucun salarié déclaré"
    return f"{nombre(low)} à {nombre(high)} salariés"


def band_text(code: str, year: str) -> str:
    """« 50 à 99 salariés (tranche Sirene 21, 2023 : effectif salarié, pas en équivalent
    temps plein) »."""
    return f"{_band_words(code)} ({_band_source(code, year)} : {_SALARIES})"


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
    return Test(state, band_text(tranche, annee), near, doubtful=tranche in p.doubtful_bands)


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
        if uses_agents and ag.state == LT and not ag.doubtful:
            return (NON_OBLIGEE, f"Non obligée : {ag.text}, sous le seuil de {sa} "
                                 f"({pop.text}).", near, near_text, False)
        extra = f" ; {ag.text}" if uses_agents else ""
        return (A_VERIFIER, f"À vérifier : {pop.text}{extra}.", near, near_text, False)
    # Population at or above the threshold, or not applicable (groupings, DEP, REG).
    if mode == EFFECTIF_HYPOTHESE:
        return (OBLIGEE, f"Obligée {_ODF} : {pop_ok} ; effectif supposé d'au moins {sa} "
                         "agents, non vérifié.", near, near_text, True)
    if ag.doubtful:
        # A band of 0 to 2 salariés for 3,500 inhabitants or more is more likely a gap in
        # Sirene than a fact: neither a presumption nor a conclusion, a check.
        return (A_VERIFIER, f"À vérifier : {pop_ok}, mais {ag.text}, improbable pour une "
                            "collectivité de cette taille : un décompte de la préfecture ou "
                            "de la collectivité tranchera.", near, near_text, False)
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
    rule = as_rule(rule)
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


def threshold_states(df: pd.DataFrame, rule: Rule | str) -> pd.DataFrame:
    """Per row, the outcome of each test under ``rule`` (``GE``, ``LT``, ``UNKNOWN_STATE``
    or ``NOT_APPLICABLE``): columns ``population`` and ``effectif``. Pure; for comparing
    two vintages (who crossed a threshold) without parsing motifs."""
    rule = as_rule(rule)
    params = Params.of(rule)
    present = [c for c in INPUT_COLUMNS if c in df.columns]
    columns = [_plain_values(df[c], c in _INT_INPUTS) for c in present]
    rows = [dict(zip(present, values, strict=True)) for values in zip(*columns, strict=True)]
    return pd.DataFrame({"population": [population_test(r, params).state for r in rows],
                         "effectif": [agents_test(r, params).state for r in rows]},
                        index=df.index, dtype="object")
