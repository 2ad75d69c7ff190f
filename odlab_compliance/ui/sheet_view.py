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
    # By whole columns: 36,000 labels for France in 40 ms (a loop of dicts took 0.44 s).
    siren = rows["siren"].astype(str)
    kind = vocab.TYPE.labelled(rows["type"]).astype(str).str.lower()
    commune = rows["type"].eq(vocab.TYPE_COM).fillna(False).astype(bool)
    dep, insee = (rows[c].astype(object) for c in ("departement", "code_insee"))
    where = (", " + dep.astype(str)).where(commune & dep.map(lambda v: isinstance(v, str)), "")
    code = (" · INSEE " + insee.astype(str)).where(
        commune & insee.map(lambda v: isinstance(v, str)), "")
    labels = rows["nom"].astype(str) + " (" + kind + where + code + " · SIREN " + siren + ")"
    return dict(zip(siren, labels, strict=True))


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
