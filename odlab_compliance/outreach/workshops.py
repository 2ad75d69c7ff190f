"""Workshop planning: cohort builder, mentor suggestions, workshops with invitees and
attendance, and what attendees did afterwards.

Distances are great-circle (haversine) distances in km between commune centroids of
``ref_collectivite`` (``lon``/``lat``); an EPCI, département or région is placed at its
own centroid. Road distance would be longer, typically by 20 to 40 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.errors import InputError
from odlab_compliance.territory import Territory, filter_frame, size_band

EARTH_RADIUS_KM = 6371.0088
MENTOR_SIZE_RATIO = 3.0     # a mentor's population within ×/÷ 3 of the mentee's
MENTOR_MAX_KM = 60.0
INVITATION_COLUMNS = ["siren", "code_insee", "nom", "type", "departement", "epci_siren",
                      "population_totale", "statut", "etape", "distance_km"]


def haversine_km(lat1: float | np.ndarray, lon1: float | np.ndarray,
                 lat2: float | np.ndarray, lon2: float | np.ndarray) -> np.ndarray:
    """Great-circle distance in km (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


@dataclass(frozen=True)
class CohortFilter:
    """What the organiser asks for; None means "any"."""

    territory: Territory = Territory()
    epci: str | None = None
    size_bands: Sequence[str] | None = None
    statuts: Sequence[str] | None = None
    etapes: Sequence[str] | None = None
    obligations: Sequence[str] | None = (vocab.OBLIGEE,)
    types: Sequence[str] | None = None
    venue: tuple[float, float] | None = None       # (lat, lon)
    max_km: float | None = None
    exclude: frozenset[str] = frozenset()          # SIRENs already invited


def with_distance(df: pd.DataFrame, venue: tuple[float, float] | None) -> pd.DataFrame:
    out = df.copy()
    if venue is None:
        out["distance_km"] = np.nan
    else:
        out["distance_km"] = haversine_km(venue[0], venue[1],
                                          pd.to_numeric(out["lat"]).to_numpy(dtype=float),
                                          pd.to_numeric(out["lon"]).to_numpy(dtype=float)
                                          ).round(1)
    return out


def cohort(candidates: pd.DataFrame, f: CohortFilter) -> pd.DataFrame:
    """The collectivités matching the filter, closest to the venue first.

    ``candidates``: one row per collectivité with the status-table columns, ``lon``,
    ``lat``, ``epci_siren`` and the follow-up ``etape``.
    """
    df = filter_frame(candidates, f.territory)
    if f.epci:
        df = df[df["epci_siren"].eq(f.epci) | df["siren"].eq(f.epci)]
    if f.obligations:
        df = df[df["obligation"].isin(list(f.obligations))]
    if f.types:
        df = df[df["type"].isin(list(f.types))]
    if f.statuts:
        df = df[df["statut"].isin(list(f.statuts))]
    if f.etapes:
        df = df[df["etape"].isin(list(f.etapes))]
    df = df.assign(taille=df["population_totale"].map(size_band))
    if f.size_bands:
        df = df[df["taille"].isin(list(f.size_bands))]
    if f.exclude:
        df = df[~df["siren"].isin(f.exclude)]
    df = with_distance(df, f.venue)
    if f.venue is not None and f.max_km is not None:
        df = df[df["distance_km"] <= f.max_km]
    sort = ["distance_km", "nom"] if f.venue is not None else ["nom"]
    return df.sort_values(sort, na_position="last").reset_index(drop=True)


def mentors(candidates: pd.DataFrame, mentees: pd.DataFrame, *, per_mentee: int = 3,
            max_km: float = MENTOR_MAX_KM, size_ratio: float = MENTOR_SIZE_RATIO
            ) -> pd.DataFrame:
    """Up to ``per_mentee`` mentors for each mentee: collectivités that publish, of the
    same type family and similar size (population within ×/÷ ``size_ratio``), in the same
    EPCI first, then the same département, then the nearest within ``max_km``.

    One row per (mentee, mentor): siren_filleul, nom_filleul, siren, nom, statut,
    population_totale, distance_km, proximite (EPCI / département / distance).
    """
    pool = candidates[candidates["statut"].isin(vocab.PUBLISHING)].dropna(subset=["lat", "lon"])
    pool = pool.reset_index(drop=True)
    # plain arrays once: one numpy pass per mentee (pandas filtering per mentee took
    # tens of ms each, seconds for a cohort)
    lat, lon = pool["lat"].to_numpy(float), pool["lon"].to_numpy(float)
    pop = pd.to_numeric(pool["population_totale"], errors="coerce").to_numpy(float)
    is_com = pool["type"].eq(vocab.TYPE_COM).to_numpy(bool)
    siren = pool["siren"].astype(str).to_numpy()
    epci = pool["epci_siren"].astype("object").to_numpy()
    dep = pool["departement"].astype("object").to_numpy()
    labels = np.array(["même EPCI", "même département", "à proximité"])
    rows = []
    for m in mentees.to_dict("records"):
        if pd.isna(m.get("lat")) or pd.isna(m.get("lon")):
            continue
        m_pop = float(m.get("population_totale") or 0)
        ok = (is_com if m["type"] == vocab.TYPE_COM else ~is_com) & (siren != str(m["siren"]))
        if m_pop > 0:
            ok &= (pop >= m_pop / size_ratio) & (pop <= m_pop * size_ratio)
        idx = np.flatnonzero(ok)
        if not len(idx):
            continue
        dist = haversine_km(m["lat"], m["lon"], lat[idx], lon[idx]).round(1)
        same_epci = (epci[idx] == m.get("epci_siren")) if pd.notna(m.get("epci_siren")) \
            else np.zeros(len(idx), bool)
        rank = np.where(same_epci, 0, np.where(dep[idx] == m.get("departement"), 1, 2))
        keep = (rank < 2) | (dist <= max_km)
        idx, dist, rank = idx[keep], dist[keep], rank[keep]
        for j in np.lexsort((dist, rank))[:per_mentee]:
            rows.append({"siren_filleul": m["siren"], "nom_filleul": m["nom"],
                         "_row": idx[j], "distance_km": float(dist[j]),
                         "proximite": labels[rank[j]]})
    # the mentors' own columns in one take (a row lookup per mentor cost 0.2 s a region)
    out = pd.DataFrame(rows, columns=["siren_filleul", "nom_filleul", "_row", "distance_km",
                                      "proximite"])
    own = pool.reindex(columns=["siren", "nom", "statut", "population_totale"])
    own = own.iloc[out["_row"].to_numpy(int)].reset_index(drop=True)
    out = pd.concat([out.drop(columns="_row"), own], axis=1)
    return out[["siren_filleul", "nom_filleul", "siren", "nom", "statut",
                "population_totale", "distance_km", "proximite"]]


def invitation_list(cohort_df: pd.DataFrame) -> pd.DataFrame:
    """The columns of the invitation export, in order (missing ones left empty)."""
    return cohort_df.reindex(columns=INVITATION_COLUMNS)


# What a person reads in an invitation list or a mentor list: names, not SIRENs alone;
# the follow-up's contact person, so the list serves a mail merge.
INVITATION_LABELS = {"titre": "Atelier", "date_atelier": "Date de l'atelier", "nom": "Nom",
                     "type": "Type", "departement": "Dép.", "epci_nom": "Intercommunalité",
                     "population_totale": "Population", "statut": "Statut",
                     "etape": "Étape du suivi", "contact": "Contact",
                     "distance_km": "Distance (km)", "present": "Présente", "siren": "SIREN",
                     "code_insee": "Code INSEE"}
MENTOR_LABELS = {"nom_filleul": "Invitée", "nom": "Parrain proposé",
                 "epci_nom": "Intercommunalité du parrain", "statut": "Statut du parrain",
                 "population_totale": "Population du parrain",
                 "distance_km": "Distance (km)", "proximite": "Proximité",
                 "contact": "Contact du parrain", "siren": "SIREN du parrain",
                 "siren_filleul": "SIREN de l'invitée"}


def whole_km(distances: pd.Series) -> pd.Series:
    """Distances in whole kilometres (tables showed « 0 », « 34 », « 31,9 » side by side:
    a decimal of a kilometre is noise for planning a trip)."""
    return pd.to_numeric(distances, errors="coerce").round().astype("Int64")


def for_people(rows: pd.DataFrame, labels: Mapping[str, str], names: Mapping[str, str],
               state: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with French headers (``labels``, in their order), codes as labels, each
    EPCI by its name (``names``: SIREN -> name) and the follow-up's stage and contact
    (``state``: ``followup.state``)."""
    out = rows.drop(columns=[c for c in ("etape", "contact") if c in rows.columns])
    cur = state.reindex(columns=["siren", "etape", "contact"]).drop_duplicates("siren")
    out = out.merge(cur, on="siren", how="left")
    out["etape"] = out["etape"].fillna(vocab.DEFAULT_STAGE)
    out["epci_nom"] = out["epci_siren"].map(names) if "epci_siren" in out.columns else None
    for col, vocabulary in (("statut", vocab.STATUT), ("etape", vocab.ETAPE),
                            ("type", vocab.TYPE)):
        if col in out.columns:
            out[col] = vocabulary.labelled(out[col])
    if "present" in out.columns:
        out["present"] = out["present"].map(vocab.yes_no)
    if "distance_km" in out.columns:   # one format in every table: whole kilometres
        out["distance_km"] = whole_km(out["distance_km"])
    cols = [c for c in labels if c in out.columns]
    return out[cols].rename(columns=dict(labels)).reset_index(drop=True)


def mentor_rows(mentor_df: pd.DataFrame, everyone: pd.DataFrame) -> pd.DataFrame:
    """The mentors with their EPCI (from ``everyone``: one row per collectivité)."""
    epci = everyone.drop_duplicates("siren").set_index("siren")["epci_siren"]
    return mentor_df.assign(epci_siren=mentor_df["siren"].map(epci))


def venue_of(con: duckdb.DuckDBPyConnection, code_insee: str, vintage: int | None = None
             ) -> tuple[str, float, float] | None:
    """(name, lat, lon) of a commune, latest vintage unless given."""
    row = con.execute(
        "SELECT nom, lat, lon FROM ref_collectivite WHERE type = $type AND code_insee = $code "
        "AND ($vintage IS NULL OR vintage = $vintage) AND lat IS NOT NULL "
        "ORDER BY vintage DESC LIMIT 1",
        {"code": code_insee, "type": vocab.TYPE_COM, "vintage": vintage}).fetchone()
    return (row[0], float(row[1]), float(row[2])) if row else None


# ---------------------------------------------------------------------------------------
# Stored workshops (user tables of migration 0004)


def outside(sirens: Iterable[str], allowed: set[str] | None) -> list[str]:
    """The SIRENs outside an editor's territories (none when not limited)."""
    return [] if allowed is None else sorted({str(s) for s in sirens} - allowed)


def create(con: duckdb.DuckDBPyConnection, *, titre: str, date_atelier: date,
           editor: str, lieu_code_insee: str | None = None, lieu_nom: str | None = None,
           notes: str | None = None, invitees: pd.DataFrame | None = None,
           allowed: set[str] | None = None) -> int:
    """Record a workshop (and its invitees, if given) in one transaction; its id.
    ``allowed``: an editor limited to territories invites only collectivités there."""
    problems = []
    away = outside(invitees["siren"] if invitees is not None else [], allowed)
    if away:
        problems.append(f"{len(away)} invitée(s) hors de votre territoire "
                        f"({', '.join(away[:5])}{' …' if len(away) > 5 else ''})")
    if not titre or not titre.strip():
        problems.append("titre manquant")
    if not isinstance(date_atelier, date):
        problems.append("date de l'atelier manquante")
    if not editor or not editor.strip():
        problems.append("éditeur inconnu : connectez-vous pour écrire")
    if problems:
        raise InputError("atelier", " ; ".join(problems))
    with db.transaction(con):
        wid = con.execute(
            "INSERT INTO workshop (titre, date_atelier, lieu_code_insee, lieu_nom, notes, "
            "editeur) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [titre.strip(), date_atelier, lieu_code_insee, lieu_nom, notes, editor]
        ).fetchone()[0]
        if invitees is not None and len(invitees):
            _insert_invitations(con, wid, invitees, editor)
    return int(wid)


def invite(con: duckdb.DuckDBPyConnection, workshop_id: int, invitees: pd.DataFrame, *,
           editor: str) -> int:
    """Add invitees (siren, nom, distance_km) to a workshop; already invited ones are
    kept as they are. Number added."""
    _check_workshop(con, workshop_id)
    with db.transaction(con):
        return _insert_invitations(con, workshop_id, invitees, editor)


def _insert_invitations(con: duckdb.DuckDBPyConnection, workshop_id: int,
                        invitees: pd.DataFrame, editor: str) -> int:
    df = invitees.reindex(columns=["siren", "nom", "distance_km"]).drop_duplicates("siren")
    rows = [[workshop_id, r["siren"], r["nom"],
             None if pd.isna(r["distance_km"]) else float(r["distance_km"]), editor]
            for r in df.to_dict("records")]
    before = con.execute("SELECT count(*) FROM workshop_invitation WHERE workshop_id = ?",
                         [workshop_id]).fetchone()[0]
    con.executemany("INSERT INTO workshop_invitation (workshop_id, siren, nom, distance_km, "
                    "editeur) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)
    after = con.execute("SELECT count(*) FROM workshop_invitation WHERE workshop_id = ?",
                        [workshop_id]).fetchone()[0]
    return int(after - before)


def record_attendance(con: duckdb.DuckDBPyConnection, workshop_id: int,
                      present: Mapping[str, bool], *, editor: str,
                      allowed: set[str] | None = None) -> int:
    """Append one attendance record per invitee given (latest record wins);
    ``allowed``: an editor limited to territories records attendance there only."""
    invited = set(invitations(con, workshop_id)["siren"])
    unknown = sorted(set(present) - invited)
    if unknown:
        raise InputError(f"atelier {workshop_id}",
                         "collectivités non invitées : " + ", ".join(unknown))
    away = outside(present, allowed)
    if away:
        raise InputError(f"atelier {workshop_id}", "présences hors de votre territoire : "
                         + ", ".join(away) + " ; rien n'a été enregistré")
    with db.transaction(con):
        con.executemany("INSERT INTO workshop_attendance (workshop_id, siren, present, "
                        "editeur) VALUES (?, ?, ?, ?)",
                        [[workshop_id, s, bool(p), editor] for s, p in present.items()])
    return len(present)


def _check_workshop(con: duckdb.DuckDBPyConnection, workshop_id: int) -> None:
    if not con.execute("SELECT 1 FROM workshop WHERE id = ?", [workshop_id]).fetchone():
        raise InputError(f"atelier {workshop_id}", "atelier inconnu")


def list_workshops(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(db.sql("workshop_list")).df()


def invitations(con: duckdb.DuckDBPyConnection, workshop_id: int | None = None) -> pd.DataFrame:
    return con.execute(db.sql("workshop_invitations"), {"workshop_id": workshop_id}).df()


def invited_sirens(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Every SIREN invited to any workshop (to leave them out of a new cohort)."""
    rows = con.execute("SELECT DISTINCT siren FROM workshop_invitation").fetchall()
    return frozenset(r[0] for r in rows)


def export_frame(con: duckdb.DuckDBPyConnection, workshop_id: int) -> pd.DataFrame:
    """The invitation list of a stored workshop, for ``workshop export ID``."""
    _check_workshop(con, workshop_id)
    inv = invitations(con, workshop_id)
    latest = con.execute(db.sql("collectivite_latest")).df()
    out = inv.merge(latest.drop(columns=["nom"]), on="siren", how="left")
    # the follow-up's stage and contact person: the list is for a mail merge
    state = con.execute(db.sql("followup_state")).df()[["siren", "etape", "contact"]]
    out = out.merge(state, on="siren", how="left")
    out["etape"] = out["etape"].fillna(vocab.DEFAULT_STAGE)
    out["epci_nom"] = out["epci_siren"].map(dict(zip(latest["siren"], latest["nom"],
                                                     strict=True)))
    cols = ["workshop_id", "titre", "date_atelier", "siren", "code_insee", "nom", "type",
            "departement", "epci_siren", "epci_nom", "population_totale", "distance_km",
            "etape", "contact", "present"]
    return out.reindex(columns=cols)


# ---------------------------------------------------------------------------------------
# Outcomes: did attendees publish within 3 and 6 months?


def outcomes(attendance: pd.DataFrame, history: pd.DataFrame,
             today: date | None = None, windows: Iterable[int] = (3, 6)) -> pd.DataFrame:
    """For each workshop, attendees, those already publishing at the workshop, and for
    each window (months) how many of the others published within it.

    ``attendance``: workshop_id, date_atelier, siren, present (invitations table).
    ``history``: siren, date_snapshot, statut (one row per collectivité and snapshot, as
    ``StatusModel.history`` gives).
    ``recul_<n>_mois`` tells whether a snapshot exists at or after the end of the
    window: if not, the figure is provisional.
    """
    today = today or date.today()
    hist = history.assign(date_snapshot=pd.to_datetime(history["date_snapshot"]))
    hist = hist.assign(pub=hist["statut"].isin(vocab.PUBLISHING))
    last_snapshot = hist["date_snapshot"].max() if len(hist) else pd.NaT
    rows = []
    present = attendance[attendance["present"].astype("boolean").fillna(False).astype(bool)]
    for (wid, wdate), group in attendance.groupby(["workshop_id", "date_atelier"], sort=True):
        start = pd.Timestamp(wdate)
        if start.date() > today:
            continue
        att = present[present["workshop_id"] == wid]
        h = hist[hist["siren"].isin(att["siren"])]
        before = h[h["date_snapshot"] <= start].sort_values("date_snapshot")
        already = set(before.groupby("siren")["pub"].last().loc[lambda s: s].index)
        row = {"workshop_id": wid, "date_atelier": start.date(), "invites": len(group),
               "presents": len(att), "deja_publiants": len(already)}
        for n in windows:
            end = start + pd.DateOffset(months=n)
            window = h[(h["date_snapshot"] > start) & (h["date_snapshot"] <= end) & h["pub"]]
            row[f"publie_{n}_mois"] = len(set(window["siren"]) - already)
            row[f"recul_{n}_mois"] = bool(pd.notna(last_snapshot) and last_snapshot >= end)
        rows.append(row)
    cols = ["workshop_id", "date_atelier", "invites", "presents", "deja_publiants"]
    for n in windows:
        cols += [f"publie_{n}_mois", f"recul_{n}_mois"]
    return pd.DataFrame(rows, columns=cols)
