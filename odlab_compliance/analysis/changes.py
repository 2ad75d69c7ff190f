"""What changed between two snapshots for a territory, and a digest per département.

A collectivité whose status became ``inconnu`` (a source it depends on failed) is
reported as "now unknown", never as having stopped: a portal that is down today says
nothing about compliance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from odlab_compliance import db, fmt, vocab
from odlab_compliance.analysis import watchlist
from odlab_compliance.errors import InputError
from odlab_compliance.model import snapshots as snaps
from odlab_compliance.model.figures import figures_by
from odlab_compliance.model.snapshots import Snapshot
from odlab_compliance.model.status import StatusAt, StatusModel
from odlab_compliance.territory import Territory

# Change codes, in the order the digest lists them, with their French headings.
CHANGES: dict[str, str] = {
    "commence": "Ont commencé à publier",
    "arrete": "Ont cessé de publier",
    "obsolete": "Données devenues anciennes (plus de 12 mois sans mise à jour)",
    "devenu_inconnu": "Statut désormais inconnu (source indisponible, pas un arrêt)",
    "de_nouveau_connu": "Statut de nouveau connu",
    "devenu_oblige": "Devenues obligées (nouveau millésime)",
    "plus_oblige": "Ne sont plus obligées (nouveau millésime)",
    "seuil_franchi": "Ont franchi un seuil (habitants ou agents) sans changer d'obligation",
}
KEY_COLUMNS = ["siren", "code_insee", "nom", "type", "departement", "region"]
OUT_COLUMNS = KEY_COLUMNS + ["changement", "libelle", "obligation_avant", "obligation_apres",
                             "statut_avant", "statut_apres", "nb_jeux_avant", "nb_jeux_apres",
                             "derniere_mise_a_jour", "seuil_franchi"]


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df.columns else pd.Series(pd.NA, index=df.index, dtype="object")


def diff(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per collectivité and change between two status tables (one row per
    collectivité each, columns of a ``model.status`` table). A collectivité absent from a
    side (not in that vintage) counts as not obliged and not publishing there."""
    keep = ["siren", "obligation", "statut", "a_jour", "nb_jeux"]
    b = before.reindex(columns=keep + [c for c in KEY_COLUMNS if c != "siren"])
    a = after.reindex(columns=keep + [c for c in KEY_COLUMNS if c != "siren"]
                      + ["derniere_mise_a_jour"])
    m = a.merge(b, on="siren", how="outer", suffixes=("_apres", "_avant"), indicator=True)
    for c in KEY_COLUMNS[1:]:
        m[c] = m[f"{c}_apres"].combine_first(m[f"{c}_avant"])
    sb, sa = m["statut_avant"], m["statut_apres"]
    ob = m["obligation_avant"].fillna(vocab.NON_OBLIGEE)
    oa = m["obligation_apres"].fillna(vocab.NON_OBLIGEE)
    pub_b, pub_a = sb.isin(vocab.PUBLISHING), sa.isin(vocab.PUBLISHING)
    fresh_b = _col(m, "a_jour_avant").astype("boolean").fillna(False)
    fresh_a = _col(m, "a_jour_apres").astype("boolean").fillna(False)
    rules = {
        "commence": pub_a & ~pub_b & sb.ne(vocab.INCONNU).fillna(True),
        "arrete": pub_b & sa.eq(vocab.NON_PUBLIE).fillna(False),
        "obsolete": pub_b & pub_a & fresh_b & ~fresh_a,
        "devenu_inconnu": sa.eq(vocab.INCONNU).fillna(False) & sb.ne(vocab.INCONNU).fillna(True),
        "de_nouveau_connu": (sb.eq(vocab.INCONNU).fillna(False) & sa.notna()
                             & sa.ne(vocab.INCONNU)),
        "devenu_oblige": oa.eq(vocab.OBLIGEE) & ob.ne(vocab.OBLIGEE),
        "plus_oblige": ob.eq(vocab.OBLIGEE) & oa.ne(vocab.OBLIGEE),
    }
    # Who crossed the population or the agent threshold (a new vintage, a new count):
    # said on their obligation change, or as a change of its own when the answer stayed.
    crossed = watchlist.crossings(before, after)
    crossed = crossed.groupby("siren")["seuil_franchi"].agg(" ; ".join)
    m["seuil_franchi"] = m["siren"].map(crossed)
    rules["seuil_franchi"] = (m["seuil_franchi"].notna() & ~rules["devenu_oblige"]
                              & ~rules["plus_oblige"])
    parts = []
    for code, mask in rules.items():
        part = m[mask.fillna(False).astype(bool)].copy()
        part["changement"] = code
        part["libelle"] = CHANGES[code]
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else m.iloc[0:0]
    out = out.reindex(columns=OUT_COLUMNS)
    # a datetime column, not python dates mixed with NaT, for exports and sorting
    out["derniere_mise_a_jour"] = pd.to_datetime(out["derniere_mise_a_jour"])
    order = {c: i for i, c in enumerate(CHANGES)}
    return (out.assign(_o=out["changement"].map(order))
            .sort_values(["departement", "_o", "nom"], na_position="last")
            .drop(columns="_o").reset_index(drop=True))


def counts(changes: pd.DataFrame) -> dict[str, int]:
    """Number of collectivités per change code (every code present, zero included)."""
    vc = changes["changement"].value_counts()
    return {code: int(vc.get(code, 0)) for code in CHANGES}


def _names(df: pd.DataFrame, limit: int) -> str:
    names = [str(n) for n in df.sort_values("nom")["nom"]]
    text = ", ".join(names[:limit])
    if len(names) > limit:
        text += f" et {len(names) - limit} autre(s)"
    return text


def digest_text(changes: pd.DataFrame, *, territory_name: str, date_from: date,
                date_to: date, rate_before: float | None = None,
                rate_after: float | None = None, limit: int = 15) -> str:
    """A short French text ready to paste into an e-mail."""
    lines = [f"Open data des collectivités — {territory_name}",
             f"Changements entre le {fmt.date_fr(date_from)} et le {fmt.date_fr(date_to)}",
             ""]
    if rate_before is not None or rate_after is not None:
        lines.append("Taux de publication des collectivités obligées : "
                     f"{fmt.pourcentage(rate_before, 1, vide='n.d.')} → "
                     f"{fmt.pourcentage(rate_after, 1, vide='n.d.')}.")
        lines.append("")
    n = counts(changes)
    if not any(n.values()):
        lines.append("Aucun changement sur la période.")
    for code, heading in CHANGES.items():
        if n[code]:
            part = changes[changes["changement"] == code]
            lines.append(f"- {heading} ({n[code]}) : {_names(part, limit)}.")
    return "\n".join(lines) + "\n"


def digest_by_departement(changes: pd.DataFrame, dep_names: Mapping[str, str], *,
                          date_from: date, date_to: date,
                          rates: Mapping[str, tuple[float | None, float | None]] | None = None,
                          ) -> dict[str, str]:
    """One e-mail text per département present in ``changes`` (key: département code)."""
    out = {}
    for dep, part in changes.groupby(changes["departement"].fillna("?"), sort=True):
        name = f"{dep_names.get(dep, 'Département')} ({dep})"
        before, after = (rates or {}).get(dep, (None, None))
        out[str(dep)] = digest_text(part, territory_name=name, date_from=date_from,
                                    date_to=date_to, rate_before=before, rate_after=after)
    return out


def rates_by_departement(before: pd.DataFrame, after: pd.DataFrame
                         ) -> dict[str, tuple[float | None, float | None]]:
    """Publishing rate of obliged collectivités per département, before and after."""
    sides = [figures_by(side, "departement")["taux"].astype("object")
             .where(lambda t: t.notna(), None).to_dict() for side in (before, after)]
    deps = sorted(set(sides[0]) | set(sides[1]))
    return {d: (sides[0].get(d), sides[1].get(d)) for d in deps}


@dataclass
class Comparison:
    """Everything the page and the CLI show for two snapshots of a territory."""

    before: StatusAt
    after: StatusAt
    changes: pd.DataFrame
    rates: dict[str, tuple[float | None, float | None]]
    dep_names: dict[str, str]

    @property
    def snapshot_from(self) -> Snapshot:
        return self.before.snapshot  # type: ignore[return-value]

    @property
    def snapshot_to(self) -> Snapshot:
        return self.after.snapshot  # type: ignore[return-value]

    def digests(self) -> dict[str, str]:
        return digest_by_departement(self.changes, self.dep_names,
                                     date_from=self.snapshot_from.date,
                                     date_to=self.snapshot_to.date, rates=self.rates)


def snapshot_at(model: StatusModel, day: date) -> Snapshot:
    """The snapshot in force at ``day`` (InputError when there is none)."""
    snap = snaps.at_date(model.snapshots, day)
    if snap is None:
        first = min((s.date for s in model.snapshots), default=None)
        raise InputError("instantanés", f"aucun instantané au {fmt.date_fr(day)} ou avant "
                                        f"(le plus ancien : {fmt.date_fr(first, vide='aucun')})")
    return snap


def dep_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Département code -> name (newest vintage that lists it)."""
    rows = con.execute(db.sql("territoire_latest_name"), {"niveau": "DEP"}).fetchall()
    return {r[0]: r[1] for r in rows}


def compare(model: StatusModel, rule: str, territory: Territory, snap_from: Snapshot,
            snap_to: Snapshot, names: dict[str, str]) -> Comparison:
    """Compare two snapshots of a territory. Each side is judged by the model with the
    reference vintage in force at its date, so a new vintage shows as obligation changes."""
    before = model.status_at(territory, rule, snap_from)
    after = model.status_at(territory, rule, snap_to)
    return Comparison(before, after, diff(before.frame, after.frame),
                      rates_by_departement(before.frame, after.frame), names)


def snapshots_between(model: StatusModel, date_from: date,
                      date_to: date) -> tuple[Snapshot, Snapshot]:
    """The snapshots in force at each date (InputError when the dates are reversed or
    one has no snapshot)."""
    if date_from > date_to:
        raise InputError("dates", "la date de début est postérieure à la date de fin")
    return snapshot_at(model, date_from), snapshot_at(model, date_to)


def between(model: StatusModel, rule: str, territory: Territory, date_from: date,
            date_to: date, names: dict[str, str]) -> Comparison:
    """``compare`` the snapshots in force at each date."""
    return compare(model, rule, territory, *snapshots_between(model, date_from, date_to),
                   names)
