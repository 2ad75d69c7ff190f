"""The figures the Méthode page quotes, computed from the data (never typed in the text).

``facts`` takes the obligation tables of one vintage (one per rule) and the reference
loads (``ref_load`` rows, with the population millésimes) and returns plain values;
``population_files`` and ``per_rule`` shape them as tables. Pure functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.analysis import watchlist
from odlab_compliance.model import coverage
from odlab_compliance.model.figures import figures

FIGURES = ("population_totale", "population_municipale", "population_municipale_autre")


@dataclass
class Facts:
    vintage: int
    en_vigueur: int | None
    communes: int
    entre_mesures: int            # municipale < 3,500 ≤ totale, one millésime
    de_part_et_d_autre: int       # any two figures (measures or millésimes) on both sides
    totale_en_vigueur_manquante: int   # municipale in force < 3,500 ≤ an older totale
    proche_seuil: int             # legal rule
    veille: dict[str, int]        # per vocab.VEILLE code
    obligees: dict[str, int]      # per rule
    a_verifier: dict[str, int]
    presumees: int                # law with missing counts presumed
    candidats: int
    effectifs_connus: int
    couverture_effectifs: float | None
    default_rule: str
    files: list[dict] = field(default_factory=list)


def populations_of(loads: pd.DataFrame, vintage: int) -> dict:
    """The ``ref_load.populations`` JSON of ``vintage`` ({} when absent)."""
    if loads.empty or "populations" not in loads.columns:
        return {}
    row = loads[loads["vintage"].eq(vintage)]
    text = row["populations"].iloc[0] if len(row) else None
    return json.loads(text) if isinstance(text, str) and text else {}


def facts(tables: dict[str, pd.DataFrame], loads: pd.DataFrame, vintage: int) -> Facts:
    """``tables``: rule id -> ``obligations(con, vintage, rule)``."""
    legal = tables[coverage.RULE_LAW]
    com = legal[legal["type"].eq(vocab.TYPE_COM)]
    seuil = 3500
    pair = (pd.to_numeric(com["population_municipale"]) < seuil) & \
        (pd.to_numeric(com["population_totale"]) >= seuil)
    values = com[list(FIGURES)].apply(pd.to_numeric)
    straddle = (values >= seuil).any(axis=1) & (values < seuil).any(axis=1)
    in_force = pd.to_numeric(com["annee_population_vigueur"])
    undecided = (pd.to_numeric(com["annee_population_autre"]).eq(in_force)
                 & pd.to_numeric(com["annee_population"]).ne(in_force)
                 & (values["population_municipale_autre"] < seuil)
                 & (values["population_totale"] >= seuil))
    flags = watchlist.reasons(legal)
    presumed = figures(tables.get(coverage.RULE_LAW_PRESUMED, legal))
    f = figures(legal)
    pops = populations_of(loads, vintage)
    return Facts(
        vintage=vintage, en_vigueur=pops.get("en_vigueur"), communes=len(com),
        entre_mesures=int(pair.fillna(False).sum()),
        de_part_et_d_autre=int(straddle.sum()),
        totale_en_vigueur_manquante=int(undecided.fillna(False).sum()),
        proche_seuil=int(legal["proche_seuil"].sum()),
        veille={c: int(flags[c].sum()) for c in vocab.VEILLES},
        obligees={r: int(t["obligation"].eq(vocab.OBLIGEE).sum()) for r, t in tables.items()},
        a_verifier={r: int(t["obligation"].eq(vocab.A_VERIFIER).sum())
                    for r, t in tables.items()},
        presumees=presumed.presumees, candidats=f.candidats,
        effectifs_connus=f.effectifs_connus, couverture_effectifs=f.couverture_effectifs,
        default_rule=coverage.default_rule(f.couverture_effectifs),
        files=pops.get("fichiers", []))


def population_files(loads: pd.DataFrame) -> pd.DataFrame:
    """One row per loaded vintage and population file: its millésime and the proof."""
    def year(value: object) -> str:   # a year is a label, not a quantity: no « 2 026 »
        return "" if value is None else str(value)

    rows = []
    for vintage in sorted(loads["vintage"].tolist() if not loads.empty else [], reverse=True):
        pops = populations_of(loads, vintage)
        for f in pops.get("fichiers", []):
            rows.append({"Référentiel": year(vintage), "En vigueur": year(pops.get("en_vigueur")),
                         "Fichier": f["fichier"][:1].upper() + f["fichier"][1:],
                         "Millésime établi": year(f.get("millesime")) or "non établi",
                         "Millésime annoncé": year(f.get("millesime_declare")),
                         "Preuve": f.get("preuve")})
    return pd.DataFrame(rows, columns=["Référentiel", "En vigueur", "Fichier",
                                       "Millésime établi", "Millésime annoncé", "Preuve"])


def per_rule(f: Facts, labels: dict[str, str]) -> pd.DataFrame:
    """Obliged and to-check counts per rule, in the registry's order."""
    return pd.DataFrame([{"Règle": labels.get(r, r), "Obligées": n,
                          "À vérifier": f.a_verifier.get(r, 0)}
                         for r, n in f.obligees.items()])
