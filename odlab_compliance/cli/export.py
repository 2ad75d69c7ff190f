"""`export ...`: tables of the project written as CSV (for Excel) or XLSX.

One sub-command is one small function pair: ``_add_<name>(s)`` declares its options
(with ``add_output_options`` for the shared --output/--format, ``add_rule_option`` for
--rule) and ``_<name>(args)`` builds a DataFrame and hands it to ``write_export`` (which
checks the format first with ``output_format``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.cli.common import EXIT_INPUT
from odlab_compliance.config import load_settings
from odlab_compliance.errors import InputError
from odlab_compliance.fmt import nombre
from odlab_compliance.model.obligation import (
    OBLIGATIONS,
    VintageNotLoaded,
    get_rule,
    list_rules,
    obligations,
    rule_ids,
)
from odlab_compliance.model.status import StatusModel
from odlab_compliance.present import exports
from odlab_compliance.present.datapackage import datapackage
from odlab_compliance.territory import FRANCE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="Exports en CSV (Excel) ou XLSX.",
                       description="Écrit une table du projet dans un fichier CSV (séparateur "
                                   "« ; », UTF-8 avec BOM, pour Excel) ou XLSX.")
    s = p.add_subparsers(dest="export", required=True, metavar="TABLE")
    _add_obligations(s)
    _add_status(s)
    _add_veille(s)


def add_output_options(p: argparse.ArgumentParser) -> None:
    """--output and --format, the same for every export."""
    p.add_argument("--output", "-o", required=True, metavar="FICHIER",
                   help="fichier à écrire (.csv ou .xlsx)")
    p.add_argument("--format", choices=exports.FORMATS, default=None,
                   help="format du fichier ; par défaut, déduit de l'extension de --output")


def add_rule_option(p: argparse.ArgumentParser, what: str = "règle") -> None:
    """--rule, choices and help text from the rules registry."""
    p.add_argument("--rule", default="legal", choices=rule_ids(),
                   help=f"{what} (défaut : legal) : "
                        + " ; ".join(f"{r.id} = {r.label}" for r in list_rules()))


def output_format(args: argparse.Namespace) -> str:
    """The format of the file to write; checked before any work is done."""
    try:
        return exports.infer_format(args.output, args.format)
    except ValueError as exc:
        raise InputError(str(args.output), str(exc)) from None


def write_export(df: pd.DataFrame, args: argparse.Namespace, *, sheet_name: str,
                 what: str) -> int:
    """Write ``df`` where --output/--format say and print a one-line summary."""
    fmt = output_format(args)
    try:
        path = exports.write(df, args.output, fmt, sheet_name=sheet_name)
    except OSError as exc:
        print(f"Erreur : impossible d'écrire {args.output} : {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_INPUT
    print(f"{path} : {len(df)} ligne(s), {what} ({fmt.upper()})")
    return 0


# -- export obligations -----------------------------------------------------------------

def _add_obligations(s: argparse._SubParsersAction) -> None:
    p = s.add_parser(
        "obligations", help="Obligation de chaque collectivité, avec son motif.",
        description="Une ligne par collectivité (communes, EPCI, EPT, départements, régions) "
                    "du millésime : obligation (obligee, non_obligee, a_verifier), motif en "
                    "clair et proximité d'un seuil, selon la règle choisie.")
    p.add_argument("--vintage", type=int, required=True, metavar="ANNÉE",
                   help="millésime du référentiel, ex. 2026")
    add_rule_option(p)
    add_output_options(p)
    p.set_defaults(func=_obligations)


def _obligations(args: argparse.Namespace) -> int:
    output_format(args)
    rule = get_rule(args.rule)
    settings = load_settings()
    if not settings.db_path.exists():
        raise VintageNotLoaded(args.vintage, [])
    with db.connect(settings, read_only=True) as con:
        df = obligations(con, args.vintage, rule)
    counts = df["obligation"].value_counts()
    summary = ", ".join(f"{counts.get(k, 0)} {k}" for k in OBLIGATIONS)
    note = " ; hypothèse de l'Observatoire, pas la loi" if rule.assumption else ""
    return write_export(df, args, sheet_name=f"obligations {args.vintage}",
                        what=f"règle {rule.id} : {summary}{note}")


# -- export status ----------------------------------------------------------------------

def _add_status(s: argparse._SubParsersAction) -> None:
    p = s.add_parser(
        "status", help="Statut de publication de chaque collectivité (+ datapackage.json).",
        description="Une ligne par collectivité : obligation et statut de publication dans un "
                    "instantané, avec à côté un datapackage.json (Table Schema) qui décrit "
                    "chaque colonne.")
    add_rule_option(p, "règle d'obligation")
    p.add_argument("--snapshot", default="latest",
                   help="instantané : latest (défaut), son numéro, ou une date AAAA-MM-JJ")
    p.add_argument("--vintage", type=int, default=None, metavar="ANNÉE",
                   help="millésime du référentiel (défaut : celui en vigueur à la date de "
                        "l'instantané, le plus ancien chargé s'il n'y en a pas)")
    add_output_options(p)
    p.set_defaults(func=_export_status)


def _export_status(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    settings = load_settings()
    if not settings.db_path.exists():
        print("Erreur : base absente : chargez le référentiel puis lancez « harvest ».",
              file=sys.stderr)
        return EXIT_INPUT
    with db.connect(settings, read_only=True) as con:
        model = StatusModel.from_connection(con)
        at = model.status_at(FRANCE, args.rule, args.snapshot, vintage=args.vintage)
    df, snap = at.whole, at.snapshot
    counts = df["statut"].value_counts()
    summary = ", ".join(f"{nombre(counts.get(k, 0))} {vocab.STATUT.short(k).lower()}"
                        for k in vocab.STATUTS)
    figures = at.figures
    code = write_export(df, args, sheet_name="statut", what=(
        f"{snap.label}, référentiel {at.vintage.vintage} : {summary} ; "
        f"{nombre(figures.obligees)} obligées dont {nombre(figures.publiant)} publient"))
    if at.vintage.note:
        print(at.vintage.note)
    out = Path(args.output)
    package = out.with_name("datapackage.json")
    package.write_text(json.dumps(datapackage(df, out, fmt, rule=args.rule, snapshot=snap,
                                              vintage=at.vintage.vintage),
                                  ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"{package} : description des colonnes (Table Schema)")
    return code


# -- export veille (the watch list) --------------------------------------------------------

def _add_veille(s: argparse._SubParsersAction) -> None:
    p = s.add_parser(
        "veille", help="Liste de veille : collectivités proches d'un seuil.",
        description="Les collectivités proches d'un seuil (population à ±10 % de 3 500 selon "
                    "une mesure ou un millésime, mesures de part et d'autre de 3 500, tranche "
                    "Sirene 12 ou 21, décompte exact de 40 à 60 agents), avec la raison, "
                    "leur obligation et ce qui changerait leur réponse.")
    p.add_argument("--vintage", type=int, default=None, metavar="ANNÉE",
                   help="millésime du référentiel (défaut : le plus récent chargé)")
    p.add_argument("--territory", default="fr", metavar="TERRITOIRE",
                   help="fr, reg:76, dep:31, epci:<siren> (défaut : fr)")
    add_rule_option(p)
    add_output_options(p)
    p.set_defaults(func=_veille)


def _veille(args: argparse.Namespace) -> int:
    from odlab_compliance.analysis import watchlist
    from odlab_compliance.db.facts import newest_vintage
    from odlab_compliance.territory import Territory, filter_frame

    output_format(args)
    try:
        territory = Territory.from_cli(args.territory, ("FR", "REG", "DEP", "EPCI"))
    except ValueError as exc:
        raise InputError("--territory", str(exc)) from None
    settings = load_settings()
    if not settings.db_path.exists():
        raise VintageNotLoaded(args.vintage or 0, [])
    with db.connect(settings, read_only=True) as con:
        vintage = args.vintage or newest_vintage(con)
        if vintage is None:
            raise VintageNotLoaded(0, [])
        df = filter_frame(obligations(con, vintage, args.rule), territory)
    out = watchlist.watch_list(df, args.rule)
    counts = (out["veille"].astype(str).str.split().explode().value_counts() if len(out)
              else pd.Series(dtype="int64"))
    summary = ", ".join(f"{nombre(counts.get(c, 0))} {vocab.VEILLE.short(c).lower()}"
                        for c in vocab.VEILLES)
    return write_export(out, args, sheet_name=f"veille {vintage}",
                        what=f"référentiel {vintage}, {territory.key} : {summary}")
