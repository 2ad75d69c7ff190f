"""The reference side of the matching: the collectivités of one vintage, indexed by SIREN
and by core name, with what the reference's own history says about predecessors.

- ``successions``: a SIREN of another loaded vintage that is gone from this one, mapped to
  its successor: a merged commune to the commune nouvelle (same code, or its code listed
  as a commune déléguée/associée or a former code), a merged intercommunality to the one
  that now holds most of its former communes' population, a département or région to the
  collectivité exerting its powers.
- ``aliases``: other names that designate a collectivité of this vintage: the names of
  the territories a collectivité à statut particulier governs (« Bas-Rhin » → Collectivité
  européenne d'Alsace), the names of communes déléguées and associées and of merged
  communes (→ the commune nouvelle), an intercommunality's former name.

Built once per vintage (a few seconds for France) and reused for every publisher.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.config import PROJECT_ROOT
from odlab_compliance.db import facts
from odlab_compliance.ingest.matching.names import (
    EPCI_TYPES,
    initials,
    normalize_name,
    reference_core,
)

# How an alias designates its collectivité (kept in the match's method).
ALIAS_TERRITORY, ALIAS_FORMER, ALIAS_BRAND = "territoire", "ancien_nom", "nom_usage"
# The names régions and départements use for themselves besides their official one
# (« Région Sud » for Provence-Alpes-Côte d'Azur), kept as data with where each comes from.
BRANDS_PATH = PROJECT_ROOT / "reference" / "noms_usage.csv"


@dataclass(frozen=True)
class Alias:
    row: dict
    how: str                      # ALIAS_TERRITORY | ALIAS_FORMER | ALIAS_BRAND
    types: frozenset[str]         # types a type hint may name for it ("DEP" for Bas-Rhin)
    text: str                     # the alias as written, for the evidence sentence


@dataclass
class MatchReference:
    vintage: int | None
    by_siren: dict[str, dict]
    by_core: dict[str, list[dict]]
    aliases: dict[str, list[Alias]] = field(default_factory=dict)
    successions: dict[str, tuple[str, str]] = field(default_factory=dict)
    former: dict[str, dict] = field(default_factory=dict)      # old SIREN -> its old row
    dep_names: dict[str, str] = field(default_factory=dict)    # normalised name -> code
    reg_names: dict[str, str] = field(default_factory=dict)
    dep_region: dict[str, str] = field(default_factory=dict)   # département -> région code
    governing: dict[tuple[str, str], dict] = field(default_factory=dict)  # (DEP|REG, code)
    legal: dict[str, str] = field(default_factory=dict)        # SIREN -> legal category
    aliases_of: dict[str, list[Alias]] = field(default_factory=dict)   # SIREN -> aliases
    acronyms: dict[str, list[dict]] = field(default_factory=dict)    # "mel" -> rows
    cores: list[str] = field(default_factory=list)             # every core, for rapidfuzz
    by_token: dict[str, list[str]] = field(default_factory=dict)

    def known_siren(self, siren: str) -> bool:
        return siren in self.by_siren or siren in self.successions or siren in self.former


def _text(v: object) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    s = str(v).strip()
    return s or None


def _rows(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None or frame.empty:
        return []
    return frame.to_dict("records")


def build_reference(collectivites: pd.DataFrame, *, history: pd.DataFrame | None = None,
                    anciennes: pd.DataFrame | None = None,
                    territoires: pd.DataFrame | None = None,
                    legal: dict[str, str] | None = None,
                    vintage: int | None = None) -> MatchReference:
    """Index ``collectivites`` (one vintage: siren, nom, type, code_insee, departement,
    region, epci_siren, population_totale) for matching.

    ``history``: the collectivités of the other loaded vintages (same columns + vintage,
    ept_siren); ``anciennes``: ``ref_commune_ancienne`` rows of every vintage;
    ``territoires``: ``ref_territoire`` rows of this vintage; ``legal``: SIREN -> INSEE
    legal category. Each is optional: without it, the matching knows less, nothing more.
    """
    by_siren: dict[str, dict] = {}
    by_core: dict[str, list[dict]] = defaultdict(list)
    by_code: dict[tuple[str, str], dict] = {}
    for row in _rows(collectivites):
        siren = _text(row.get("siren"))
        if not siren:
            continue
        row = {**row, "siren": siren, "core": reference_core(row.get("nom"), row.get("type"))}
        by_siren[siren] = row
        by_code[(str(row.get("type")), str(row.get("code_insee")))] = row
        if row["core"]:
            by_core[row["core"]].append(row)
    ref = MatchReference(vintage, by_siren, dict(by_core), legal=dict(legal or {}))
    _territories(ref, territoires, by_code)
    _brands(ref, by_code)
    _history(ref, history, anciennes, by_code)
    ref.cores = sorted(set(ref.by_core) | set(ref.aliases))
    acronyms: dict[str, list[dict]] = defaultdict(list)
    for r in ref.by_siren.values():
        if r.get("type") == vocab.TYPE_COM:
            continue
        for form in {initials(r.get("nom")), initials(_expanded(str(r.get("nom") or "")))}:
            if len(form) >= 3:
                acronyms[form].append(r)
    ref.acronyms = dict(acronyms)
    tokens: dict[str, list[str]] = defaultdict(list)
    for core in ref.cores:
        for tok in set(core.split()):
            if len(tok) >= 3:
                tokens[tok].append(core)
    ref.by_token = dict(tokens)
    return ref


_EXPAND = {"ca": "communaute d agglomeration", "cc": "communaute de communes",
           "cu": "communaute urbaine"}


def _expanded(nom: str) -> str:
    """"CA Valenciennes Métropole" -> "communaute d agglomeration valenciennes metropole"
    (acronyms people use spell the type out: CAVM, CCLO)."""
    words = normalize_name(nom).split()
    if words and words[0] in _EXPAND:
        words = [_EXPAND[words[0]], *words[1:]]
    return " ".join(words)


def _add_alias(ref: MatchReference, text: str, alias: Alias) -> None:
    core = reference_core(text, vocab.TYPE_COM if alias.types == {vocab.TYPE_COM} else "")
    if not core or core == alias.row["core"]:
        return
    same = ref.aliases.setdefault(core, [])
    if all(a.row["siren"] != alias.row["siren"] for a in same):
        same.append(alias)
        ref.aliases_of.setdefault(alias.row["siren"], []).append(alias)


def _brands(ref: MatchReference, by_code: dict[tuple[str, str], dict]) -> None:
    """The names of usage (``reference/noms_usage.csv``) of the collectivités present."""
    with open(BRANDS_PATH, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            row = by_code.get((r["type"].strip(), r["code"].strip()))
            if row is not None:
                _add_alias(ref, r["nom"], Alias(row, ALIAS_BRAND, frozenset({str(row["type"])}),
                                                r["nom"]))


def _territories(ref: MatchReference, territoires: pd.DataFrame | None,
                 by_code: dict[tuple[str, str], dict]) -> None:
    """Territory names (for evidence) and the collectivité governing each territory."""
    rows = _rows(territoires)
    if not rows:   # fall back on the collectivités themselves
        for r in ref.by_siren.values():
            if r.get("type") == vocab.TYPE_DEP and _text(r.get("departement")):
                ref.dep_names[normalize_name(r["nom"])] = str(r["departement"])
            if r.get("type") == vocab.TYPE_REG and _text(r.get("region")):
                ref.reg_names[normalize_name(r["nom"])] = str(r["region"])
        return
    for t in rows:
        niveau, code, nom = str(t["niveau"]), str(t["code"]), str(t["nom"])
        norm = normalize_name(nom)
        if niveau == "DEP":
            ref.dep_names[norm] = code
            if _text(t.get("region")):
                ref.dep_region[code] = str(t["region"])
        else:
            ref.reg_names[norm] = code
        gov = by_code.get((str(t.get("collectivite_type") or niveau),
                           str(t.get("collectivite_code") or code)))
        if gov is None:
            continue
        ref.governing[(niveau, code)] = gov
        _add_alias(ref, nom, Alias(gov, ALIAS_TERRITORY, frozenset({niveau, gov["type"]}), nom))


def _history(ref: MatchReference, history: pd.DataFrame | None,
             anciennes: pd.DataFrame | None, by_code: dict[tuple[str, str], dict]) -> None:
    """Successions and former names from the other vintages and the former communes."""
    communes = {code: r for (t, code), r in by_code.items() if t == vocab.TYPE_COM}
    former_of: dict[str, str] = {}   # former commune code -> current commune code (this vintage)
    for a in _rows(anciennes):
        if ref.vintage is not None and int(a["vintage"]) != ref.vintage:
            continue
        former_of.setdefault(str(a["code"]), str(a["commune"]))
        target = communes.get(str(a["commune"]))
        if target is not None and _text(a.get("nom")):
            _add_alias(ref, str(a["nom"]), Alias(target, ALIAS_FORMER, frozenset({vocab.TYPE_COM}),
                                                 str(a["nom"])))

    def commune_now(code: str) -> dict | None:
        return communes.get(code) or communes.get(former_of.get(code, ""))

    hist = _rows(history)
    by_vintage: dict[int, list[dict]] = defaultdict(list)
    for r in hist:
        # predecessors only: an older vintage's SIRENs, read in this one
        if ref.vintage is not None and int(r["vintage"]) >= ref.vintage:
            continue
        by_vintage[int(r["vintage"])].append(r)
    # newest other vintage last: its rows win when a SIREN is in several
    for vintage in sorted(by_vintage):
        rows = by_vintage[vintage]
        members: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            if r.get("type") == vocab.TYPE_COM:
                for col in ("epci_siren", "ept_siren"):
                    if _text(r.get(col)):
                        members[str(r[col])].append(r)
        for r in rows:
            siren = _text(r.get("siren"))
            if not siren:
                continue
            if siren in ref.by_siren:
                # same body, another name in that vintage (a renamed intercommunality)
                now = ref.by_siren[siren]
                _add_alias(ref, str(r["nom"]), Alias(now, ALIAS_FORMER,
                                                     frozenset({str(now["type"])}), str(r["nom"])))
                continue
            succ, why = _successor(r, vintage, commune_now, members, by_code, ref)
            ref.former[siren] = {**r, "core": reference_core(r.get("nom"), r.get("type"))}
            if succ is None or succ["siren"] == siren:
                continue
            ref.successions[siren] = (succ["siren"], why)
            _add_alias(ref, str(r["nom"]), Alias(succ, ALIAS_FORMER,
                                                 frozenset({str(r["type"]), str(succ["type"])}),
                                                 str(r["nom"])))


def _successor(r: dict, vintage: int, commune_now: object, members: dict[str, list[dict]],
               by_code: dict[tuple[str, str], dict], ref: MatchReference
               ) -> tuple[dict | None, str]:
    kind, code, nom = str(r.get("type")), str(r.get("code_insee")), str(r.get("nom"))
    if kind == vocab.TYPE_COM:
        now = commune_now(code)  # type: ignore[operator]
        if now is None:
            return None, ""
        return now, (f"la commune {nom} ({code}, référentiel {vintage}) fait partie de "
                     f"{now['nom']} ({now['code_insee']})")
    if kind in EPCI_TYPES:
        weights: dict[str, float] = defaultdict(float)
        total = 0.0
        col = "ept_siren" if kind == vocab.TYPE_EPT else "epci_siren"
        for m in members.get(str(r["siren"]), []):
            pop = m.get("population_totale")
            w = float(pop) if pop is not None and not pd.isna(pop) and float(pop) > 0 else 1.0
            total += w
            now = commune_now(str(m["code_insee"]))  # type: ignore[operator]
            if now is not None and _text(now.get(col)):
                weights[str(now[col])] += w
        if not weights or total == 0:
            return None, ""
        best = max(weights, key=weights.__getitem__)
        share = weights[best] / total
        succ = ref.by_siren.get(best)
        if succ is None or share < 0.5:
            return None, ""
        return succ, (f"l'intercommunalité {nom} (référentiel {vintage}) : "
                      f"{round(share * 100)} % de sa population est dans {succ['nom']}")
    if kind in (vocab.TYPE_DEP, vocab.TYPE_REG):
        now = by_code.get((kind, code)) or ref.governing.get((kind, code))
        if now is None:
            return None, ""
        return now, f"{nom} (référentiel {vintage}) : ses compétences sont exercées par {now['nom']}"
    return None, ""


# --- from the database ----------------------------------------------------------------

def load_reference(con: duckdb.DuckDBPyConnection, vintage: int | None = None
                   ) -> MatchReference:
    """The matching reference of ``vintage`` (newest loaded by default) with the history
    of every other loaded vintage, read from the database. Read whole at each call: a
    harvest reads it once; the model keeps it in memory between reads
    (``model.matching.cached_reference``)."""
    if vintage is None:
        vintage = facts.newest_vintage(con)
    every = con.execute(db.sql("matching_collectivites")).df()
    if vintage is None or every.empty:
        return build_reference(every.iloc[0:0], vintage=vintage)
    mine = every[every["vintage"] == vintage]
    others = every[every["vintage"] != vintage]
    territoires = con.execute("SELECT * FROM ref_territoire WHERE vintage = ?", [vintage]).df()
    anciennes = (con.execute("SELECT * FROM ref_commune_ancienne").df()
                 if facts.table_exists(con, "ref_commune_ancienne") else None)
    legal = legal_categories(con)
    return build_reference(mine, history=others, anciennes=anciennes, territoires=territoires,
                           legal=legal, vintage=vintage)


def legal_categories(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """SIREN -> INSEE legal category, from what the agent imports recorded (a Sirene stock
    or the Recherche d'entreprises API): empty when neither was loaded."""
    if not facts.table_exists(con, "agents"):
        return {}
    rows = con.execute(db.sql("matching_legal_categories")).fetchall()
    return {str(s): str(c) for s, c in rows if c}
