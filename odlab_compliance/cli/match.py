"""`match confirm|reject|add|list`: human decisions on publisher -> collectivité matches.

Decisions go to an append-only table of their own (migration 0003): no harvest and no
reference update ever rewrites them, and the last decision on a pair is the one that
counts.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from odlab_compliance import db
from odlab_compliance.auth import os_user
from odlab_compliance.cli.common import EXIT_INPUT
from odlab_compliance.config import load_settings
from odlab_compliance.identifiers import siren_problem
from odlab_compliance.ingest import matching

_ACTIONS = {"confirm": "confirme", "reject": "rejete", "add": "ajoute"}
_HELP = {
    "confirm": "Confirme qu'un éditeur est bien la collectivité de ce SIREN (remplace les "
               "autres rapprochements automatiques de cet éditeur).",
    "reject": "Rejette le rapprochement d'un éditeur avec ce SIREN.",
    "add": "Ajoute un rapprochement que l'algorithme n'a pas trouvé.",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "match", help="Rapprochements éditeurs ↔ collectivités : décisions humaines.",
        description="Enregistre une décision humaine sur le rapprochement d'un éditeur "
                    "(organisation data.gouv.fr, éditeur d'un portail) avec une collectivité, "
                    "ou liste les décisions et les rapprochements à vérifier. Les décisions "
                    "sont conservées à part et survivent à tout moissonnage et à toute mise "
                    "à jour des référentiels.")
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, help_text in _HELP.items():
        a = s.add_parser(action, help=help_text, description=help_text)
        a.add_argument("--publisher", required=True,
                       help="identifiant de l'éditeur : id d'organisation data.gouv.fr, ou "
                            "« <portail>:<éditeur> » pour un portail")
        a.add_argument("--siren", required=True, help="SIREN de la collectivité (9 chiffres)")
        a.add_argument("--source", choices=["datagouv", "portal", "observatoire"],
                       help="source de l'éditeur (facultatif)")
        a.add_argument("--note", help="justification, en clair")
        a.add_argument("--auteur", help="qui décide (par défaut : l'utilisateur du système)")
        a.set_defaults(func=_decide, decision=_ACTIONS[action])
    ls = s.add_parser("list", help="Liste les décisions enregistrées ou les rapprochements à vérifier.",
                      description="Sans option : la décision en vigueur pour chaque paire "
                                  "(éditeur, SIREN). Avec --pending : les rapprochements "
                                  "automatiques du dernier moissonnage à vérifier (confiance "
                                  f"< {matching.REVIEW_THRESHOLD} ou signalés).")
    ls.add_argument("--pending", action="store_true",
                    help="rapprochements automatiques à vérifier du dernier moissonnage")
    ls.add_argument("--all", action="store_true",
                    help="tout l'historique des décisions, pas seulement la dernière")
    ls.set_defaults(func=_list)


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
    label = {"confirme": "confirmé", "rejete": "rejeté", "ajoute": "ajouté"}[args.decision]
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
    with db.connect(settings) as con:
        decisions = matching.load_decisions(con)
        if not args.pending:
            shown = decisions if args.all else matching.current_decisions(decisions)
            _print(shown)
            return 0
        matches = pending_matches(con, decisions)
    _print(matches)
    return 0


def pending_matches(con: object, decisions: pd.DataFrame) -> pd.DataFrame:
    """Automatic matches of the latest harvest to review, current decisions applied."""
    from odlab_compliance.ingest.harvest import journal

    run_id = journal.latest_visible(con, "harvest")  # type: ignore[arg-type]
    if run_id is None:
        return pd.DataFrame(columns=["source", "publisher_id", "siren"])
    rows = con.execute(db.sql("match_pending"), {"run_id": run_id}).df()  # type: ignore[attr-defined]
    if rows.empty:
        return rows
    rows["flags"] = rows["flags"].fillna("").astype(str)
    applied = pd.DataFrame(matching.apply_decisions(
        rows.to_dict("records"), rows[["source", "publisher_id"]], decisions))
    out = matching.pending(applied)
    return out.assign(motifs=out["flags"].map(matching.describe_flags))
