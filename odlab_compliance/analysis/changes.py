"""What changed between two snapshots for a territory, and a digest per département.

A collectivité whose status became ``inconnu`` (a source it depends on failed) is
reported as "now unknown", never as having stopped: a portal that is down today says
nothing about compliance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from odlab_compliance import fmt
from odlab_compliance.errors import InputError
from odlab_compliance.model import status
from odlab_compliance.model.obligation import loaded_vintages
from odlab_compliance.territory import PUBLISHING, Territory, filter_frame

# Change codes, in the order the digest lists them, with their French headings.
CHANGES: dict[str, str] = {
    "commence": "Ont commencé à publier",
    "arrete": "Ont cessé de publier",
    "obsolete": "Données devenues anciennes (plus de 12 mois sans mise à jour)",
    "inconnu": "Statut désormais inconnu (source indisponible, pas un arrêt)",
    "de_nouveau_connu": "Statut de nouveau connu",
    "devenu_oblige": "Devenues obligées (nouveau millésime)",
    "plus_oblige": "Ne sont plus obligées (nouveau millésime)",
}
KEY_COLUMNS = ["siren", "code_insee", "nom", "type", "departement", "region"]
OUT_COLUMNS = KEY_COLUMNS + ["changement", "libelle", "obligation_avant", "obligation_apres",
                             "statut_avant", "statut_apres", "nb_jeux_avant", "nb_jeux_apres",
                             "derniere_mise_a_jour"]


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df.columns else pd.Series(pd.NA, index=df.index, dtype="object")


def diff(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per collectivité and change between two status tables (one row per
    collectivité each, columns of ``status.status_table``). A collectivité absent from a
    side (not in that vintage) counts as not obliged and not publishing there."""
    keep = ["siren", "obligation", "statut", "a_jour", "nb_jeux"]
    b = before.reindex(columns=keep + [c for c in KEY_COLUMNS if c != "siren"])
    a = after.reindex(columns=keep + [c for c in KEY_COLUMNS if c != "siren"]
                      + ["derniere_mise_a_jour"])
    m = a.merge(b, on="siren", how="outer", suffixes=("_apres", "_avant"), indicator=True)
    for c in KEY_COLUMNS[1:]:
        m[c] = m[f"{c}_apres"].combine_first(m[f"{c}_avant"])
    sb, sa = m["statut_avant"], m["statut_apres"]
    ob, oa = m["obligation_avant"].fillna("non_obligee"), m["obligation_apres"].fillna(
        "non_obligee")
    pub_b, pub_a = sb.isin(PUBLISHING), sa.isin(PUBLISHING)
    fresh_b = _col(m, "a_jour_avant").astype("boolean").fillna(False)
    fresh_a = _col(m, "a_jour_apres").astype("boolean").fillna(False)
    rules = {
        "commence": pub_a & ~pub_b & sb.ne("inconnu").fillna(True),
        "arrete": pub_b & sa.eq("non_publie").fillna(False),
        "obsolete": pub_b & pub_a & fresh_b & ~fresh_a,
        "inconnu": sa.eq("inconnu").fillna(False) & sb.ne("inconnu").fillna(True),
        "de_nouveau_connu": sb.eq("inconnu").fillna(False) & sa.notna() & sa.ne("inconnu"),
        "devenu_oblige": oa.eq("obligee") & ob.ne("obligee"),
        "plus_oblige": ob.eq("obligee") & oa.ne("obligee"),
    }
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
                     f"{fmt.pourcentage(rate_before, vide='n.d.')} → "
                     f"{fmt.pourcentage(rate_after, vide='n.d.')}.")
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


def _rates(side: pd.DataFrame) -> dict[str, float | None]:
    # The definition of territory.summary's ``taux`` (publishing / obliged with a known
    # status), vectorised per département: summary() per group costs seconds nationally.
    obliged = side[side["obligation"].eq("obligee")]
    known = obliged[obliged["statut"].ne("inconnu")]
    counts = pd.DataFrame({
        "known": known.groupby("departement").size(),
        "pub": known[known["statut"].isin(PUBLISHING)].groupby("departement").size(),
    }).fillna(0)
    out: dict[str, float | None] = {str(d): None for d in side["departement"].dropna().unique()}
    out.update({str(d): (float(r["pub"] / r["known"]) if r["known"] else None)
                for d, r in counts.iterrows()})
    return out


def rates_by_departement(before: pd.DataFrame, after: pd.DataFrame
                         ) -> dict[str, tuple[float | None, float | None]]:
    """Publishing rate of obliged collectivités per département, before and after."""
    sides = [_rates(before), _rates(after)]
    deps = sorted(set(sides[0]) | set(sides[1]))
    return {d: (sides[0].get(d), sides[1].get(d)) for d in deps}


def pick_snapshot(snapshots: pd.DataFrame, day: date, date_column: str = "date_snapshot"
                  ) -> pd.Series | None:
    """The latest snapshot made on or before ``day`` (None when there is none)."""
    if snapshots.empty:
        return None
    dates = pd.to_datetime(snapshots[date_column])
    eligible = snapshots[dates <= pd.Timestamp(day)]
    if eligible.empty:
        return None
    return eligible.loc[pd.to_datetime(eligible[date_column]).idxmax()]


def vintage_for(day: date, vintages: Sequence[int]) -> int | None:
    """The reference vintage in force at ``day``: the latest one not after its year
    (the oldest loaded when the day precedes them all)."""
    if not vintages:
        return None
    older = [v for v in vintages if v <= day.year]
    return max(older) if older else min(vintages)


@dataclass
class Comparison:
    """Everything the page and the CLI show for two dates."""

    snapshot_from: dict
    snapshot_to: dict
    before: pd.DataFrame
    after: pd.DataFrame
    changes: pd.DataFrame
    rates: dict[str, tuple[float | None, float | None]]
    dep_names: dict[str, str]

    def digests(self) -> dict[str, str]:
        return digest_by_departement(self.changes, self.dep_names,
                                     date_from=self.snapshot_from["date_snapshot"],
                                     date_to=self.snapshot_to["date_snapshot"], rates=self.rates)


def snapshot_at(con: duckdb.DuckDBPyConnection, snaps: pd.DataFrame, day: date) -> dict:
    """The resolved snapshot in force at ``day`` (InputError when there is none)."""
    row = pick_snapshot(snaps, day)
    if row is None:
        first = fmt.date_fr(pd.to_datetime(snaps["date_snapshot"]).min(), vide="aucun")
        raise InputError("instantanés", f"aucun instantané au {fmt.date_fr(day)} ou avant "
                                        f"(le plus ancien : {first})")
    return status.resolve_snapshot(con, int(row["snapshot"]))


def dep_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT code, arg_max(nom, vintage) FROM ref_territoire "
                       "WHERE niveau = 'DEP' GROUP BY code").fetchall()
    return {r[0]: r[1] for r in rows}


StatusLoader = Callable[[int, int | None], pd.DataFrame]


def compare(snap_from: dict, snap_to: dict, load: StatusLoader, vintages: Sequence[int],
            territory: Territory, names: dict[str, str]) -> Comparison:
    """Compare two resolved snapshots; ``load(snapshot_id, vintage)`` gives a status table
    (the CLI reads the database, the dashboard its cache). Each side is evaluated with the
    reference vintage in force at its date, so a new vintage shows as obligation changes."""
    before, after = (filter_frame(load(s["snapshot"], vintage_for(s["date_snapshot"], vintages)),
                                  territory) for s in (snap_from, snap_to))
    return Comparison(snap_from, snap_to, before, after, diff(before, after),
                      rates_by_departement(before, after), names)


def between(con: duckdb.DuckDBPyConnection, rule: str, territory: Territory,
            date_from: date, date_to: date) -> Comparison:
    """``compare`` the latest snapshots on or before each date."""
    if date_from > date_to:
        raise InputError("dates", "la date de début est postérieure à la date de fin")
    snaps = status.list_snapshots(con)
    snap_from, snap_to = (snapshot_at(con, snaps, d) for d in (date_from, date_to))
    return compare(snap_from, snap_to,
                   lambda snap, vintage: status.status_table(con, rule, snap, vintage),
                   loaded_vintages(con), territory, dep_names(con))
