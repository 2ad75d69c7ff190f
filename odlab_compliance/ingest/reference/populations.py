"""Populations of one millésime: INSEE's official files, and the millésime of every figure.

INSEE's « populations légales » (since 2025 « populations de référence ») of millésime N
are published at the end of December N+2 and are in force from 1 January N+3: a
reference vintage V is judged with millésime V-3 (``in_force``). Each commune has a
population municipale, a population comptée à part and a population totale (= the sum of
the two, the figure the law refers to, art. R2151-2 CGCT).

The Etalab découpage files carry populations of *two* millésimes under one vintage name
(the commune list and the EPCI member lists differ, see shared/data/README.md). So the
millésime of a set of figures is never taken from a vintage or package name; it is
established from evidence (``identify``):

1. published figures: ``reference/populations_reperes.csv`` gives, per millésime, the
   population municipale INSEE published for a few communes (with the page it comes
   from); a set holding those communes with exactly those figures is of that millésime;
2. otherwise, agreement with a set already identified: the same municipale for at least
   ``SAME_SHARE`` of the communes they share;
3. otherwise the millésime stays unknown (None) and the loader says so.

``parse_insee`` reads INSEE's file (``ensemble.zip`` with ``donnees_communes.csv``, or
that CSV alone): newer files give the commune code in ``COM`` and its name in
``Commune``; older ones give the name in ``COM`` and the code as ``DEP`` + ``CODCOM``.
Pure functions: files and DataFrames in, DataFrames and French sentences out.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from odlab_compliance.config import PROJECT_ROOT
from odlab_compliance.errors import InputError, LineError
from odlab_compliance.fmt import nombre, pourcentage
from odlab_compliance.identifiers import commune_code_problem
from odlab_compliance.textfile import decode_lenient

ANCHORS_PATH = PROJECT_ROOT / "reference" / "populations_reperes.csv"
COMMUNES_MEMBER = "donnees_communes.csv"
SAME_SHARE = 0.95        # share of equal figures for two sets to be one millésime
FIGURE_COLUMNS = ["code", "population_municipale", "population_comptee_a_part",
                  "population_totale"]


def in_force(vintage: int) -> int:
    """The millésime in force on 1 January of ``vintage`` (published three years after)."""
    return int(vintage) - 3


# -- INSEE's file --------------------------------------------------------------------------

def _insee_table(path: Path) -> tuple[str, str]:
    """(text of donnees_communes.csv, name shown in messages)."""
    raw = path.read_bytes()
    if raw[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as zf:
                names = [n for n in zf.namelist() if Path(n).name.lower() == COMMUNES_MEMBER]
                if not names:
                    raise InputError(str(path), f"archive sans fichier {COMMUNES_MEMBER} "
                                                f"(contenu : {', '.join(zf.namelist()[:8])})")
                return decode_lenient(zf.read(names[0]))[0], f"{path.name}/{names[0]}"
        except zipfile.BadZipFile as exc:
            raise InputError(str(path), f"archive ZIP illisible ({exc})") from exc
    return decode_lenient(raw)[0], path.name


def _number(value: str) -> int | None:
    text = str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not text:
        return None
    return int(text) if text.isdigit() else -1


def parse_insee(path: Path) -> pd.DataFrame:
    """``FIGURE_COLUMNS`` of every commune of INSEE's populations légales file."""
    text, name = _insee_table(Path(path))
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    frame.columns = [c.strip().lstrip("\ufeff") for c in frame.columns]
    missing = [c for c in ("PMUN", "PTOT") if c not in frame.columns]
    # Newer files give the code in COM, older ones the name: a COM column made mostly of
    # codes is the code (and each value is then checked as one).
    has_code = "COM" in frame.columns and bool(
        frame["COM"].str.strip().str.fullmatch(r"[0-9][0-9AB][0-9]{3}").mean() > 0.5)
    if not has_code and not {"DEP", "CODCOM"} <= set(frame.columns):
        missing.append("COM (code) ou DEP + CODCOM")
    if missing:
        raise InputError(f"{path} ({name})", f"colonnes manquantes : {', '.join(missing)} "
                                              f"(trouvées : {', '.join(frame.columns)})")
    if has_code:
        codes = frame["COM"].str.strip()
    else:
        dep = frame["DEP"].str.strip()
        digits = 5 - dep.str.len()
        codes = [d + c.strip().zfill(n)[-n:] for d, c, n in
                 zip(dep, frame["CODCOM"], digits, strict=True)]
        codes = pd.Series(codes, index=frame.index)
    out = pd.DataFrame({
        "code": codes,
        "population_municipale": frame["PMUN"].map(_number),
        "population_comptee_a_part": (frame["PCAP"].map(_number) if "PCAP" in frame.columns
                                      else None),
        "population_totale": frame["PTOT"].map(_number),
    })
    errors = []
    for i, row in enumerate(out.itertuples(index=False), start=2):
        why = commune_code_problem(row.code)
        if why:
            errors.append(LineError(i, why))
        for col in ("population_municipale", "population_totale"):
            value = getattr(row, col)
            if value is None or value < 0:
                errors.append(LineError(i, f"{col} : nombre entier attendu"))
        if (row.population_totale is not None and row.population_municipale is not None
                and 0 <= row.population_totale < row.population_municipale):
            errors.append(LineError(i, "population totale inférieure à la municipale"))
    dup = out["code"][out["code"].duplicated()]
    errors += [LineError(int(i) + 2, f"code {c} en double") for i, c in dup.items()]
    if errors:
        raise InputError(f"{path} ({name})", "fichier des populations légales inutilisable",
                         errors)
    for col in FIGURE_COLUMNS[1:]:
        out[col] = pd.to_numeric(out[col]).astype("Int64")
    return out


def for_cog(insee: pd.DataFrame, cog_codes: list[str], former: pd.DataFrame) -> pd.DataFrame:
    """INSEE's figures keyed by the vintage's commune codes.

    A commune nouvelle created after INSEE's file was made (its former communes are
    still separate rows there) gets the sum of its former communes, its own code included
    when it kept one of theirs: the same millésime, as INSEE itself computes it. Such a
    commune is left out when a former commune is missing from the file (no partial sum),
    and so is a code found neither way.

    ``former``: (ancien_code, code) of the vintage's commune list (its own code excluded).
    """
    by_code = insee.set_index("code")
    formers = former[former["code"].isin(cog_codes)].groupby("code")["ancien_code"].agg(list)
    rows = []
    for code in cog_codes:
        olds = formers.get(code, [])
        if any(o in by_code.index for o in olds):      # the file predates the merger
            parts = [o for o in (code, *olds) if o in by_code.index]
            if all(o in by_code.index for o in olds):
                rows.append({"code": code,
                             **by_code.loc[parts, FIGURE_COLUMNS[1:]].sum(min_count=1)})
        elif code in by_code.index:
            rows.append({"code": code, **by_code.loc[code, FIGURE_COLUMNS[1:]].to_dict()})
    out = pd.DataFrame(rows, columns=FIGURE_COLUMNS)
    for col in FIGURE_COLUMNS[1:]:
        out[col] = pd.to_numeric(out[col]).astype("Int64")
    return out.reindex(columns=FIGURE_COLUMNS)


# -- which millésime is a set of figures ------------------------------------------------------

@dataclass(frozen=True)
class FigureSet:
    """A set of population figures of one origin (a file, or a part of one)."""

    key: str                      # "communes", "membres-epci", "membres-ept", "insee"
    label: str                    # French, for sentences: "fichier des communes"
    municipale: pd.Series         # code -> population municipale
    declared: int | None = None   # the millésime its producer states, if any


@dataclass(frozen=True)
class Identified:
    key: str
    label: str
    millesime: int | None
    evidence: str                 # French: how the millésime was established
    declared: int | None = None

    @property
    def text(self) -> str:
        year = f"millésime {self.millesime}" if self.millesime else "millésime inconnu"
        return f"{self.label} : {year} ({self.evidence})"

    def as_dict(self) -> dict[str, object]:
        return {"cle": self.key, "fichier": self.label, "millesime": self.millesime,
                "preuve": self.evidence, "millesime_declare": self.declared}


def read_anchors(path: Path = ANCHORS_PATH) -> pd.DataFrame:
    """Published figures: millesime, code, nom, population_municipale, source."""
    df = pd.read_csv(path, sep=";", dtype={"code": str, "source": str, "nom": str})
    return df.astype({"millesime": int, "population_municipale": int})


def agreement(a: pd.Series, b: pd.Series) -> tuple[int, int]:
    """(equal, common): communes with the same figure in both sets, communes in both."""
    common = a.dropna().index.intersection(b.dropna().index)
    if common.empty:
        return 0, 0
    equal = int((a.loc[common].astype("int64") == b.loc[common].astype("int64")).sum())
    return equal, len(common)


def _by_anchors(s: FigureSet, anchors: pd.DataFrame) -> Identified | None:
    held = anchors[anchors["code"].isin(s.municipale.dropna().index)]
    matching = []
    for year, group in held.groupby("millesime"):
        values = s.municipale.loc[group["code"]].astype("int64").to_numpy()
        if (values == group["population_municipale"].to_numpy()).all():
            matching.append((int(year), group))
    if len(matching) != 1:
        return None
    year, group = matching[0]
    shown = ", ".join(f"{r.nom} {nombre(r.population_municipale)}"
                      for r in group.itertuples())
    return Identified(s.key, s.label, year,
                      f"chiffres publiés par l'Insee pour le millésime {year} : {shown} "
                      f"({group['source'].iloc[0]})", s.declared)


def identify(sets: list[FigureSet], anchors: pd.DataFrame | None = None
             ) -> dict[str, Identified]:
    """The millésime of each set, with the French sentence that proves it."""
    anchors = read_anchors() if anchors is None else anchors
    out: dict[str, Identified] = {}
    for s in sets:
        found = _by_anchors(s, anchors)
        if found:
            out[s.key] = found
    ambiguous: dict[str, str] = {}
    changed = True
    while changed:          # agreement with identified sets, until nothing moves
        changed = False
        for s in sets:
            if s.key in out:
                continue
            agree = []
            for ref in [x for x in sets if x.key in out and out[x.key].millesime]:
                equal, common = agreement(s.municipale, ref.municipale)
                if common and equal / common >= SAME_SHARE:
                    agree.append((ref, equal, common))
            years = {out[ref.key].millesime for ref, _, _ in agree}
            if len(years) == 1:
                ref, equal, common = max(agree, key=lambda a: a[2])
                year = out[ref.key].millesime
                out[s.key] = Identified(
                    s.key, s.label, year,
                    f"{nombre(equal)} des {nombre(common)} communes en commun "
                    f"({pourcentage(equal / common, 1)}) ont la même population "
                    f"municipale que {ref.label}, du millésime {year}", s.declared)
                ambiguous.pop(s.key, None)
                changed = True
            elif len(years) > 1:
                ambiguous[s.key] = (f"ses chiffres s'accordent avec des fichiers de millésimes "
                                    f"différents ({', '.join(map(str, sorted(years)))})")
    for s in sets:
        if s.key not in out:
            out[s.key] = Identified(s.key, s.label, None, ambiguous.get(
                s.key, "aucun chiffre publié ni aucun autre fichier ne permet de l'établir"),
                s.declared)
    return out


def disagreement_text(a: FigureSet, b: FigureSet) -> str | None:
    """A French sentence when two sets differ (not one millésime), else None."""
    equal, common = agreement(a.municipale, b.municipale)
    if not common or equal / common >= SAME_SHARE:
        return None
    return (f"seules {nombre(equal)} des {nombre(common)} communes ont la même population "
            f"municipale dans {a.label} et dans {b.label} : ce sont deux millésimes "
            "différents, jamais additionnés ni comparés comme une seule année")
