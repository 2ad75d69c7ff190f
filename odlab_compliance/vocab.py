"""The project's vocabulary: every code a person may meet, with its French label, a short
help text and a colour.

Codes are stored in the database, exports and URLs; people see labels. This module is the
only one that spells a code of obligation, publication status, follow-up stage, run
status, snapshot kind, data source, collectivité type or type family (``SPELLED_HERE_ONLY``;
a test greps the package for stray literals): other modules import the constants and
``Vocabulary`` objects below.
Colours are the Okabe-Ito palette (readable by colour-blind people), grey for unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import pandas as pd

MISSING = "—"   # what a person sees for an empty value


@dataclass(frozen=True)
class Term:
    code: str
    label: str                 # French, as shown in tables, legends and exports
    help: str = ""             # one sentence: what it means
    colour: str | None = None  # for charts and maps
    short: str | None = None   # a shorter label for narrow places (legends, bars)


class Vocabulary(Mapping[str, Term]):
    """An ordered set of terms, looked up by code."""

    def __init__(self, name: str, terms: Iterable[Term]):
        self.name = name
        self._terms = {t.code: t for t in terms}

    def __getitem__(self, code: str) -> Term:
        return self._terms[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._terms)

    def __len__(self) -> int:
        return len(self._terms)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self._terms)

    def label(self, code: object, default: str = MISSING) -> str:
        """The French label of ``code``; ``default`` for an empty value, the code itself
        for an unknown one (never hides data)."""
        if code is None or (not isinstance(code, str) and pd.isna(code)):
            return default
        term = self._terms.get(str(code))
        return term.label if term else str(code)

    def short(self, code: str) -> str:
        term = self._terms[code]
        return term.short or term.label

    def labels(self) -> dict[str, str]:
        return {c: t.label for c, t in self._terms.items()}

    def colours(self) -> dict[str, str]:
        return {c: t.colour for c, t in self._terms.items() if t.colour}

    def labelled(self, values: pd.Series, default: str = MISSING) -> pd.Series:
        """A column of codes as French labels (for tables and exports meant for people)."""
        return values.map(lambda v: self.label(v, default)).astype("object")


# -- obligation ----------------------------------------------------------------------------
OBLIGEE, NON_OBLIGEE, A_VERIFIER = "obligee", "non_obligee", "a_verifier"
OBLIGATION = Vocabulary("obligation", [
    Term(OBLIGEE, "Obligée", "Au moins 3 500 habitants et au moins 50 agents (ou hypothèse "
         "de la règle choisie).", "#0072B2"),
    Term(NON_OBLIGEE, "Non obligée", "Sous l'un des deux seuils.", "#E6E6E6"),
    Term(A_VERIFIER, "À vérifier", "Une donnée manque ou se contredit autour d'un seuil "
         "(effectif inconnu, populations de part et d'autre de 3 500).", "#F0E442"),
])
OBLIGATIONS = OBLIGATION.codes

# -- publication status --------------------------------------------------------------------
PUBLIE, VIA_TIERS, NON_PUBLIE, INCONNU = "publie", "publie_via_tiers", "non_publie", "inconnu"
STATUT = Vocabulary("statut", [
    Term(PUBLIE, "Publie (sa plateforme ou data.gouv.fr)",
         "Au moins un jeu de données sous sa propre organisation data.gouv.fr ou sur son "
         "propre portail.", "#009E73", "Publie"),
    Term(VIA_TIERS, "Publie via une plateforme partagée",
         "Des jeux seulement sur une plateforme gérée par un autre organisme (métropole, "
         "département, région, syndicat).", "#56B4E9", "Via plateforme partagée"),
    Term(NON_PUBLIE, "Ne publie pas",
         "Aucun jeu trouvé alors que toutes les sources dont elle dépend ont répondu.",
         "#D55E00", "Ne publie pas"),
    Term(INCONNU, "Inconnu (source indisponible)",
         "Une source dont elle dépend a échoué : on ne peut pas conclure.", "#999999",
         "Inconnu"),
])
STATUTS = STATUT.codes
PUBLISHING = (PUBLIE, VIA_TIERS)

# -- follow-up stage -----------------------------------------------------------------------
ETAPE_A_CONTACTER, ETAPE_CONTACTEE, ETAPE_ACCOMPAGNEE, ETAPE_PUBLIE, ETAPE_VERIFIEE = (
    "a_contacter", "contacte", "accompagne", "publie", "verifie")
ETAPE = Vocabulary("etape", [
    Term(ETAPE_A_CONTACTER, "À contacter", "Pas encore de contact avec la préfecture."),
    Term(ETAPE_CONTACTEE, "Contactée", "Un premier contact a eu lieu."),
    Term(ETAPE_ACCOMPAGNEE, "Accompagnée", "La collectivité est accompagnée (atelier, "
         "rendez-vous)."),
    Term(ETAPE_PUBLIE, "Publie", "La collectivité dit publier ; à vérifier sur la collecte."),
    Term(ETAPE_VERIFIEE, "Vérifiée", "La publication a été vérifiée."),
])
DEFAULT_STAGE = ETAPE_A_CONTACTER

# -- the follow-up worklist: why a collectivité is on the prefecture's list -------------------
TRAVAIL_RETARD, TRAVAIL_A_EVALUER, TRAVAIL_EFFECTIF = "en_retard", "a_evaluer", "effectif_a_obtenir"
TRAVAIL = Vocabulary("travail", [
    Term(TRAVAIL_RETARD, "En retard", "Obligée qui ne publie pas, dont les données ont plus de "
         "12 mois (quand la source les date) ou qui n'a aucun jeu SCDL (quand la source liste "
         "les schémas).", "#D55E00"),
    Term(TRAVAIL_A_EVALUER, "À évaluer", "Obligée dont la source ne permet pas de conclure : "
         "statut inconnu (source indisponible), date de mise à jour ou schémas non fournis. "
         "Inconnu n'est pas retard.", "#999999"),
    Term(TRAVAIL_EFFECTIF, "Effectif à obtenir", "Obligation à vérifier : sans effectif "
         "d'agents, la loi (3 500 habitants ET 50 agents) ne permet pas de conclure ; "
         "demander l'effectif à la collectivité.", "#F0E442"),
])
# Why a collectivité is on the worklist (several may apply), with the action it calls for.
MOTIF_NE_PUBLIE_PAS, MOTIF_ANCIEN, MOTIF_SANS_SCDL = "ne_publie_pas", "ancien", "sans_scdl"
MOTIF_STATUT_INCONNU, MOTIF_DATE_INCONNUE, MOTIF_SCHEMAS_INCONNUS = (
    "statut_inconnu", "date_inconnue", "schemas_inconnus")
MOTIF_EFFECTIF, MOTIF_SEUIL = "effectif_inconnu", "seuil_incertain"
MOTIF_TRAVAIL = Vocabulary("motif_travail", [
    Term(MOTIF_NE_PUBLIE_PAS, "ne publie pas", "accompagner une première publication"),
    Term(MOTIF_ANCIEN, "données de plus de 12 mois", "relancer la mise à jour"),
    Term(MOTIF_SANS_SCDL, "aucun jeu au format SCDL", "proposer les schémas SCDL"),
    Term(MOTIF_STATUT_INCONNU, "statut inconnu (source indisponible)",
         "vérifier la publication à la prochaine collecte"),
    Term(MOTIF_DATE_INCONNUE, "date de mise à jour non fournie par la source",
         "vérifier la fraîcheur des données"),
    Term(MOTIF_SCHEMAS_INCONNUS, "schémas non fournis par la source",
         "vérifier les jeux SCDL"),
    Term(MOTIF_EFFECTIF, "effectif d'agents inconnu", "obtenir l'effectif"),
    Term(MOTIF_SEUIL, "données incertaines autour d'un seuil",
         "obtenir l'effectif et vérifier la population"),
])
# Which worklist category each reason puts a collectivité in (the first that applies wins,
# in TRAVAIL's order: late before unknown).
MOTIF_CATEGORIE = {
    MOTIF_NE_PUBLIE_PAS: TRAVAIL_RETARD, MOTIF_ANCIEN: TRAVAIL_RETARD,
    MOTIF_SANS_SCDL: TRAVAIL_RETARD, MOTIF_STATUT_INCONNU: TRAVAIL_A_EVALUER,
    MOTIF_DATE_INCONNUE: TRAVAIL_A_EVALUER, MOTIF_SCHEMAS_INCONNUS: TRAVAIL_A_EVALUER,
    MOTIF_EFFECTIF: TRAVAIL_EFFECTIF, MOTIF_SEUIL: TRAVAIL_EFFECTIF,
}

# -- harvest run status --------------------------------------------------------------------
RUN_RUNNING, RUN_DONE, RUN_DONE_ERRORS, RUN_FAILED = "running", "done", "done-errors", "failed"
RUN_STATUS = Vocabulary("run_status", [
    Term(RUN_DONE, "Terminée", "Toutes les sources ont répondu.", "#009E73"),
    Term(RUN_DONE_ERRORS, "Terminée avec erreurs", "Au moins une source ou un élément a "
         "échoué : les collectivités concernées sont au statut inconnu.", "#E69F00"),
    Term(RUN_FAILED, "Échouée", "La collecte n'a rien produit : l'instantané précédent reste "
         "en vigueur.", "#D55E00"),
    Term(RUN_RUNNING, "En cours", "La collecte n'est pas finie : elle n'est pas encore "
         "visible.", "#999999"),
])
VISIBLE_RUNS = (RUN_DONE, RUN_DONE_ERRORS)

# -- snapshot kind and scope -----------------------------------------------------------------
KIND_HARVEST, KIND_OBSERVATOIRE = "harvest", "observatoire"
SNAPSHOT_KIND = Vocabulary("snapshot_kind", [
    Term(KIND_HARVEST, "Collecte", "Moissonnage de data.gouv.fr et des portails par le "
         "projet."),
    Term(KIND_OBSERVATOIRE, "Édition de l'Observatoire", "Liste des organisations qui "
         "publient, par l'Observatoire open data des territoires (OpenDataFrance)."),
])
SCOPE_NATIONAL, SCOPE_PARTIAL = "national", "partiel"
SNAPSHOT_SCOPE = Vocabulary("snapshot_scope", [
    Term(SCOPE_NATIONAL, "nationale", "Toutes les sources pour toute la France."),
    Term(SCOPE_PARTIAL, "partielle", "Un territoire ou une source rafraîchi ; le reste est "
         "repris de l'instantané précédent."),
])

# -- data sources of the publication status ----------------------------------------------------
SOURCE_DATAGOUV, SOURCE_PORTAL, SOURCE_OBSERVATOIRE = "datagouv", "portal", "observatoire"
SOURCE = Vocabulary("source", [
    Term(SOURCE_DATAGOUV, "data.gouv.fr"),
    Term(SOURCE_PORTAL, "Portail local ou mutualisé"),
    Term(SOURCE_OBSERVATOIRE, "Observatoire open data des territoires"),
])

# -- watch list: why a collectivité is near a threshold --------------------------------------
VEILLE_POPULATION, VEILLE_MILLESIMES, VEILLE_TRANCHE, VEILLE_DECOMPTE = (
    "population_proche", "mesures_divergentes", "tranche_proche", "decompte_proche")
VEILLE = Vocabulary("veille", [
    Term(VEILLE_POPULATION, "Population proche de 3 500",
         "Une population (municipale ou totale, d'un millésime chargé) à ±10 % du seuil : "
         "le prochain millésime des populations légales peut changer la réponse.", "#E69F00",
         "Population"),
    Term(VEILLE_MILLESIMES, "Mesures de part et d'autre de 3 500",
         "Les populations municipale et totale, ou deux millésimes, sont de part et d'autre "
         "du seuil : la population totale du millésime en vigueur tranche.", "#CC79A7",
         "Mesures divergentes"),
    Term(VEILLE_TRANCHE, "Tranche Sirene voisine de 50",
         "Tranche 12 (20 à 49 salariés) ou 21 (50 à 99) : un décompte exact des agents en "
         "équivalents temps plein tranche.", "#56B4E9", "Tranche"),
    Term(VEILLE_DECOMPTE, "Décompte entre 40 et 60 agents",
         "Un décompte exact proche de 50 : le décompte de l'année suivante peut changer la "
         "réponse.", "#009E73", "Décompte"),
])
VEILLES = VEILLE.codes

# -- collectivité types and their families -------------------------------------------------
TYPE_COM, TYPE_DEP, TYPE_REG = "COM", "DEP", "REG"
TYPE_CC, TYPE_CA, TYPE_CU, TYPE_MET, TYPE_EPT = "CC", "CA", "CU", "MET", "EPT"
TYPE = Vocabulary("type", [
    Term(TYPE_COM, "Commune"),
    Term(TYPE_CC, "Communauté de communes"),
    Term(TYPE_CA, "Communauté d'agglomération"),
    Term(TYPE_CU, "Communauté urbaine"),
    Term(TYPE_MET, "Métropole"),
    Term(TYPE_EPT, "Établissement public territorial"),
    Term(TYPE_DEP, "Département"),
    Term(TYPE_REG, "Région"),
])
# The intercommunalities (EPCI à fiscalité propre and the EPT of the Grand Paris): not
# collectivités territoriales, so only the 50-agent condition concerns them.
EPCI_TYPES: tuple[str, ...] = (TYPE_CC, TYPE_CA, TYPE_CU, TYPE_MET, TYPE_EPT)
# A type's family is the territory level it sits at (communes, intercommunalities,
# départements, régions): maps, tables and the territory picker group by family. The
# family codes are the territory levels' (territory.LEVELS), which COM, DEP and REG share
# with the types.
FAMILY_COM, FAMILY_EPCI, FAMILY_DEP, FAMILY_REG = TYPE_COM, "EPCI", TYPE_DEP, TYPE_REG
TYPE_FAMILY = Vocabulary("type_family", [
    Term(FAMILY_COM, "Communes"),
    Term(FAMILY_EPCI, "Intercommunalités (EPCI, EPT)"),
    Term(FAMILY_DEP, "Départements"),
    Term(FAMILY_REG, "Régions"),
])
TYPE_FAMILIES: dict[str, str] = {TYPE_COM: FAMILY_COM, **dict.fromkeys(EPCI_TYPES, FAMILY_EPCI),
                                 TYPE_DEP: FAMILY_DEP, TYPE_REG: FAMILY_REG}

# -- matching publishers to collectivités ------------------------------------------------
# The decision carried by a match: automatic, or the last human decision on the pair.
DECISION_AUTO, DECISION_CONFIRME, DECISION_REJETE, DECISION_AJOUTE = (
    "auto", "confirme", "rejete", "ajoute")
MATCH_DECISION = Vocabulary("match_decision", [
    Term(DECISION_AUTO, "Automatique", "Proposé par l'algorithme ; compté seulement si sa "
         "confiance atteint le seuil et qu'aucun signal ne demande de vérification."),
    Term(DECISION_CONFIRME, "Confirmé", "Un éditeur a confirmé le rapprochement : c'est LE "
         "rapprochement de cet éditeur de données."),
    Term(DECISION_REJETE, "Rejeté", "Un éditeur a rejeté le rapprochement : il ne compte pas."),
    Term(DECISION_AJOUTE, "Ajouté", "Un éditeur a ajouté un rapprochement que l'algorithme "
         "n'avait pas trouvé."),
])
HUMAN_DECISIONS = (DECISION_CONFIRME, DECISION_REJETE, DECISION_AJOUTE)

# How a match was found, in the order the evidence is tried.
METHOD_SIREN, METHOD_SUCCESSION, METHOD_NOM, METHOD_PROPRIETAIRE, METHOD_DECISION = (
    "siret", "succession", "nom", "proprietaire", "decision")
MATCH_METHOD = Vocabulary("match_method", [
    Term(METHOD_SIREN, "SIREN déclaré", "Le SIREN (ou les 9 premiers chiffres du SIRET) que "
         "l'éditeur déclare est celui d'une collectivité dont le nom correspond."),
    Term(METHOD_SUCCESSION, "Succession", "Le SIREN déclaré est celui d'un prédécesseur "
         "(commune fusionnée, EPCI fusionné, collectivité qui a changé de statut) : le "
         "successeur est reconnu par l'historique du référentiel ou par le nom."),
    Term(METHOD_NOM, "Nom", "Pas de SIREN utilisable : le nom, normalisé, désigne une "
         "collectivité ; le territoire départage les homonymes."),
    Term(METHOD_PROPRIETAIRE, "Propriétaire du portail", "Un éditeur non reconnu d'un "
         "portail dédié est proposé à la collectivité qui tient le portail (à vérifier)."),
    Term(METHOD_DECISION, "Décision humaine", "Rapprochement ajouté par un éditeur."),
])

# Why a match waits for a human (a flag), or is only worth knowing (INFO_FLAGS).
FLAG_SIRET_NAME, FLAG_SIRET_SHARED, FLAG_SIRET_INVALID, FLAG_OUTSIDE_REF = (
    "siret_nom_incoherent", "siret_partage", "siret_invalide", "siren_hors_referentiel")
FLAG_HOMONYMS, FLAG_OVERRIDDEN, FLAG_NOT_COLLECTIVITE, FLAG_APPROX = (
    "homonymes", "remplace_par_decision", "non_collectivite", "nom_approchant")
FLAG_OUTDATED, FLAG_PORTAL_OWNER = "siren_perime", "proprietaire_portail"
MATCH_FLAG = Vocabulary("match_flag", [
    Term(FLAG_SIRET_NAME, "le SIRET déclaré ne correspond pas au nom de l'organisation"),
    Term(FLAG_NOT_COLLECTIVITE, "le nom désigne un organisme qui n'est pas une collectivité "
         "(service de l'État, SDIS, syndicat, CCAS…) alors que son SIRET est celui d'une "
         "collectivité"),
    Term(FLAG_SIRET_INVALID, "SIRET déclaré invalide (clé de contrôle) : rapprochement par "
         "le nom"),
    Term(FLAG_OUTSIDE_REF, "SIREN déclaré absent du référentiel des collectivités"),
    Term(FLAG_OUTDATED, "SIREN déclaré inconnu du référentiel (périmé ?) : successeur "
         "reconnu par le nom"),
    Term(FLAG_HOMONYMS, "plusieurs collectivités portent ce nom"),
    Term(FLAG_APPROX, "nom seulement approchant (faute de frappe, nom partiel)"),
    Term(FLAG_PORTAL_OWNER, "éditeur non reconnu d'un portail dédié : proposé au "
         "propriétaire du portail"),
    Term(FLAG_SIRET_SHARED, "plusieurs organisations déclarent ce même SIRET"),
    Term(FLAG_OVERRIDDEN, "écarté par une décision humaine sur le même éditeur"),
])
# Flags that only inform: the match still counts when its confidence is high enough.
INFO_FLAGS = (FLAG_SIRET_SHARED, FLAG_OVERRIDDEN, FLAG_SIRET_INVALID, FLAG_OUTDATED)

# Where a publisher ends up, for the matching report (one outcome per publisher).
OUTCOME_SIREN, OUTCOME_SUCCESSION, OUTCOME_NOM, OUTCOME_DECISION = (
    "par_siren", "par_succession", "par_nom", "par_decision")
OUTCOME_PENDING, OUTCOME_NOT_COLLECTIVITE, OUTCOME_UNMATCHED = (
    "a_confirmer", "pas_collectivite", "non_rapproche")
MATCH_OUTCOME = Vocabulary("match_outcome", [
    Term(OUTCOME_SIREN, "Rapproché par le SIREN", "Le SIREN déclaré est celui d'une "
         "collectivité dont le nom correspond.", "#009E73"),
    Term(OUTCOME_SUCCESSION, "Rapproché par succession", "SIREN d'un prédécesseur (fusion, "
         "commune nouvelle, changement de statut) : compté pour son successeur.", "#56B4E9"),
    Term(OUTCOME_NOM, "Rapproché par le nom", "Sans SIREN utilisable, le nom désigne sans "
         "ambiguïté une collectivité.", "#0072B2"),
    Term(OUTCOME_DECISION, "Rapproché par décision", "Un éditeur a confirmé ou ajouté le "
         "rapprochement.", "#CC79A7"),
    Term(OUTCOME_PENDING, "À vérifier", "Proposé mais pas compté : confiance sous le seuil "
         "ou signal (voir la file de vérification).", "#E69F00"),
    Term(OUTCOME_NOT_COLLECTIVITE, "Pas une collectivité", "Service de l'État, SDIS, "
         "syndicat, CCAS, association, opérateur… : hors du champ compté.", "#999999"),
    Term(OUTCOME_UNMATCHED, "Non rapproché", "Aucune collectivité reconnue ; la raison est "
         "donnée pour chaque éditeur.", "#D55E00"),
])
MATCHED_OUTCOMES = (OUTCOME_SIREN, OUTCOME_SUCCESSION, OUTCOME_NOM, OUTCOME_DECISION)

# Bodies that are not collectivités (reference/organismes.csv, categories_juridiques.csv).
ORG_ETAT, ORG_SDIS, ORG_SYNDICAT, ORG_CCAS = "etat", "sdis", "syndicat", "ccas"
ORG_ETABLISSEMENT, ORG_ASSOCIATION, ORG_OPERATEUR, ORG_AUTRE = (
    "etablissement_public", "association", "operateur", "autre")
ORGANISME = Vocabulary("organisme", [
    Term(ORG_ETAT, "Service ou établissement de l'État", "Préfecture, DDT(M), DREAL, "
         "rectorat, ministère, INSEE, IGN…"),
    Term(ORG_SDIS, "Service d'incendie et de secours (SDIS)"),
    Term(ORG_SYNDICAT, "Syndicat ou groupement (syndicat mixte, PETR, pôle métropolitain)"),
    Term(ORG_CCAS, "Centre d'action sociale (CCAS, CIAS)"),
    Term(ORG_ETABLISSEMENT, "Autre établissement public ou agence (office de tourisme, "
         "agence d'urbanisme, GIP, parc naturel…)"),
    Term(ORG_ASSOCIATION, "Association (observatoire de l'air, comité…)"),
    Term(ORG_OPERATEUR, "Opérateur ou entreprise (transport, énergie, société d'économie "
         "mixte…)"),
    Term(ORG_AUTRE, "Autre organisme"),
])

ALL: tuple[Vocabulary, ...] = (OBLIGATION, STATUT, ETAPE, TRAVAIL, MOTIF_TRAVAIL, RUN_STATUS,
                               SNAPSHOT_KIND, SNAPSHOT_SCOPE, SOURCE, TYPE, TYPE_FAMILY,
                               MATCH_DECISION, MATCH_METHOD, MATCH_FLAG, MATCH_OUTCOME, ORGANISME,
                               VEILLE)
# The vocabularies whose codes no other module may spell (tests/test_architecture.py greps
# the package for them). The others' codes are common words (« nom », « auto », « siret »)
# that also name columns and keys, so a grep would only see noise there.
SPELLED_HERE_ONLY: tuple[Vocabulary, ...] = (OBLIGATION, STATUT, ETAPE, RUN_STATUS,
                                             SNAPSHOT_KIND, SOURCE, TYPE, TYPE_FAMILY)


def yes_no(value: object) -> str:
    """« oui » / « non » for a boolean, empty when unknown."""
    if value is None or (not isinstance(value, bool) and pd.isna(value)):
        return ""
    return "oui" if value else "non"


# == Publication quality (issue 18) =========================================================
# -- SCDL validation state of one resource (a resource with no row is "not yet validated") --
SCDL_VALIDE, SCDL_INVALIDE, SCDL_ERREUR, SCDL_NON_VALIDE = (
    "valide", "invalide", "erreur", "non_valide")
SCDL_ETAT = Vocabulary("scdl_etat", [
    Term(SCDL_VALIDE, "Conforme", "Le fichier respecte son schéma SCDL (validation Validata).",
         "#009E73"),
    Term(SCDL_INVALIDE, "Non conforme", "Le fichier ne respecte pas son schéma : voir les "
         "premières erreurs.", "#D55E00"),
    Term(SCDL_ERREUR, "Non vérifiable", "Le fichier ou son schéma n'a pas pu être lu "
         "(adresse injoignable, format illisible) : ni conforme ni non conforme.", "#999999"),
    Term(SCDL_NON_VALIDE, "Pas encore vérifié", "Le fichier est nouveau ou a changé ; il sera "
         "vérifié lors d'une prochaine validation (nombre borné par passage).", "#CCCCCC"),
])

# -- publication grade A..E (grid in model/quality.py) -------------------------------------
NOTE_A, NOTE_B, NOTE_C, NOTE_D, NOTE_E = "A", "B", "C", "D", "E"
NOTE = Vocabulary("note", [
    Term(NOTE_A, "A", "Publication large, à jour, en formats ouverts, avec des jeux SCDL "
         "conformes.", "#009E73"),
    Term(NOTE_B, "B", "Publication suivie : plusieurs jeux, pour moitié à jour, au moins un "
         "schéma SCDL.", "#56B4E9"),
    Term(NOTE_C, "C", "Publication réelle mais partielle ou peu tenue à jour.", "#F0E442"),
    Term(NOTE_D, "D", "Publication minimale : un ou deux jeux, ou rien de récent.", "#E69F00"),
    Term(NOTE_E, "E", "Aucun jeu publié trouvé.", "#D55E00"),
])
NOTE_INCONNUE = "inconnue"   # the source gives nothing to grade (status unknown)

# -- declared update frequency (udata's ids) and the delay after which a dataset is late ----
FREQUENCE = Vocabulary("frequence", [
    Term("continuous", "en continu"), Term("hourly", "toutes les heures"),
    Term("fourTimesADay", "quatre fois par jour"), Term("threeTimesADay", "trois fois par jour"),
    Term("semidaily", "deux fois par jour"), Term("daily", "quotidienne"),
    Term("fourTimesAWeek", "quatre fois par semaine"),
    Term("threeTimesAWeek", "trois fois par semaine"),
    Term("semiweekly", "deux fois par semaine"), Term("weekly", "hebdomadaire"),
    Term("biweekly", "toutes les deux semaines"), Term("threeTimesAMonth", "trois fois par mois"),
    Term("semimonthly", "deux fois par mois"), Term("monthly", "mensuelle"),
    Term("bimonthly", "tous les deux mois"), Term("quarterly", "trimestrielle"),
    Term("threeTimesAYear", "trois fois par an"), Term("semiannual", "semestrielle"),
    Term("annual", "annuelle"), Term("biennial", "tous les deux ans"),
    Term("triennial", "tous les trois ans"), Term("quinquennial", "tous les cinq ans"),
    Term("punctual", "ponctuelle"), Term("irregular", "irrégulière"),
    Term("unknown", "inconnue"),
])
# -- labelled schemas (schema.data.gouv.fr) the dashboard names ----------------------------
# ``label`` for grids and tables, ``short`` inside a sentence (« ne respecte pas le schéma
# SCDL délibérations »). The priority datasets of the Socle commun des données locales come
# first, in the order a collectivité usually tackles them (PRIORITY_SCHEMAS).
SCHEMA = Vocabulary("schema", [
    Term("scdl/deliberations", "Délibérations", short="délibérations"),
    Term("scdl/budget", "Budget", short="budget"),
    Term("scdl/subventions", "Subventions", short="subventions"),
    Term("139bercy/format-commande-publique", "Marchés publics (DECP)",
         short="marchés publics (DECP)"),
    Term("scdl/equipements", "Équipements", short="équipements"),
    Term("scdl/catalogue", "Catalogue des données", short="catalogue"),
    Term("etalab/schema-bal", "Base Adresse Locale", short="adresses (BAL)"),
    Term("atlasante/schema-dae", "Défibrillateurs", short="défibrillateurs"),
    Term("etalab/schema-irve-statique", "Bornes de recharge (IRVE)",
         short="bornes de recharge (IRVE)"),
    Term("etalab/schema-amenagements-cyclables", "Aménagements cyclables",
         short="aménagements cyclables"),
    Term("scdl/prenoms", "Prénoms des nouveaux-nés", short="prénoms"),
    Term("scdl/menus-collectifs", "Menus de la restauration collective",
         short="menus collectifs"),
    Term("scdl/plats-menus-collectifs", "Plats des menus collectifs",
         short="plats des menus"),
])
PRIORITY_SCHEMAS = tuple(SCHEMA)[:12]
ALL += (SCDL_ETAT, NOTE, FREQUENCE, SCHEMA)
