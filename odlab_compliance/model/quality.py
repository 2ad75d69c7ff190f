"""How well a collectivité publishes: the per-dataset flags, the publication profile and
the grade A–E, written once here (pure functions; the grid is data, versioned).

"Publishes" stays the legal status (model/status.py); the grade says how well. The grid
(``GRID``) is shown as is on the Méthode page, with each rule's reason: change a
threshold here and the page, the exports and every grade follow, under a new version.

Unknown is never "no": a criterion the source cannot give (a portal that dates nothing,
an Observatoire edition that only counts) is left out of the grade, and the grade says
it is partial and why (``Grade.partial``, ``Grade.unknown``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from odlab_compliance import fmt, vocab

# --- per dataset -----------------------------------------------------------------------------

# Days between two updates for each periodic udata frequency. Non periodic ones (punctual,
# irregular, unknown) and a missing frequency fall back to DEFAULT_MAX_AGE_DAYS.
FREQUENCY_DAYS: dict[str, float] = {
    "continuous": 1, "hourly": 1, "fourTimesADay": 1, "threeTimesADay": 1, "semidaily": 1,
    "daily": 1, "fourTimesAWeek": 2, "threeTimesAWeek": 3, "semiweekly": 4, "weekly": 7,
    "biweekly": 14, "threeTimesAMonth": 10, "semimonthly": 15, "monthly": 31,
    "bimonthly": 62, "quarterly": 92, "threeTimesAYear": 122, "semiannual": 183,
    "annual": 366, "biennial": 731, "triennial": 1096, "quinquennial": 1827,
}
# A periodic dataset is late once it is older than its period times this factor: putting
# an update online takes time, and data.gouv.fr's own "update_fulfilled_in_time" has no
# grace at all, which marks late a monthly file published on the 3rd of the next month.
LATE_FACTOR = 1.5
# Without a declared period: the follow-up list's "données de plus de 12 mois" (one year).
DEFAULT_MAX_AGE_DAYS = 365

# Open and machine-readable formats (three stars of the 5-star scale: structured and
# non-proprietary). XLS/XLSX are machine-readable but proprietary; PDF, DOC, HTML are not
# machine-readable. Lower-case, as udata normalises ``format``.
OPEN_FORMATS = frozenset({
    "csv", "tsv", "json", "geojson", "jsonld", "json-ld", "ndjson", "xml", "rdf", "ods",
    "gpkg", "geopackage", "kml", "kmz", "gml", "gtfs", "gtfs-rt", "netex", "parquet",
    "shp", "shapefile", "ics", "txt", "zip:csv", "topojson", "wms", "wfs", "ogc:wms",
    "ogc:wfs", "api", "esri rest",
})


def max_age_days(frequency: object) -> float:
    """The age after which a dataset of this declared frequency is late."""
    period = FREQUENCY_DAYS.get(str(frequency)) if isinstance(frequency, str) else None
    return DEFAULT_MAX_AGE_DAYS if period is None else period * LATE_FACTOR


def is_up_to_date(last_update: object, frequency: object, on: date) -> bool | None:
    """Whether a dataset updated on ``last_update`` respects ``frequency`` on date ``on``;
    None when the date is unknown (unknown is not late)."""
    when = pd.to_datetime(last_update, errors="coerce", utc=True)
    if pd.isna(when):
        return None
    age = (pd.Timestamp(on, tz="UTC") - when).total_seconds() / 86400
    return age <= max_age_days(frequency)


def split_formats(formats: object) -> list[str]:
    if not isinstance(formats, str) or not formats.strip():
        return []
    return [f.strip().lower() for f in formats.split(",") if f.strip()]


def has_open_format(formats: object) -> bool | None:
    """At least one resource in an open machine-readable format; None if no format known."""
    fmts = split_formats(formats)
    if not fmts:
        return None
    return any(f in OPEN_FORMATS for f in fmts)


def dataset_flags(datasets: pd.DataFrame, on: date) -> pd.DataFrame:
    """``datasets`` (last_update, frequency, formats) with ``a_jour``, ``format_ouvert`` and
    ``age_jours`` (nullable: unknown stays unknown)."""
    out = datasets.copy()
    freq = out["frequency"] if "frequency" in out else pd.Series(None, index=out.index)
    fmts = out["formats"] if "formats" in out else pd.Series(None, index=out.index)
    # Vectorised version of is_up_to_date (a national snapshot has ~50,000 datasets).
    when = pd.to_datetime(out["last_update"].astype("object"), errors="coerce", utc=True,
                          format="mixed")
    age = (pd.Timestamp(on, tz="UTC") - when).dt.total_seconds() / 86400
    limit = freq.map(max_age_days).astype(float)
    fresh = (age <= limit).astype("boolean")
    fresh[age.isna()] = pd.NA
    out["a_jour"] = fresh
    out["format_ouvert"] = pd.array([has_open_format(f) for f in fmts], dtype="boolean")
    out["age_jours"] = age.round()
    return out


# --- the profile -------------------------------------------------------------------------

@dataclass(frozen=True)
class Profile:
    """What one collectivité publishes at one snapshot. None = the source does not say."""

    nb_jeux: int
    part_a_jour: float | None = None          # among dated datasets
    nb_dates: int = 0                         # datasets whose source gives a date
    nb_a_jour: int = 0
    part_formats_ouverts: float | None = None  # among datasets whose formats are known
    nb_formats_connus: int = 0
    nb_formats_ouverts: int = 0
    schemas_scdl: tuple[str, ...] | None = ()  # SCDL schemas declared (None: not given)
    schemas_valides: tuple[str, ...] = ()     # with at least one conforming file
    schemas_invalides: tuple[str, ...] = ()   # every checked file of them non conforming
    nb_non_verifies: int = 0                  # SCDL files not yet validated
    score_qualite_median: float | None = None  # data.gouv.fr, 0..1
    age_mois: float | None = None             # months since the newest update
    partial: bool = False                     # counts only (Observatoire edition)

    @property
    def nb_schemas_scdl(self) -> int | None:
        return None if self.schemas_scdl is None else len(self.schemas_scdl)

    @property
    def nb_schemas_valides(self) -> int | None:
        if self.schemas_scdl is None:
            return None
        checked = set(self.schemas_valides) | set(self.schemas_invalides)
        # Nothing checked yet although schemas exist: validity unknown, not zero.
        if self.schemas_scdl and not checked:
            return None
        return len(self.schemas_valides)

    def value(self, criterion: str) -> float | None:
        v = getattr(self, criterion)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def profile(datasets: pd.DataFrame, on: date, *, scdl_names: Iterable[str] = (),
            validations: pd.DataFrame | None = None,
            schemas_known: bool = True) -> Profile:
    """The profile of ONE collectivité from its datasets at date ``on``.

    ``datasets``: dataset_id, last_update, frequency, formats, schemas (comma list),
    quality_score. ``validations``: schema_name, state (vocab.SCDL_*), one row per SCDL
    file. ``schemas_known``: False when no source of these datasets declares schemas.
    """
    if datasets.empty:
        return Profile(nb_jeux=0, schemas_scdl=() if schemas_known else None)
    one = datasets.assign(siren="_", source="_" if schemas_known else "_sans_schema")
    vals = None if validations is None else validations.assign(siren="_")
    return _aggregate(one, on, set(scdl_names), vals, ("_",))["_"]


def _sets(frame: pd.DataFrame, column: str) -> dict[str, set[str]]:
    if frame.empty:
        return {}
    return {k: set(v) for k, v in frame.groupby("siren")[column]}


def _aggregate(datasets: pd.DataFrame, on: date, scdl: set[str],
               validations: pd.DataFrame | None, schema_sources: Iterable[str]
               ) -> dict[str, Profile]:
    """Profiles of every SIREN of ``datasets`` in one pass (vectorised: a national
    snapshot is ~50,000 datasets and ~5,000 collectivités)."""
    flags = datasets if "a_jour" in datasets else dataset_flags(datasets, on)
    fresh = flags["a_jour"]
    is_open = flags["format_ouvert"]
    g = flags.assign(
        _dated=fresh.notna(), _fresh=fresh.fillna(False).astype(bool),
        _fmt=is_open.notna(), _open=is_open.fillna(False).astype(bool),
        _schema_src=flags["source"].isin(list(schema_sources)),
        _score=pd.to_numeric(flags.get("quality_score"), errors="coerce"),
    ).groupby("siren")
    agg = pd.DataFrame({"n": g.size(), "dated": g["_dated"].sum(), "fresh": g["_fresh"].sum(),
                        "fmt": g["_fmt"].sum(), "open": g["_open"].sum(),
                        "schema_src": g["_schema_src"].any(), "score": g["_score"].median(),
                        "age": g["age_jours"].min()})
    sch = flags[["siren", "schemas"]].dropna() if "schemas" in flags else flags.iloc[0:0]
    sch = sch.assign(schemas=sch["schemas"].astype(str).str.split(",")).explode("schemas")
    sch = sch[sch["schemas"].isin(scdl) | sch["schemas"].str.startswith("scdl/")]
    declared = _sets(sch, "schemas")
    valid: dict[str, set[str]] = {}
    invalid: dict[str, set[str]] = {}
    pending: dict[str, int] = {}
    if validations is not None and not validations.empty:
        st = validations["state"].fillna(vocab.SCDL_NON_VALIDE)
        valid = _sets(validations[st == vocab.SCDL_VALIDE], "schema_name")
        invalid = _sets(validations[st == vocab.SCDL_INVALIDE], "schema_name")
        pending = (st == vocab.SCDL_NON_VALIDE).groupby(validations["siren"]).sum().to_dict()
    out = {}
    for siren, r in agg.iterrows():
        dec = declared.get(siren, set())
        ok = valid.get(siren, set()) & dec
        n_dated, n_fresh = int(r["dated"]), int(r["fresh"])
        n_fmt, n_open = int(r["fmt"]), int(r["open"])
        out[siren] = Profile(
            nb_jeux=int(r["n"]), nb_dates=n_dated, nb_a_jour=n_fresh,
            part_a_jour=_share(n_fresh, n_dated), nb_formats_connus=n_fmt,
            nb_formats_ouverts=n_open, part_formats_ouverts=_share(n_open, n_fmt),
            schemas_scdl=tuple(sorted(dec)) if (bool(r["schema_src"]) or dec) else None,
            schemas_valides=tuple(sorted(ok)),
            schemas_invalides=tuple(sorted((invalid.get(siren, set()) - ok) & dec)),
            nb_non_verifies=int(pending.get(siren, 0)),
            score_qualite_median=None if pd.isna(r["score"]) else float(r["score"]),
            age_mois=None if pd.isna(r["age"]) else round(float(r["age"]) / 30.44, 1))
    return out


def counts_profile(nb_jeux: object) -> Profile:
    """An Observatoire edition's line: a dataset count and nothing else."""
    n = pd.to_numeric(nb_jeux, errors="coerce")
    return Profile(nb_jeux=0 if pd.isna(n) else int(n), schemas_scdl=None, partial=True)


# --- the grid ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """One condition of a grade: ``criterion`` (a Profile attribute) ``op`` ``threshold``."""

    criterion: str
    op: str                 # ">=" or "<="
    threshold: float
    label: str              # French, as on the Méthode page
    reason: str             # why this rule (Méthode page)

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.threshold if self.op == ">=" else value <= self.threshold


@dataclass(frozen=True)
class Level:
    grade: str
    rules: tuple[Rule, ...]


GRID_VERSION = "2026.1"
_N = "nb_jeux"
GRID: tuple[Level, ...] = (
    Level(vocab.NOTE_A, (
        Rule(_N, ">=", 20, "au moins 20 jeux publiés",
             "Au-delà d'une vingtaine de jeux, la publication couvre plusieurs politiques "
             "publiques ; l'Observatoire 2021 en compte 4 en médiane."),
        Rule("part_a_jour", ">=", 0.75, "au moins 75 % des jeux datés à jour",
             "Un jeu périmé trompe ses réutilisateurs : la plupart doivent respecter leur "
             "fréquence déclarée."),
        Rule("part_formats_ouverts", ">=", 0.9, "au moins 90 % des jeux en format ouvert",
             "Format ouvert et lisible par une machine (CSV, JSON…) : l'article L300-4 du "
             "CRPA demande un standard ouvert, aisément réutilisable."),
        Rule("nb_schemas_valides", ">=", 2, "au moins 2 schémas SCDL conformes",
             "Le Socle commun des données locales rend les données comparables d'une "
             "collectivité à l'autre ; un fichier non conforme ne se consolide pas."),
    )),
    Level(vocab.NOTE_B, (
        Rule(_N, ">=", 10, "au moins 10 jeux publiés",
             "Une dizaine de jeux : une publication suivie, au-delà d'un premier essai."),
        Rule("part_a_jour", ">=", 0.5, "au moins la moitié des jeux datés à jour",
             "La moitié des jeux tenus à jour montre une publication entretenue."),
        Rule("part_formats_ouverts", ">=", 0.75, "au moins 75 % des jeux en format ouvert",
             "Les trois quarts en format réutilisable sans logiciel propriétaire."),
        Rule("nb_schemas_scdl", ">=", 1, "au moins un schéma SCDL publié",
             "Un premier jeu au format SCDL (délibérations, budget, subventions…)."),
    )),
    Level(vocab.NOTE_C, (
        Rule(_N, ">=", 3, "au moins 3 jeux publiés",
             "L'Observatoire 2021 : 42 % des collectivités qui publient ont 1 ou 2 jeux ; "
             "trois jeux marquent une publication au-delà du minimum."),
        Rule("age_mois", "<=", 12, "une mise à jour dans les 12 derniers mois",
             "Une publication sans aucune mise à jour depuis un an est à l'abandon."),
    )),
    Level(vocab.NOTE_D, (
        Rule(_N, ">=", 1, "au moins un jeu publié",
             "Publier un jeu est la première étape de l'obligation."),
    )),
)
FALLBACK = vocab.NOTE_E


@dataclass(frozen=True)
class Grade:
    grade: str
    partial: bool = False                       # some rules could not be assessed
    unknown: tuple[str, ...] = ()               # criteria the source does not give
    missing: tuple[Rule, ...] = ()              # unmet rules of the next grade up
    next_grade: str | None = None
    version: str = GRID_VERSION


def grade(p: Profile) -> Grade:
    """The highest level whose rules are all met. A rule the source cannot assess (value
    None) is left out: the grade is then partial and names those criteria."""
    unknown: list[str] = []
    previous: Level | None = None
    for level in GRID:
        results = [(r, r.met(p.value(r.criterion))) for r in level.rules]
        if all(ok is not False for _, ok in results):
            unknown = sorted({r.criterion for r, ok in results if ok is None})
            missing = _missing(previous, p) if previous else ()
            return Grade(level.grade, partial=bool(unknown) or p.partial,
                         unknown=tuple(unknown), missing=missing,
                         next_grade=previous.grade if previous else None)
        previous = level
    missing = _missing(previous, p) if previous else ()
    return Grade(FALLBACK, partial=p.partial, missing=missing,
                 next_grade=previous.grade if previous else None)


def _missing(level: Level, p: Profile) -> tuple[Rule, ...]:
    return tuple(r for r in level.rules if r.met(p.value(r.criterion)) is False)


CRITERION_LABEL = {
    "nb_jeux": "nombre de jeux", "part_a_jour": "part des jeux à jour",
    "part_formats_ouverts": "part des jeux en format ouvert",
    "nb_schemas_valides": "conformité des fichiers SCDL",
    "nb_schemas_scdl": "schémas SCDL", "age_mois": "date de mise à jour",
}


def grid_table() -> pd.DataFrame:
    """The grid as a table (Méthode page, datapackage): one row per rule."""
    rows = [{"note": lv.grade, "condition": r.label, "raison": r.reason,
             "critere": r.criterion, "operateur": r.op, "seuil": r.threshold}
            for lv in GRID for r in lv.rules]
    rows.append({"note": FALLBACK, "condition": "aucun jeu publié trouvé",
                 "raison": "Aucun jeu n'a été trouvé sur les sources moissonnées.",
                 "critere": "", "operateur": "", "seuil": None})
    return pd.DataFrame(rows)


def grid_json() -> str:
    """The grid with its version, for the datapackage (machine-readable)."""
    return json.dumps({"version": GRID_VERSION, "levels": [
        {"note": lv.grade, "rules": [{"critere": r.criterion, "operateur": r.op,
                                      "seuil": r.threshold, "condition": r.label}
                                     for r in lv.rules]} for lv in GRID],
        "defaut": FALLBACK}, ensure_ascii=False)


# --- explanations (French, for the sheet) ----------------------------------------------------

def _pct(x: float | None) -> str:
    return fmt.pourcentage(x, vide="part inconnue")


def _jeux(n: int) -> str:
    return f"{fmt.nombre(n)} jeu" + ("x" if n > 1 else "")


def action(rule: Rule, p: Profile) -> str:
    """What to do to meet ``rule``, with the count that closes the gap."""
    t = rule.threshold
    if rule.criterion == "nb_jeux":
        return f"publier {_jeux(int(t) - p.nb_jeux)} de plus ({rule.label})"
    if rule.criterion == "part_a_jour":
        need = math.ceil(t * p.nb_dates) - p.nb_a_jour
        return f"mettre à jour {_jeux(need)} en retard ({rule.label})"
    if rule.criterion == "part_formats_ouverts":
        need = math.ceil(t * p.nb_formats_connus) - p.nb_formats_ouverts
        return f"ajouter un format ouvert (CSV, JSON…) à {_jeux(need)} ({rule.label})"
    if rule.criterion == "nb_schemas_valides":
        bad = ", ".join(schema_title(s) for s in p.schemas_invalides)
        fix = f"corriger le fichier non conforme ({bad}) ou " if bad else ""
        return f"{fix}publier un fichier SCDL conforme de plus ({rule.label})"
    if rule.criterion == "nb_schemas_scdl":
        return "publier un premier jeu au format SCDL, par exemple les délibérations"
    if rule.criterion == "age_mois":
        return f"mettre à jour au moins un jeu (le plus récent a {p.age_mois:.0f} mois)"
    return rule.label


def schema_title(name: str) -> str:
    """``scdl/deliberations`` -> ``délibérations`` (the part after the slash, readable)."""
    term = vocab.SCHEMA.get(name)
    if term is not None:
        return term.short or term.label
    return name.split("/")[-1].replace("-", " ")


def why(p: Profile, g: Grade) -> str:
    """"Why B" in one sentence."""
    if p.nb_jeux == 0:
        return f"Note {g.grade} : aucun jeu publié trouvé à cette date."
    parts = [_jeux(p.nb_jeux)]
    if not p.partial:
        parts.append(f"{_pct(p.part_a_jour)} à jour")
        parts.append(f"{_pct(p.part_formats_ouverts)} en format ouvert")
        if p.schemas_scdl is None:
            parts.append("schémas SCDL non fournis par la source")
        else:
            names = ", ".join(schema_title(s) for s in p.schemas_scdl) or "aucun"
            parts.append(f"SCDL : {names}")
            if p.schemas_invalides:
                parts.append("non conforme : " + ", ".join(schema_title(s)
                                                          for s in p.schemas_invalides))
    text = f"Note {g.grade} : " + ", ".join(parts)
    if p.partial:
        text += " (note partielle : l'édition ne donne que le nombre de jeux)"
    elif g.partial:
        what = ", ".join(CRITERION_LABEL.get(c, c) for c in g.unknown)
        text += f" (note partielle, non fourni par la source : {what})"
    if g.next_grade and g.missing:
        text += f" ; pour {g.next_grade}, il manque : " + ", ".join(r.label for r in g.missing)
    return text + "."


def improvements(p: Profile, g: Grade, n: int = 2) -> list[str]:
    """The first ``n`` changes that would raise the grade (in the grid's order)."""
    return [action(r, p) for r in g.missing[:n]]


# --- many collectivités at once -------------------------------------------------------------

PROFILE_COLUMNS = ["siren", "note", "note_partielle", "nb_jeux", "part_a_jour",
                   "part_formats_ouverts", "schemas_scdl", "schemas_valides",
                   "schemas_invalides", "nb_non_verifies", "score_qualite_median", "age_mois",
                   "pourquoi", "pour_progresser", "version_grille"]


def profile_row(siren: str, p: Profile) -> dict:
    g = grade(p)
    return {"siren": siren, "note": g.grade, "note_partielle": g.partial,
            "nb_jeux": p.nb_jeux, "part_a_jour": p.part_a_jour,
            "part_formats_ouverts": p.part_formats_ouverts,
            "schemas_scdl": None if p.schemas_scdl is None else ",".join(p.schemas_scdl),
            "schemas_valides": ",".join(p.schemas_valides),
            "schemas_invalides": ",".join(p.schemas_invalides),
            "nb_non_verifies": p.nb_non_verifies,
            "score_qualite_median": p.score_qualite_median, "age_mois": p.age_mois,
            "pourquoi": why(p, g), "pour_progresser": " ; ".join(improvements(p, g)),
            "version_grille": g.version}


def profiles(datasets: pd.DataFrame, on: date, *, sirens: Iterable[str] = (),
             scdl_names: Iterable[str] = (), validations: pd.DataFrame | None = None,
             schema_sources: Iterable[str] = (vocab.SOURCE_DATAGOUV,)) -> pd.DataFrame:
    """One profile row per collectivité: ``datasets`` carry ``siren`` (attributed),
    ``source``; ``validations`` carry ``siren``; ``sirens`` adds those with no dataset
    (grade E). ``schema_sources``: the sources that declare schemas."""
    found = (_aggregate(datasets, on, set(scdl_names), validations, schema_sources)
             if not datasets.empty else {})
    rows = [profile_row(siren, found.get(siren) or Profile(nb_jeux=0))
            for siren in sorted(set(found) | set(sirens))]
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


def observatoire_profiles(edition: pd.DataFrame) -> pd.DataFrame:
    """Partial grades of an Observatoire edition (nb_jeux_ptf + nb_jeux_datagouv: the
    Observatoire's own total, which gives its published median of 4 for 2021). An edition
    that gives no count (2022) gives no grade: a listed publisher is not E."""
    ptf = pd.to_numeric(edition["nb_jeux_ptf"], errors="coerce")
    dg = pd.to_numeric(edition["nb_jeux_datagouv"], errors="coerce")
    total = ptf.fillna(0) + dg.fillna(0)
    total[ptf.isna() & dg.isna()] = float("nan")
    rows = []
    for s, n in zip(edition["siren"], total, strict=True):
        if pd.isna(n):
            rows.append({"siren": s, "note": None, "note_partielle": True,
                         "pourquoi": "Pas de note : cette édition ne donne pas le nombre "
                                     "de jeux publiés.", "version_grille": GRID_VERSION})
        else:
            rows.append(profile_row(s, counts_profile(n)))
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


@dataclass
class Distribution:
    """Grades of a set of collectivités, with the Observatoire's comparison figures."""

    counts: dict[str, int] = field(default_factory=dict)
    publishers: int = 0
    median_datasets: float | None = None
    one_or_two: int = 0            # publishers with at most 2 datasets
    fifty_or_more: int = 0
    no_count: int = 0              # listed without a dataset count (no grade)


def distribution(rows: pd.DataFrame) -> Distribution:
    """Grades and dataset counts of ``rows`` (the caller chooses whom: every obliged
    collectivité, or the publishers only, as the Observatoire counts)."""
    notes = rows["note"].value_counts()
    n = pd.to_numeric(rows["nb_jeux"], errors="coerce")
    return Distribution(counts={g: int(notes.get(g, 0)) for g in vocab.NOTE.codes},
                        publishers=int((n > 0).sum()),
                        median_datasets=None if n.empty else float(n.median()),
                        one_or_two=int((n <= 2).sum()), fifty_or_more=int((n >= 50).sum()),
                        no_count=int(n.isna().sum()))
