"""Publisher names, normalised so that the forms people write meet the reference's.

"Mairie de St-Denis (93)", "VILLE DE SAINT DENIS", "Commune de Saint-Denis" all become the
core ``saint denis`` with a type hint (``COM``) and, for the first, a département hint
(``93``). Pure functions; the comparison of two cores uses rapidfuzz (``similarity``).

What normalisation does, in order:

1. parenthesised parts: a département code (``(05)``, ``(2A)``) becomes a hint, anything
   else (``(IRVE)``, ``(GPSO - T3)``) is a qualifier and is dropped;
2. lower case, accents off, ``œ`` → ``oe``, ``St``/``Ste`` → ``saint``/``sainte``,
   apostrophes, hyphens and punctuation → spaces;
3. words that only say "open data" (``open data``, ``portail``, ``données ouvertes``…)
   are dropped at either end;
4. a type prefix (``Ville de``, ``Mairie de``, ``Commune de``, ``CA du``, ``Conseil
   départemental de la``…) or suffix (``… Métropole``, ``… Agglomération``,
   ``… Communauté``) is removed and kept as a type hint; ``CD25`` is the département 25;
5. leading articles (``la``, ``le``, ``les``, ``l``, ``de``, ``du``, ``des``, ``d``) go.

A département or région name inside the core stays there: it is part of the name
("Champigny-sur-Marne", "Angers Loire Métropole"), never evidence about the territory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd
from rapidfuzz import fuzz

from odlab_compliance import vocab
from odlab_compliance.fmt import fold

# The type hints a name may carry: a collectivité type (vocab.TYPE), or the family EPCI
# (« communauté »: an intercommunality without saying which kind).
COM, DEP, REG = vocab.TYPE_COM, vocab.TYPE_DEP, vocab.TYPE_REG
CC, CA, CU, MET, EPT = vocab.TYPE_CC, vocab.TYPE_CA, vocab.TYPE_CU, vocab.TYPE_MET, vocab.TYPE_EPT
EPCI = vocab.FAMILY_EPCI
EPCI_TYPES = frozenset(vocab.EPCI_TYPES)

# Normalised prefixes -> type hint (None: says nothing about the type). Longest first.
_TYPE_PREFIXES: list[tuple[str, str | None]] = sorted([
    ("commune nouvelle", COM), ("commune", COM), ("ville", COM), ("mairie", COM),
    ("hotel de ville", COM),
    ("ville et eurometropole", MET), ("eurometropole", MET), ("metropole", MET),
    ("conseil departemental", DEP), ("conseil general", DEP), ("departement", DEP),
    ("cd", DEP), ("cg", DEP),
    ("conseil regional", REG), ("region", REG),
    ("communaute de communes", CC), ("cc", CC), ("ccom", CC),
    ("communaute d agglomeration", CA), ("communaute de l agglomeration", CA),
    ("agglomeration", CA), ("agglo", CA), ("ca", CA),
    ("communaute urbaine", CU), ("cu", CU),
    ("etablissement public territorial", EPT), ("ept", EPT),
    ("communaute", EPCI),
    ("collectivite territoriale", None), ("collectivite", None),
], key=lambda p: -len(p[0]))
# Suffixes that only restate the type ("Rennes Métropole", "Lorient Agglomération").
_TYPE_SUFFIXES: list[tuple[str, str]] = sorted([
    ("metropole", MET), ("agglomeration", CA), ("agglo", CA), ("communaute", EPCI),
    ("communaute de communes", CC), ("communaute d agglomeration", CA),
    ("communaute urbaine", CU),
], key=lambda p: -len(p[0]))
# « La Région Grand Est », « Le Département de la Gironde »: an article before a type word
# that never opens a collectivité's own name.
_ARTICLE_BEFORE_TYPE = re.compile(
    r"^(?:la|le|l) (?=(?:region|departement|metropole|eurometropole|communaute|conseil|"
    r"collectivite|agglomeration)\b)")
_ARTICLES = ("de la ", "de l ", "la ", "le ", "les ", "l ", "d ", "du ", "des ", "de ")
# Words that only say the organisation publishes open data, dropped at either end.
_NOISE = sorted(["open data", "opendata", "portail open data", "portail", "donnees ouvertes",
                 "portail des donnees ouvertes", "data", "plateforme open data", "site officiel",
                 "officiel", "sig", "geoportail"], key=len, reverse=True)
_STOPWORDS = frozenset({"de", "du", "des", "d", "la", "le", "les", "l", "et", "en", "sur",
                        "a", "aux", "au"})
_DEP_CODE = r"(?:\d{2,3}|2[ab])"


def normalize_name(text: object) -> str:
    """Lowercase, no accents, punctuation and apostrophes as spaces, single spaces,
    ``st``/``ste`` spelled out."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    s = fold(str(text)).replace("œ", "oe").replace("æ", "ae")
    s = re.sub(r"[^a-z0-9]+", " ", s)
    s = re.sub(r"\bst\b", "saint", s)
    s = re.sub(r"\bste\b", "sainte", s)
    return re.sub(r"\s+", " ", s).strip()


@dataclass(frozen=True)
class ParsedName:
    core: str                    # the name without "Commune de", "CC", articles...
    type_hint: str | None        # COM CC CA CU MET EPT DEP REG, or EPCI (any of them)
    dep_hint: str | None         # a département code written in the text, e.g. "93"
    qualifiers: tuple[str, ...] = field(default=())   # dropped parenthesised texts
    norm: str = ""               # the whole name, normalised (qualifiers removed)
    # the name with its first words kept, when they looked like a type word but may be
    # part of the name ("Ville-d'Avray", "Mairie de Ville-d'Avray" -> "ville d avray")
    alt: str = ""
    town: bool = False           # it says « Ville de »: a town, not a hamlet of that name


def _strip_articles(s: str) -> str:
    for _ in range(2):
        for art in _ARTICLES:
            if s.startswith(art) and len(s) > len(art) + 2:
                s = s[len(art):]
                break
        else:
            break
    return s


def _strip_noise(s: str) -> str:
    changed = True
    while changed and s:
        changed = False
        for n in _NOISE:
            if s == n:
                return s
            if s.startswith(n + " "):
                s, changed = s[len(n) + 1:], True
            elif s.endswith(" " + n):
                s, changed = s[: -len(n) - 1], True
    return s


@lru_cache(maxsize=200_000)
def parse_name(text: object) -> ParsedName:
    """Split a publisher's name into its core, a type hint and a département hint."""
    raw = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    dep = None
    qualifiers: list[str] = []

    def paren(m: re.Match[str]) -> str:
        nonlocal dep
        inner = m.group(1).strip()
        if re.fullmatch(_DEP_CODE, inner, re.I):
            dep = inner.upper()
        elif inner:
            qualifiers.append(normalize_name(inner))
        return " "

    raw = re.sub(r"\(([^()]*)\)", paren, raw)
    s = _ARTICLE_BEFORE_TYPE.sub("", normalize_name(raw))
    norm = s
    m = re.search(rf"\b(?:dep|departement|cd|cg)\s?({_DEP_CODE})$|\b(?:cd|cg)({_DEP_CODE})\b", s)
    hint: str | None = None
    if m:
        dep = (m.group(1) or m.group(2)).upper()
        s = (s[: m.start()] + s[m.end():]).strip()
        # « CD31 », « Le Département 31 »: a département, unless other words say more
        hint = DEP if re.match(r"(?:cd|cg)", m.group(0)) or not s else None
    s = _strip_noise(s)
    town = s.startswith("ville ")
    plain = _strip_articles(s)          # the name with its first words kept
    for _ in range(2):   # "CA Communauté Paris-Saclay": a second type word may follow
        for prefix, t in _TYPE_PREFIXES:
            if s.startswith(prefix + " ") and (hint is None or t in (EPCI, None)
                                               or hint in (EPCI, None)):
                s, hint = s[len(prefix) + 1:].strip(), hint if hint not in (None, EPCI) else t
                break
        else:
            break
        if hint not in EPCI_TYPES | {EPCI}:
            break
    for suffix, t in _TYPE_SUFFIXES:
        if s.endswith(" " + suffix):
            s = s[: -len(suffix) - 1].strip()
            hint = hint or t
            break
    s = _strip_noise(s)
    s = _strip_articles(s)
    return ParsedName(s, hint, dep, tuple(qualifiers), norm, plain if plain != s else "",
                      town and hint == COM)


def core_name(text: object) -> str:
    return parse_name(text).core


def reference_core(nom: object, kind: object) -> str:
    """The core of a collectivité's official name: an intercommunality's, a département's
    or a région's type words go ("CA du Grand Angoulême" -> "grand angouleme"); a
    commune's name is kept whole but for its article ("Ville-d'Avray", "La Rochelle" ->
    "rochelle"), official commune names carrying no type word."""
    parsed = parse_name(nom)
    if str(kind) == COM:
        return _strip_articles(_strip_noise(parsed.norm)) if parsed.norm else parsed.core
    return parsed.core


def initials(text: object) -> str:
    """``Métropole Européenne de Lille`` -> ``mel`` (stop words left out)."""
    return "".join(w[0] for w in normalize_name(text).split() if w not in _STOPWORDS)


def type_fits(hint: str | None, ctype: str) -> float:
    """How well a type hint written in a name fits a collectivité type.

    1.0: no hint, or the same type (a MET hint fits a CU: some métropoles are still
    communautés urbaines in law); 0.9: another kind of intercommunality (types change
    while names stay: a CC becomes a CA); 0.5: a contradiction (a "Ville de" on a
    département)."""
    if not hint:
        return 1.0
    if hint == ctype or (hint == MET and ctype == CU):
        return 1.0
    if (hint == EPCI or hint in EPCI_TYPES) and ctype in EPCI_TYPES:
        return 0.9 if hint != EPCI else 1.0
    return 0.5


def similarity(a: str, b: str) -> float:
    """Similarity (0..1) of two cores: 1 when equal, 0.85 when one's words are all in
    the other ("champigny" / "champigny sur marne"), else rapidfuzz's ``ratio`` (an
    edit-distance similarity: "aspres les corps" / "aspre les corps" is 0.97)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ta, tb = set(a.split()) - _STOPWORDS, set(b.split()) - _STOPWORDS
    if ta and tb and (ta <= tb or tb <= ta):
        return 0.85
    return fuzz.ratio(a, b) / 100.0


def names_fit(a: object, b: object) -> float:
    """Similarity (0..1) of two organisation names once prefixes and accents are gone;
    an acronym of the other's name counts as 0.9 ("MEL")."""
    ca, cb = core_name(a), core_name(b)
    sim = similarity(ca, cb)
    if sim < 0.9:
        na, nb = normalize_name(a), normalize_name(b)
        if (len(na) >= 3 and " " not in na and na == initials(b)) or \
                (len(nb) >= 3 and " " not in nb and nb == initials(a)):
            return 0.9
    return sim
