"""The watch list: collectivités near a threshold, why, and what would change their answer.

A collectivité is on the watch list (``vocab.VEILLE``) when:

- ``population_proche``: one of its population figures (municipale or totale, of any
  loaded millésime) is within the rule's margin around 3,500 (3,150 to 3,850);
- ``mesures_divergentes``: those figures lie on both sides of 3,500 (two measures, or two
  millésimes);
- ``tranche_proche``: its Sirene band is 12 (20 to 49 salariés) or 21 (50 to 99);
- ``decompte_proche``: its exact count (a prefecture's) is within 10 of 50.

Thresholds and margins come from the rules registry (``legal``). ``crossings`` compares two
obligation tables (two vintages) and lists who crossed a threshold. Pure functions:
DataFrames in, DataFrames out.
"""

from __future__ import annotations

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.fmt import nombre
from odlab_compliance.model.obligation import engine
from odlab_compliance.model.obligation.registry import Rule, as_rule

RULE = "legal"
FIGURES = (("population_totale", "annee_population", "population totale"),
           ("population_municipale", "annee_population", "population municipale"),
           ("population_municipale_autre", "annee_population_autre", "population municipale"))
COLUMNS = ["siren", "code_insee", "nom", "type", "departement", "region", "epci_siren",
           "obligation", "population_totale", "population_municipale", "annee_population",
           "population_municipale_autre", "annee_population_autre", "agents_tranche",
           "agents_min", "agents_max", "agents_annee", "agents_source", "veille",
           "veille_libelle", "ce_qui_changerait", "motif"]


def _num(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        return pd.Series(float("nan"), index=df.index)
    return pd.to_numeric(df[column], errors="coerce")


def reasons(df: pd.DataFrame, rule: Rule | str = RULE) -> pd.DataFrame:
    """One boolean column per ``vocab.VEILLES`` code, aligned with ``df``."""
    rule = as_rule(rule)
    seuil = int(rule["seuil_population"])
    margin = float(rule["marge_population"])
    low, high = round(seuil * (1 - margin)), round(seuil * (1 + margin))
    tested = df["type"].isin(list(rule["types_test_population"])).fillna(False) \
        if "type" in df.columns else pd.Series(False, index=df.index)
    values = [_num(df, col) for col, _, _ in FIGURES]
    near = pd.concat([(v >= low) & (v <= high) for v in values], axis=1).any(axis=1)
    above = pd.concat([v >= seuil for v in values], axis=1).any(axis=1)
    below = pd.concat([v < seuil for v in values], axis=1).any(axis=1)
    band = df["agents_tranche"].astype("object") if "agents_tranche" in df.columns \
        else pd.Series(None, index=df.index, dtype="object")
    low_n, high_n = _num(df, "agents_min"), _num(df, "agents_max")
    sa, marge = int(rule["seuil_agents"]), int(rule["marge_agents"])
    exact = band.isna() & low_n.notna() & low_n.eq(high_n)
    out = pd.DataFrame({
        vocab.VEILLE_POPULATION: tested & near,
        vocab.VEILLE_MILLESIMES: tested & above & below,
        vocab.VEILLE_TRANCHE: band.isin(list(rule["tranches_proches"])),
        vocab.VEILLE_DECOMPTE: exact & (low_n - sa).abs().le(marge),
    }, index=df.index)
    return out.fillna(False).astype(bool)


def _year(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def what_would_change(row: pd.Series, codes: list[str]) -> str:
    """French: what would change this collectivité's answer, one clause per reason."""
    parts = []
    year, autre = _year(row.get("annee_population")), _year(row.get("annee_population_autre"))
    vigueur = _year(row.get("annee_population_vigueur"))
    newest = max(y for y in (year, autre, vigueur, 0) if y is not None)
    if vocab.VEILLE_MILLESIMES in codes:
        if autre is not None and year is not None and autre > year \
                and (vigueur is None or autre <= vigueur):
            parts.append(f"la population totale {autre} (fichier des populations légales de "
                         "l'Insee), que les fichiers chargés ne donnent pas")
        elif autre is not None and vigueur is not None and autre > vigueur:
            parts.append(f"le millésime {autre} des populations légales, en vigueur au "
                         f"1er janvier {autre + 3}")
        else:
            parts.append("la population totale du millésime en vigueur, qui tranche entre "
                         "les deux mesures")
    if vocab.VEILLE_POPULATION in codes and newest:
        nxt = newest + 1
        parts.append(f"le millésime {nxt} des populations légales (publié fin décembre "
                     f"{nxt + 2}, en vigueur au 1er janvier {nxt + 3})")
    if vocab.VEILLE_TRANCHE in codes:
        parts.append("un décompte exact des agents en équivalents temps plein, par la "
                     "collectivité ou la préfecture (la tranche compte des salariés)")
    if vocab.VEILLE_DECOMPTE in codes:
        next_year = _year(row.get("agents_annee"))
        parts.append(f"le décompte {next_year + 1} de la préfecture" if next_year
                     else "un nouveau décompte de la préfecture")
    return " ; ".join(parts)


def watch_list(df: pd.DataFrame, rule: Rule | str = RULE) -> pd.DataFrame:
    """The rows of ``df`` on the watch list, with ``veille`` (codes), ``veille_libelle``
    and ``ce_qui_changerait`` (French), in ``COLUMNS`` order (those present)."""
    flags = reasons(df, rule)
    on = flags.any(axis=1)
    part = df[on].copy()
    codes = [[c for c in vocab.VEILLES if flags.at[i, c]] for i in part.index]
    part["veille"] = [" ".join(c) for c in codes]
    part["veille_libelle"] = [" ; ".join(vocab.VEILLE[c].label for c in cs) for cs in codes]
    part["ce_qui_changerait"] = [what_would_change(part.loc[i], cs)
                                 for i, cs in zip(part.index, codes, strict=True)]
    cols = [c for c in COLUMNS if c in part.columns]
    return part[cols].reset_index(drop=True)


def on_watch_list(df: pd.DataFrame, rule: Rule | str = RULE,
                  only: list[str] | None = None) -> pd.Series:
    """Boolean mask of ``df``'s rows on the watch list (for ``only`` reasons, if given)."""
    flags = reasons(df, rule)
    if only:
        flags = flags[[c for c in only if c in flags.columns]]
    return flags.any(axis=1)


def _side_text(row: pd.Series) -> str:
    for col, year_col, words in FIGURES:
        value = row.get(col)
        if value is not None and not pd.isna(value):
            year = row.get(year_col)
            year_text = "" if year is None or pd.isna(year) else f" {int(year)}"
            return f"{nombre(value)} habitants ({words}{year_text})"
    return "population inconnue"


def crossings(before: pd.DataFrame, after: pd.DataFrame,
              rule: Rule | str = RULE) -> pd.DataFrame:
    """Collectivités (by SIREN) whose population or agent test changed side between two
    obligation tables (e.g. two vintages): ``siren``, ``seuil`` (« habitants » or
    « agents »), ``seuil_franchi`` (French: before → after)."""
    rule = as_rule(rule)
    cols = ["siren", "seuil", "seuil_franchi"]
    if before.empty or after.empty:
        return pd.DataFrame(columns=cols)
    old = before.dropna(subset=["siren"]).drop_duplicates("siren").set_index("siren")
    new = after.dropna(subset=["siren"]).drop_duplicates("siren").set_index("siren")
    common = old.index.intersection(new.index)
    old, new = old.loc[common], new.loc[common]
    # Only a row whose test inputs differ can change side: the tests (thousands of
    # French texts) run on those alone, so two snapshots of one vintage cost nothing.
    inputs = [c for c in engine.INPUT_COLUMNS if c in old.columns or c in new.columns]
    o = old.reindex(columns=inputs).astype(object)
    n = new.reindex(columns=inputs).astype(object)
    same = (o.eq(n) | (o.isna() & n.isna())).all(axis=1)
    old, new = old[~same], new[~same]
    tests_old, tests_new = engine.threshold_states(old, rule), engine.threshold_states(new, rule)
    decided = [engine.GE, engine.LT]

    def crossed(col: str) -> pd.Series:
        a, b = tests_old[col], tests_new[col]
        return a.isin(decided) & b.isin(decided) & a.ne(b)

    pop, agents = crossed("population"), crossed("effectif")
    rows = []
    seuil_p, seuil_a = int(rule["seuil_population"]), int(rule["seuil_agents"])
    for siren in old.index[pop | agents]:
        if pop[siren]:
            way = "au-dessus" if tests_new.at[siren, "population"] == engine.GE else "en dessous"
            rows.append({"siren": siren, "seuil": "habitants", "seuil_franchi": (
                f"{_side_text(old.loc[siren])} → "
                f"{_side_text(new.loc[siren])} : passe {way} de "
                f"{nombre(seuil_p)} habitants")})
        if agents[siren]:
            way = "au moins" if tests_new.at[siren, "effectif"] == engine.GE else "moins de"
            rows.append({"siren": siren, "seuil": "agents", "seuil_franchi": (
                f"effectif : passe à {way} {nombre(seuil_a)} agents")})
    return pd.DataFrame(rows, columns=cols)
