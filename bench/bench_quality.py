"""SCDL validation cost: files validated per second, and what a second harvest validates.

A local data.gouv.fr stand-in (tests/fixtures/harvest/site.py) publishes ``--files``
délibérations files of ``--rows`` lines each (one in five non conforming), served by a
LocalServer with the Délibérations Table Schema (tests/fixtures/harvest/scdl.py). A first
pass validates every file; then ``--changed`` files get a new content (new checksum), the
catalogue is harvested again, and the second pass validates only those.

    python bench/bench_quality.py [--files 200] [--rows 500] [--changed 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from odlab_compliance import db  # noqa: E402
from odlab_compliance.config import load_settings  # noqa: E402
from odlab_compliance.http import make_session  # noqa: E402
from odlab_compliance.ingest import scdl  # noqa: E402
from odlab_compliance.ingest.harvest import datagouv, journal, save  # noqa: E402
from odlab_compliance.ingest.harvest import quality as quality_rows  # noqa: E402
from tests.fixtures.harvest import scdl as files  # noqa: E402
from tests.fixtures.harvest.site import Dataset, Org, Site  # noqa: E402
from tests.httpserver import LocalServer  # noqa: E402


def build(server: LocalServer, n_files: int, rows: int) -> Site:
    orgs = [Org(f"{i:024x}", f"Commune de test {i}", f"21{i:07d}00010")
            for i in range(max(1, n_files // 2))]
    site = Site(orgs=orgs, base=server.url)
    for j in range(n_files):
        set_file(server, site, j, rows, version=0, org=orgs[j % len(orgs)].id)
    return site


def set_file(server: LocalServer, site: Site, j: int, rows: int, version: int,
             org: str | None = None) -> None:
    body = files.invalid_csv() if j % 5 == 0 else files.valid_csv(rows=rows + version)
    url = files.serve_file(server, f"delib-{j}.csv", body)
    found = next((d for d in site.datasets if d.id == f"d{j:023x}"), None)
    if found is None:
        site.datasets.append(Dataset(f"d{j:023x}", org or "", f"Délibérations {j}",
                                     "2026-11-01T00:00:00", schema=files.DELIB,
                                     schema_version=files.DELIB_VERSION))
        found = site.datasets[-1]
    found.resource_url, found.checksum = url, files.sha1(body)


def harvest(settings, session, tmp: Path) -> int:
    got = datagouv.fetch_bulk(session, settings, tmp / "dl")
    assert got.outcome.ok, got.outcome
    with db.connect(settings) as con:
        run_id = journal.start_run(con, "harvest", ["datagouv"])
        save.save_snapshot(con, run_id, publishers=save.publishers_frame(got.publishers),
                           datasets=save.datasets_frame(got.datasets), outcomes=[got.outcome],
                           scdl_schemas=[files.DELIB],
                           quality=quality_rows.quality_frame(got.datasets),
                           resources=quality_rows.resources_frame(got.datasets))
    return run_id


def reharvest(server: LocalServer, site: Site, settings, session, tmp: Path,
              changed: range, rows: int, version: int) -> tuple[int, int]:
    """Give ``changed`` files a new content, harvest again; the run and its pending count."""
    for j in changed:
        set_file(server, site, j, rows, version=version)
    site.install(server)
    run_id = harvest(settings, session, tmp)
    with db.connect(settings) as con:
        return run_id, len(scdl.pending(con, run_id))


def profiles_cost(n: int = 50_000, sirens: int = 5_000) -> None:
    """The grade of every collectivité of a national snapshot (pure computation)."""
    import datetime as dt

    import numpy as np
    import pandas as pd

    from odlab_compliance.model import quality

    rng = np.random.default_rng(1)
    d = pd.DataFrame({
        "siren": rng.integers(0, sirens, n).astype(str), "source": "datagouv",
        "dataset_id": np.arange(n).astype(str),
        "last_update": pd.to_datetime("2020-01-01")
        + pd.to_timedelta(rng.integers(0, 2500, n), unit="D"),
        "frequency": rng.choice(["annual", "monthly", None], n),
        "formats": rng.choice(["csv", "pdf,xlsx", None], n),
        "schemas": rng.choice([None, "scdl/budget"], n), "quality_score": rng.random(n)})
    t0 = time.perf_counter()
    rows = quality.profiles(d, dt.date(2026, 12, 1))
    print(f"profils et notes : {len(rows)} collectivités, {n} jeux en "
          f"{time.perf_counter() - t0:.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--rows", type=int, default=500)
    ap.add_argument("--changed", type=int, default=10)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    server = LocalServer()
    os.environ.update({"ODLAB_HOME": str(tmp), "ODLAB_DATAGOUV_URL": server.url,
                       "ODLAB_MIRROR_DIR": "", "ODLAB_BASE_URL_SCHEMA_DATAGOUV": server.url})
    settings = load_settings()
    session = make_session(settings)
    files.serve_schema(server)
    site = build(server, args.files, args.rows)
    site.install(server)
    print(f"stand-in : {args.files} fichiers Délibérations de {args.rows} lignes "
          f"(1 sur 5 non conforme)")

    run1 = harvest(settings, session, tmp)
    first = scdl.validate_pending(settings, run1, limit=args.files, session=session)
    t1 = first.seconds
    print(f"1er passage : {first.validated} fichiers vérifiés en {t1:.1f} s, soit "
          f"{first.validated / t1:.1f} fichiers/s ({first.validated * args.rows / t1:.0f} "
          f"lignes/s) ; états : {first.by_state} ; restants : {first.remaining}")

    changed = range(1, args.files, max(1, args.files // args.changed))[:args.changed]
    run2, todo = reharvest(server, site, settings, session, tmp, changed, args.rows, 1)
    second = scdl.validate_pending(settings, run2, limit=args.files, session=session)
    t2 = second.seconds
    print(f"2e moissonnage : {todo} fichier(s) nouveau(x) ou modifié(s) sur {args.files} ; "
          f"{second.validated} vérifié(s) en {t2:.1f} s ({t1 / max(t2, 1e-9):.0f} fois moins "
          f"que le 1er passage)")

    # The bound: a third harvest with every file changed, validated 50 at a time.
    run3, todo3 = reharvest(server, site, settings, session, tmp, range(args.files),
                            args.rows, 2)
    bounded = scdl.validate_pending(settings, run3, limit=50, session=session)
    print(f"3e moissonnage, {todo3} fichiers modifiés (les non conformes n'ont pas changé), "
          f"passage borné à 50 : {bounded.validated} vérifiés, {bounded.remaining} « pas "
          f"encore vérifiés » pour le passage suivant")
    server.close()
    profiles_cost()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
