"""Matching publishers (data.gouv.fr organisations, portal publishers) to collectivités.

First by SIREN (the first 9 digits of the SIRET a publisher declares), then, when there is
no usable SIRET, by name + type + territory with a confidence score. Human decisions
(confirm, reject, add) live in their own append-only table (migration 0003) and are
applied last, so they override the automatic result at every harvest.

The matching itself is a pure function (DataFrames in, DataFrame out); only
``load_decisions`` and ``record_decision`` touch the database.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from odlab_compliance import db
from odlab_compliance.fmt import fold
from odlab_compliance.identifiers import is_valid_siret, luhn_ok, siren_of_siret

MATCH_COLUMNS = ["source", "publisher_id", "siren", "method", "confidence", "decision", "flags"]
DECISION_COLUMNS = ["publisher_id", "siren", "decision", "source", "note", "auteur", "decided_at"]
HUMAN_DECISIONS = ("confirme", "rejete", "ajoute")
# Decisions under which a match attributes the publisher's datasets to the collectivité.
ACCEPTED = ("auto", "confirme", "ajoute")

# Below this confidence an automatic match is listed as "à vérifier" (match list --pending).
REVIEW_THRESHOLD = 0.8
# Below this a name candidate is not proposed at all.
MIN_CONFIDENCE = 0.5

# Flags (stable codes; the CLI shows FLAG_LABELS).
FLAG_SIRET_NAME = "siret_nom_incoherent"
FLAG_SIRET_SHARED = "siret_partage"
FLAG_SIRET_INVALID = "siret_invalide"
FLAG_OUTSIDE_REF = "siren_hors_referentiel"
FLAG_HOMONYMS = "homonymes"
FLAG_OVERRIDDEN = "remplace_par_decision"
FLAG_LABELS = {
    FLAG_SIRET_NAME: "le SIRET déclaré ne correspond pas au nom de l'organisation",
    FLAG_SIRET_SHARED: "plusieurs organisations déclarent ce même SIRET",
    FLAG_SIRET_INVALID: "SIRET déclaré invalide (clé de contrôle) : rapprochement par le nom",
    FLAG_OUTSIDE_REF: "SIREN absent du référentiel des collectivités (syndicat, autre organisme...)",
    FLAG_HOMONYMS: "plusieurs collectivités portent ce nom",
    FLAG_OVERRIDDEN: "écarté par une décision humaine sur le même éditeur",
}

# Normalised prefixes → type hint. Longest first so "communaute de communes" wins over
# "communaute". None = a prefix that says nothing about the type ("mairie" is a COM).
_TYPE_PREFIXES: list[tuple[str, str | None]] = sorted([
    ("commune nouvelle de", "COM"), ("commune de", "COM"), ("commune d", "COM"),
    ("commune", "COM"), ("ville et eurometropole de", "MET"),
    ("ville de", "COM"), ("ville d", "COM"), ("mairie de", "COM"), ("mairie d", "COM"),
    ("mairie", "COM"), ("ville", "COM"),
    ("conseil departemental de", "DEP"), ("conseil departemental du", "DEP"),
    ("conseil departemental des", "DEP"), ("conseil departemental d", "DEP"),
    ("conseil departemental", "DEP"), ("conseil general de", "DEP"),
    ("conseil general du", "DEP"), ("conseil general d", "DEP"), ("conseil general", "DEP"),
    ("departement de", "DEP"), ("departement du", "DEP"), ("departement des", "DEP"),
    ("departement d", "DEP"), ("departement", "DEP"), ("cd", "DEP"),
    ("conseil regional de", "REG"), ("conseil regional d", "REG"),
    ("conseil regional", "REG"), ("region", "REG"),
    ("communaute de communes de", "CC"), ("communaute de communes du", "CC"),
    ("communaute de communes des", "CC"), ("communaute de communes d", "CC"),
    ("communaute de communes", "CC"), ("cc", "CC"), ("ccom", "CC"),
    ("communaute d agglomeration de", "CA"), ("communaute d agglomeration du", "CA"),
    ("communaute d agglomeration des", "CA"), ("communaute d agglomeration d", "CA"),
    ("communaute d agglomeration", "CA"), ("agglomeration de", "CA"), ("agglomeration", "CA"),
    ("ca", "CA"), ("agglo", "CA"), ("agglo de", "CA"),
    ("communaute urbaine de", "CU"), ("communaute urbaine du", "CU"),
    ("communaute urbaine d", "CU"), ("communaute urbaine", "CU"), ("cu", "CU"),
    ("metropole de", "MET"), ("metropole du", "MET"), ("metropole d", "MET"),
    ("metropole", "MET"), ("eurometropole de", "MET"), ("eurometropole", "MET"),
    ("etablissement public territorial", "EPT"), ("ept", "EPT"),
    ("collectivite territoriale de", None), ("collectivite de", None),
    ("collectivite europeenne d", None),
], key=lambda p: -len(p[0]))
# Suffixes that only restate the type ("Rennes Métropole", "Lorient Agglomération").
_TYPE_SUFFIXES: list[tuple[str, str]] = sorted([
    ("metropole", "MET"), ("agglomeration", "CA"), ("agglo", "CA"), ("communaute", "CC"),
    ("communaute de communes", "CC"), ("communaute d agglomeration", "CA"),
    ("communaute urbaine", "CU"), ("departement", "DEP"), ("region", "REG"),
], key=lambda p: -len(p[0]))
_LEADING_ARTICLES = ("la ", "le ", "les ", "l ", "d ", "du ", "des ", "de ")
_TRAILING_WORDS = {"la", "le", "les", "l", "d", "du", "des", "de", "en", "a"}
# A type hint that is compatible with a reference type ("CC" text on a CA is a mistake
# people make; MET includes the statut-particulier metropoles).
_TYPE_FAMILY = {"CC": {"CC"}, "CA": {"CA"}, "CU": {"CU"}, "MET": {"MET", "CU"},
                "EPT": {"EPT"}, "COM": {"COM"}, "DEP": {"DEP"}, "REG": {"REG"}}


def normalize_name(text: object) -> str:
    """Lowercase, no accents, punctuation and apostrophes as spaces, single spaces."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    s = fold(str(text))
    s = s.replace("œ", "oe").replace("æ", "ae")
    s = re.sub(r"\bst\b", "saint", s)
    s = re.sub(r"\bste\b", "sainte", s)
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


@dataclass(frozen=True)
class ParsedName:
    core: str              # the name without "Commune de", "CC", articles...
    type_hint: str | None  # COM CC CA CU MET EPT DEP REG, when the text says it
    dep_hint: str | None   # a département code written in the text, e.g. "(35)"


def parse_name(text: object) -> ParsedName:
    """Split a publisher's name into its core name, a type hint and a département hint."""
    raw = "" if text is None else str(text)
    dep = None
    m = re.search(r"\((\d{2,3}|2[AaBb])\)|\b(?:dep|departement)\s*(\d{2,3}|2[AaBb])\b", raw)
    if m:
        dep = (m.group(1) or m.group(2)).upper()
        raw = raw[: m.start()] + raw[m.end():]
    s = normalize_name(raw)
    hint: str | None = None
    for prefix, t in _TYPE_PREFIXES:
        if s == prefix or s.startswith(prefix + " "):
            rest = s[len(prefix):].strip()
            if rest:
                s, hint = rest, t
            break
    for suffix, t in _TYPE_SUFFIXES:
        if s.endswith(" " + suffix):
            s = s[: -len(suffix) - 1].strip()
            hint = hint or t
            break
    for art in _LEADING_ARTICLES:
        if s.startswith(art) and len(s) > len(art) + 2:
            s = s[len(art):]
            break
    return ParsedName(s, hint, dep)


def core_name(text: object) -> str:
    return parse_name(text).core


def names_fit(a: object, b: object) -> float:
    """Similarity (0..1) of two organisation names once prefixes and accents are gone."""
    ca, cb = core_name(a), core_name(b)
    if not ca or not cb:
        return 0.0
    if ca == cb:
        return 1.0
    ta, tb = set(ca.split()), set(cb.split())
    if ta <= tb or tb <= ta:
        return 0.9
    return difflib.SequenceMatcher(None, ca, cb).ratio()


# --- the reference side -----------------------------------------------------------------

@dataclass
class _Ref:
    by_siren: dict[str, dict]
    by_core: dict[str, list[dict]]
    by_token: dict[str, list[str]]     # first token of a core -> cores (fuzzy candidates)
    dep_names: dict[str, str]          # normalised département name -> code
    reg_names: dict[str, str]          # normalised région name -> code


def _index(collectivites: pd.DataFrame) -> _Ref:
    by_siren: dict[str, dict] = {}
    by_core: dict[str, list[dict]] = {}
    by_token: dict[str, list[str]] = {}
    dep_names: dict[str, str] = {}
    reg_names: dict[str, str] = {}
    for row in collectivites.to_dict("records"):
        siren = str(row.get("siren") or "").strip()
        if not siren:
            continue
        row = {**row, "siren": siren}
        by_siren[siren] = row
        core = core_name(row.get("nom"))
        if not core:
            continue
        if core not in by_core:
            by_token.setdefault(core.split()[0], []).append(core)
        by_core.setdefault(core, []).append(row)
        if row.get("type") == "DEP" and row.get("departement"):
            dep_names[core] = str(row["departement"])
        if row.get("type") == "REG" and row.get("region"):
            reg_names[core] = str(row["region"])
    return _Ref(by_siren, by_core, by_token, dep_names, reg_names)


def _territory_in_text(norm: str, ref: _Ref) -> tuple[set[str], set[str]]:
    """Département and région codes whose name is written in a normalised text."""
    padded = f" {norm} "
    deps = {code for name, code in ref.dep_names.items() if f" {name} " in padded}
    regs = {code for name, code in ref.reg_names.items() if f" {name} " in padded}
    return deps, regs


@dataclass
class _Context:
    hosted: set[str]         # SIRENs the publisher's portal says it hosts
    region: str | None       # région code of the portal


def _portal_contexts(portals: Sequence[object] | None) -> dict[str, _Context]:
    out: dict[str, _Context] = {}
    for p in portals or ():
        out[str(p.id)] = _Context(set(getattr(p, "hosted_sirens", ()) or ()),
                                  getattr(p, "region", None))
    return out


def _score(cand: dict, sim: float, parsed: ParsedName, deps: set[str], regs: set[str],
           ctx: _Context | None) -> float:
    ctype = str(cand.get("type") or "")
    if parsed.type_hint:
        w_type = 1.0 if ctype in _TYPE_FAMILY.get(parsed.type_hint, {parsed.type_hint}) else 0.4
    else:
        # a bare name ("Acigné") is most often a commune; EPCI names say what they are
        w_type = 0.95 if ctype in ("COM", "DEP", "REG") else 0.8
    cdep, creg = str(cand.get("departement") or ""), str(cand.get("region") or "")
    evidence = []
    if parsed.dep_hint:
        evidence.append(cdep == parsed.dep_hint)
    if deps and ctype != "DEP":
        evidence.append(cdep in deps)
    if regs and ctype != "REG":
        evidence.append(creg in regs)
    if ctx and ctx.hosted:
        if cand["siren"] in ctx.hosted:
            evidence.append(True)
    if ctx and ctx.region and creg:
        evidence.append(creg == ctx.region)
    if not evidence:
        w_terr = 0.9
    elif all(evidence):
        w_terr = 1.0
    elif any(evidence):
        w_terr = 0.8
    else:
        w_terr = 0.4
    return sim * w_type * w_terr


def _name_candidates(name: str, ref: _Ref, ctx: _Context | None) -> list[tuple[float, dict]]:
    """(score, collectivité) candidates for a name, best first."""
    parsed = parse_name(name)
    if not parsed.core:
        return []
    deps, regs = _territory_in_text(normalize_name(name), ref)
    pairs: list[tuple[float, dict]] = []
    exact = ref.by_core.get(parsed.core, [])
    if not exact:
        # "Saint-Denis La Réunion", "Sainte-Marie (Martinique)": drop the territory's name
        for place in sorted(set(ref.dep_names) | set(ref.reg_names), key=len, reverse=True):
            padded = f" {parsed.core} "
            if f" {place} " in padded and place != parsed.core:
                rest = padded.replace(f" {place} ", " ").split()
                while rest and rest[-1] in _TRAILING_WORDS:
                    rest.pop()
                exact = ref.by_core.get(" ".join(rest), [])
                if exact:
                    break
    for cand in exact:
        pairs.append((_score(cand, 1.0, parsed, deps, regs, ctx), cand))
    if not exact:
        # Fuzzy only among names sharing the first word: cheap and avoids absurd pairs.
        pool = ref.by_token.get(parsed.core.split()[0], [])
        for core in difflib.get_close_matches(parsed.core, pool, n=5, cutoff=0.75):
            sim = difflib.SequenceMatcher(None, parsed.core, core).ratio()
            for cand in ref.by_core[core]:
                pairs.append((_score(cand, sim, parsed, deps, regs, ctx), cand))
    pairs.sort(key=lambda p: -p[0])
    return pairs


# --- the matching ---------------------------------------------------------------------

def _flags(*codes: str | None) -> str:
    return ",".join(c for c in codes if c)


def _auto_match(pub: dict, ref: _Ref, ctx: _Context | None, shared: set[str]) -> list[dict]:
    source, pid, name = pub.get("source"), pub.get("publisher_id"), pub.get("name")
    base = {"source": source, "publisher_id": pid}
    siret = pub.get("siret")
    siret = None if siret is None or (isinstance(siret, float) and pd.isna(siret)) else str(siret)
    siren = siren_of_siret(siret)
    invalid = None
    if siren:
        digits = re.sub(r"\s", "", siret or "")
        valid = is_valid_siret(digits) if len(digits) == 14 else luhn_ok(siren)
        if not valid or not luhn_ok(siren):
            invalid, siren = FLAG_SIRET_INVALID, None
    if siren:
        shared_flag = FLAG_SIRET_SHARED if siren in shared else None
        cand = ref.by_siren.get(siren)
        if cand is None:
            return [{**base, "siren": siren, "method": "siret", "confidence": 1.0,
                     "decision": "auto", "flags": _flags(FLAG_OUTSIDE_REF, shared_flag)}]
        fit = names_fit(name, cand.get("nom"))
        hint = parse_name(name).type_hint
        type_ok = not hint or cand.get("type") in _TYPE_FAMILY.get(hint, {hint})
        if fit >= 0.6 and type_ok:
            conf = 1.0 if not shared_flag else 0.9
            return [{**base, "siren": siren, "method": "siret", "confidence": conf,
                     "decision": "auto", "flags": _flags(shared_flag)}]
        # The SIRET names another body: keep it, low confidence, for a human to decide.
        return [{**base, "siren": siren, "method": "siret", "confidence": 0.5,
                 "decision": "auto", "flags": _flags(FLAG_SIRET_NAME, shared_flag)}]
    cands = _name_candidates(str(name or ""), ref, ctx)
    if not cands or cands[0][0] < MIN_CONFIDENCE:
        return []
    best_score, best = cands[0]
    ties = [c for s, c in cands[1:] if best_score - s < 0.05 and c["siren"] != best["siren"]]
    conf = best_score * (0.6 if ties else 1.0)
    if conf < MIN_CONFIDENCE:
        return []
    return [{**base, "siren": best["siren"], "method": "nom", "confidence": round(conf, 3),
             "decision": "auto", "flags": _flags(FLAG_HOMONYMS if ties else None, invalid)}]


def _shared_sirens(publishers: pd.DataFrame) -> set[str]:
    """SIRENs declared by several publishers of one source.

    Portal publishers are left out: the registry gives every publisher of a dedicated
    portal its owner's SIRET, so sharing is expected there.
    """
    out: set[str] = set()
    df = publishers[publishers["source"] != "portal"] if "source" in publishers else publishers
    sirens = df.get("siret", pd.Series(dtype=object)).map(
        lambda v: siren_of_siret(None if pd.isna(v) else str(v)))
    for (_src, siren), n in pd.DataFrame({"s": df.get("source"), "siren": sirens}) \
            .dropna().groupby(["s", "siren"]).size().items():
        if n > 1:
            out.add(siren)
    return out


def apply_decisions(rows: list[dict], publishers: pd.DataFrame,
                    decisions: pd.DataFrame | None) -> list[dict]:
    """Apply the current human decisions to match rows (dicts with MATCH_COLUMNS).

    ``publishers`` (source, publisher_id) says which publishers are present: a decision
    about an absent publisher waits. ``confirme`` makes the pair THE match of the
    publisher (its other automatic matches become ``rejete``); ``ajoute`` adds a pair;
    ``rejete`` keeps the row, marked, so the ledger shows what was refused.
    """
    if decisions is None or decisions.empty:
        return rows
    present = {str(p): str(s) for p, s in zip(publishers["publisher_id"],
                                              publishers["source"], strict=False)}
    current = current_decisions(decisions)
    by_pair = {(r["publisher_id"], r["siren"]): r for r in rows}
    for d in current.to_dict("records"):
        pid, siren, decision = str(d["publisher_id"]), str(d["siren"]), d["decision"]
        if pid not in present:
            continue  # the publisher is not in this harvest: the decision waits
        row = by_pair.get((pid, siren))
        if decision == "rejete":
            if row is not None:
                row["decision"] = "rejete"
            continue
        if row is None:
            row = {"source": present[pid], "publisher_id": pid, "siren": siren,
                   "method": "decision", "flags": ""}
            rows.append(row)
            by_pair[(pid, siren)] = row
        row["decision"], row["confidence"] = decision, 1.0
        if decision == "confirme":
            # A confirmed match is THE match of this publisher: other automatic ones go.
            for other in rows:
                if (other["publisher_id"] == pid and other["siren"] != siren
                        and other["decision"] == "auto"):
                    other["decision"] = "rejete"
                    prev = other.get("flags")
                    other["flags"] = _flags(prev if isinstance(prev, str) else None,
                                            FLAG_OVERRIDDEN)
    return rows


def match_publishers(publishers: pd.DataFrame, collectivites: pd.DataFrame,
                     decisions: pd.DataFrame | None = None, *,
                     portals: Sequence[object] | None = None) -> pd.DataFrame:
    """One row per (publisher, SIREN) match, human decisions applied last.

    ``publishers`` has the PublisherRecord fields (source, publisher_id, name, siret,
    platform_id, ...); ``collectivites`` has ref_collectivite columns (siren, nom, type,
    departement, region); ``decisions`` is ``load_decisions(con)``; ``portals`` (optional,
    the registry) lets a portal's hosted SIRENs and région support a name match.
    Columns: source, publisher_id, siren, method (siret|nom|decision), confidence (0..1),
    decision (auto|confirme|rejete|ajoute), flags (comma-separated codes, see FLAG_LABELS).
    """
    if publishers is None or publishers.empty:
        return pd.DataFrame(columns=MATCH_COLUMNS)
    ref = _index(collectivites)
    contexts = _portal_contexts(portals)
    shared = _shared_sirens(publishers)
    rows: list[dict] = []
    for pub in publishers.to_dict("records"):
        ctx = contexts.get(str(pub.get("platform_id"))) if pub.get("platform_id") else None
        rows.extend(_auto_match(pub, ref, ctx, shared))
    rows = apply_decisions(rows, publishers, decisions)
    out = pd.DataFrame(rows, columns=MATCH_COLUMNS)
    out["confidence"] = out["confidence"].astype(float)
    out["flags"] = out["flags"].fillna("").astype(str)
    return out.sort_values(["source", "publisher_id", "siren"], kind="stable").reset_index(drop=True)


def pending(matches: pd.DataFrame) -> pd.DataFrame:
    """Automatic matches a human should look at: low confidence or flagged."""
    auto = matches[matches["decision"] == "auto"]
    return auto[(auto["confidence"] < REVIEW_THRESHOLD) | (auto["flags"] != "")]


def describe_flags(flags: str) -> str:
    """French sentences for a comma-separated list of flag codes."""
    return " ; ".join(FLAG_LABELS.get(f, f) for f in str(flags or "").split(",") if f)


# --- the decision ledger (user data, migration 0003) ----------------------------------

def current_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """The last decision per (publisher, SIREN): the log is append-only."""
    if decisions.empty:
        return decisions
    ordered = decisions.sort_values("seq") if "seq" in decisions else decisions
    return ordered.drop_duplicates(["publisher_id", "siren"], keep="last").reset_index(drop=True)


def load_decisions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every recorded human decision, oldest first (columns DECISION_COLUMNS + seq)."""
    return con.execute(db.sql("match_decisions")).df()


def record_decision(con: duckdb.DuckDBPyConnection, publisher_id: str, siren: str,
                    decision: str, *, source: str | None = None, note: str | None = None,
                    auteur: str | None = None) -> int:
    """Append a human decision; return its sequence number. Never updates or deletes."""
    if decision not in HUMAN_DECISIONS:
        raise ValueError(f"décision inconnue : {decision} (attendu : {', '.join(HUMAN_DECISIONS)})")
    row = con.execute(
        "INSERT INTO match_decision (publisher_id, siren, decision, source, note, auteur) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
        [publisher_id, siren, decision, source, note, auteur],
    ).fetchone()
    return int(row[0])


# Kept for callers written against the first draft.
