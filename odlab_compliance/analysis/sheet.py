"""Content of the collectivité sheet (fiche): SCDL priority grid and next steps.

Pure functions (no streamlit): the page and the PDF (``sheet_pdf``) render the same
content, so the printed sheet never says something the screen does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from odlab_compliance.fmt import date_fr, is_missing
from odlab_compliance.model.status import FRESH_DAYS  # one definition of "à jour"

# The priority datasets of the Socle commun des données locales and labelled schemas
# (schema.data.gouv.fr; docs/dashboard.md, « Fiche collectivité »), in the order a collectivité usually tackles them.
PRIORITY_SCHEMAS: tuple[tuple[str, str], ...] = (
    ("scdl/deliberations", "Délibérations"),
    ("scdl/budget", "Budget"),
    ("scdl/subventions", "Subventions"),
    ("139bercy/format-commande-publique", "Marchés publics (DECP)"),
    ("scdl/equipements", "Équipements"),
    ("scdl/catalogue", "Catalogue des données"),
    ("etalab/schema-bal", "Base Adresse Locale"),
    ("atlasante/schema-dae", "Défibrillateurs"),
    ("etalab/schema-irve-statique", "Bornes de recharge (IRVE)"),
    ("etalab/schema-amenagements-cyclables", "Aménagements cyclables"),
    ("scdl/prenoms", "Prénoms des nouveaux-nés"),
    ("scdl/menus-collectifs", "Menus de la restauration collective"),
)
GRID_LABELS = {"present": "Présent et à jour", "ancien": "Présent mais ancien (> 12 mois)",
               "absent": "Absent", "inconnu": "Non renseigné par cette source"}


def _schemas_of(value: object) -> list[str]:
    if is_missing(value):
        return []
    if isinstance(value, str):
        return [s.strip() for s in value.split(",") if s.strip()]
    return [str(s) for s in value]  # a list or array


def scdl_grid(evidence: pd.DataFrame, today: dt.date | None = None,
              known: bool = True) -> pd.DataFrame:
    """One row per priority schema: ``etat`` present / ancien / absent, the last update
    and the number of datasets declaring it (``evidence``: one row per dataset with
    ``schemas`` and ``last_update``). ``known=False`` (a source that records no schemas,
    such as an Observatoire edition) gives ``inconnu`` rather than a false "absent"."""
    today = today or dt.date.today()
    rows = []
    for name, label in PRIORITY_SCHEMAS:
        last: pd.Timestamp | None = None
        count = 0
        if not evidence.empty and "schemas" in evidence.columns:
            for schemas, update in zip(evidence["schemas"],
                                       evidence.get("last_update", [None] * len(evidence)),
                                       strict=False):
                if name in _schemas_of(schemas):
                    count += 1
                    ts = pd.to_datetime(update, errors="coerce", utc=True)
                    if not is_missing(ts) and (last is None or ts > last):
                        last = ts
        if not known:
            etat = "inconnu"
        elif count == 0:
            etat = "absent"
        elif last is not None and (today - last.date()).days <= FRESH_DAYS:
            etat = "present"
        else:
            etat = "ancien"
        rows.append({"schema": name, "jeu": label, "etat": etat, "libelle_etat": GRID_LABELS[etat],
                     "jeux": count, "derniere_mise_a_jour": date_fr(last) if last is not None else ""})
    return pd.DataFrame(rows)


def next_steps(row: Mapping[str, object], grid: pd.DataFrame,
               epci: Mapping[str, object] | None = None) -> list[str]:
    """The three cheapest next steps for a collectivité, in plain French, cheapest first.

    ``row`` is its status row, ``grid`` its ``scdl_grid``, ``epci`` the status row of its
    intercommunality (to suggest the shared platform it already uses).
    """
    steps: list[str] = []
    obligation = row.get("obligation")
    statut = row.get("statut")
    if obligation == "a_verifier":
        steps.append("Confirmer le nombre d'agents (en équivalents temps plein) auprès de la "
                     "préfecture : c'est lui qui dit si l'obligation s'applique.")
    if statut == "inconnu":
        steps.append("Vérifier que le portail de données est en ligne : il n'a pas pu être lu "
                      "lors de la dernière collecte.")
    if statut in ("non_publie", None) or is_missing(statut):
        platforms = "" if epci is None else str(epci.get("plateformes") or "")
        epci_pub = epci is not None and epci.get("statut") in ("publie", "publie_via_tiers")
        if epci_pub and platforms:
            first = platforms.split(",")[0].strip()
            steps.append(f"Publier sur la plateforme que votre intercommunalité "
                         f"({epci.get('nom')}) utilise déjà : {first}. C'est la voie la moins "
                         "coûteuse, sans outil à acheter.")
        else:
            steps.append("Créer le compte de la collectivité sur data.gouv.fr (gratuit) et y "
                         "publier un premier jeu de données.")
    missing = grid[grid["etat"].eq("absent")]["jeu"].tolist() if len(grid) else []
    stale = grid[grid["etat"].eq("ancien")]["jeu"].tolist() if len(grid) else []
    if stale:
        steps.append(f"Mettre à jour les jeux anciens de plus d'un an : {', '.join(stale[:3])}.")
    if missing:
        steps.append("Publier les jeux prioritaires du Socle commun des données locales qui "
                     f"manquent, en commençant par : {', '.join(missing[:3])} (modèles et "
                     "validateur gratuits sur schema.data.gouv.fr).")
    if statut in ("publie", "publie_via_tiers"):
        steps.append("Indiquer le schéma SCDL dans la fiche des jeux déjà publiés (champ "
                     "« schéma » sur data.gouv.fr ou le portail) : ils seront alors reconnus.")
    steps.append("Désigner un référent open data et annoncer le calendrier de mise à jour "
                 "des jeux publiés.")
    return steps[:3]


@dataclass
class Sheet:
    """Everything the fiche says, once, for the page and the PDF."""

    nom: str
    sous_titre: str
    obligation: str
    motif: str
    statut: str
    faits: list[tuple[str, str]]            # (label, value) lines: datasets, update, platforms
    grille: pd.DataFrame                    # scdl_grid
    semblables: pd.DataFrame                # nom, population, statut (labels)
    etapes: list[str]
    date_donnees: str
    historique: list[tuple[str, str]] = field(default_factory=list)  # (snapshot, statut)


TYPE_LABELS = {"COM": "Commune", "CC": "Communauté de communes",
               "CA": "Communauté d'agglomération", "CU": "Communauté urbaine",
               "MET": "Métropole", "EPT": "Établissement public territorial",
               "DEP": "Département", "REG": "Région"}


def _text(value: object, vide: str = "—") -> str:
    return vide if is_missing(value) or value == "" else str(value)


def build_sheet(row: Mapping[str, object], evidence: pd.DataFrame, peers: pd.DataFrame,
                epci: Mapping[str, object] | None, history: pd.DataFrame | None,
                data_date: str, today: dt.date | None = None) -> Sheet:
    """Assemble the fiche of one collectivité from its status row and evidence."""
    from odlab_compliance.fmt import nombre
    from odlab_compliance.territory import OBLIGATION_LABELS, STATUS_LABELS

    # Observatoire editions list publishers, not their datasets' schemas.
    grid = scdl_grid(evidence, today, known=row.get("kind") != "observatoire")
    type_label = TYPE_LABELS.get(str(row.get("type")), _text(row.get("type")))
    where = f", département {row['departement']}" if not is_missing(row.get("departement")) else ""
    pop = row.get("population_totale")
    sous_titre = f"{type_label}{where} · SIREN {_text(row.get('siren'))}"
    if not is_missing(pop):
        sous_titre += f" · {nombre(pop)} habitants (population totale)"
    faits = [
        # No count (an Observatoire edition without counts, an unknown status): say so.
        ("Jeux de données publiés",
         nombre(row.get("nb_jeux"), vide="non renseigné dans cette source")),
        ("dont sur data.gouv.fr", nombre(row.get("nb_jeux_datagouv"), vide="—")),
        ("dont sur des portails", nombre(row.get("nb_jeux_portails"), vide="—")),
        ("Dernière mise à jour", date_fr(row.get("derniere_mise_a_jour"), vide="—")),
        ("Plateformes", _text(row.get("plateformes"))),
    ]
    similar_rows = pd.DataFrame({
        "Collectivité": peers.get("nom", pd.Series(dtype="object")).astype(str),
        "Population": peers.get("population_totale", pd.Series(dtype="float64")).map(
            lambda v: nombre(v, vide="?")),
        "Statut": peers.get("statut", pd.Series(dtype="object")).map(
            lambda v: STATUS_LABELS.get(v, "—")),
    }) if len(peers) else pd.DataFrame(columns=["Collectivité", "Population", "Statut"])
    hist: list[tuple[str, str]] = []
    if history is not None and len(history):
        for label, statut in zip(history["snapshot"], history["statut"], strict=True):
            hist.append((str(label), STATUS_LABELS.get(statut, "—")))
    return Sheet(
        nom=_text(row.get("nom")), sous_titre=sous_titre,
        obligation=OBLIGATION_LABELS.get(str(row.get("obligation")), "—"),
        motif=_text(row.get("motif"), "Motif non disponible."),
        statut=STATUS_LABELS.get(str(row.get("statut")), "Statut non disponible"),
        faits=faits, grille=grid, semblables=similar_rows,
        etapes=next_steps(row, grid, epci), date_donnees=data_date, historique=hist)
