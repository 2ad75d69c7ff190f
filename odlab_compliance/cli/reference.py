"""`reference update|status`: load the official reference files of a vintage."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from tqdm import tqdm

from odlab_compliance import db
from odlab_compliance.cli.common import progress_factory
from odlab_compliance.config import load_settings
from odlab_compliance.fmt import nombre
from odlab_compliance.ingest.sources import vintages

if TYPE_CHECKING:
    from odlab_compliance.ingest.reference.load import LoadReport

_LABELS = {"com": "communes", "cc": "communautés de communes", "ca": "communautés "
           "d'agglomération", "cu": "communautés urbaines", "met": "métropoles",
           "ept": "établissements publics territoriaux", "dep": "départements",
           "reg": "régions", "territoires": "territoires (régions et départements)"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reference", help="Référentiels officiels : chargement et état.",
                       description="Charge les référentiels officiels d'un millésime (communes, "
                                   "EPCI, EPT, départements, régions, contours) ou liste les "
                                   "millésimes chargés.")
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    u = s.add_parser("update", help="Charge (ou recharge) un millésime du référentiel.",
                     description="Télécharge (ou prend dans le miroir ODLAB_MIRROR_DIR) les "
                                 "fichiers du millésime, les contrôle et remplace ce millésime "
                                 "seulement, en une transaction : en cas d'erreur, la base "
                                 "reste inchangée.")
    which = u.add_mutually_exclusive_group(required=True)
    which.add_argument("--vintage", type=int, choices=vintages(), metavar="ANNÉE",
                       help=f"millésime du COG ({', '.join(map(str, vintages()))})")
    which.add_argument("--all", action="store_true", help="tous les millésimes connus")
    u.add_argument("--quiet", action="store_true", help="sans barre de progression")
    u.add_argument("--refresh", action="store_true",
                   help="télécharge de nouveau les fichiers au lieu de reprendre ceux du "
                        "cache (le miroir, s'il est défini, reste lu)")
    u.set_defaults(func=_update)
    st = s.add_parser("status", help="Liste les millésimes chargés, avec effectifs et alertes.",
                      description="Liste les millésimes du référentiel chargés dans la base : "
                                  "date de chargement, collectivités, territoires, contours "
                                  "et nombre d'alertes.")
    st.set_defaults(func=_status)


def _update(args: argparse.Namespace) -> int:
    # Imported here: the loader pulls in geopandas, which no other command needs at start-up.
    from odlab_compliance.ingest.reference.load import OPTIONAL, REQUIRED, load_vintage

    # fetch of each source + parse + populations + 4 geometry levels + write
    steps = len(REQUIRED) + len(OPTIONAL) + 1 + 1 + 4 + 1
    settings = load_settings()
    todo = vintages() if args.all else [args.vintage]
    for vintage in todo:
        bar = tqdm(total=steps, desc=f"référentiel {vintage}", disable=args.quiet,
                   file=sys.stderr, leave=False)

        def step(label: str, bar: tqdm = bar) -> None:
            bar.set_postfix_str(label)
            bar.update(1)

        with db.connect(settings) as con:
            report = load_vintage(con, vintage, settings,
                                  progress=progress_factory(disable=args.quiet), step=step,
                                  refresh=args.refresh)
        bar.update(bar.total - bar.n)  # an optional source absent: the bar still ends full
        bar.close()
        print(summary(report))
    return 0


def _nombre(n: object) -> str:
    return nombre(n, 1 if isinstance(n, float) else 0, vide="?")


def summary(report: LoadReport) -> str:
    """French summary of a load: counts per type, geometry sizes, warnings."""
    c = report.counts
    lines = [f"Référentiel {report.vintage} chargé en {_nombre(report.seconds)} s : "
             f"{_nombre(c.get('collectivites', 0))} collectivités."]
    lines += [f"  {_nombre(c[k])} {label}" for k, label in _LABELS.items() if k in c]
    sizes = c.get("geojson_octets") or {}
    if sizes:
        lines.append("  contours (GeoJSON) : " + ", ".join(
            f"{k} {v / 1e6:.1f} Mo" for k, v in sizes.items()))
    if report.warnings:
        lines.append(f"{len(report.warnings)} alerte(s) :")
        lines += [f"  - {w}" for w in report.warnings]
    return "\n".join(lines)


def _status(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.db_path.is_file():
        print("Aucun référentiel chargé (base absente). Lancez : "
              "python -m odlab_compliance reference update --vintage 2026")
        return 0
    with db.connect(settings, read_only=True) as con:
        rows = con.execute(db.sql("ref_status")).fetchall()
    if not rows:
        print("Aucun référentiel chargé. Lancez : "
              "python -m odlab_compliance reference update --vintage 2026")
        return 0
    for vintage, loaded_at, _counts, warnings, pops, n_coll, n_terr, n_geo in rows:
        n_warn = len(json.loads(warnings or "[]"))
        print(f"{vintage}\tchargé le {loaded_at:%d/%m/%Y %H:%M} UTC\t{_nombre(n_coll)} "
              f"collectivités\t{_nombre(n_terr)} territoires\t{_nombre(n_geo)} contours\t"
              f"{n_warn} alerte(s)")
        for line in population_lines(pops):
            print(f"\t{line}")
    return 0


def population_lines(populations: str | None) -> list[str]:
    """French lines: the millésime in force, then each population file's millésime and
    how it was established (``ref_load.populations``)."""
    if not populations:
        return ["populations : millésimes non établis (référentiel chargé par une version "
                "antérieure : rechargez-le)"]
    data = json.loads(populations)
    lines = [f"populations légales en vigueur : millésime {data.get('en_vigueur')}"]
    for f in data.get("fichiers", []):
        year = f"millésime {f['millesime']}" if f.get("millesime") else "millésime inconnu"
        label = f["fichier"][:1].upper() + f["fichier"][1:]
        lines.append(f"  {label} : {year} ({f['preuve']})")
    return lines
