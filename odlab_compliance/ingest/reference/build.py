"""From parsed COG files to the rows of ``ref_collectivite`` and ``ref_territoire``.

Pure functions: DataFrames in, DataFrames (and French warnings) out. The one piece of
law encoded here is ``SPECIAL``: the collectivités à statut particulier, which exert the
powers of several territories under ONE SIREN, so they get one row (see docs/reference.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from odlab_compliance.identifiers import is_valid_siren

COLLECTIVITE_COLUMNS = [
    "vintage", "siren", "code_insee", "nom", "type", "statut_particulier", "departement",
    "region", "epci_siren", "ept_siren", "population_totale", "population_municipale",
    "annee_population", "population_note", "zone", "lon", "lat",
]
TERRITOIRE_COLUMNS = ["vintage", "niveau", "code", "nom", "region", "zone",
                      "collectivite_type", "collectivite_code"]

# Observatoire codes for the EPCI types of the découpage files.
EPCI_TYPES = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "MET", "MET69": "MET"}
LYON_LABEL = "Métropole de Lyon (collectivité à statut particulier)"
COM_ZONE = "com"


@dataclass(frozen=True)
class Special:
    """A collectivité that exerts the powers of several territories under one SIREN."""

    type: str                                  # type of the single row kept
    code: str                                  # its code_insee
    label: str                                 # statut_particulier (short, for sentences)
    territoires: tuple[tuple[str, str], ...]   # (niveau, code) whose powers it exerts
    nom: str | None = None                     # name when the COG has none for it


# In force on 1 January of both loaded vintages (2022 and 2026): Paris since 2019, CEA
# since 2021, Corse since 2018, Martinique and Guyane since 2015, Mayotte since 2011.
SPECIAL: tuple[Special, ...] = (
    Special("COM", "75056", "Ville de Paris", (("DEP", "75"),)),
    Special("REG", "94", "Collectivité de Corse", (("REG", "94"), ("DEP", "2A"), ("DEP", "2B")),
            "Collectivité de Corse"),
    Special("REG", "02", "Collectivité territoriale de Martinique",
            (("REG", "02"), ("DEP", "972")), "Collectivité territoriale de Martinique"),
    Special("REG", "03", "Collectivité territoriale de Guyane",
            (("REG", "03"), ("DEP", "973")), "Collectivité territoriale de Guyane"),
    Special("DEP", "976", "Département de Mayotte", (("DEP", "976"), ("REG", "06"))),
    Special("DEP", "6AE", "Collectivité européenne d'Alsace", (("DEP", "67"), ("DEP", "68")),
            "Collectivité européenne d'Alsace"),
)


@dataclass
class Built:
    collectivites: pd.DataFrame
    territoires: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # ref_commune_ancienne rows (communes déléguées/associées, former codes)
    anciennes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["vintage", "code", "nom", "nature", "commune"]))


def codes_text(values: list[str], limit: int = 10) -> str:
    shown = ", ".join(sorted(values)[:limit])
    return shown + (f" … (+{len(values) - limit})" if len(values) > limit else "")


def governing(territoires: pd.DataFrame) -> pd.DataFrame:
    """Add the collectivité (type, code) exerting each territory's powers."""
    out = territoires.copy()
    out["collectivite_type"] = out["niveau"]
    out["collectivite_code"] = out["code"]
    for s in SPECIAL:
        for niveau, code in s.territoires:
            mask = out["niveau"].eq(niveau) & out["code"].eq(code)
            out.loc[mask, "collectivite_type"] = s.type
            out.loc[mask, "collectivite_code"] = s.code
    return out


def _communes(communes: pd.DataFrame, epci_members: pd.DataFrame, ept_members: pd.DataFrame,
              vintage: int, warnings: list[str]) -> pd.DataFrame:
    year = vintage - 3
    com = communes[communes["zone"].ne(COM_ZONE)].copy()
    excluded = int(communes["zone"].eq(COM_ZONE).sum())
    if excluded:
        warnings.append(f"{excluded} communes des collectivités d'outre-mer (zone « com ») "
                        "exclues : l'Observatoire couvre la métropole et les DROM.")
    epci = epci_members.drop_duplicates("code").set_index("code")
    ept = ept_members.drop_duplicates("code").set_index("code")
    com["epci_siren"] = com["code"].map(epci["groupe"])
    com["ept_siren"] = com["code"].map(ept["groupe"])
    totale = com["code"].map(epci["population_totale"])
    from_ept = totale.isna() & com["code"].map(ept["population_totale"]).notna()
    com["population_totale"] = totale.fillna(com["code"].map(ept["population_totale"]))
    src = f"(COG {vintage}, populations légales {year})"
    note = pd.Series(f"population municipale : fichier des communes ; population totale : "
                     f"liste des membres de l'EPCI {src}", index=com.index)
    note[from_ept] = (f"population municipale : fichier des communes ; population totale : "
                      f"liste des membres de l'EPT {src}")
    orphan = com["population_totale"].isna()
    note[orphan] = (f"population totale inconnue : commune membre d'aucun EPCI à fiscalité "
                    f"propre, le fichier ne la donne que par les membres des EPCI ; population "
                    f"municipale : fichier des communes {src}")
    note[com["population_municipale"].isna()] += " ; population municipale absente du fichier"
    com["population_note"] = note
    if orphan.any():
        warnings.append(f"{int(orphan.sum())} commune(s) sans EPCI à fiscalité propre, donc sans "
                        f"population totale : {codes_text(com.loc[orphan, 'code'].tolist())}.")
    unknown = sorted(set(epci_members["code"]) - set(communes["code"]))
    if unknown:
        warnings.append(f"{len(unknown)} membre(s) d'EPCI absent(s) du fichier des communes : "
                        f"{codes_text(unknown)}.")
    paris = next(s for s in SPECIAL if s.type == "COM")
    com["statut_particulier"] = None
    com.loc[com["code"].eq(paris.code), "statut_particulier"] = paris.label
    return pd.DataFrame({
        "siren": com["siren"], "code_insee": com["code"], "nom": com["nom"], "type": "COM",
        "statut_particulier": com["statut_particulier"], "departement": com["departement"],
        "region": com["region"], "epci_siren": com["epci_siren"], "ept_siren": com["ept_siren"],
        "population_totale": com["population_totale"],
        "population_municipale": com["population_municipale"],
        "population_note": com["population_note"], "zone": com["zone"],
    })


def _groups(groups: pd.DataFrame, members: pd.DataFrame, communes: pd.DataFrame, kind: str,
            vintage: int, warnings: list[str]) -> pd.DataFrame:
    """EPCI or EPT rows; département and région are those of the most populous member
    (the file gives no seat; the most populous member is the seat in nearly all cases)."""
    if groups.empty:
        return pd.DataFrame(columns=COLLECTIVITE_COLUMNS)
    geo = communes.set_index("code")[["departement", "region", "zone"]]
    m = members.join(geo, on="code")
    m["_pop"] = m["population_municipale"].fillna(-1)
    seat = (m.sort_values(["groupe", "_pop", "code"], ascending=[True, False, True])
            .drop_duplicates("groupe").set_index("groupe"))
    year = vintage - 3
    out = groups.join(seat[["departement", "region", "zone"]], on="code")
    if kind == "EPT":
        sums = members.groupby("groupe")[["population_totale", "population_municipale"]].sum(
            min_count=1)
        out["population_totale"] = out["code"].map(sums["population_totale"])
        out["population_municipale"] = out["code"].map(sums["population_municipale"])
        out["type"] = "EPT"
        note = f"somme des populations des communes membres (COG {vintage}, populations légales {year})"
    else:
        out["type"] = out["type_source"].map(EPCI_TYPES)
        bad = out["type"].isna()
        if bad.any():
            warnings.append(f"type(s) d'EPCI inconnu(s) gardé(s) tel(s) quel(s) : "
                            f"{codes_text(sorted(set(out.loc[bad, 'type_source'])))}.")
            out.loc[bad, "type"] = out.loc[bad, "type_source"]
        note = f"fichier des EPCI (COG {vintage}, populations légales {year})"
    out["statut_particulier"] = None
    out.loc[out["type_source"].eq("MET69"), "statut_particulier"] = LYON_LABEL
    return pd.DataFrame({
        "siren": out["code"], "code_insee": out["code"], "nom": out["nom"], "type": out["type"],
        "statut_particulier": out["statut_particulier"], "departement": out["departement"],
        "region": out["region"], "population_totale": out["population_totale"],
        "population_municipale": out["population_municipale"], "population_note": note,
        "zone": out["zone"],
    })


def _dep_reg(territoires: pd.DataFrame, sirens: pd.DataFrame, communes: pd.DataFrame,
             vintage: int, warnings: list[str]) -> pd.DataFrame:
    """One row per département/région collectivité (after the SPECIAL merges)."""
    terr = territoires[territoires["zone"].ne(COM_ZONE)]
    current = communes[communes["zone"].ne(COM_ZONE)]
    chef_dep = communes.set_index("code")["departement"]
    siren_of = {(r.niveau, r.code): r.siren for r in sirens.itertuples()}
    specials = {(s.type, s.code): s for s in SPECIAL}
    rows = []
    for (ctype, ccode), part in terr.groupby(["collectivite_type", "collectivite_code"],
                                             sort=True):
        if ctype not in ("DEP", "REG"):
            continue  # Ville de Paris: its commune row carries the département's powers
        special = specials.get((ctype, ccode))
        own = part[part["niveau"].eq(ctype) & part["code"].eq(ccode)]
        first = own.iloc[0] if len(own) else part.iloc[0]
        siren = siren_of.get((ctype, ccode)) or next(
            (siren_of[(t.niveau, t.code)] for t in part.itertuples()
             if (t.niveau, t.code) in siren_of), None)
        deps = set(part.loc[part["niveau"].eq("DEP"), "code"])
        regs = set(part.loc[part["niveau"].eq("REG"), "code"])
        inside = current["departement"].isin(deps) | current["region"].isin(regs)
        pop = current.loc[inside, "population_municipale"].sum(min_count=1)
        if special:
            departement = chef_dep.get(first["chef_lieu"]) if pd.notna(first["chef_lieu"]) else None
            region = first["region"] if first["niveau"] == "DEP" else first["code"]
        else:
            departement = ccode if ctype == "DEP" else None
            region = first["region"] if ctype == "DEP" else ccode
        rows.append({
            "siren": siren, "code_insee": ccode,
            "nom": (special.nom if special and special.nom else first["nom"]),
            "type": ctype, "statut_particulier": special.label if special else None,
            "departement": departement, "region": region,
            "population_totale": None,
            "population_municipale": None if pd.isna(pop) else int(pop),
            "population_note": (
                f"population municipale : somme des populations municipales des communes de "
                f"{'/'.join(sorted(deps | regs))} (COG {vintage}, populations légales "
                f"{vintage - 3}) ; population totale non calculée (ce n'est pas la somme des "
                f"populations totales des communes)"),
            "zone": first["zone"],
        })
    out = pd.DataFrame(rows)
    missing = out.loc[out["siren"].isna(), "code_insee"].tolist()
    if missing:
        warnings.append(f"{len(missing)} département(s)/région(s) sans SIREN dans la table des "
                        f"SIREN : {codes_text(missing)}.")
    _check_siren_table(sirens, terr, warnings)
    return out


def _check_siren_table(sirens: pd.DataFrame, terr: pd.DataFrame, warnings: list[str]) -> None:
    """Warn about SIREN rows that match no territory, and shared SIRENs not in SPECIAL."""
    known = set(zip(terr["niveau"], terr["code"], strict=True))
    known |= {(s.type, s.code) for s in SPECIAL}
    stray = [f"{n} {c}" for n, c in zip(sirens["niveau"], sirens["code"], strict=True)
             if (n, c) not in known]
    if stray:
        warnings.append(f"{len(stray)} ligne(s) de la table des SIREN ignorée(s) (code absent "
                        f"du COG, unité historique ou doublon) : {codes_text(stray)}.")
    explained = {(n, c) for s in SPECIAL for n, c in s.territoires} | {
        (s.type, s.code) for s in SPECIAL}
    shared = sirens[sirens.duplicated("siren", keep=False)]
    odd = [f"{r.niveau} {r.code}" for r in shared.itertuples()
           if (r.niveau, r.code) not in explained and (r.niveau, r.code) in known]
    if odd:
        warnings.append(f"SIREN partagé sans statut particulier connu : {codes_text(odd)}.")


def _check_sirens(coll: pd.DataFrame, warnings: list[str]) -> None:
    """Official files are trusted but checked: a bad or shared SIREN would silently break
    the joins with agent counts and publishers."""
    sirens = coll["siren"].dropna()
    bad = sorted(s for s in set(sirens) if not is_valid_siren(s))
    if bad:
        warnings.append(f"{len(bad)} SIREN invalide(s) (9 chiffres et clé de Luhn attendus) : "
                        f"{codes_text(bad)}.")
    shared = sorted(set(sirens[sirens.duplicated()]))
    if shared:
        warnings.append(f"{len(shared)} SIREN porté(s) par plusieurs lignes : "
                        f"{codes_text(shared)}.")


def build(vintage: int, communes: pd.DataFrame, epci: tuple[pd.DataFrame, pd.DataFrame],
          ept: tuple[pd.DataFrame, pd.DataFrame] | None, territoires: pd.DataFrame,
          sirens: pd.DataFrame) -> Built:
    """All the reference rows of a vintage (without centroids), with counts and warnings."""
    warnings: list[str] = []
    empty_members = pd.DataFrame(columns=["groupe", "code", "siren", "nom",
                                          "population_totale", "population_municipale"])
    ept_groups, ept_members = ept if ept is not None else (pd.DataFrame(), empty_members)
    if ept is None:
        warnings.append(f"Pas de fichier des EPT pour le millésime {vintage} : les EPT du "
                        "Grand Paris ne sont pas chargés.")
    terr = governing(territoires)
    parts = [
        _communes(communes, epci[1], ept_members, vintage, warnings),
        _groups(epci[0], epci[1], communes, "EPCI", vintage, warnings),
        _groups(ept_groups, ept_members, communes, "EPT", vintage, warnings),
        _dep_reg(terr, sirens, communes, vintage, warnings),
    ]
    coll = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    coll["vintage"] = vintage
    coll["annee_population"] = vintage - 3
    for col in ("lon", "lat"):
        coll[col] = float("nan")
    coll = coll.reindex(columns=COLLECTIVITE_COLUMNS)
    for col in ("population_totale", "population_municipale"):
        coll[col] = pd.to_numeric(coll[col]).astype("Int64")
    _check_sirens(coll, warnings)
    kept = terr[terr["zone"].ne(COM_ZONE)].copy()
    kept["vintage"] = vintage
    counts = {k.lower(): int(v) for k, v in coll["type"].value_counts().sort_index().items()}
    counts["collectivites"] = len(coll)
    counts["territoires"] = len(kept)
    return Built(coll, kept.reindex(columns=TERRITOIRE_COLUMNS), warnings, counts)
