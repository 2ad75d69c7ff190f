"""What the pages, PDFs and exports say of publication quality (pure functions, French).

The rules are in ``model.quality``; this module only phrases and arranges: the sheet's
section (grade, why, the two changes, the datasets table, one alert per non-conforming
SCDL file), grade distributions and medians for the overview, grade changes between two
snapshots for Changements and the watch list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.fmt import date_fr, is_missing, nombre, pourcentage
from odlab_compliance.model import quality

# In reading order: what the dataset is, its SCDL state, its freshness, its formats.
DATASET_LABELS = {
    "titre": "Jeu de données", "schema_scdl": "Schéma SCDL", "conformite": "Conformité SCDL",
    "a_jour": "À jour", "derniere_mise_a_jour": "Dernière mise à jour",
    "frequence": "Fréquence déclarée", "formats": "Formats", "format_ouvert": "Format ouvert",
    "score_qualite": "Score data.gouv.fr", "moissonne_depuis": "Moissonné depuis",
    "premieres_erreurs": "Premières erreurs",
}
VALIDATA = "https://validata.fr"
GRADE_RANK = {g: i for i, g in enumerate(vocab.NOTE.codes)}   # A=0 … E=4


def _yes_no(value: object) -> str:
    if is_missing(value):
        return "non fourni"
    return "oui" if bool(value) else "non"


def dataset_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The sheet's datasets table with French values and headers (``DATASET_LABELS``)."""
    out = pd.DataFrame({
        "titre": table["titre"].fillna("").astype(str),
        "formats": table["formats"].map(lambda v: "non fourni" if is_missing(v) else v),
        "format_ouvert": table["format_ouvert"].map(_yes_no),
        "frequence": table["frequence"].map(lambda v: "non déclarée" if is_missing(v) else v),
        "derniere_mise_a_jour": table["derniere_mise_a_jour"].map(
            lambda v: date_fr(v, vide="non fournie")),
        "a_jour": table["a_jour"].map(_yes_no),
        "schema_scdl": table["schema_scdl"].map(lambda v: "—" if is_missing(v) else v),
        "conformite": [("—" if is_missing(s) else vocab.SCDL_ETAT.label(s))
                       + ("" if is_missing(n) or not n else f" ({nombre(int(n))} erreur"
                          + ("s" if n > 1 else "") + ")")
                       for s, n in zip(table["conformite"], table["erreurs"], strict=True)],
        "premieres_erreurs": table["premieres_erreurs"].map(lambda v: "" if is_missing(v)
                                                          else v),
        "score_qualite": table["score_qualite"].map(lambda v: pourcentage(v, vide="—")),
        # A copy data.gouv.fr harvested from a portal: the portal is where to fix it.
        "moissonne_depuis": table.get("moissonne_depuis", pd.Series(None, index=table.index))
        .map(lambda v: "" if is_missing(v) else str(v).removeprefix("backend:")),
    })
    return out[list(DATASET_LABELS)]


@dataclass
class Alert:
    """A non-conforming SCDL file: which, against which schema, its first errors, what
    to do. ``text`` is the one-paragraph form (PDF, exports)."""

    fichier: str
    schema: str
    nb_erreurs: int
    erreurs: list[str]
    action: str = (f"À corriger dans le fichier, puis à republier ; le contrôle peut être "
                   f"refait sur {VALIDATA}.")

    @property
    def titre(self) -> str:
        s = "s" if self.nb_erreurs > 1 else ""
        return (f"Le fichier « {self.fichier} » ne respecte pas le schéma SCDL "
                f"{self.schema} : {nombre(self.nb_erreurs)} erreur{s}.")

    @property
    def text(self) -> str:
        first = f" Premières erreurs : {' ; '.join(self.erreurs)}." if self.erreurs else ""
        return f"{self.titre}{first} {self.action}"


@dataclass
class QualitySection:
    """The sheet's "Qualité de la publication" section."""

    note: str                       # A..E
    partielle: bool
    pourquoi: str                   # one sentence
    progresser: list[str]           # the two changes that would raise the grade
    prochaine: str | None           # the grade they lead to
    alertes: list[Alert] = field(default_factory=list)   # one per non-conforming file
    jeux: pd.DataFrame = field(default_factory=pd.DataFrame)  # dataset_rows
    version: str = quality.GRID_VERSION

    @property
    def titre(self) -> str:
        return f"Qualité de la publication : note {self.note}" + (
            " (partielle)" if self.partielle else "")


def invalid_alerts(table: pd.DataFrame) -> list[Alert]:
    """One alert per dataset whose SCDL file does not conform."""
    out = []
    bad = table[table["conformite"] == vocab.SCDL_INVALIDE] if len(table) else table
    for r in bad.to_dict("records"):
        msgs = r.get("messages")
        if not isinstance(msgs, list):
            first = r.get("premieres_erreurs")
            msgs = [] if is_missing(first) else str(first).split(" ; ")
        out.append(Alert(fichier=str(r["titre"]), schema=str(r["schema_scdl"]),
                         nb_erreurs=0 if is_missing(r["erreurs"]) else int(r["erreurs"]),
                         erreurs=msgs[:3]))
    return out


def quality_section(profile: Mapping[str, object], table: pd.DataFrame) -> QualitySection:
    """The section from a profile row (``quality.PROFILE_COLUMNS``) and the datasets table
    (``model.publication.dataset_table``)."""
    steps = str(profile.get("pour_progresser") or "")
    note = str(profile.get("note") or quality.FALLBACK)
    rank = GRADE_RANK.get(note, len(GRADE_RANK))
    return QualitySection(
        note=note, partielle=bool(profile.get("note_partielle")),
        pourquoi=str(profile.get("pourquoi") or ""),
        progresser=[s for s in steps.split(" ; ") if s],
        prochaine=vocab.NOTE.codes[rank - 1] if 0 < rank < len(GRADE_RANK) else None,
        alertes=invalid_alerts(table), jeux=dataset_rows(table) if len(table) else
        pd.DataFrame(columns=list(DATASET_LABELS)),
        version=str(profile.get("version_grille") or quality.GRID_VERSION))


# --- territories ---------------------------------------------------------------------------

def median_grade(notes: pd.Series) -> str | None:
    """The median grade (grades are ordered A < … < E); None when there is none."""
    ranks = notes.map(GRADE_RANK).dropna().sort_values()
    if ranks.empty:
        return None
    return vocab.NOTE.codes[int(ranks.iloc[(len(ranks) - 1) // 2])]


def grade_counts(notes: pd.Series) -> pd.DataFrame:
    """Count and share of each grade, A to E (every grade listed, even at zero)."""
    counts = notes.value_counts()
    total = int(counts.sum())
    rows = [{"note": g, "nombre": int(counts.get(g, 0)),
             "part": (int(counts.get(g, 0)) / total) if total else None}
            for g in vocab.NOTE.codes]
    return pd.DataFrame(rows)


def grade_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Collectivités whose grade changed between two profile tables (siren, note):
    ``note_avant``, ``note_apres``, ``sens`` (« en baisse » / « en hausse »)."""
    b = before[["siren", "note"]].rename(columns={"note": "note_avant"})
    a = after[["siren", "note"]].rename(columns={"note": "note_apres"})
    m = b.merge(a, on="siren", how="inner")
    # A missing grade (unknown status, an edition without counts) is not a change.
    m = m[m["note_avant"].isin(GRADE_RANK) & m["note_apres"].isin(GRADE_RANK)]
    m = m[m["note_avant"] != m["note_apres"]].copy()
    delta = m["note_apres"].map(GRADE_RANK) - m["note_avant"].map(GRADE_RANK)
    m["sens"] = ["en baisse" if d > 0 else "en hausse" for d in delta]
    return m.reset_index(drop=True)


def grades_summary(notes: pd.Series, peers: str | None = None,
                   peers_median: str | None = None) -> str:
    """One French line for a report: counts per grade, the median, the peers' median."""
    counts = grade_counts(notes.dropna())
    parts = ", ".join(f"{r.note} : {nombre(r.nombre)}" for r in counts.itertuples())
    median = median_grade(notes)
    text = f"Notes des collectivités obligées ({parts}) ; note médiane : {median or '—'}"
    if peers and peers_median:
        text += f" ({peers.lower()} : {peers_median})"
    return text + f". Grille {quality.GRID_VERSION}, voir la page Méthode."
