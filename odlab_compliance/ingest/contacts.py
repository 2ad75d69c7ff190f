"""Official contacts of collectivités: the Annuaire de l'administration (DILA,
service-public.gouv.fr, Opendatasoft dataset ``api-lannuaire-administration``).

The bulk export (``exports/json``) is a JSON array of entries; the fields read are those
of the dataset's published field list: ``id``, ``nom``, ``pivot`` (JSON text:
``[{"type_service_local": "mairie", "code_insee_commune": ["31395"]}]``),
``code_insee_commune``, ``siret``, ``siren``, ``adresse_courriel`` (one or several
addresses separated by ``;``), ``telephone`` and ``site_internet`` (JSON text: a list of
``{"valeur": …}``), ``adresse`` (JSON text: a list of ``{"type_adresse", "numero_voie",
"complement1", "complement2", "service_distribution", "code_postal", "nom_commune", …}``),
``url_service_public`` and ``date_modification``. The JSON fields arrive either as text
or already decoded, depending on the export format: both are read.

Only four types of service are collectivités: ``mairie`` (a commune), ``epci`` (an
intercommunalité), ``cg`` (a conseil départemental) and ``cr`` (a conseil régional).
Each entry is matched to a collectivité of the reference by SIRET (its first nine digits
are the SIREN), else by the commune's INSEE code (mairies), else by the seat's
département or région (``cg``, ``cr``); among several entries for one collectivité
(mairies annexes, mairies déléguées) the main one wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.config import Settings
from odlab_compliance.db import facts
from odlab_compliance.emails import address_problem
from odlab_compliance.ingest.sources import FetchResult, Source, all_sources, fetch

SOURCE_ID = "annuaire-administration"
SERVICE_TYPES = ("mairie", "epci", "cg", "cr")
# Reference types each type of service may match.
_REF_TYPES = {"mairie": (vocab.TYPE_COM,), "epci": vocab.EPCI_TYPES, "cg": (vocab.TYPE_DEP,),
              "cr": (vocab.TYPE_REG,)}
# Secondary offices of a commune: never preferred over the mairie itself.
_SECONDARY = re.compile(r"(mairie|mairies)\s+(d[ée]l[ée]gu[ée]e|annexe)|\bannexe\b|"
                        r"\bantenne\b|bureau\s+annexe|mairie\s+de\s+quartier", re.IGNORECASE)
COLUMNS = ["siren", "annuaire_id", "type_service", "nom", "courriel", "courriel_brut",
           "telephone", "site_internet", "adresse", "url_fiche", "appariement",
           "date_maj_source"]
MATCH_LABELS = {"siret": "SIRET de l'entrée", "code_insee": "code INSEE de la commune",
                "siege": "siège (département ou région)"}


def source() -> Source:
    """The registry's entry for the Annuaire (newest vintage)."""
    found = [s for s in all_sources() if s.id == SOURCE_ID]
    return max(found, key=lambda s: s.vintage)


def _decoded(value: object) -> object:
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "[{":
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return text
        return text
    return value


def _items(value: object) -> list:
    value = _decoded(value)
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def service_type(pivot: object) -> str | None:
    """The ``type_service_local`` of an entry's ``pivot`` (the first one given)."""
    for item in _items(pivot):
        if isinstance(item, dict) and item.get("type_service_local"):
            return str(item["type_service_local"])
    return None


def _values(field: object) -> list[str]:
    out = []
    for item in _items(field):
        value = item.get("valeur") if isinstance(item, dict) else item
        if value is not None and str(value).strip():
            out.append(str(value).strip())
    return out


def first_email(raw: object) -> str | None:
    """The first usable address of ``adresse_courriel`` (several may be separated by
    ``;`` or ``,``); None when none is usable."""
    text = raw if isinstance(raw, str) else ";".join(_values(raw))
    for part in re.split(r"[;,\s]+", text or ""):
        if part and address_problem(part) is None:
            return part.lower()
    return None


def postal_address(field: object) -> str | None:
    """The postal address on one line: the ``Adresse`` entry (else the first one)."""
    entries = [a for a in _items(field) if isinstance(a, dict)]
    if not entries:
        return None
    chosen = next((a for a in entries if str(a.get("type_adresse", "")).lower()
                   == "adresse"), entries[0])
    street = [str(chosen.get(k) or "").strip() for k in
              ("complement1", "complement2", "numero_voie", "service_distribution")]
    town = " ".join(p for p in (str(chosen.get("code_postal") or "").strip(),
                                str(chosen.get("nom_commune") or "").strip()) if p)
    parts = [p for p in [*street, town] if p]
    return ", ".join(parts) or None


def parse_entries(records: Iterable[dict]) -> pd.DataFrame:
    """The entries of the four collectivité types, one row each (pure)."""
    rows = []
    for r in records:
        kind = service_type(r.get("pivot"))
        if kind not in SERVICE_TYPES:
            continue
        siret = re.sub(r"\D", "", str(r.get("siret") or ""))
        siren = re.sub(r"\D", "", str(r.get("siren") or "")) or siret[:9]
        code = str(r.get("code_insee_commune") or "").strip()
        if not code:   # older entries give the commune only in the pivot
            for item in _items(r.get("pivot")):
                codes = item.get("code_insee_commune") if isinstance(item, dict) else None
                if codes:
                    code = str(codes[0] if isinstance(codes, list) else codes)
                    break
        raw_mail = r.get("adresse_courriel")
        raw_text = raw_mail if isinstance(raw_mail, str) else ";".join(_values(raw_mail))
        phones = _values(r.get("telephone"))
        sites = _values(r.get("site_internet"))
        rows.append({
            "annuaire_id": str(r.get("id") or ""), "type_service": kind,
            "nom": str(r.get("nom") or "").strip(), "code_insee_commune": code or None,
            "siren_annuaire": siren if len(siren) == 9 else None,
            "courriel": first_email(raw_mail), "courriel_brut": raw_text.strip() or None,
            "telephone": phones[0] if phones else None,
            "site_internet": sites[0] if sites else None,
            "adresse": postal_address(r.get("adresse")),
            "url_fiche": str(r.get("url_service_public") or "").strip() or None,
            "date_maj_source": str(r.get("date_modification") or "").strip() or None,
        })
    return pd.DataFrame(rows, columns=["annuaire_id", "type_service", "nom",
                                       "code_insee_commune", "siren_annuaire", "courriel",
                                       "courriel_brut", "telephone", "site_internet",
                                       "adresse", "url_fiche", "date_maj_source"])


def read_export(path: Path) -> pd.DataFrame:
    """``parse_entries`` of an export file (a JSON array, or ``{"results": [...]}`` as
    the records API answers)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if isinstance(data, dict):
        data = data.get("results", [])
    return parse_entries(data)


def match(entries: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    """One contact per collectivité of ``ref`` (``siren``, ``type``, ``code_insee``,
    ``departement``, ``region``: one row per SIREN), ``COLUMNS`` (pure).

    By SIRET first (the entry's SIREN is a collectivité of the expected type), then by
    INSEE code (a mairie), then by seat (a ``cg``'s or ``cr``'s commune lies in the
    département or région). Several entries for one collectivité: an entry matched by
    SIRET, then a main office (not an annexe or mairie déléguée), then one with an
    address, then the most recently modified.
    """
    ref = ref.dropna(subset=["siren"]).drop_duplicates("siren")
    by_siren = ref.set_index("siren")
    communes = ref[ref["type"].eq(vocab.TYPE_COM)]
    com_by_code = communes.set_index("code_insee")
    candidates = []
    for e in entries.to_dict("records"):
        allowed = _REF_TYPES[e["type_service"]]
        siren, how = None, None
        s = e.get("siren_annuaire")
        if s and s in by_siren.index and by_siren.at[s, "type"] in allowed:
            siren, how = s, "siret"
        code = e.get("code_insee_commune")
        if siren is None and e["type_service"] == "mairie" and code in com_by_code.index:
            siren, how = com_by_code.at[code, "siren"], "code_insee"
        if siren is None and e["type_service"] in ("cg", "cr") and code in com_by_code.index:
            seat = com_by_code.loc[code]
            level, key = (vocab.TYPE_DEP, "departement") if e["type_service"] == "cg" \
                else (vocab.TYPE_REG, "region")
            found = ref[ref["type"].eq(level) & ref["code_insee"].eq(seat[key])]
            if len(found) == 1:
                siren, how = found["siren"].iloc[0], "siege"
        if siren is None:
            continue
        candidates.append({**e, "siren": siren, "appariement": how,
                           "_by_siret": how == "siret",
                           "_main": not _SECONDARY.search(e["nom"] or ""),
                           "_mail": e.get("courriel") is not None})
    if not candidates:
        return pd.DataFrame(columns=COLUMNS)
    df = pd.DataFrame(candidates)
    df = df.sort_values(["siren", "_main", "_by_siret", "_mail", "date_maj_source"],
                        ascending=[True, False, False, False, False], na_position="last")
    return df.drop_duplicates("siren")[COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class ContactsLoad:
    """What a refresh of the official contacts did (for the CLI and the journal)."""

    fetched: FetchResult
    entries: int          # entries of the four collectivité types in the file
    matched: int          # collectivités with a contact
    with_email: int       # of which with a usable e-mail address

    def summary(self) -> str:
        from odlab_compliance.fmt import nombre

        return (f"Annuaire de l'administration ({self.fetched.origin}) : "
                f"{nombre(self.entries)} entrées de collectivités, {nombre(self.matched)} "
                f"collectivités appariées, dont {nombre(self.with_email)} avec une adresse "
                "électronique.")


def reference_for_matching(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every collectivité of the reference (latest vintage where it appears)."""
    return con.execute(db.sql("contacts_reference")).df()


def store(con: duckdb.DuckDBPyConnection, contacts: pd.DataFrame) -> None:
    """Replace the official contacts, all or nothing."""
    with db.transaction(con):
        con.execute("DELETE FROM contact_officiel")
        if len(contacts):
            con.register("_contacts", contacts[COLUMNS])
            con.execute(db.sql("contacts_store"))
            con.unregister("_contacts")


def update(con: duckdb.DuckDBPyConnection, settings: Settings, *,
           refresh: bool = True, progress=None) -> ContactsLoad:  # noqa: ANN001
    """Download (or take from the mirror) the Annuaire, match it to the reference and
    replace the stored contacts. A failed download raises ``SourceUnavailable`` and
    leaves the previous contacts in place."""
    fetched = fetch(source(), settings, refresh=refresh, progress=progress, optional=True)
    entries = read_export(fetched.path)
    contacts = match(entries, reference_for_matching(con))
    store(con, contacts)
    return ContactsLoad(fetched, len(entries), len(contacts),
                        int(contacts["courriel"].notna().sum()))


def official(con: duckdb.DuckDBPyConnection,
             sirens: Iterable[str] | None = None) -> pd.DataFrame:
    """The stored official contacts (``COLUMNS`` and ``charge_le``), all or some SIRENs;
    empty when the Annuaire was never loaded."""
    wanted = None if sirens is None else [str(s) for s in sirens]
    # A database opened read-only before its first write may not have the table yet.
    if not facts.table_exists(con, "contact_officiel"):
        return pd.DataFrame(columns=[*COLUMNS, "charge_le"])
    return con.execute(db.sql("contacts_official"), {"sirens": wanted}).df()
