"""`agents import|fetch`: staff counts from Sirene, the API or a prefecture's own file."""

from __future__ import annotations

import argparse
import sys

import pandas as pd
from tqdm import tqdm

from odlab_compliance import db
from odlab_compliance.cli.common import EXIT_FAILED, steps
from odlab_compliance.config import Settings, load_settings
from odlab_compliance.errors import InputError, LineError
from odlab_compliance.fmt import nombre
from odlab_compliance.identifiers import siren_problem
from odlab_compliance.ingest.agents import national
from odlab_compliance.ingest.agents import recherche_entreprises as api
from odlab_compliance.ingest.agents.importer import import_file
from odlab_compliance.ingest.agents.store import departement_sirens, status
from odlab_compliance.model import agent_scope, figures

COMMAND_LINE = "ligne de commande"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "agents", help="Effectifs des collectivités : import de fichiers et API.",
        description="Effectifs (agents) des collectivités, pour le seuil des 50 agents : "
                    "stock Sirene, API Recherche d'entreprises, fichier d'une préfecture.")
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = s.add_parser(
        "import", help="Importe un fichier d'effectifs (format détecté).",
        description="Importe un stock Sirene StockUniteLegale (CSV ou Parquet : seules les "
                    "unités publiques, catégorie juridique 7xxx, sont gardées ; remplace les "
                    "tranches Sirene déjà chargées) ou le CSV d'une préfecture "
                    "« siren;agents;annee;source » (ses effectifs priment sur Sirene). "
                    "Un fichier invalide est refusé en entier : rien n'est écrit.")
    imp.add_argument("file", metavar="FICHIER", help="chemin du fichier CSV ou Parquet")
    imp.set_defaults(func=_import)
    fetch = s.add_parser(
        "fetch", help="Interroge l'API Recherche d'entreprises (7 requêtes/s au plus).",
        description="Lit les tranches d'effectifs dans l'API Recherche d'entreprises, pour "
                    "des SIREN donnés, pour les collectivités d'un département (leurs SIREN "
                    "viennent du référentiel chargé, sinon des filtres de l'API) ou pour "
                    "toute la France (--all, à moins de 7 requêtes par seconde, reprise "
                    "possible après une interruption). Un SIREN que l'API n'a pas pu donner "
                    "est signalé « non récupéré », jamais compté comme zéro agent.")
    target = fetch.add_mutually_exclusive_group(required=True)
    target.add_argument("--siren", nargs="+", metavar="SIREN",
                        help="un ou plusieurs SIREN (9 chiffres), séparés par des espaces")
    target.add_argument("--departement", metavar="CODE",
                        help="code du département, ex. 31 : ses candidates, par les listes "
                             "de l'API (une requête par page de 25, comme --all, reprise "
                             "possible), puis par SIREN pour ce que les listes n'ont pas donné")
    target.add_argument("--all", action="store_true", dest="all_candidates",
                        help="toute la France : chaque candidate (commune proche ou au-dessus "
                             "du seuil d'habitants, intercommunalité, EPT, département, région) "
                             "par des listes par département et nature juridique (une requête "
                             "par page de 25), puis par SIREN pour ce que les listes n'ont pas "
                             "donné ; reprend là où une collecte interrompue s'est arrêtée")
    fetch.add_argument("--nouveau", action="store_true",
                       help="avec --all ou --departement : recommence tout au lieu de "
                            "reprendre la dernière collecte inachevée")
    fetch.add_argument("--par-api", action="store_true",
                       help="avec --departement : liste les organismes publics par l'API "
                            "même si le référentiel est chargé (inclut syndicats, CCAS, SDIS)")
    fetch.set_defaults(func=_fetch)
    st = s.add_parser("status", help="Effectifs chargés, par source.",
                      description="Nombre de SIREN par source (sirene, recherche_entreprises, "
                                  "prefecture), effectifs connus, au moins 50, années, date "
                                  "du dernier import.")
    st.set_defaults(func=_status)


def _import(args: argparse.Namespace) -> int:
    # One bar: the phases as its label, the share of the file read as its value.
    bar = tqdm(total=100, desc="Import des effectifs", unit="%", file=sys.stderr, leave=False,
               bar_format="{desc} {percentage:3.0f}% |{bar}| {elapsed}")

    def step(label: str) -> None:
        bar.set_description_str(f"Import des effectifs : {label}")

    def progress(pct: float) -> None:
        bar.n = min(100.0, pct)
        bar.refresh()

    try:
        with db.connect(load_settings()) as con:
            report = import_file(con, args.file, step=step, progress=progress)
    finally:
        bar.close()
    print(report.summary())
    return 0


def _check_sirens(values: list[str]) -> list[str]:
    errors = [LineError(i, msg) for i, v in enumerate(values, 1) if (msg := siren_problem(v))]
    if errors:
        raise InputError(COMMAND_LINE, "SIREN invalide(s) (le numéro de ligne est le rang "
                                       "dans --siren)", errors)
    return [v.strip() for v in values]


def _fetch_listed(departement: str | None, new: bool) -> int:
    """``--all`` or ``--departement`` with a reference: listings by pages, resumable."""
    settings = load_settings()
    with db.connect(settings) as con:
        scope = agent_scope.fetch_scope(con, departement)
    label = ("API Recherche d'entreprises" if departement is None
             else f"API Recherche d'entreprises, département {departement}")
    bar = tqdm(desc=label, unit="requête", file=sys.stderr, leave=False, total=0)

    def progress(done: int, planned: int) -> None:
        bar.total = planned
        bar.n = done
        bar.refresh()

    try:
        outcome = national.fetch(settings, scope, new=new, progress=progress)
    finally:
        bar.close()
    print(outcome.summary(figures.rate(outcome.known_after, outcome.candidates)))
    return 0 if outcome.complete and not outcome.failures else EXIT_FAILED


def _fetch(args: argparse.Namespace) -> int:
    if args.all_candidates:
        return _fetch_listed(None, args.nouveau)
    if args.nouveau and not args.departement:
        raise InputError(COMMAND_LINE, "--nouveau ne vaut qu'avec --all ou --departement")
    settings = load_settings()
    if args.siren:
        sirens = _check_sirens(args.siren)
        print(f"Interrogation de l'API Recherche d'entreprises : {nombre(len(sirens))} SIREN.",
              file=sys.stderr)
        bar = steps(sirens, "API Recherche d'entreprises")
        outcome = api.fetch_sirens(sirens, settings, progress=bar.update)
        bar.close()
        return _save(settings, outcome)
    problem = api.departement_problem(args.departement)
    if problem:
        raise InputError(COMMAND_LINE, problem)
    dep = args.departement.strip().upper()
    if not args.par_api:
        with db.connect(settings) as con:
            loaded = bool(departement_sirens(con, dep))
        if loaded:
            return _fetch_listed(dep, args.nouveau)
    # No reference (or --par-api): every public body of the département, by the API's filters.
    print(f"Interrogation de l'API Recherche d'entreprises : organismes publics du "
          f"département {dep} (filtres de l'API).", file=sys.stderr)
    bar = tqdm(desc=f"API, département {dep}", unit="page", file=sys.stderr, leave=False)
    outcome = api.fetch_departement(dep, settings, progress=bar.update)
    bar.close()
    return _save(settings, outcome)


def _save(settings: Settings, outcome: api.FetchOutcome) -> int:
    # The database is not held open while fetching: the dashboard may read meanwhile.
    with db.connect(settings) as con:
        written = api.save(con, outcome)
    print(outcome.summary(written))
    return EXIT_FAILED if outcome.not_fetched else 0


def _status(args: argparse.Namespace) -> int:
    with db.connect(load_settings()) as con:
        df = status(con)
    if df.empty:
        print("Aucun effectif chargé : voir « agents import » et « agents fetch ». Sans "
              "effectif, le seuil des 50 agents reste « à vérifier ».")
        return 0
    for r in df.to_dict("records"):
        years = (f"années {r['annee_min']}-{r['annee_max']}" if not pd.isna(r["annee_min"])
                 else "années inconnues")
        print(f"{r['source']} : {nombre(r['lignes'])} SIREN, {nombre(r['effectif_connu'])} "
              f"avec effectif connu, dont {nombre(r['au_moins_50'])} à 50 ou plus ; {years} ; "
              f"dernier import le {r['dernier_import']:%d/%m/%Y %H:%M}")
    return 0
