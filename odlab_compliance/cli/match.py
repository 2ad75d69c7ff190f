"""`match confirm|reject|add|list|report`: the review queue, human decisions on
publisher -> collectivité matches, and the matching report of a snapshot.

Decisions go to an append-only table of their own (migration 0003): no harvest and no
reference update ever rewrites them, and the last decision on a pair is the one that
counts.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.auth import os_user
from odlab_compliance.cli.common import EXIT_INPUT
from odlab_compliance.config import load_settings
from odlab_compliance.fmt import nombre
from odlab_compliance.identifiers import siren_problem
from odlab_compliance.model import matching, review
from odlab_compliance.model.obligation import rule_ids
from odlab_compliance.model.status import StatusModel
from odlab_compliance.present import exports
from odlab_compliance.territory import FRANCE

_ACTIONS = {"confirm": vocab.DECISION_CONFIRME, "reject": vocab.DECISION_REJETE,
            "add": vocab.DECISION_AJOUTE}
_HELP = {
    "confirm": "Confirme qu'un éditeur est bien la collectivité de ce SIREN (remplace les "
               "autres rapprochements automatiques de cet éditeur).",
    "reject": "Rejette le rapprochement d'un éditeur avec ce SIREN.",
    "add": "Ajoute un rapprochement que l'algorithme n'a pas trouvé.",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "match", help="Rapprochements éditeurs ↔ collectivités : file de vérification, "
                      "décisions, rapport.",
        description="Enregistre une décision humaine sur le rapprochement d'un éditeur "
                    "(organisation data.gouv.fr, éditeur d'un portail, ligne d'une édition de "
                    "l'Observatoire) avec une collectivité, liste les rapprochements à "
                    "vérifier, ou donne le rapport de rapprochement d'un instantané. Les "
                    "décisions sont conservées à part, survivent à tout moissonnage et à "
                    "toute mise à jour des référentiels, et valent pour tous les instantanés.")
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, help_text in _HELP.items():
        a = s.add_parser(action, help=help_text, description=help_text)
        a.add_argument("--publisher", required=True,
                       help="identifiant de l'éditeur : id d'organisation data.gouv.fr, "
                            "« <portail>:<éditeur> » pour un portail, « observatoire:<SIREN> » "
                            "pour une ligne des éditions de l'Observatoire (voir match list "
                            "--pending)")
        a.add_argument("--siren", required=True, help="SIREN de la collectivité (9 chiffres)")
        a.add_argument("--source", choices=list(vocab.SOURCE.codes),
                       help="source de l'éditeur (facultatif)")
        a.add_argument("--note", help="justification, en clair")
        a.add_argument("--auteur", help="qui décide (par défaut : l'utilisateur du système)")
        a.set_defaults(func=_decide, decision=_ACTIONS[action])
    ls = s.add_parser("list", help="Liste les décisions enregistrées ou les rapprochements à vérifier.",
                      description="Sans option : la décision en vigueur pour chaque paire "
                                  "(éditeur, SIREN). Avec --pending : la file de vérification, "
                                  "c'est-à-dire les rapprochements proposés qui ne comptent pas "
                                  "tant qu'un éditeur ne les a pas confirmés (score < "
                                  f"{nombre(matching.REVIEW_THRESHOLD, 1)} ou signalés), du "
                                  "dernier moissonnage et des éditions de l'Observatoire.")
    ls.add_argument("--pending", action="store_true",
                    help="la file de vérification (toutes sources)")
    ls.add_argument("--all", action="store_true",
                    help="tout l'historique des décisions, pas seulement la dernière")
    ls.add_argument("--output", "-o", metavar="FICHIER",
                    help="écrire la liste dans un fichier (.csv ou .xlsx) au lieu de l'afficher")
    ls.set_defaults(func=_list)
    rp = s.add_parser(
        "report", help="Rapport de rapprochement d'un instantané, source par source.",
        description="Pour chaque source d'un instantané : éditeurs rapprochés par le SIREN, "
                    "par succession, par le nom ou par une décision, à vérifier, qui ne sont "
                    "pas des collectivités, et non rapprochés (avec la raison). Pour une "
                    "édition de l'Observatoire, les chiffres sont comparés à ceux publiés par "
                    "OpenDataFrance.")
    rp.add_argument("--snapshot", default="latest",
                    help="instantané : latest (défaut), son numéro, ou une date AAAA-MM-JJ")
    rp.add_argument("--rule", default=review.OBSERVATOIRE_RULE, choices=rule_ids(),
                    help="règle d'obligation de la comparaison d'une édition (défaut : odf, "
                         "celle de l'Observatoire)")
    rp.add_argument("--unmatched", action="store_true",
                    help="avec --output : seulement les éditeurs non rapprochés")
    rp.add_argument("--output", "-o", metavar="FICHIER",
                    help="écrire le rapport, un éditeur par ligne (.csv ou .xlsx)")
    rp.set_defaults(func=_report)


def bad_siren(sirens: list[str]) -> bool:
    """Print why the first unusable SIREN is refused; True when there is one."""
    for siren in sirens:
        problem = siren_problem(siren)
        if problem:
            print(f"Erreur : {problem}. Rien n'a été enregistré.", file=sys.stderr)
            return True
    return False


def _decide(args: argparse.Namespace) -> int:
    siren = args.siren.strip()
    if bad_siren([siren]):
        return EXIT_INPUT
    auteur = args.auteur or os_user()
    with db.connect(load_settings()) as con:
        known = _collectivite_name(con, siren)
        seq = matching.record_decision(con, args.publisher, siren, args.decision,
                                       source=args.source, note=args.note, auteur=auteur)
    label = vocab.MATCH_DECISION.label(args.decision).lower()
    print(f"Rapprochement {label} : {args.publisher} → {siren}"
          f"{f' ({known})' if known else ''} [décision n° {seq}, {auteur}]")
    if known is None:
        print(f"Attention : le SIREN {siren} n'est pas dans le référentiel des collectivités "
              "chargé ; la décision est gardée.", file=sys.stderr)
    return 0


def _collectivite_name(con: object, siren: str) -> str | None:
    row = con.execute(  # type: ignore[attr-defined]
        "SELECT nom FROM ref_collectivite WHERE siren = ? ORDER BY vintage DESC LIMIT 1",
        [siren]).fetchone()
    return row[0] if row else None


def _print(df: pd.DataFrame) -> None:
    if df.empty:
        print("(aucune ligne)")
        return
    print(df.to_csv(sep="\t", index=False).rstrip("\n"))


def _list(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.output:
        exports.infer_format(args.output)
    with db.connect(settings) as con:
        if args.pending:
            shown = review.readable_queue(review.queue(con))
        else:
            decisions = matching.load_decisions(con)
            shown = decisions if args.all else matching.current_decisions(decisions)
    if args.output:
        path = exports.write(shown, args.output)
        print(f"{path} : {len(shown)} ligne(s)")
        return 0
    _print(shown)
    return 0


def _report(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.output:
        exports.infer_format(args.output)
    with db.connect(settings, read_only=True) as con:
        model = StatusModel.from_connection(con)
        snap = model.snapshot(args.snapshot)
        at = model.status_at(FRANCE, args.rule, snap)
        comparison = review.edition_comparison(con, at.whole, snap, args.rule,
                                               at.vintage.vintage) \
            if snap.is_observatoire else None
        rep = comparison.report if comparison else review.report(con, snap)
    print(f"Rapport de rapprochement · {snap.label} · référentiel {at.vintage.vintage}")
    table = review.summary(rep)
    for row in table.to_dict("records"):
        print(f"\n{vocab.SOURCE.label(row['source'])} : {nombre(row['total'])} éditeur(s)")
        for code in vocab.MATCH_OUTCOME:
            print(f"  {vocab.MATCH_OUTCOME.label(code):<28} {nombre(row[code]):>7}")
    if comparison is not None:
        _print_comparison(comparison)
    if args.output:
        shown = rep[rep["resultat"] == vocab.OUTCOME_UNMATCHED] if args.unmatched else rep
        path = exports.write(review.readable(shown), args.output)
        print(f"\n{path} : {len(shown)} éditeur(s)")
    return 0


def _print_comparison(c: review.Comparison) -> None:
    print(f"\nComparaison avec les chiffres publiés par OpenDataFrance (règle {c.rule}) :")
    for indicator, ours, label in (
            ("collectivites_publiant", c.credited, "collectivités qui publient"),
            ("obligees_publiant", c.obliged_publishing, "obligées qui publient")):
        theirs = c.published.get(indicator)
        line = f"  {label:<28} projet {nombre(ours):>6}"
        if theirs is not None:
            line += f" · OpenDataFrance {nombre(theirs):>6} · écart {nombre(theirs - ours)}"
        print(line)
    print(f"  lignes de l'édition : {nombre(c.rows)} ; non rapprochées "
          f"{nombre(c.outcomes[vocab.OUTCOME_UNMATCHED])}, à vérifier "
          f"{nombre(c.outcomes[vocab.OUTCOME_PENDING])}, pas des collectivités "
          f"{nombre(c.outcomes[vocab.OUTCOME_NOT_COLLECTIVITE])} ; collectivités qui "
          f"publient sans être obligées selon la règle : {nombre(len(c.not_obliged))}")
