"""Publication status of every collectivité in a snapshot, with its evidence.

Rules (documented in ``STATUS_RULES``, shown by the methodology page):

- ``publie``: at least one counted dataset under its own data.gouv.fr organisation or on
  a portal it runs itself;
- ``publie_via_tiers``: counted datasets only on a platform run by another body (a
  metropole's, département's, région's or syndicat's shared portal);
- ``non_publie``: no counted dataset although every source it depends on answered;
- ``inconnu``: no counted dataset and a source it depends on failed (data.gouv.fr, a
  portal that hosts it, one of its organisations), or no source was harvested at all.

A dataset counts unless archived, deleted, or State data re-published by a portal. A
dataset harvested by data.gouv.fr from a portal already counted (``harvest.domain``) is
counted once in ``nb_jeux``.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from odlab_compliance import db
from odlab_compliance.errors import UserError
from odlab_compliance.ingest import matching
from odlab_compliance.ingest.harvest import journal as run_journal

PUBLIE, VIA_TIERS, NON_PUBLIE, INCONNU = "publie", "publie_via_tiers", "non_publie", "inconnu"
STATUTS = (PUBLIE, VIA_TIERS, NON_PUBLIE, INCONNU)
STATUS_RULES: dict[str, str] = {
    PUBLIE: "Publie elle-même : au moins un jeu de données (ni archivé, ni supprimé, ni "
            "donnée de l'État republiée) sous sa propre organisation data.gouv.fr ou sur "
            "son propre portail.",
    VIA_TIERS: "Publie par une plateforme mutualisée gérée par un autre organisme "
               "(métropole, département, région, syndicat), sans portail ni organisation "
               "data.gouv.fr à elle.",
    NON_PUBLIE: "Aucun jeu de données trouvé alors que toutes les sources dont elle dépend "
                "ont répondu.",
    INCONNU: "Aucun jeu trouvé et une source dont elle dépend a échoué (data.gouv.fr, un "
             "portail qui l'héberge, une de ses organisations), ou aucune source moissonnée : "
             "on ne peut pas conclure. Jamais « non publié » par défaut.",
}
FRESH_DAYS = 365
EXPORT_COLUMNS = (
    "siren", "code_insee", "nom", "type", "departement", "region", "obligation", "statut",
    "nb_jeux", "nb_jeux_datagouv", "nb_jeux_portails", "derniere_mise_a_jour", "plateformes",
    "schemas_scdl", "a_jour", "date_snapshot",
)
EXTRA_COLUMNS = ("population_totale", "epci_siren", "proche_seuil", "motif", "statut_detail",
                 "snapshot", "kind")
_EVIDENCE_COLUMNS = ("nb_jeux", "nb_jeux_datagouv", "nb_jeux_portails",
                     "derniere_mise_a_jour", "plateformes", "schemas_scdl", "statut",
                     "statut_detail")
DATAGOUV = "datagouv"
ACCEPTED = ("auto", "confirme", "ajoute")


class SnapshotNotFound(UserError, LookupError):
    """No such snapshot (French message)."""


# --- snapshots and journal ---------------------------------------------------------------

def list_snapshots(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Visible snapshots, newest first: snapshot id, date_snapshot, kind, status, ..."""
    return con.execute(db.sql("status_snapshots")).df()


def resolve_snapshot(con: duckdb.DuckDBPyConnection, snapshot: str | int = "latest") -> dict:
    """The snapshot row for ``latest``, an id, or a date (latest snapshot of that day)."""
    snaps = list_snapshots(con)
    if snaps.empty:
        raise SnapshotNotFound("aucun instantané terminé : lancez « python -m odlab_compliance "
                               "harvest » d'abord")
    text = str(snapshot).strip()
    if text == "latest":
        row = snaps.iloc[0]
    elif text.isdigit():
        sel = snaps[snaps["snapshot"] == int(text)]
        if sel.empty:
            raise SnapshotNotFound(f"instantané {text} introuvable ou inachevé "
                                   f"(disponibles : {', '.join(map(str, snaps['snapshot']))})")
        row = sel.iloc[0]
    else:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise SnapshotNotFound(f"instantané « {text} » : attendu latest, un numéro ou une "
                                   "date AAAA-MM-JJ") from None
        sel = snaps[pd.to_datetime(snaps["date_snapshot"]).dt.date == day]
        if sel.empty:
            raise SnapshotNotFound(f"aucun instantané le {day.isoformat()}")
        row = sel.iloc[0]
    return {"snapshot": int(row["snapshot"]), "kind": row["kind"],
            "date_snapshot": pd.Timestamp(row["date_snapshot"]).date(), "status": row["status"]}


def journal(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every run, newest first, with failed sources and the first item errors."""
    runs = run_journal.runs(con)
    errs = con.execute(db.sql("harvest_error_summary")).df()
    return runs.merge(errs, on="run_id", how="left")


# --- attribution -------------------------------------------------------------------------

def effective_matches(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """The snapshot's matches with the CURRENT human decisions applied (a decision taken
    after the harvest shows at once, without harvesting again)."""
    matches = con.execute(
        "SELECT source, publisher_id, siren, method, confidence, decision, flags"
        " FROM harvest_match WHERE run_id = ?", [run_id]).df()
    decisions = matching.load_decisions(con)
    if not decisions.empty:
        pubs = con.execute("SELECT DISTINCT source, publisher_id FROM harvest_publisher"
                           " WHERE run_id = ?", [run_id]).df()
        rows = matching.apply_decisions(matches.to_dict("records"), pubs, decisions)
        matches = pd.DataFrame(rows, columns=matches.columns)
    accepted = matches[matches["decision"].isin(ACCEPTED)]
    return accepted[["source", "publisher_id", "siren"]].drop_duplicates()


def attributed_datasets(datasets: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, SIREN): by the publisher's match, else the source's own SIREN
    hint (Observatoire, DCAT). Pure."""
    by_match = datasets.merge(matches, on=["source", "publisher_id"], how="inner")
    hinted = datasets[datasets["siren_hint"].notna() & (datasets["siren_hint"] != "")]
    hinted = hinted.assign(siren=hinted["siren_hint"])
    out = pd.concat([by_match, hinted], ignore_index=True)
    return out.drop_duplicates(["source", "dataset_id", "siren"]).reset_index(drop=True)


_HOST_RE = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?([^/:?#]+)"


def _hosts(urls: pd.Series) -> pd.Series:
    return urls.astype("string").str.extract(_HOST_RE, expand=False).str.lower()


def _counted(d: pd.DataFrame) -> pd.Series:
    return ~(d["archived"].fillna(False).astype(bool) | d["deleted"].fillna(False).astype(bool)
             | d["state_data"].fillna(False).astype(bool))


def _own(d: pd.DataFrame, platforms: pd.DataFrame) -> pd.Series:
    """Is each attributed dataset on the collectivité's own organisation or portal?
    data.gouv.fr: its own organisation. A portal: its owner is the collectivité; with no
    known owner, a portal that carries one collectivité only."""
    owner = d["platform_id"].map(dict(zip(platforms["platform_id"], platforms["owner_siren"],
                                          strict=False)))
    single = d["platform_id"].map(d.groupby("platform_id")["siren"].nunique()) == 1
    known = owner.notna() & (owner.astype("string") != "")
    is_dg = d["source"] == DATAGOUV
    return (is_dg | (known & (owner == d["siren"])) | (~known & single)).astype(bool)


def _joined(pairs: pd.DataFrame, col: str, sep: str) -> pd.Series:
    """Sorted distinct values of ``col`` per SIREN, joined with ``sep``."""
    pairs = pairs.dropna(subset=[col])
    pairs = pairs[pairs[col] != ""].drop_duplicates(["siren", col]).sort_values(["siren", col])
    return pairs.groupby("siren")[col].agg(sep.join)


def summarize(attributed: pd.DataFrame, platforms: pd.DataFrame, scdl: set[str],
              snapshot_date: date) -> pd.DataFrame:
    """One row per SIREN with counted datasets: counts, dates, platforms, schemas. Pure."""
    cols = ["siren", "nb_jeux", "nb_jeux_datagouv", "nb_jeux_portails", "derniere_mise_a_jour",
            "plateformes", "schemas_scdl", "own"]
    d = attributed[_counted(attributed)].copy() if not attributed.empty else attributed
    if d.empty:
        return pd.DataFrame(columns=cols)
    d["own"] = _own(d, platforms)
    d["is_dg"] = d["source"] == DATAGOUV
    d["platform"] = d["platform_url"].where(d["platform_url"].notna(), d["publisher_url"])
    # Hosts of the portals where each SIREN has datasets: a data.gouv.fr copy harvested
    # from one of them (harvest.domain) is the same dataset, counted once.
    portal = d[~d["is_dg"]]
    hosts = pd.concat([
        pd.DataFrame({"siren": portal["siren"], "host": _hosts(portal["platform_url"])}),
        pd.DataFrame({"siren": portal["siren"], "host": _hosts(portal["url"])}),
    ]).dropna().drop_duplicates()
    keys = pd.MultiIndex.from_frame(hosts[["siren", "host"]].astype(object))
    probe = pd.MultiIndex.from_arrays([d["siren"].astype(object),
                                       d["harvest_domain"].astype(object)])
    d["counted_once"] = ~(d["is_dg"] & d["harvest_domain"].notna() & probe.isin(keys))
    d["last_update"] = pd.to_datetime(d["last_update"])
    g = d.groupby("siren")
    out = pd.DataFrame({
        "nb_jeux": g["counted_once"].sum().astype(int),
        "nb_jeux_datagouv": g["is_dg"].sum().astype(int),
        "nb_jeux_portails": (~d["is_dg"]).groupby(d["siren"]).sum().astype(int),
        "derniere_mise_a_jour": g["last_update"].max(),
        "own": g["own"].any(),
    })
    out["plateformes"] = _joined(d[["siren", "platform"]], "platform", " | ")
    schemas = d[["siren", "schemas"]].dropna()
    schemas = schemas.assign(schemas=schemas["schemas"].str.split(",")).explode("schemas")
    keep = schemas["schemas"].isin(scdl) if scdl else schemas["schemas"].str.startswith("scdl/")
    out["schemas_scdl"] = _joined(schemas[keep.fillna(False)], "schemas", ",")
    return out.reset_index()[cols]


def failed_dependencies(con: duckdb.DuckDBPyConnection, run_id: int, matches: pd.DataFrame,
                        platforms: pd.DataFrame) -> tuple[str | None, dict[str, str]]:
    """(reason that applies to everyone, or None; reason per SIREN) from failed sources."""
    outcomes = con.execute("SELECT source_key, ok, error FROM harvest_source WHERE run_id = ?",
                           [run_id]).df()
    errors = con.execute("SELECT source_key, item, message FROM harvest_error"
                         " WHERE run_id = ? AND item IS NOT NULL", [run_id]).df()
    everyone = None
    dg = outcomes[outcomes["source_key"] == DATAGOUV]
    if dg.empty:
        everyone = "data.gouv.fr n'a pas été moissonné dans cet instantané"
    elif not bool(dg["ok"].iloc[0]):
        everyone = f"data.gouv.fr a échoué : {dg['error'].iloc[0]}"
    for key in ("portals",):
        bad = outcomes[(outcomes["source_key"] == key) & ~outcomes["ok"]]
        if not bad.empty and everyone is None:
            everyone = f"moissonnage des portails en échec : {bad['error'].iloc[0]}"
    per: dict[str, str] = {}
    failed_portals = outcomes[outcomes["source_key"].str.startswith("portal:") & ~outcomes["ok"]]
    for p in failed_portals.itertuples():
        pid = p.source_key.split(":", 1)[1]
        plat = platforms[platforms["platform_id"] == pid]
        sirens: set[str] = set()
        if not plat.empty:
            row = plat.iloc[0]
            sirens |= set(str(row["hosted"] or "").split(",")) - {""}
            if isinstance(row["owner_siren"], str):
                sirens.add(row["owner_siren"])
        for s in sirens:
            per.setdefault(s, f"le portail {pid} a échoué : {p.error}")
    concerned = matches[matches["publisher_id"].isin(errors["item"])]
    owners = concerned.groupby("publisher_id")["siren"].agg(set).to_dict()
    for e in errors.itertuples():
        item = str(e.item)
        targets = set(owners.get(item, set()))
        if item.startswith("siret:"):
            targets.add(item[6:15])
        for s in targets:
            per.setdefault(s, f"{e.source_key} : {e.message}")
    return everyone, per


def harvest_evidence(con: duckdb.DuckDBPyConnection, snap: dict) -> pd.DataFrame:
    """One row per SIREN with evidence or a failed dependency in a harvest snapshot."""
    run_id = snap["snapshot"]
    datasets = con.execute(db.sql("status_datasets"), {"run": run_id}).df()
    matches = effective_matches(con, run_id)
    platforms = con.execute("SELECT platform_id, owner_siren, hosted FROM harvest_platform"
                            " WHERE run_id = ?", [run_id]).df()
    scdl = {r[0] for r in con.execute(
        "SELECT schema_name FROM harvest_scdl_schema WHERE run_id = ?", [run_id]).fetchall()}
    summary = summarize(attributed_datasets(datasets, matches), platforms, scdl,
                        snap["date_snapshot"])
    summary["statut"] = [PUBLIE if own else VIA_TIERS for own in summary["own"]]
    summary["statut_detail"] = None
    everyone, per = failed_dependencies(con, run_id, matches, platforms)
    summary = summary.drop(columns=["own"])
    summary.attrs["everyone"] = everyone
    summary.attrs["per"] = per
    return summary


def observatoire_evidence(con: duckdb.DuckDBPyConnection, snap: dict) -> pd.DataFrame:
    """One row per SIREN listed in an Observatoire edition."""
    df = con.execute(
        "SELECT siren, statut, nb_jeux_ptf, nb_jeux_datagouv, url_plateforme, plateforme"
        " FROM harvest_observatoire WHERE run_id = ?", [snap["snapshot"]]).df()
    df = df.drop_duplicates("siren")
    ptf = pd.to_numeric(df["nb_jeux_ptf"]).astype("Int64")
    dg = pd.to_numeric(df["nb_jeux_datagouv"]).astype("Int64")
    out = pd.DataFrame({
        "siren": df["siren"],
        # An edition without counts (2022) leaves them empty: absent is not zero.
        "nb_jeux": ptf.add(dg, fill_value=0),
        "nb_jeux_datagouv": dg,
        "nb_jeux_portails": ptf,
        "derniere_mise_a_jour": None,
        "plateformes": df["url_plateforme"].where(df["url_plateforme"].notna(), df["plateforme"]),
        "schemas_scdl": None,
        "statut": df["statut"],
        "statut_detail": "édition de l'Observatoire open data des territoires",
    })
    out.attrs["everyone"], out.attrs["per"] = None, {}
    return out


def apply_status(base: pd.DataFrame, evidence: pd.DataFrame, snap: dict) -> pd.DataFrame:
    """Every collectivité of ``base`` with its evidence and final statut. Pure."""
    ev = evidence.drop(columns=[c for c in evidence.columns
                                if c in base.columns and c != "siren"])
    out = base.merge(ev, on="siren", how="left")
    everyone = evidence.attrs.get("everyone")
    per = evidence.attrs.get("per", {})
    no_ev = out["statut"].isna()
    if snap["kind"] == "observatoire":
        out.loc[no_ev, "statut"] = NON_PUBLIE
        out.loc[no_ev, "statut_detail"] = "absente de l'édition de l'Observatoire"
    else:
        reasons = [everyone or per.get(s) for s in out.loc[no_ev, "siren"]]
        out.loc[no_ev, "statut"] = [INCONNU if r else NON_PUBLIE for r in reasons]
        out.loc[no_ev, "statut_detail"] = [r or "aucun jeu de données trouvé" for r in reasons]
    # A zero is a fact only where the harvested sources answered (non_publie); an inconnu,
    # or an Observatoire edition that gives no count, keeps an empty count, never a 0.
    answered = (out["statut"] == NON_PUBLIE) & (snap["kind"] != "observatoire")
    for c in ("nb_jeux", "nb_jeux_datagouv", "nb_jeux_portails"):
        vals = pd.to_numeric(out[c]).astype("Int64")
        out[c] = vals.mask(vals.isna() & answered, 0)
    last = pd.to_datetime(out["derniere_mise_a_jour"])
    limit = pd.Timestamp(snap["date_snapshot"] - timedelta(days=FRESH_DAYS))
    out["derniere_mise_a_jour"] = last.dt.normalize()   # datetime64: exports write a date
    out["a_jour"] = pd.array([None if pd.isna(v) else bool(v >= limit) for v in last],
                             dtype="boolean")
    out["date_snapshot"] = pd.Series(pd.Timestamp(snap["date_snapshot"]), index=out.index)
    out["snapshot"] = snap["snapshot"]
    out["kind"] = snap["kind"]
    return out


def status_for(con: duckdb.DuckDBPyConnection, base: pd.DataFrame,
               snapshot: str | int = "latest") -> pd.DataFrame:
    """``apply_status`` on the given collectivités for a snapshot."""
    snap = resolve_snapshot(con, snapshot)
    ev = observatoire_evidence(con, snap) if snap["kind"] == "observatoire" \
        else harvest_evidence(con, snap)
    return apply_status(base, ev, snap)


def status_table(con: duckdb.DuckDBPyConnection, rule: str, snapshot: str | int = "latest",
                 vintage: int | None = None) -> pd.DataFrame:
    """One row per collectivité: obligation under ``rule`` and publication status in
    ``snapshot``; ``EXPORT_COLUMNS`` first, then ``EXTRA_COLUMNS``, then the rest."""
    from odlab_compliance.model.obligation import loaded_vintages, obligations

    if vintage is None:
        loaded = loaded_vintages(con)
        vintage = loaded[0] if loaded else 0
    base = obligations(con, int(vintage), rule)
    out = status_for(con, base, snapshot)
    first = [c for c in (*EXPORT_COLUMNS, *EXTRA_COLUMNS) if c in out.columns]
    return out[first + [c for c in out.columns if c not in first]].reset_index(drop=True)


def evidence(con: duckdb.DuckDBPyConnection, siren: str, snapshot: str | int = "latest"
             ) -> pd.DataFrame:
    """The datasets found for one collectivité: title, url, platform, last_update,
    schemas, source, and whether each is counted (and why not)."""
    cols = ["title", "url", "platform", "last_update", "schemas", "source", "publisher",
            "counted", "reason"]
    snap = resolve_snapshot(con, snapshot)
    if snap["kind"] == "observatoire":
        df = con.execute(
            "SELECT nom AS title, url_plateforme AS url, plateforme AS platform,"
            " NULL AS last_update, NULL AS schemas, 'observatoire' AS source, nom AS publisher,"
            " true AS counted, via AS reason FROM harvest_observatoire"
            " WHERE run_id = ? AND siren = ?", [snap["snapshot"], siren]).df()
        return df.reindex(columns=cols)
    datasets = con.execute(db.sql("status_datasets"), {"run": snap["snapshot"]}).df()
    d = attributed_datasets(datasets, effective_matches(con, snap["snapshot"]))
    d = d[d["siren"] == siren].copy()
    if d.empty:
        return pd.DataFrame(columns=cols)
    d["platform"] = d["platform_url"].where(d["platform_url"].notna(), d["publisher_url"])
    d["counted"] = _counted(d)
    d["reason"] = ["archivé" if a else "supprimé" if x else "donnée de l'État republiée" if s
                   else None for a, x, s in zip(d["archived"].fillna(False),
                                                d["deleted"].fillna(False),
                                                d["state_data"].fillna(False), strict=True)]
    d = d.sort_values(["counted", "last_update"], ascending=[False, False])
    return d.reindex(columns=cols).reset_index(drop=True)
