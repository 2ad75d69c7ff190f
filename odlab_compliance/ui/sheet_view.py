"""The collectivité sheet on its page: choosing one among homonyms, its history, its evidence."""

from __future__ import annotations

import pandas as pd

from odlab_compliance import territory as terr
from odlab_compliance import vocab
from odlab_compliance.ui import cache
from odlab_compliance.ui.selection import MAX_TREND_POINTS
from odlab_compliance.ui.shell import Context


def collectivite_labels(rows: pd.DataFrame) -> dict[str, str]:
    """SIREN → « Muret (commune, 31 · INSEE 31395 · SIREN 213103955) » / « Toulouse
    Métropole (métropole · SIREN 243100518) »: homonyms told apart, and the list's search
    (which matches the label) finds a collectivité by its code INSEE or SIREN too."""
    out = {}
    for r in rows[["siren", "nom", "type", "departement", "code_insee"]].to_dict("records"):
        kind = vocab.TYPE.label(r.get("type")).lower()
        commune = r.get("type") == vocab.TYPE_COM
        where = f", {r['departement']}" if commune and isinstance(r.get("departement"), str) \
            else ""
        code = f" · INSEE {r['code_insee']}" if commune and isinstance(r.get("code_insee"), str) \
            else ""
        out[str(r["siren"])] = f"{r['nom']} ({kind}{where}{code} · SIREN {r['siren']})"
    return out


def default_siren(ctx: Context, frame: pd.DataFrame) -> str | None:
    """The collectivité of the selected territory (a commune, an EPCI, a département)."""
    t = ctx.territory
    if t.level == "FR":
        return None
    if t.level == "EPCI":
        rows = frame[frame["siren"].eq(t.code)]
    else:
        rows = frame[frame["type"].eq({"REG": vocab.TYPE_REG, "DEP": vocab.TYPE_DEP, "COM": vocab.TYPE_COM}[t.level])
                     & frame["code_insee"].eq(t.code)]
        if rows.empty and t.level in ("REG", "DEP"):
            # the collectivité exerting its powers (CEA for 68, Corse for 2B, Paris for 75)
            rows = frame[terr.governs(frame, t)]
    return str(rows["siren"].iloc[0]) if len(rows) and pd.notna(rows["siren"].iloc[0]) else None


def history(ctx: Context, siren: str) -> pd.DataFrame:
    """The collectivité's status at each snapshot (oldest first, the last 12)."""
    return cache.history(ctx.sig, ctx.rule, (siren,)).tail(MAX_TREND_POINTS)


EVIDENCE_LABELS = {"title": "Jeu de données", "url": "Lien", "platform": "Plateforme",
                   "last_update": "Mise à jour", "schemas": "Schémas", "source": "Source",
                   "publisher": "Publié par", "counted": "Compté", "reason": "Raison"}
EVIDENCE_LINKS = ("url", "platform")


def evidence_table(evidence: pd.DataFrame) -> pd.DataFrame:
    """The evidence as shown: known columns, the source in French, and without the
    columns a source leaves empty (an Observatoire edition lists no dataset titles)."""
    out = evidence[[c for c in EVIDENCE_LABELS if c in evidence.columns]].copy()
    if "source" in out.columns:
        out["source"] = vocab.SOURCE.labelled(out["source"])
    empty = [c for c in out.columns if out[c].isna().all()]
    return out.drop(columns=empty)
