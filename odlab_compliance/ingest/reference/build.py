"""From parsed COG files to the rows of ``ref_collectivite`` and ``ref_territoire``.

Pure functions: DataFrames in, DataFrames (and French warnings) out. The one piece of
law encoded here is ``SPECIAL``: the collectivités à statut particulier, which exert the
powers of several territories under ONE SIREN, so they get one row (see docs/reference.md),
and the Métropole de Lyon, which exerts the département's powers on its 58 communes (the
Rhône's own territory is the rest of the geographic département 69).

Populations (``populations``): each commune gets ONE pair (totale, municipale) of one
millésime, the millésime in force in the vintage's year when a file has it (INSEE's file,
then the EPT and EPCI member lists), and apart from it the municipale of another millésime
when one is loaded (the commune list is often a year newer or older than the member
lists). Figures of two millésimes are never put in one pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from odlab_compliance.identifiers import is_valid_siren
from odlab_compliance.ingest.reference import populations as P

COLLECTIVITE_COLUMNS = [
    "vintage", "siren", "code_insee", "nom", "type", "statut_particulier", "departement",
    "region", "epci_siren", "ept_siren", "population_totale", "population_municipale",
    "annee_population", "population_note", "zone", "lon", "lat",
    "population_municipale_autre", "annee_population_autre", "annee_population_vigueur",
    "territoires",
]
TERRITOIRE_COLUMNS = ["vintage", "niveau", "code", "nom", "region", "zone",
                      "collectivite_type", "collectivite_code"]

# Observatoire codes for the EPCI types of the découpage files.
EPCI_TYPES = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "MET", "MET69": "MET"}
LYON_LABEL = "Métropole de Lyon (collectivité à statut particulier)"
LYON_SOURCE_TYPE = "MET69"
RHONE = "69"
COM_ZONE = "com"
# Figure sets, most trusted first for a pair (totale, municipale) of one millésime.
SET_INSEE, SET_EPT, SET_EPCI, SET_COMMUNES = "insee", "membres-ept", "membres-epci", "communes"
SET_LABELS = {
    SET_INSEE: "le fichier des populations légales de l'Insee",
    SET_EPT: "les listes des communes membres des EPT (découpage administratif)",
    SET_EPCI: "les listes des communes membres des EPCI (découpage administratif)",
    SET_COMMUNES: "le fichier des communes (découpage administratif)",
}
PAIR_PRIORITY = (SET_INSEE, SET_EPT, SET_EPCI)


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
    # How the millésime of each population file was established (dicts of
    # populations.Identified.as_dict, plus the in-force millésime): for ref_load.
    millesimes: dict[str, object] = field(default_factory=dict)
    # Collectivités whose territory is a set of communes other than their geographic
    # territory's (the Rhône without the Métropole de Lyon): (type, code) -> codes.
    commune_sets: dict[tuple[str, str], list[str]] = field(default_factory=dict)


@dataclass
class PopulationInputs:
    """The population figures of a vintage, by file, with their established millésime."""

    vintage: int
    sets: dict[str, pd.DataFrame]              # key -> code, municipale, totale (nullable)
    identified: dict[str, P.Identified]

    @property
    def in_force(self) -> int:
        return P.in_force(self.vintage)

    def year(self, key: str) -> int | None:
        found = self.identified.get(key)
        return found.millesime if found else None

    def label(self, key: str) -> str:
        return SET_LABELS[key]

    def year_text(self, key: str) -> str:
        year = self.year(key)
        return str(year) if year else "de millésime inconnu"


def population_inputs(vintage: int, communes: pd.DataFrame, epci_members: pd.DataFrame,
                      ept_members: pd.DataFrame, insee: pd.DataFrame | None,
                      insee_declared: int | None, anchors: pd.DataFrame | None,
                      warnings: list[str]) -> PopulationInputs:
    """Every population file of the vintage and its millésime, from evidence."""
    sets: dict[str, pd.DataFrame] = {}
    if insee is not None and not insee.empty:
        sets[SET_INSEE] = insee.rename(columns={"population_municipale": "municipale",
                                                "population_totale": "totale"})[
            ["code", "municipale", "totale"]]
    for key, members in ((SET_EPT, ept_members), (SET_EPCI, epci_members)):
        if not members.empty:
            sets[key] = (members.drop_duplicates("code")
                         .rename(columns={"population_municipale": "municipale",
                                          "population_totale": "totale"})
                         [["code", "municipale", "totale"]])
    sets[SET_COMMUNES] = communes.rename(columns={"population_municipale": "municipale"})[
        ["code", "municipale"]].assign(totale=pd.NA)
    figure_sets = [P.FigureSet(k, SET_LABELS[k], f.set_index("code")["municipale"],
                               insee_declared if k == SET_INSEE else None)
                   for k, f in sets.items()]
    identified = P.identify(figure_sets, anchors)
    inputs = PopulationInputs(vintage, sets, identified)
    for found in identified.values():
        if found.millesime is None:
            warnings.append(f"Populations : millésime de {found.label} non établi "
                            f"({found.evidence}) ; ses chiffres ne servent qu'en dernier "
                            "recours, et le motif le dit.")
        elif found.declared and found.declared != found.millesime:
            warnings.append(f"Populations : {found.label} est annoncé du millésime "
                            f"{found.declared}, mais ses chiffres sont ceux du millésime "
                            f"{found.millesime} ({found.evidence}) : le millésime établi "
                            "par les chiffres est retenu.")
    by_key = {s.key: s for s in figure_sets}
    if SET_COMMUNES in by_key and SET_EPCI in by_key:
        text = P.disagreement_text(by_key[SET_COMMUNES], by_key[SET_EPCI])
        if text:
            warnings.append(f"Populations : {text} (millésimes {inputs.year_text(SET_COMMUNES)}"
                            f" et {inputs.year_text(SET_EPCI)}).")
    if inputs.in_force not in {f.millesime for f in identified.values()}:
        warnings.append(f"Populations : aucun fichier chargé n'est du millésime "
                        f"{inputs.in_force}, en vigueur au 1er janvier {vintage} ; les "
                        "motifs disent quel millésime est utilisé.")
    return inputs


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


def _choose_populations(codes: pd.Series, pop: PopulationInputs) -> pd.DataFrame:
    """Per commune code: the pair (totale, municipale) of one millésime and where it comes
    from, and the municipale of another millésime (``autre``) when one is loaded."""
    rows = []
    for key, frame in pop.sets.items():
        year = pop.year(key)
        part = frame[frame["code"].isin(codes)]
        rows.append(pd.DataFrame({"code": part["code"], "municipale": part["municipale"],
                                  "totale": part["totale"], "source": key,
                                  "millesime": year}))
    cand = pd.concat(rows, ignore_index=True)
    cand = cand[cand["municipale"].notna() | cand["totale"].notna()]
    vf = pop.in_force
    year = pd.to_numeric(cand["millesime"])
    # A pair of the millésime in force first; else the nearest older one; else a newer
    # one; a file of unknown millésime last. Within a millésime, INSEE's file, then EPT,
    # then EPCI member lists (the commune list has no totale: only when nothing else).
    cand["_k1"] = [0 if y == vf else (1 if y < vf else 2) if pd.notna(y) else 3
                   for y in year]
    cand["_k2"] = (year - vf).abs().fillna(99)
    order = {k: i for i, k in enumerate((*PAIR_PRIORITY, SET_COMMUNES))}
    cand["_k3"] = cand["source"].map(order)
    cand["_pairless"] = cand["totale"].isna()
    ranked = cand.sort_values(["_pairless", "_k1", "_k2", "_k3", "code"])
    chosen = ranked.drop_duplicates("code").set_index("code")
    # Another millésime's municipale: the newest that differs from the chosen one.
    other = cand.join(chosen["millesime"].rename("_chosen"), on="code")
    other = other[other["millesime"].notna() & other["municipale"].notna()
                  & other["millesime"].ne(other["_chosen"]).fillna(True)]
    other = other.assign(_src=other["source"].map(order)).sort_values(
        ["code", "millesime", "_src"], ascending=[True, False, True]).drop_duplicates("code")
    other = other.set_index("code")
    out = pd.DataFrame({"code": codes.to_numpy()})
    out["population_totale"] = out["code"].map(chosen["totale"])
    out["population_municipale"] = out["code"].map(chosen["municipale"])
    out["annee_population"] = out["code"].map(chosen["millesime"])
    out["source"] = out["code"].map(chosen["source"])
    out["population_municipale_autre"] = out["code"].map(other["municipale"])
    out["annee_population_autre"] = out["code"].map(other["millesime"])
    out["source_autre"] = out["code"].map(other["source"])
    return out


def _population_note(r: pd.Series, pop: PopulationInputs, vintage: int) -> str:
    vf = pop.in_force
    parts = []
    year = r["annee_population"]
    year_text = str(int(year)) if pd.notna(year) else "de millésime inconnu"
    if pd.isna(r["source"]):
        parts.append("population inconnue : absente de tous les fichiers chargés")
    elif r["source"] == SET_COMMUNES:
        parts.append(f"population municipale {year_text} : {SET_LABELS[SET_COMMUNES]} ; "
                     "population totale inconnue : commune membre d'aucun EPCI à fiscalité "
                     "propre (ces fichiers ne la donnent que par les membres des EPCI) et "
                     "absente du fichier de l'Insee")
    else:
        parts.append(f"populations totale et municipale {year_text} : "
                     f"{SET_LABELS[r['source']]}")
    if pd.notna(r["population_municipale_autre"]):
        autre = int(r["annee_population_autre"])
        when = "millésime suivant" if pd.notna(year) and autre > year else "autre millésime"
        parts.append(f"population municipale {autre} ({when}) : {SET_LABELS[r['source_autre']]}")
    used = {year, r["annee_population_autre"]}
    if vf not in used:
        parts.append(f"le millésime en vigueur en {vintage} ({vf}) n'est dans aucun "
                     "fichier chargé")
    return " ; ".join(parts)


def _communes(communes: pd.DataFrame, epci_members: pd.DataFrame, ept_members: pd.DataFrame,
              pop: PopulationInputs, vintage: int, warnings: list[str]) -> pd.DataFrame:
    com = communes[communes["zone"].ne(COM_ZONE)].copy()
    excluded = int(communes["zone"].eq(COM_ZONE).sum())
    if excluded:
        warnings.append(f"{excluded} communes des collectivités d'outre-mer (zone « com ») "
                        "exclues : l'Observatoire couvre la métropole et les DROM.")
    epci = epci_members.drop_duplicates("code").set_index("code")
    ept = ept_members.drop_duplicates("code").set_index("code")
    com["epci_siren"] = com["code"].map(epci["groupe"])
    com["ept_siren"] = com["code"].map(ept["groupe"])
    chosen = _choose_populations(com["code"], pop).set_index("code")
    figures = chosen.reindex(com["code"]).reset_index()
    figures.index = com.index
    notes = figures.apply(_population_note, axis=1, args=(pop, vintage))
    orphan = com["epci_siren"].isna()
    if orphan.any():
        no_totale = orphan & figures["population_totale"].isna()
        warnings.append(f"{int(orphan.sum())} commune(s) sans EPCI à fiscalité propre"
                        + (f", dont {int(no_totale.sum())} sans population totale"
                           if no_totale.any() else "")
                        + f" : {codes_text(com.loc[orphan, 'code'].tolist())}.")
    unknown = sorted(set(epci_members["code"]) - set(communes["code"]))
    if unknown:
        warnings.append(f"{len(unknown)} membre(s) d'EPCI absent(s) du fichier des communes : "
                        f"{codes_text(unknown)}.")
    paris = next(s for s in SPECIAL if s.type == "COM")
    com["statut_particulier"] = None
    com.loc[com["code"].eq(paris.code), "statut_particulier"] = paris.label
    territoires = pd.Series(None, index=com.index, dtype="object")
    territoires[com["code"].eq(paris.code)] = " ".join(
        f"{n.lower()}:{c}" for n, c in paris.territoires)
    return pd.DataFrame({
        "siren": com["siren"], "code_insee": com["code"], "nom": com["nom"], "type": "COM",
        "statut_particulier": com["statut_particulier"], "departement": com["departement"],
        "region": com["region"], "epci_siren": com["epci_siren"], "ept_siren": com["ept_siren"],
        "population_totale": figures["population_totale"],
        "population_municipale": figures["population_municipale"],
        "annee_population": figures["annee_population"],
        "population_municipale_autre": figures["population_municipale_autre"],
        "annee_population_autre": figures["annee_population_autre"],
        "population_note": notes, "zone": com["zone"], "territoires": territoires,
    })


def _insee_sums(members: pd.DataFrame, pop: PopulationInputs) -> pd.DataFrame | None:
    """Totale and municipale per group as sums of INSEE's figures of the millésime in
    force, when every member is in INSEE's file (else None: no mixed sums)."""
    if SET_INSEE not in pop.sets or pop.year(SET_INSEE) != pop.in_force:
        return None
    insee = pop.sets[SET_INSEE].set_index("code")
    m = members.join(insee[["municipale", "totale"]], on="code")
    complete = m.groupby("groupe")["totale"].apply(lambda s: s.notna().all())
    sums = m.groupby("groupe")[["totale", "municipale"]].sum(min_count=1)
    return sums[complete.reindex(sums.index).fillna(False).astype(bool)]


def _groups(groups: pd.DataFrame, members: pd.DataFrame, communes: pd.DataFrame, kind: str,
            pop: PopulationInputs, warnings: list[str]) -> pd.DataFrame:
    """EPCI or EPT rows; département and région are those of the most populous member
    (the file gives no seat; the most populous member is the seat in nearly all cases)."""
    if groups.empty:
        return pd.DataFrame(columns=COLLECTIVITE_COLUMNS)
    geo = communes.set_index("code")[["departement", "region", "zone"]]
    m = members.join(geo, on="code")
    m["_pop"] = m["population_municipale"].fillna(-1)
    seat = (m.sort_values(["groupe", "_pop", "code"], ascending=[True, False, True])
            .drop_duplicates("groupe").set_index("groupe"))
    key = SET_EPT if kind == "EPT" else SET_EPCI
    year = pop.year(key)
    out = groups.join(seat[["departement", "region", "zone"]], on="code")
    if kind == "EPT":
        sums = members.groupby("groupe")[["population_totale", "population_municipale"]].sum(
            min_count=1)
        out["population_totale"] = out["code"].map(sums["population_totale"])
        out["population_municipale"] = out["code"].map(sums["population_municipale"])
        out["type"] = "EPT"
    else:
        out["type"] = out["type_source"].map(EPCI_TYPES)
        bad = out["type"].isna()
        if bad.any():
            warnings.append(f"type(s) d'EPCI inconnu(s) gardé(s) tel(s) quel(s) : "
                            f"{codes_text(sorted(set(out.loc[bad, 'type_source'])))}.")
            out.loc[bad, "type"] = out.loc[bad, "type_source"]
    year_text = str(year) if year else "de millésime inconnu"
    what = "des EPT" if kind == "EPT" else "des EPCI"
    out["annee_population"] = year
    out["population_note"] = (f"populations totale et municipale {year_text} : sommes des "
                              f"communes membres, fichier {what} (découpage administratif)")
    sums = _insee_sums(members, pop)
    if sums is not None:
        redo = out["code"].isin(sums.index)
        out.loc[redo, "population_totale"] = out.loc[redo, "code"].map(sums["totale"])
        out.loc[redo, "population_municipale"] = out.loc[redo, "code"].map(sums["municipale"])
        out.loc[redo, "annee_population"] = pop.in_force
        out.loc[redo, "population_note"] = (
            f"populations totale et municipale {pop.in_force} : sommes des populations de "
            f"ses communes membres, {SET_LABELS[SET_INSEE]}")
    out["statut_particulier"] = None
    lyon = out["type_source"].eq(LYON_SOURCE_TYPE)
    out.loc[lyon, "statut_particulier"] = LYON_LABEL
    out["territoires"] = None
    out.loc[lyon, "territoires"] = f"dep:{RHONE}"
    return pd.DataFrame({
        "siren": out["code"], "code_insee": out["code"], "nom": out["nom"], "type": out["type"],
        "statut_particulier": out["statut_particulier"], "departement": out["departement"],
        "region": out["region"], "population_totale": out["population_totale"],
        "population_municipale": out["population_municipale"],
        "annee_population": out["annee_population"],
        "population_note": out["population_note"], "zone": out["zone"],
        "territoires": out["territoires"],
    })


def _municipale_for_sums(com_rows: pd.DataFrame, pop: PopulationInputs
                         ) -> tuple[pd.Series, int | None, str]:
    """code -> population municipale of ONE file covering every commune, its millésime
    and the file's label: INSEE's file when it is of the millésime in force, else the
    commune list (sums of département and région never mix millésimes)."""
    codes = com_rows["code_insee"]
    if SET_INSEE in pop.sets and pop.year(SET_INSEE) == pop.in_force:
        insee = pop.sets[SET_INSEE].set_index("code")["municipale"]
        if codes.isin(insee.index).all():
            return insee, pop.in_force, SET_LABELS[SET_INSEE]
    listed = pop.sets[SET_COMMUNES].set_index("code")["municipale"]
    return listed, pop.year(SET_COMMUNES), SET_LABELS[SET_COMMUNES]


def _dep_reg(territoires: pd.DataFrame, sirens: pd.DataFrame, communes: pd.DataFrame,
             com_rows: pd.DataFrame, lyon_sirens: set[str], pop: PopulationInputs,
             warnings: list[str], commune_sets: dict) -> pd.DataFrame:
    """One row per département/région collectivité (after the SPECIAL merges)."""
    terr = territoires[territoires["zone"].ne(COM_ZONE)]
    current = com_rows.rename(columns={"code_insee": "code"})
    municipale, year, source_label = _municipale_for_sums(com_rows, pop)
    year_text = str(year) if year else "de millésime inconnu"
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
        without_lyon = ctype == "DEP" and ccode == RHONE and bool(lyon_sirens)
        if without_lyon:
            # The Métropole de Lyon exerts the département's powers on its communes.
            inside &= ~current["epci_siren"].isin(lyon_sirens)
            commune_sets[(ctype, ccode)] = sorted(current.loc[inside, "code"])
        total = current.loc[inside, "code"].map(municipale).sum(min_count=1)
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
            "population_municipale": None if pd.isna(total) else int(total),
            "annee_population": year,
            "population_note": (
                f"population municipale {year_text} : somme des populations municipales des "
                f"communes de {'/'.join(sorted(deps | regs))}"
                f"{', hors Métropole de Lyon' if without_lyon else ''}, d'après "
                f"{source_label} ; "
                "population totale non calculée (ce n'est pas la somme des populations "
                "totales des communes)"),
            "zone": first["zone"],
            "territoires": " ".join(sorted(f"{t.niveau.lower()}:{t.code}"
                                           for t in part.itertuples())),
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
          sirens: pd.DataFrame, *, insee: pd.DataFrame | None = None,
          insee_declared: int | None = None, anchors: pd.DataFrame | None = None) -> Built:
    """All the reference rows of a vintage (without centroids), with counts and warnings.

    ``insee``: INSEE's populations légales keyed by the vintage's commune codes
    (``populations.for_cog``), when the file could be obtained; ``anchors``: published
    figures (default: the repository's ``reference/populations_reperes.csv``).
    """
    warnings: list[str] = []
    empty_members = pd.DataFrame(columns=["groupe", "code", "siren", "nom",
                                          "population_totale", "population_municipale"])
    ept_groups, ept_members = ept if ept is not None else (pd.DataFrame(), empty_members)
    if ept is None:
        warnings.append(f"Pas de fichier des EPT pour le millésime {vintage} : les EPT du "
                        "Grand Paris ne sont pas chargés.")
    pop = population_inputs(vintage, communes, epci[1], ept_members, insee, insee_declared,
                            anchors, warnings)
    terr = governing(territoires)
    com_rows = _communes(communes, epci[1], ept_members, pop, vintage, warnings)
    lyon = set(epci[0].loc[epci[0]["type_source"].eq(LYON_SOURCE_TYPE), "code"])
    commune_sets: dict[tuple[str, str], list[str]] = {}
    parts = [
        com_rows,
        _groups(epci[0], epci[1], communes, "EPCI", pop, warnings),
        _groups(ept_groups, ept_members, communes, "EPT", pop, warnings),
        _dep_reg(terr, sirens, communes, com_rows, lyon, pop, warnings, commune_sets),
    ]
    coll = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    coll["vintage"] = vintage
    coll["annee_population_vigueur"] = pop.in_force
    for col in ("lon", "lat"):
        coll[col] = float("nan")
    coll = coll.reindex(columns=COLLECTIVITE_COLUMNS)
    for col in ("population_totale", "population_municipale", "population_municipale_autre",
                "annee_population", "annee_population_autre", "annee_population_vigueur"):
        coll[col] = pd.to_numeric(coll[col]).astype("Int64")
    _check_sirens(coll, warnings)
    kept = terr[terr["zone"].ne(COM_ZONE)].copy()
    kept["vintage"] = vintage
    counts = {k.lower(): int(v) for k, v in coll["type"].value_counts().sort_index().items()}
    counts["collectivites"] = len(coll)
    counts["territoires"] = len(kept)
    millesimes = {"en_vigueur": pop.in_force,
                  "fichiers": [f.as_dict() for f in pop.identified.values()]}
    return Built(coll, kept.reindex(columns=TERRITOIRE_COLUMNS), warnings, counts,
                 millesimes=millesimes, commune_sets=commune_sets)
