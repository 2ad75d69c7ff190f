"""One matcher for every source: data.gouv.fr organisations, portal publishers,
Observatoire rows — anything with a name and, maybe, a SIREN or SIRET.

Order of evidence (the first that speaks decides):

1. **The declared SIREN** (the 9 first digits of a SIRET), when it is a collectivité's of
   the reference AND the name fits it (same core name, a part of it, its acronym, or a
   département code for a département): confidence 1. A SIREN whose name does not fit
   is proposed at 0.5, flagged, for a human; so is a collectivité's SIREN carried by a
   body whose name says it is not a collectivité (a prefecture, a DDT, a SDIS…).
2. **A succession**: the declared SIREN is a predecessor's (a commune merged into a
   commune nouvelle, a merged intercommunality, a département whose powers went to a
   collectivité à statut particulier) according to the reference's own history across
   vintages: its successor, confidence 0.95 when the name fits the successor or the
   predecessor. A SIREN that no loaded vintage knows but whose prefix is a collectivité's
   (21 commune, 22 département, 23 région, 24 intercommunality, 20 any newer body) is an
   outdated SIREN when the name designates a collectivité of that family without doubt.
3. **The name**, normalised (``names``), looked up exactly among the collectivités' core
   names and their aliases (territory names, former names), else compared with rapidfuzz
   (``ratio`` ≥ 0.88, or all words of one name in the other), or, on a portal, read as
   the acronym of a body the portal hosts ("MEL", "CAVM"). The score of a candidate is

   ``similarity × type factor × territory factor``

   - similarity: 1 for the same core; 0.92 for a former name (commune déléguée, merged
     commune, former EPCI name); 0.9 for an acronym; rapidfuzz's ratio or 0.85 for an
     approaching name, which is flagged for review — unless the portal the name was
     found on hosts that body and the name is a typo or a part of its name (then 0.85);
   - type factor (``names.type_fits``): 1 when the name's type word fits, 0.9 for another
     kind of intercommunality, 0.5 for a contradiction; with no type word at all, 0.9 for
     an intercommunality (people name them with their type) and 1 otherwise;
   - territory factor: the clues are a département code in the name ("(93)"), the
     département or région names written in parentheses or after the name ("Saint-Denis
     La Réunion"), and the SIRENs the portal hosts or its owner: 1 when all agree (or
     none is given), 0.8 when they disagree among themselves, 0.5 when all contradict.
     A département or région name that is part of a name — the candidate's
     ("Champigny-sur-Marne") or the publisher's ("CC du Haut Allier") — is never a clue.
     The portal's région only helps to tell homonyms apart: regional portals host bodies
     of other régions too.

   Homonyms (another candidate within 0.05) are told apart by the number of territory
   clues that agree; « Ville de X » leaves out the communes under 2,000 inhabitants (one
   town left: it is the one); when nothing tells them apart, the most populous is
   proposed at 0.6 × its score, flagged « homonymes ». Below 0.5 nothing is proposed.

A match counts (``model.matching.is_counted``, applied when a snapshot is read) when its confidence is at least
``REVIEW_THRESHOLD`` (0.8) and it carries no flag other than the informative ones
(``vocab.INFO_FLAGS``); anything else waits in the review queue until an editor confirms
it. A name that designates a body that is not a collectivité (``bodies``) is never
credited automatically.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from rapidfuzz import fuzz, process

from odlab_compliance import vocab
from odlab_compliance.identifiers import is_valid_siret, luhn_ok, siren_of_siret
from odlab_compliance.ingest.matching import bodies
from odlab_compliance.ingest.matching.names import (
    EPCI_TYPES,
    ParsedName,
    names_fit,
    parse_name,
    similarity,
    type_fits,
)
from odlab_compliance.ingest.matching.reference import (
    ALIAS_BRAND,
    ALIAS_FORMER,
    MatchReference,
    build_reference,
)

MATCH_COLUMNS = ["source", "publisher_id", "siren", "method", "confidence", "decision", "flags"]
CLASS_COLUMNS = ["source", "publisher_id", "categorie", "raison"]

REVIEW_THRESHOLD = 0.8   # at or above, an unflagged automatic match counts
MIN_CONFIDENCE = 0.5     # below, a name candidate is not proposed at all
FIT_THRESHOLD = 0.8      # a declared SIREN's collectivité "fits" the name from here
TIE_MARGIN = 0.05
FUZZY_CUTOFF = 88        # rapidfuzz ratio (0..100) for an approaching name
FORMER_NAME_SIMILARITY = 0.92
ACRONYM_SIMILARITY = 0.9
HOSTED_APPROX = 0.85     # an approaching name of a body the portal hosts
UNTYPED_EPCI = 0.9       # a bare name on an intercommunality
HOMONYM_PENALTY = 0.6
TOWN_MIN = 2_000         # INSEE's urban commune: below, « Ville de » does not name it
CONF_SIREN, CONF_SUCCESSION, CONF_DOUBT, CONF_NOT_COLLECTIVITE = 1.0, 0.95, 0.5, 0.3
CONF_PARTIAL = 0.85      # a declared SIREN whose name fits only partly (a renamed body)
# SIREN prefixes of collectivités (a hint about the family, never a rule on its own).
_PREFIX_FAMILY = {"21": {vocab.TYPE_COM}, "22": {vocab.TYPE_DEP}, "23": {vocab.TYPE_REG},
                  "24": set(EPCI_TYPES), "20": set(vocab.TYPE.codes)}


@dataclass(frozen=True)
class PortalContext:
    hosted: frozenset[str] = frozenset()
    owner: str | None = None
    shared: bool = False
    region: str | None = None


def portal_contexts(portals: Sequence[object] | None) -> dict[str, PortalContext]:
    out: dict[str, PortalContext] = {}
    for p in portals or ():
        out[str(p.id)] = PortalContext(frozenset(getattr(p, "hosted_sirens", ()) or ()),
                                       getattr(p, "owner_siren", None),
                                       bool(getattr(p, "shared", False)),
                                       getattr(p, "region", None))
    return out


@dataclass
class Proposal:
    siren: str
    method: str
    confidence: float
    flags: list[str] = field(default_factory=list)


@dataclass
class Verdict:
    proposals: list[Proposal] = field(default_factory=list)
    categorie: str | None = None      # vocab.ORGANISME when not a collectivité
    raison: str | None = None         # French: why, for the report


@dataclass
class _Cand:
    row: dict
    sim: float
    method: str
    types: frozenset[str]
    approx: bool = False
    evidence: list[bool] = field(default_factory=list)
    score: float = 0.0
    hosted: bool = False      # the portal hosts it or is run by it
    longer: bool = False      # approaching: the publisher's name has words the candidate's lacks
    support: int = 0          # weak clues that agree (the portal's région)
    brand: bool = False       # found by a name of usage (« Région Sud »)

    @property
    def agree(self) -> int:
        return sum(self.evidence) + self.support


# --- the name --------------------------------------------------------------------------

def _places(text: str, names: dict[str, str]) -> set[str]:
    padded = f" {text} "
    return {code for name, code in names.items() if f" {name} " in padded}


def _residual(parsed: ParsedName) -> str:
    """Where territory clues are read: the parenthesised qualifiers ("Champigny (Marne)").
    A département or région name inside the name itself is part of the name — the
    publisher's ("CC du Haut Allier") as well as the candidate's ("Champigny-sur-Marne")
    — never a clue."""
    return " ".join(parsed.qualifiers).strip()


@dataclass
class _Clues:
    """Territory clues of a name (département hint, places in qualifiers or after the
    name) and of the portal it was found on."""

    dep_hint: str | None
    deps: set[str]
    regs: set[str]
    ctx: PortalContext | None


def _clues(parsed: ParsedName, ref: MatchReference, ctx: PortalContext | None,
           extra: dict[str, set[str]] | None) -> _Clues:
    rest = _residual(parsed)
    return _Clues(parsed.dep_hint,
                  _places(rest, ref.dep_names) | (extra or {}).get("DEP", set()),
                  _places(rest, ref.reg_names) | (extra or {}).get("REG", set()), ctx)


def _territory(c: _Cand, clues: _Clues, ref: MatchReference) -> None:
    """Append to ``c.evidence`` what each clue says of the candidate (True: agrees). A
    portal's hosted SIRENs and owner only ever agree; its région is a weak clue: it
    counts in ``support`` (to tell homonyms apart) but never against a candidate, as
    regional portals host bodies of other régions too."""
    row, ev = c.row, c.evidence
    ctype = str(row.get("type") or "")
    cdep, creg = str(row.get("departement") or ""), str(row.get("region") or "")
    if clues.dep_hint:
        if ctype in (vocab.TYPE_DEP, vocab.TYPE_REG):
            gov = ref.governing.get(("DEP", clues.dep_hint))
            ev.append(gov is not None and gov["siren"] == row["siren"])
        else:
            ev.append(cdep == clues.dep_hint)
    if clues.deps and ctype not in (vocab.TYPE_DEP, vocab.TYPE_REG):
        ev.append(cdep in clues.deps)
    if clues.regs and ctype != vocab.TYPE_REG:
        ev.append(creg in clues.regs or any(ref.dep_region.get(d) in clues.regs
                                            for d in clues.deps))
    ctx = clues.ctx
    if ctx is not None:
        if row["siren"] in ctx.hosted or row["siren"] == ctx.owner:
            ev.append(True)
            c.hosted = True
        if ctx.region and creg == ctx.region:
            c.support += 1


def _factor(evidence: list[bool]) -> float:
    if not evidence or all(evidence):
        return 1.0
    return 0.8 if any(evidence) else 0.5


def _exact(core: str, ref: MatchReference) -> list[_Cand]:
    out = [_Cand(r, 1.0, vocab.METHOD_NOM, frozenset({str(r["type"])}))
           for r in ref.by_core.get(core, [])]
    for a in ref.aliases.get(core, []):
        if a.how == ALIAS_FORMER:
            out.append(_Cand(a.row, FORMER_NAME_SIMILARITY, vocab.METHOD_SUCCESSION, a.types))
        elif a.how == ALIAS_BRAND:
            out.append(_Cand(a.row, 1.0, vocab.METHOD_NOM, a.types, brand=len(core.split()) == 1))
        else:
            out.append(_Cand(a.row, 1.0, vocab.METHOD_NOM, a.types))
    return out


_TRAILING = {"de", "du", "des", "d", "la", "le", "les", "l", "en", "a"}


def _strip_place(core: str, ref: MatchReference) -> tuple[list[_Cand], dict[str, set[str]]]:
    """"Saint-Denis La Réunion", "Sainte-Marie Martinique": a territory name after the
    name proper; returns the candidates of what is left and the territory as a clue."""
    for names, level in ((ref.dep_names, "DEP"), (ref.reg_names, "REG")):
        for place, code in sorted(names.items(), key=lambda p: -len(p[0])):
            short = place.split(" ", 1)[-1] if place.startswith(("la ", "le ", "les ")) \
                else place
            for variant in {place, short}:
                if core.endswith(" " + variant):
                    rest = core[: -len(variant) - 1].split()
                    while rest and rest[-1] in _TRAILING:
                        rest.pop()
                    found = _exact(" ".join(rest), ref)
                    if found:
                        return found, {level: {code}}
    return [], {}


def _fuzzy(core: str, ref: MatchReference) -> list[_Cand]:
    """Approaching names: rapidfuzz ``ratio`` ≥ FUZZY_CUTOFF, or every significant word of
    one name in the other. Flagged for review unless the portal hosts the candidate."""
    seen: dict[str, tuple[float, bool]] = {}     # core -> (similarity, publisher has more)
    for found, score, _ in process.extract(core, ref.cores, scorer=fuzz.ratio,
                                           score_cutoff=FUZZY_CUTOFF, limit=5):
        seen[found] = (score / 100.0, False)
    mine = set(core.split())
    words = [w for w in mine if len(w) >= 3 and w in ref.by_token]
    if words:
        rare = min(words, key=lambda w: len(ref.by_token[w]))
        if len(ref.by_token[rare]) <= 50:
            for other in ref.by_token[rare]:
                if other not in seen and similarity(core, other) == 0.85:
                    seen[other] = (0.85, not mine <= set(other.split()))
    out: list[_Cand] = []
    for found, (sim, longer) in seen.items():
        for c in _exact(found, ref):
            out.append(_Cand(c.row, min(sim, c.sim), c.method, c.types, approx=True,
                             longer=longer))
    return out


def _acronyms(parsed: ParsedName, ref: MatchReference, ctx: PortalContext | None
              ) -> list[_Cand]:
    """"MEL", "CAVM", "CCLO": the initials of an intercommunality's, a département's or a
    région's name — only those the portal hosts or is run by (an acronym alone is too
    short to tell bodies apart)."""
    word = parsed.norm.replace(" ", "")
    if ctx is None or not (3 <= len(word) <= 8) or " " in parsed.norm.strip():
        return []
    return [_Cand(r, ACRONYM_SIMILARITY, vocab.METHOD_NOM, frozenset({str(r["type"])}),
                  approx=True) for r in ref.acronyms.get(word, [])
            if r["siren"] in ctx.hosted or r["siren"] == ctx.owner]


def _type_factor(parsed: ParsedName, c: _Cand, via_alt: bool) -> float:
    ctype = str(c.row.get("type") or "")
    if c.brand and not parsed.type_hint:
        return 0.5   # « Sud » alone is a word, « Région Sud » a région's name of usage
    if parsed.type_hint and not via_alt:
        return max(type_fits(parsed.type_hint, t) for t in c.types | {ctype})
    return UNTYPED_EPCI if ctype in EPCI_TYPES else 1.0


def name_candidates(name: object, ref: MatchReference, ctx: PortalContext | None = None
                    ) -> list[_Cand]:
    """Scored candidates for a name, best first (see the module docstring)."""
    parsed = parse_name(name)
    extra: dict[str, set[str]] | None = None
    alt: list[_Cand] = []
    if not parsed.core:
        gov = ref.governing.get(("DEP", parsed.dep_hint or ""))
        if parsed.type_hint != vocab.TYPE_DEP or gov is None:      # only "CD25" names without a core
            return []
        cands = [_Cand(gov, 1.0, vocab.METHOD_NOM, frozenset({vocab.TYPE_DEP, str(gov["type"])}))]
    else:
        cands = _exact(parsed.core, ref)
        if parsed.alt:      # "Ville-d'Avray": the first word was part of the name
            alt = _exact(parsed.alt, ref)
        if not cands and not alt:
            cands, extra = _strip_place(parsed.core, ref)
        short = _acronyms(parsed, ref, ctx)
        if short:           # "MEL" on the portal run by the Métropole européenne de Lille
            cands, alt = short, []
        elif not alt and all(_type_factor(parsed, c, False) < 0.9 for c in cands):
            # nothing, or only bodies of another kind ("Saint-Malo Agglomération" is not
            # the commune): approaching names of the right kind may be there
            cands = cands + _fuzzy(parsed.core, ref)
    clues = _clues(parsed, ref, ctx, extra)
    best: dict[str, _Cand] = {}
    for c, via_alt in [*((c, False) for c in cands), *((c, True) for c in alt)]:
        _territory(c, clues, ref)
        c.score = c.sim * _type_factor(parsed, c, via_alt) * _factor(c.evidence)
        prev = best.get(c.row["siren"])
        if prev is None or (c.score, c.agree) > (prev.score, prev.agree):
            best[c.row["siren"]] = c
    return sorted(best.values(), key=lambda c: (-c.score, -c.agree, c.row["siren"]))


def _hosted_approx(cands: list[_Cand]) -> _Cand | None:
    """Among approaching names, the one body the portal hosts, when the publisher's name
    is a typo of its name or a part of it ("Seine Ouest" for Grand Paris Seine Ouest on
    its own portal): the portal's list of hosted bodies is the evidence."""
    hosted = [c for c in cands if c.approx and c.hosted and not c.longer
              and c.score >= MIN_CONFIDENCE]
    return hosted[0] if len(hosted) == 1 else None


def best_by_name(name: object, ref: MatchReference, ctx: PortalContext | None = None
                 ) -> tuple[Proposal | None, str]:
    """The name's proposal (or None) and a French sentence saying why."""
    cands = name_candidates(name, ref, ctx)
    if not cands:
        return None, "aucune collectivité de ce nom"
    top = cands[0]
    flags: list[str] = []
    if top.approx:
        on_portal = _hosted_approx(cands)
        if on_portal is not None:
            return Proposal(on_portal.row["siren"], on_portal.method,
                            round(max(on_portal.score, HOSTED_APPROX), 3)), ""
        flags.append(vocab.FLAG_APPROX)
    ties = [c for c in cands[1:] if top.score - c.score < TIE_MARGIN and c.agree >= top.agree]
    if ties:
        top, ties = _homonyms(parse_name(name), [top, *ties])
    conf = top.score
    if ties:
        flags.append(vocab.FLAG_HOMONYMS)
        conf *= HOMONYM_PENALTY
    if conf < MIN_CONFIDENCE:
        why = "homonymes" if ties else "nom trop éloigné"
        return None, f"{why} : {top.row['nom']} ({top.row['siren']}) à {conf:.2f}"
    return Proposal(top.row["siren"], top.method, round(conf, 3), flags), ""


def _population(c: _Cand) -> float:
    pop = c.row.get("population_totale")
    try:
        value = float(pop)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
    return value


def _homonyms(parsed: ParsedName, group: list[_Cand]) -> tuple[_Cand, list[_Cand]]:
    """Homonyms nothing else tells apart: the most populous first (the one a reviewer
    checks first), and « Ville de X » leaves out the communes too small to be a town
    (INSEE's urban threshold, ``TOWN_MIN``): a hamlet of 195 inhabitants does not call
    itself « Ville de Valence ». One town left: it is the one."""
    group = sorted(group, key=lambda c: -_population(c) if _population(c) == _population(c)
                   else 0.0)
    if parsed.town:
        towns = [c for c in group if str(c.row.get("type")) != vocab.TYPE_COM
                 or not _population(c) < TOWN_MIN]
        if towns:
            group = towns
    return group[0], group[1:]


# --- the declared SIREN -------------------------------------------------------------------

def fit(name: object, row: dict, ref: MatchReference) -> float:
    """How well a publisher's name fits a collectivité: its name, its aliases (territory
    names, former names), its acronym, a département code for a département; 0 when the
    name's type word contradicts it."""
    parsed = parse_name(name)
    aliases = ref.aliases_of.get(row["siren"], [])
    types = {str(row.get("type") or "")} | {t for a in aliases for t in a.types}
    if parsed.type_hint and max(type_fits(parsed.type_hint, t) for t in types) < 0.9:
        return 0.0
    if not parsed.core:
        gov = ref.governing.get(("DEP", parsed.dep_hint or ""))
        return 1.0 if gov is not None and gov["siren"] == row["siren"] else 0.0
    own = max(similarity(parsed.core, str(row.get("core") or "")),
              similarity(parsed.alt, str(row.get("core") or "")) if parsed.alt else 0.0)
    return max([own, names_fit(name, row.get("nom")), *(names_fit(name, a.text) for a in aliases)])


# Words too common in collectivités' names to show that two names are the same body's.
_GENERIC = frozenset({
    "grand", "grande", "pays", "communes", "communaute", "agglomeration", "agglo",
    "metropole", "saint", "sainte", "val", "vallee", "vallees", "cote", "cotes", "sud",
    "nord", "est", "ouest", "haut", "haute", "hautes", "bas", "basse", "centre", "coeur",
    "terre", "terres", "porte", "portes", "plaine", "plaines", "plateau", "mont", "monts",
    "lac", "lacs", "riviere", "ile", "iles", "territoire", "territoires", "bassin",
    "region", "departement", "ville", "commune", "urbaine", "europeenne", "alpes", "loire",
    "seine", "rhone", "garonne", "marne", "mer", "montagne", "foret", "bocage", "campagne"})


def partial_fit(name: object, row: dict) -> bool:
    """A weaker fit for a declared SIREN: the name's type word does not contradict the
    collectivité's type, and they share a distinctive word ("clermont") or are close
    (rapidfuzz ratio ≥ 0.6: "niort" / "niortais")."""
    parsed = parse_name(name)
    if not parsed.core:
        return False
    if type_fits(parsed.type_hint, str(row.get("type") or "")) < 0.9:
        return False
    mine = set(parsed.core.split()) - _GENERIC
    theirs = set(str(row.get("core") or "").split()) - _GENERIC
    if {w for w in mine & theirs if len(w) >= 4}:
        return True
    return any(fuzz.ratio(a, b) >= 60 for a in mine for b in theirs if len(a) >= 4 and len(b) >= 4)


def _text(v: object) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return str(v).strip() or None


def _prefix_family(siren: str) -> set[str]:
    return _PREFIX_FAMILY.get(siren[:2], set())


def _declared(pub: dict) -> tuple[str | None, str | None]:
    """(SIREN, flag) from the SIRET/SIREN a publisher declares."""
    raw = pub.get("siret")
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None, None
    digits = re.sub(r"\s", "", str(raw))
    siren = siren_of_siret(digits)
    if not siren:
        return None, None
    valid = is_valid_siret(digits) if len(digits) == 14 else luhn_ok(siren)
    if not valid or not luhn_ok(siren):
        return None, vocab.FLAG_SIRET_INVALID
    return siren, None


@dataclass(frozen=True)
class _Publisher:
    """What ``judge`` reads of one publisher, once."""
    name: object
    parsed: ParsedName
    body: bodies.Body | None          # the kind of body its name says it is
    given_body: bodies.Body | None    # the kind the source itself gives
    ctx: PortalContext | None
    info: tuple[str, ...]             # informative flags (a SIREN several declare)


def judge(pub: dict, ref: MatchReference, ctx: PortalContext | None = None,
          shared: frozenset[str] = frozenset()) -> Verdict:
    """What the evidence says of one publisher (``source``, ``publisher_id``, ``name``,
    ``siret``, and optionally ``categorie``: the kind of body the source itself says it
    is, a ``vocab.ORGANISME`` code): proposals, or the kind of body it is, or why nothing
    fits. The kinds of evidence, in order: a declared SIREN of the reference
    (``_by_siren``), of a predecessor (``_by_succession``), unknown to the reference
    (``_by_unknown_siren``), no usable SIREN (``_by_name``)."""
    name = pub.get("name")
    parsed = parse_name(name)
    siren, invalid = _declared(pub)
    if not parsed.norm and siren is None:
        return Verdict([], None, "aucun nom d'éditeur (jeu sans éditeur sur un portail "
                                 "partagé)")
    is_coll_name = bool(parsed.core) and (parsed.core in ref.by_core or parsed.core in ref.aliases)
    # the kind the source itself gives (an Observatoire edition's organisation type)
    given = _text(pub.get("categorie"))
    p = _Publisher(name, parsed, None if is_coll_name else bodies.body_by_name(name),
                   bodies.Body(given, "type donné par la source") if given in vocab.ORGANISME
                   else None, ctx,
                   (vocab.FLAG_SIRET_SHARED,) if siren is not None and siren in shared else ())
    if siren is None:
        return _by_name(p, ref, invalid)
    if siren in ref.by_siren:
        return _by_siren(p, siren, ref)
    if siren in ref.successions:
        return _by_succession(p, siren, ref)
    return _by_unknown_siren(p, siren, ref)


def _not_collectivite(body: bodies.Body) -> Verdict:
    return Verdict([], body.categorie, f"« {body.motif} » : pas une collectivité")


def _by_siren(p: _Publisher, siren: str, ref: MatchReference) -> Verdict:
    """A declared SIREN of the reference: counted when the name fits it, or fits it partly
    and designates no other collectivité; otherwise proposed for review."""
    cand = ref.by_siren[siren]
    info = list(p.info)
    if p.body is not None:
        return Verdict([Proposal(siren, vocab.METHOD_SIREN, CONF_NOT_COLLECTIVITE,
                                 [vocab.FLAG_NOT_COLLECTIVITE, *info])], p.body.categorie,
                       f"« {p.body.motif} » : pas une collectivité, mais SIRET de {cand['nom']}")
    if fit(p.name, cand, ref) >= FIT_THRESHOLD:
        return Verdict([Proposal(siren, vocab.METHOD_SIREN, CONF_SIREN, info)])
    other, _ = best_by_name(p.name, ref, p.ctx)
    confident = (other is not None and other.siren != siren and not other.flags
                 and other.confidence >= REVIEW_THRESHOLD)
    if not confident and partial_fit(p.name, cand):
        # a renamed body ("Clermont-Ferrand Métropole" on Clermont Auvergne Métropole's
        # SIREN): same kind, a distinctive word in common, and the name designates no
        # other collectivité
        return Verdict([Proposal(siren, vocab.METHOD_SIREN, CONF_PARTIAL, info)])
    out = [Proposal(siren, vocab.METHOD_SIREN, CONF_DOUBT, [vocab.FLAG_SIRET_NAME, *info])]
    if confident and other is not None:
        out.append(Proposal(other.siren, other.method, CONF_DOUBT, [vocab.FLAG_SIRET_NAME]))
    return Verdict(out, raison=f"le nom ne correspond pas au SIRET de {cand['nom']}")


def _by_succession(p: _Publisher, siren: str, ref: MatchReference) -> Verdict:
    """A predecessor's SIREN (merged commune or intercommunality, former département):
    its successor, counted when the name fits the successor or the predecessor."""
    new_siren, why = ref.successions[siren]
    new = ref.by_siren[new_siren]
    if p.body is not None:
        return Verdict([Proposal(new_siren, vocab.METHOD_SUCCESSION, CONF_NOT_COLLECTIVITE,
                                 [vocab.FLAG_NOT_COLLECTIVITE])],
                       p.body.categorie, f"« {p.body.motif} » : pas une collectivité")
    old = ref.former.get(siren, {})
    ok = max(fit(p.name, new, ref), names_fit(p.name, old.get("nom"))) >= FIT_THRESHOLD
    return Verdict([Proposal(new_siren, vocab.METHOD_SUCCESSION,
                             CONF_SUCCESSION if ok else CONF_DOUBT,
                             [] if ok else [vocab.FLAG_SIRET_NAME])], raison=why)


def _by_unknown_siren(p: _Publisher, siren: str, ref: MatchReference) -> Verdict:
    """A SIREN no loaded vintage knows: a body by its legal category, an outdated SIREN of
    the family its prefix says, or a name that designates a collectivité without doubt."""
    body = p.body or bodies.body_by_legal_category(ref.legal.get(siren)) or p.given_body
    if body is not None:
        return _not_collectivite(body)
    prop, why = best_by_name(p.name, ref, p.ctx)
    if prop is None:
        return Verdict([], None, f"SIREN {siren} absent du référentiel et {why}")
    row = ref.by_siren[prop.siren]
    if str(row.get("type")) in _prefix_family(siren) and not prop.flags:
        prop.method = vocab.METHOD_SUCCESSION
        prop.confidence = round(prop.confidence * CONF_SUCCESSION, 3)
        prop.flags.append(vocab.FLAG_OUTDATED)
        return Verdict([prop], raison=f"SIREN {siren} absent du référentiel (périmé ?) : "
                                      f"{row['nom']} reconnu par le nom")
    if prop.flags or prop.confidence < REVIEW_THRESHOLD:
        # an approaching or doubtful name on an unknown SIREN says too little
        return Verdict([], None, f"SIREN {siren} absent du référentiel et nom seulement "
                                 f"approchant de {row['nom']}")
    prop.flags.append(vocab.FLAG_OUTSIDE_REF)
    return Verdict([prop], raison=f"SIREN {siren} absent du référentiel, qui n'est pas "
                                  f"celui d'une collectivité de ce type")


def _by_name(p: _Publisher, ref: MatchReference, invalid: str | None) -> Verdict:
    """No usable SIREN: the name, else the owner of the dedicated portal it was found on."""
    body = p.body or p.given_body
    if body is not None:
        return _not_collectivite(body)
    prop, why = best_by_name(p.name, ref, p.ctx)
    if prop is not None:
        if invalid:
            prop.flags.append(invalid)
        return Verdict([prop])
    ctx = p.ctx
    if ctx is not None and ctx.owner and not ctx.shared and ctx.owner in ref.by_siren:
        return Verdict([Proposal(ctx.owner, vocab.METHOD_PROPRIETAIRE, CONF_DOUBT,
                                 [vocab.FLAG_PORTAL_OWNER])],
                       raison=f"{why} ; proposé au propriétaire du portail")
    return Verdict([], None, why)


# --- many publishers ------------------------------------------------------------------------

def shared_sirens(publishers: pd.DataFrame) -> frozenset[str]:
    """SIRENs declared by several publishers of one source. Portal publishers are left
    out (the registry may give several publishers their portal's SIREN)."""
    if publishers.empty or "siret" not in publishers:
        return frozenset()
    df = publishers[publishers["source"] != vocab.SOURCE_PORTAL]
    sirens = df["siret"].map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v))
                             else siren_of_siret(str(v)))
    counts = pd.DataFrame({"s": df["source"], "siren": sirens}).dropna().groupby(
        ["s", "siren"]).size()
    return frozenset(siren for (_s, siren), n in counts.items() if n > 1)


def match_all(publishers: pd.DataFrame, ref: MatchReference, *,
              portals: Sequence[object] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Automatic matches (MATCH_COLUMNS, decision ``auto``) and one class row per
    publisher (CLASS_COLUMNS: body category, reason), for every publisher of the frame."""
    rows: list[dict] = []
    classes: list[dict] = []
    if publishers is None or publishers.empty:
        return pd.DataFrame(columns=MATCH_COLUMNS), pd.DataFrame(columns=CLASS_COLUMNS)
    contexts = portal_contexts(portals)
    shared = shared_sirens(publishers)
    for pub in publishers.to_dict("records"):
        pid = pub.get("platform_id")
        ctx = contexts.get(str(pid)) if pid and pub.get("source") == vocab.SOURCE_PORTAL else None
        verdict = judge(pub, ref, ctx, shared)
        base = {"source": pub.get("source"), "publisher_id": str(pub.get("publisher_id"))}
        for p in verdict.proposals:
            rows.append({**base, "siren": p.siren, "method": p.method,
                         "confidence": float(p.confidence), "decision": vocab.DECISION_AUTO,
                         "flags": ",".join(dict.fromkeys(p.flags))})
        classes.append({**base, "categorie": verdict.categorie, "raison": verdict.raison})
    return (pd.DataFrame(rows, columns=MATCH_COLUMNS), pd.DataFrame(classes, columns=CLASS_COLUMNS))


def reference_of(collectivites: pd.DataFrame | MatchReference) -> MatchReference:
    if isinstance(collectivites, MatchReference):
        return collectivites
    return build_reference(collectivites)
