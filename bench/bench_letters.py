"""Letters and a campaign for the late collectivités of a département, on the national
reference built from the mirror (ODLAB_MIRROR_DIR) with a stand-in Annuaire: seconds to
gather the letters (status, sheet, worklist, contacts), to print them as one PDF, and to
send them to a local SMTP server (aiosmtpd) at full pace, with the per-message cost of
recording each sending (envoi + follow-up log) as the ratio to the bare SMTP send.

    ODLAB_MIRROR_DIR=../shared/data python bench/bench_letters.py [--departement 31]
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


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--departement", default="31")
    p.add_argument("--rule", default="odf")
    args = p.parse_args()
    mirror = os.environ.get("ODLAB_MIRROR_DIR")
    if not mirror:
        print("ODLAB_MIRROR_DIR non défini : ce banc lit le référentiel du miroir.")
        return 2
    home = Path(tempfile.mkdtemp(prefix="bench-letters-"))
    os.environ["ODLAB_HOME"] = str(home)
    from odlab_compliance import db
    from odlab_compliance.cli import main as cli
    from odlab_compliance.config import load_settings
    from odlab_compliance.ingest import contacts
    from odlab_compliance.model.status import StatusModel
    from odlab_compliance.outreach import letters, mailing
    from odlab_compliance.present import letters as printed
    from odlab_compliance.territory import Territory
    from tests.fixtures import annuaire
    from tests.smtpserver import SmtpServer

    assert cli(["reference", "update", "--vintage", "2026", "--quiet"]) == 0
    assert cli(["harvest", "--source", "observatoire", "--quiet"]) == 0
    settings = load_settings()
    with db.connect(settings) as con:
        entries = contacts.parse_entries(annuaire.from_mirror(Path(mirror)))
        contacts.store(con, contacts.match(entries, contacts.reference_for_matching(con)))
        model = StatusModel.from_connection(con)
        t = time.perf_counter()
        at = model.status_at(Territory.from_cli(f"dep:{args.departement}"), args.rule)
        sirens = printed.selection(con, at, printed.LIST_RETARD)
        status_s = time.perf_counter() - t
        who = letters.Sender(nom="Préfecture", courriel="open-data@exemple.gouv.fr")
        t = time.perf_counter()
        out = printed.gather(con, model, at, sirens, letters.current(con, "relance"), who)
        gather_s = time.perf_counter() - t
        t = time.perf_counter()
        pdf = printed.pdf(out, who)
        pdf_s = time.perf_counter() - t
        smtp = SmtpServer().start()
        settings_smtp = mailing.SmtpSettings("127.0.0.1", smtp.port, "aucune")
        sendable = [x for x in out if x.contact.probleme is None]
        t = time.perf_counter()
        bare = mailing.SmtpSender(settings_smtp)
        for x in sendable:
            bare.send(mailing.build_message(x, who))
        bare.close()
        bare_s = time.perf_counter() - t
        t = time.perf_counter()
        report = mailing.run_campaign(con, "bench", out, who, editor="bench", origin="cli",
                                      smtp=settings_smtp, per_minute=0)
        campaign_s = time.perf_counter() - t
        smtp.stop()
    n = len(out)
    print(f"dép. {args.departement}, règle {args.rule} : {n} collectivités en retard")
    print(f"  statuts et liste : {status_s:.2f} s")
    print(f"  courriers rassemblés : {gather_s:.2f} s ({gather_s / max(n, 1) * 1000:.0f} ms "
          "par courrier)")
    print(f"  PDF ({len(pdf) / 1024:.0f} Kio, {n} pages) : {pdf_s:.2f} s "
          f"({pdf_s / max(n, 1) * 1000:.0f} ms par page)")
    print(f"  envoi SMTP seul : {len(sendable)} messages en {bare_s:.2f} s")
    print(f"  campagne (envoi + journal des envois + suivi) : {len(report.sent)} messages en "
          f"{campaign_s:.2f} s, soit {campaign_s / max(bare_s, 1e-9):.1f} × l'envoi seul")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
