"""The collectivité sheet on its page: choosing one among homonyms, its history, its evidence."""

from __future__ import annotations

import pandas as pd

from odlab_compliance import territory as terr
from odlab_compliance import vocab
from odlab_compliance.ui import cache
from odlab_compliance.ui.selection import MAX_TREND_POINTS
from odlab_compliance.ui.shell import Context


def collectivite_labels(rows: pd.DataFrame) -> dict[str, str]:
    """SIREN → « Toulouse (commune, 31) » / « Toulouse Métropole (métropole) », for
    choosing a collectivité among homonyms."""
    out = {}
    for r in rows.to_dict("records"):
        kind = vocab.TYPE.label(r.get("type")).lower()
        where = f", {r['departement']}" if r.get("type") == vocab.TYPE_COM \
            and isinstance(r.get("departement"), str) else ""
        out[str(r["siren"])] = f"{r['nom']} ({kind}{where})"
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
