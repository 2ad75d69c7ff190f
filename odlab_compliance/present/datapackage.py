"""The Frictionless Data Package (Table Schema) that describes a status export, so the
project's own output is open data: one field per column, with its French title, type,
format and meaning."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.model import quality
from odlab_compliance.model.snapshots import Snapshot


def _codes(v: vocab.Vocabulary) -> str:
    """« code (libellé) » for each code of a vocabulary, for a column's description."""
    return " ; ".join(f"{code} ({term.label})" for code, term in v.items())


DESCRIPTIONS = {
    "siren": ("SIREN", "string", None, "SIREN de la collectivité (9 chiffres)"),
    "code_insee": ("Code INSEE", "string", None,
                   "Code commune INSEE, SIREN de l'EPCI, code du département ou de la région"),
    "nom": ("Nom", "string", None, "Nom officiel"),
    "type": ("Type", "string", None, "COM, CC, CA, CU, MET, EPT, DEP, REG"),
    "departement": ("Département", "string", None, "Code du département"),
    "region": ("Région", "string", None, "Code de la région"),
    "obligation": ("Obligation", "string", None,
                   "Selon la règle choisie : " + _codes(vocab.OBLIGATION)),
    "statut": ("Statut de publication", "string", None, _codes(vocab.STATUT)),
    "nb_jeux": ("Jeux de données", "integer", None,
                "Jeux publiés (hors archivés, supprimés et données de l'État), un jeu "
                "moissonné par data.gouv.fr depuis un portail compté une fois ; vide si inconnu"),
    "nb_jeux_datagouv": ("Jeux sur data.gouv.fr", "integer", None,
                         "Jeux sous ses organisations data.gouv.fr"),
    "nb_jeux_portails": ("Jeux sur les portails", "integer", None,
                         "Jeux sur les portails locaux (propres ou mutualisés)"),
    "derniere_mise_a_jour": ("Dernière mise à jour", "date", "%d/%m/%Y",
                             "Date de mise à jour la plus récente d'un jeu compté"),
    "plateformes": ("Plateformes", "string", None, "Adresses des plateformes, séparées par « | »"),
    "schemas_scdl": ("Schémas SCDL", "string", None,
                     "Schémas du Socle commun des données locales présents, séparés par « , »"),
    "a_jour": ("À jour", "boolean", None, "Mise à jour dans les 12 mois avant l'instantané"),
    "date_snapshot": ("Date de l'instantané", "date", "%d/%m/%Y",
                      "Date du moissonnage ou de l'édition de l'Observatoire"),
    "population_totale": ("Population totale", "integer", None,
                          "Population totale légale (référence pour appliquer les seuils)"),
    "epci_siren": ("SIREN de l'EPCI", "string", None, "Intercommunalité de la commune"),
    "proche_seuil": ("Proche d'un seuil", "boolean", None,
                     "Population ou effectif proche d'un seuil légal"),
    "motif": ("Motif", "string", None, "Pourquoi la collectivité est obligée ou non"),
    "statut_detail": ("Détail du statut", "string", None,
                      "Pourquoi « inconnu » (source en échec) ou « non publié »"),
    "snapshot_id": ("Instantané", "integer", None,
                    "Numéro de l'instantané (journal des moissonnages)"),
    "kind": ("Nature de l'instantané", "string", None, _codes(vocab.SNAPSHOT_KIND)),
    "vintage": ("Millésime du référentiel", "integer", None,
                "Millésime du référentiel qui juge l'obligation (celui en vigueur à la date "
                "de l'instantané)"),
}
# Publication quality (issue 18, model/quality.py; grid version in the package).
DESCRIPTIONS.update({
    "note": ("Note de publication", "string", None,
             "Note A à E selon la grille publiée (voir « grille_qualite » et la page "
             "Méthode) ; vide quand le statut est inconnu"),
    "note_partielle": ("Note partielle", "boolean", None,
                       "Un critère de la grille n'est pas fourni par la source (une édition "
                       "de l'Observatoire ne donne que des nombres de jeux)"),
    "part_a_jour": ("Part des jeux à jour", "number", None,
                    "Parmi les jeux datés, part qui respecte sa fréquence déclarée (0 à 1)"),
    "part_formats_ouverts": ("Part en format ouvert", "number", None,
                             "Parmi les jeux dont les formats sont connus, part avec un "
                             "fichier ouvert et lisible par une machine (0 à 1)"),
    "schemas_scdl_conformes": ("Schémas SCDL conformes", "string", None,
                               "Schémas SCDL dont au moins un fichier est conforme (Validata)"),
    "schemas_scdl_non_conformes": ("Schémas SCDL non conformes", "string", None,
                                   "Schémas SCDL dont aucun fichier vérifié n'est conforme"),
    "fichiers_scdl_non_verifies": ("Fichiers SCDL pas encore vérifiés", "integer", None,
                                   "Fichiers nouveaux ou modifiés en attente de validation"),
    "score_qualite_median": ("Score qualité data.gouv.fr médian", "number", None,
                             "Médiane du score de qualité des jeux sur data.gouv.fr (0 à 1)"),
    "pourquoi_note": ("Pourquoi cette note", "string", None, "La note en une phrase"),
    "pour_progresser": ("Pour progresser", "string", None,
                        "Les changements qui feraient monter la note, séparés par « ; »"),
    "version_grille": ("Version de la grille", "string", None,
                       "Version de la grille de notation appliquée"),
})
CODED = {"obligation": vocab.OBLIGATION, "statut": vocab.STATUT, "kind": vocab.SNAPSHOT_KIND,
         "note": vocab.NOTE}
LICENSE = {"name": "etalab-2.0", "title": "Licence Ouverte / Open Licence version 2.0",
           "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence"}


def _field_type(col: pd.Series) -> str:
    """Table Schema type of a column as ``exports`` writes it."""
    if pd.api.types.is_bool_dtype(col):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(col):
        return "date"
    if pd.api.types.is_integer_dtype(col):
        return "integer"
    if pd.api.types.is_float_dtype(col):
        return "number"
    values = col.dropna()
    if len(values) and values.map(lambda v: isinstance(v, bool)).all():
        return "boolean"
    return "string"


def datapackage(df: pd.DataFrame, output: Path, fmt: str, *, rule: str, snapshot: Snapshot,
                vintage: int) -> dict:
    """A Frictionless Data Package describing the export file (Table Schema per column)."""
    fields = []
    for col in df.columns:
        title, ftype, fformat, desc = DESCRIPTIONS.get(
            col, (col, _field_type(df[col]), None,
                  "Colonne complémentaire (voir la documentation de l'obligation)"))
        if ftype == "date":
            fformat = "%d/%m/%Y" if fmt == "csv" else None
        f = {"name": col, "title": title, "type": ftype, "description": desc}
        if col in CODED:
            f["constraints"] = {"enum": list(CODED[col].codes)}
        if fformat:
            f["format"] = fformat
        if ftype == "boolean" and fmt == "csv":
            f["trueValues"], f["falseValues"] = ["oui"], ["non"]
        if ftype == "number" and fmt == "csv":
            f["decimalChar"] = ","
        fields.append(f)
    resource = {
        "name": "statut-publication", "path": output.name, "profile": "tabular-data-resource",
        "format": fmt, "mediatype": "text/csv" if fmt == "csv" else
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "schema": {"fields": fields, "primaryKey": ["siren"], "missingValues": [""]},
    }
    if fmt == "csv":
        resource["encoding"] = "utf-8-sig"
        resource["dialect"] = {"delimiter": ";", "lineTerminator": "\r\n", "header": True}
    package = {
        "profile": "tabular-data-package",
        "name": "odlab-statut-publication",
        "title": "Publication de données ouvertes par les collectivités",
        "description": (f"Une ligne par collectivité : obligation (règle « {rule} », "
                        f"référentiel {vintage}) et statut de publication dans l'instantané "
                        f"n° {snapshot.id} ({snapshot.label})."),
        "licenses": [LICENSE],
        "created": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "resources": [resource],
    }
    if "note" in df.columns:
        # The grid travels with the grades: a reader can recompute or contest them.
        package["grille_qualite"] = json.loads(quality.grid_json())
    return package
