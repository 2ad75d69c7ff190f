"""National data.gouv.fr snapshot: bulk CSV exports vs one API call per organisation.

A local data.gouv.fr stand-in (tests.httpserver.LocalServer + tests/fixtures/harvest/site.py)
holds ~5,000 local-authority organisations and ~50,000 datasets and adds 100 ms to every
request. Both methods go through the project's polite client (``http.make_session``) and
the same rate limiter as a real harvest (``datagouv.DEFAULT_RATE`` requests per second).

The per-organisation method is run on a sample (default 300 organisations) and
extrapolated linearly to all organisations; the script says so in its output.

    python bench/bench_harvest.py [--orgs 5000] [--datasets 50000] [--sample 300]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from odlab_compliance import db  # noqa: E402
from odlab_compliance.config import load_settings  # noqa: E402
from odlab_compliance.http import RateLimiter, make_session  # noqa: E402
from odlab_compliance.ingest.harvest import datagouv, journal, save  # noqa: E402
from odlab_compliance.model import evidence, snapshots  # noqa: E402
from tests.fixtures.harvest.site import Dataset, Org, Site  # noqa: E402
from tests.httpserver import LocalServer, Reply  # noqa: E402

LATENCY = 0.1
SCHEMAS = ["scdl/deliberations", "scdl/budget", "scdl/subventions", "etalab/schema-irve-statique"]


def build_site(n_orgs: int, n_datasets: int, seed: int = 7) -> Site:
    rnd = random.Random(seed)
    orgs = [Org(f"{i:024x}", f"Commune de test {i}", f"21{i:07d}00010") for i in range(n_orgs)]
    datasets = []
    for j in range(n_datasets):
        org = orgs[min(n_orgs - 1, int(rnd.paretovariate(1.2)) - 1 + rnd.randrange(n_orgs))
                   % n_orgs]
        datasets.append(Dataset(
            f"d{j:023x}", org.id, f"Jeu de données {j}",
            f"20{rnd.randint(18, 26)}-{rnd.randint(1, 12):02d}-15T10:00:00",
            archived=rnd.random() < 0.05,
            harvest_domain="data.example.fr" if rnd.random() < 0.3 else "",
            schema=rnd.choice(SCHEMAS) if rnd.random() < 0.02 else ""))
    return Site(orgs=orgs, datasets=datasets)


def install(site: Site, server: LocalServer) -> None:
    """Routes with pre-rendered bodies: the stand-in's own work must not be measured."""
    site.base = server.url
    for kind, render in (("organizations", site.organizations_csv),
                         ("datasets", site.datasets_csv), ("resources", site.resources_csv)):
        body = render(True)
        server.add(f"/api/1/site/{kind}.csv",
                   Reply(200, body, {"Content-Type": "text/csv"}, delay=LATENCY))
    by_org: dict[str, list[dict]] = {}
    for d in site.datasets:
        by_org.setdefault(d.org_id, []).append(site.dataset_json(d))
    orgs_json = [site.org_json(o) for o in site.orgs]

    def orgs_handler(req):
        reply = site.page(req, orgs_json)
        reply.delay = LATENCY
        return reply

    def datasets_handler(req):
        reply = site.page(req, by_org.get(req.path.split("/")[4], []))
        reply.delay = LATENCY
        return reply

    server.add("/api/1/organizations/", orgs_handler)
    for o in site.orgs:
        server.add(f"/api/1/organizations/{o.id}/datasets/", datasets_handler)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orgs", type=int, default=5000)
    ap.add_argument("--datasets", type=int, default=50000)
    ap.add_argument("--sample", type=int, default=300,
                    help="organisations harvested one by one (the rest is extrapolated)")
    ap.add_argument("--rate", type=float, default=datagouv.DEFAULT_RATE)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-harvest-"))
    server = LocalServer()
    os.environ.update({"ODLAB_HOME": str(tmp), "ODLAB_DATAGOUV_URL": server.url,
                       "ODLAB_MIRROR_DIR": ""})
    settings = load_settings()
    site = build_site(args.orgs, args.datasets)
    install(site, server)
    print(f"stand-in : {len(site.orgs)} organisations, {len(site.datasets)} jeux, "
          f"{LATENCY * 1000:.0f} ms ajoutées à chaque requête, {args.rate:g} requêtes/s au plus")

    # 1. Bulk exports: 3 requests.
    session = make_session(settings)
    t0 = time.perf_counter()
    bulk = datagouv.fetch_bulk(session, settings, tmp / "dl", limiter=RateLimiter(args.rate))
    t_bulk_fetch = time.perf_counter() - t0
    assert bulk.outcome.ok, bulk.outcome
    t0 = time.perf_counter()
    with db.connect(settings) as con:
        run_id = journal.start_run(con, "harvest", ["datagouv"])
        save.save_snapshot(con, run_id, publishers=save.publishers_frame(bulk.publishers),
                           datasets=save.datasets_frame(bulk.datasets), outcomes=[bulk.outcome])
    t_bulk_save = time.perf_counter() - t0
    print(f"exports en masse : {bulk.requests} requêtes, {t_bulk_fetch:.2f} s de "
          f"téléchargement et lecture ({len(bulk.publishers)} organisations, "
          f"{len(bulk.datasets)} jeux) + {t_bulk_save:.2f} s d'écriture de l'instantané")

    # Status of every organisation's collectivité in that snapshot (what the dashboard and
    # `export status` compute), with one SIRET match per organisation.
    with db.connect(settings) as con:
        con.execute("INSERT INTO harvest_match SELECT run_id, source, publisher_id,"
                    " substr(siret, 1, 9), 'siret', 1.0, 'auto', '' FROM harvest_publisher"
                    " WHERE run_id = ?", [run_id])
        t0 = time.perf_counter()
        snap = snapshots.resolve(snapshots.list_snapshots(con), run_id)
        found = evidence.harvest_evidence(con, snap).found
        t_status = time.perf_counter() - t0
    print(f"statut : {len(found)} collectivités avec leurs preuves en {t_status:.2f} s")

    # 2. One API call per organisation (+ the paginated list of organisations).
    session = make_session(settings)
    limiter = RateLimiter(args.rate)
    t0 = time.perf_counter()
    orgs, n_list = datagouv.list_local_authorities(session, server.url, limiter)
    t_list = time.perf_counter() - t0
    sample = orgs[: args.sample]
    t0 = time.perf_counter()
    got = datagouv.fetch_organizations(session, settings, sample, limiter=limiter)
    t_sample = time.perf_counter() - t0
    assert got.outcome.ok and not got.outcome.item_errors, got.outcome
    per_org_req = got.requests / len(sample)
    est_requests = n_list + per_org_req * len(orgs)
    est_time = t_list + t_sample / len(sample) * len(orgs)
    print(f"une requête par organisation : liste {n_list} requêtes en {t_list:.1f} s ; "
          f"échantillon de {len(sample)} organisations : {got.requests} requêtes en "
          f"{t_sample:.1f} s ({len(got.datasets)} jeux)")
    print(f"  extrapolé à {len(orgs)} organisations (linéaire, sur l'échantillon) : "
          f"~{est_requests:.0f} requêtes, ~{est_time:.0f} s ({est_time / 60:.1f} min)")
    t_bulk = t_bulk_fetch
    print(f"rapport : {est_time / t_bulk:.0f} fois plus long et "
          f"{est_requests / bulk.requests:.0f} fois plus de requêtes par l'API que par les "
          f"exports ({t_bulk:.1f} s, {bulk.requests} requêtes)")
    server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
