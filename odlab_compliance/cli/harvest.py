"""`harvest [--source ...] [--territory ...]`, `harvest runs`, and `export status`
(``register_status``, wired by ``cli/export.py``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from odlab_compliance import db, status
from odlab_compliance.cli.common import EXIT_FAILED, EXIT_INPUT, progress_factory
from odlab_compliance.config import load_settings
from odlab_compliance.harvest.run import HARVEST_LEVELS, SOURCES, run_harvest
from odlab_compliance.territory import Territory

STATUS_LABELS = {"done": "terminé", "done-errors": "terminé avec erreurs", "failed": "échec",
                 "running": "en cours"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "harvest", help="Moissonne data.gouv.fr, les portails et l'Observatoire (instantané daté).",
        description="Moissonne les sources de publication et enregistre un instantané daté, "
                    "visible seulement quand le moissonnage est terminé. Code de sortie non nul "
                    "si une source a échoué (pour un ordonnanceur). « harvest runs » affiche "
                    "le journal des moissonnages.")
    p.add_argument("--source", action="append", choices=SOURCES, metavar="SOURCE",
                   help="source à moissonner (répétable) : datagouv, portals ou observatoire ; "
                        "par défaut toutes")
    p.add_argument("--territory", metavar="TERRITOIRE",
                   help="rafraîchit un territoire seulement : dep:31, reg:76 ou epci:<siren> "
                        "(le reste de l'instantané précédent est repris)")
    p.add_argument("--catalogue-complet", action="store_true", dest="full_catalogue",
                   help="lit les exports complets de data.gouv.fr (pas seulement le badge "
                        "« local-authority ») et garde aussi les organisations dont le SIRET "
                        "est celui d'une collectivité connue")
    p.add_argument("--rate", type=float, default=4.0, metavar="N",
                   help="requêtes par seconde au plus vers data.gouv.fr (défaut : 4)")
    p.add_argument("--quiet", action="store_true", help="sans barres de progression")
    p.set_defaults(func=_harvest)
    s = p.add_subparsers(dest="action", metavar="ACTION")
    r = s.add_parser("runs", help="Journal des moissonnages (statut, sources, erreurs).")
    r.add_argument("--limit", type=int, default=20, help="nombre de moissonnages affichés")
    r.set_defaults(func=_runs)


def _harvest(args: argparse.Namespace) -> int:
    if args.territory:
        try:
            Territory.from_cli(args.territory, HARVEST_LEVELS)
        except ValueError as exc:
            print(f"Erreur : {exc}", file=sys.stderr)
            return EXIT_INPUT
    result = run_harvest(load_settings(), sources=args.source, territory=args.territory,
                         full_catalogue=args.full_catalogue, rate=args.rate,
                         progress=progress_factory(disable=args.quiet))
    shown = result.outcomes
    if len(shown) > 12:  # ~200 portals: list the failures, count the rest
        ok = [o for o in shown if o.ok and not o.item_errors]
        print(f"  {len(ok)} source(s) sans erreur")
        shown = [o for o in shown if o not in ok]
    for o in shown:
        mark = "ok" if o.ok else "ÉCHEC"
        extra = f" — {o.error}" if o.error else ""
        errs = f", {len(o.item_errors)} erreur(s) d'élément" if o.item_errors else ""
        print(f"  {o.source_key} : {mark}, {o.items} élément(s){errs}{extra}")
    label = STATUS_LABELS.get(result.status, result.status)
    run = f"moissonnage {result.run_id}" if result.run_id else "import"
    print(f"{run} : {label}" + (f" ({result.message})" if result.message else ""))
    if result.status == "failed" or result.failed_sources:
        print("Au moins une source a échoué : les collectivités qui en dépendent sont en "
              "statut « inconnu ». Voir « harvest runs ».", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _runs(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.db_path.exists():
        print("Aucun moissonnage (base absente).")
        return 0
    with db.connect(settings, read_only=True) as con:
        df = status.journal(con).head(args.limit)
    if df.empty:
        print("Aucun moissonnage.")
        return 0
    for r in df.itertuples():
        end = r.ended_at if pd.notna(r.ended_at) else "—"
        print(f"#{r.run_id}\t{r.kind}\t{STATUS_LABELS.get(r.status, r.status)}\t"
              f"{r.started_at} → {end}\tinstantané du {r.snapshot_date}\t"
              f"{r.territory or 'national'}\tsources ok {r.sources_ok}, en échec "
              f"{r.sources_failed}, erreurs {r.item_errors}")
        for text in (r.message, r.failures, r.erreurs):
            if isinstance(text, str) and text:
                print(f"\t{text}")
    return 0


# --- export status ---------------------------------------------------------------------

DESCRIPTIONS = {
    "siren": ("SIREN", "string", None, "SIREN de la collectivité (9 chiffres)"),
    "code_insee": ("Code INSEE", "string", None,
                   "Code commune INSEE, SIREN de l'EPCI, code du département ou de la région"),
    "nom": ("Nom", "string", None, "Nom officiel"),
    "type": ("Type", "string", None, "COM, CC, CA, CU, MET, EPT, DEP, REG"),
    "departement": ("Département", "string", None, "Code du département"),
    "region": ("Région", "string", None, "Code de la région"),
    "obligation": ("Obligation", "string", None,
                   "obligee, non_obligee ou a_verifier selon la règle choisie"),
    "statut": ("Statut de publication", "string", None,
               "publie, publie_via_tiers, non_publie ou inconnu (une source a échoué)"),
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
    "snapshot": ("Instantané", "integer", None, "Numéro de l'instantané (journal des moissonnages)"),
    "kind": ("Nature de l'instantané", "string", None,
             "harvest (moissonnage) ou observatoire (édition de l'Observatoire)"),
}
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


def datapackage(df: pd.DataFrame, output: Path, fmt: str, *, rule: str, snapshot: dict) -> dict:
    """A Frictionless Data Package describing the export file (Table Schema per column)."""
    fields = []
    for col in df.columns:
        title, ftype, fformat, desc = DESCRIPTIONS.get(
            col, (col, _field_type(df[col]), None,
                  "Colonne complémentaire (voir la documentation de l'obligation)"))
        if ftype == "date":
            fformat = "%d/%m/%Y" if fmt == "csv" else None
        f = {"name": col, "title": title, "type": ftype, "description": desc}
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
    return {
        "profile": "tabular-data-package",
        "name": "odlab-statut-publication",
        "title": "Publication de données ouvertes par les collectivités",
        "description": (f"Une ligne par collectivité : obligation (règle « {rule} ») et statut "
                        f"de publication dans l'instantané {snapshot['snapshot']} du "
                        f"{snapshot['date_snapshot']} ({snapshot['kind']})."),
        "licenses": [LICENSE],
        "created": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "resources": [resource],
    }


def register_status(export_subparsers: argparse._SubParsersAction) -> None:
    """`export status`: to be registered by ``cli/export.py``."""
    from odlab_compliance.cli.export import add_output_options, add_rule_option

    p = export_subparsers.add_parser(
        "status", help="Statut de publication de chaque collectivité (+ datapackage.json).",
        description="Une ligne par collectivité : obligation et statut de publication dans un "
                    "instantané, avec à côté un datapackage.json (Table Schema) qui décrit "
                    "chaque colonne.")
    add_rule_option(p, "règle d'obligation")
    p.add_argument("--snapshot", default="latest",
                   help="instantané : latest (défaut), son numéro, ou une date AAAA-MM-JJ")
    p.add_argument("--vintage", type=int, default=None, metavar="ANNÉE",
                   help="millésime du référentiel (défaut : le plus récent chargé)")
    add_output_options(p)
    p.set_defaults(func=_export_status)


def _export_status(args: argparse.Namespace) -> int:
    from odlab_compliance.cli.export import output_format, write_export

    fmt = output_format(args)
    settings = load_settings()
    if not settings.db_path.exists():
        print("Erreur : base absente : chargez le référentiel puis lancez « harvest ».",
              file=sys.stderr)
        return EXIT_INPUT
    with db.connect(settings, read_only=True) as con:
        snap = status.resolve_snapshot(con, args.snapshot)
        df = status.status_table(con, args.rule, snap["snapshot"], args.vintage)
    counts = df["statut"].value_counts()
    summary = ", ".join(f"{counts.get(k, 0)} {k}" for k in status.STATUTS)
    code = write_export(df, args, sheet_name="statut", what=f"instantané {snap['snapshot']} "
                        f"du {snap['date_snapshot']} : {summary}")
    out = Path(args.output)
    package = out.with_name("datapackage.json")
    package.write_text(json.dumps(datapackage(df, out, fmt, rule=args.rule, snapshot=snap),
                                  ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"{package} : description des colonnes (Table Schema)")
    return code
