"""Content of the collectivité sheet (fiche): SCDL priority grid and next steps.

Pure functions (no streamlit): the page and the PDF (``sheet_pdf``) render the same
content, so the printed sheet never says something the screen does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pandas as pd

from odlab_compliance import territory as terr
from odlab_compliance import vocab
from odlab_compliance.fmt import date_fr, is_missing, nombre
from odlab_compliance.model.status import FRESH_DAYS  # one definition of "à jour"

# The priority datasets of the Socle commun des données locales (``vocab.PRIORITY_SCHEMAS``)
# with their labels, in the order a collectivité usually tackles them.
PRIORITY_SCHEMAS: tuple[tuple[str, str], ...] = tuple(
    (code, vocab.SCHEMA.label(code)) for code in vocab.PRIORITY_SCHEMAS)
# States of a priority dataset in the grid (not publication statuses).
GRID_LABELS = {"present": "Présent et à jour", "ancien": "Présent mais ancien (> 12 mois)",
               "absent": "Absent", "non_renseigne": "Non renseigné par cette source"}
GRID_LEGEND = ("À jour : publié et mis à jour depuis moins de 12 mois. Ancien : publié mais "
               "sans mise à jour depuis 12 mois. Absent : aucun jeu publié à ce schéma. "
               "Non renseigné : la source de cette date ne dit pas quels schémas sont "
               "publiés.")
GRID_UNKNOWN = ("La source de cette date (une édition de l'Observatoire) liste les "
                "organisations qui publient, pas leurs jeux : on ne peut pas dire lesquels "
                "des jeux prioritaires sont publiés.")
# What to do about it depends on whether the « Situation au » menu can offer a collecte
# (it offered only the two Observatoire editions while the message pointed at it).
GRID_CHOOSE = " Choisissez une collecte dans « Situation au » pour voir la grille."
GRID_NO_HARVEST = (" Aucune collecte n'est encore enregistrée : la grille s'affichera après "
                   "la première collecte de la préfecture.")


def grid_unknown(harvest_available: bool) -> str:
    """Why the grid is empty, and what to do only when the menu can offer it."""
    return GRID_UNKNOWN + (GRID_CHOOSE if harvest_available else GRID_NO_HARVEST)


# Where the next steps are done (official pages: shown as links, never raw addresses).
LINK_DATAGOUV = ("Créer le compte sur data.gouv.fr", "https://www.data.gouv.fr/fr/organizations/new/")
LINK_SCHEMAS = ("Modèles et validateur : schema.data.gouv.fr", "https://schema.data.gouv.fr/")
STEP_HEADINGS = {1: "La prochaine étape la moins coûteuse",
                 2: "Les deux prochaines étapes les moins coûteuses",
                 3: "Les trois prochaines étapes les moins coûteuses"}


def grid_known(grid: pd.DataFrame) -> bool:
    """Whether the grid says anything (not every dataset « non renseigné »)."""
    return bool(len(grid)) and not grid["etat"].eq("non_renseigne").all()


def _schemas_of(value: object) -> list[str]:
    if is_missing(value):
        return []
    if isinstance(value, str):
        return [s.strip() for s in value.split(",") if s.strip()]
    return [str(s) for s in value]  # a list or array


def scdl_grid(evidence: pd.DataFrame, today: dt.date | None = None,
              known: bool = True) -> pd.DataFrame:
    """One row per priority schema: ``etat`` present / ancien / absent, the last update
    and the number of datasets declaring it (``evidence``: one row per dataset with
    ``schemas`` and ``last_update``). ``known=False`` (a source that records no schemas,
    such as an Observatoire edition) gives ``non_renseigne`` rather than a false "absent"."""
    today = today or dt.date.today()
    rows = []
    for name, label in PRIORITY_SCHEMAS:
        last: pd.Timestamp | None = None
        count = 0
        if not evidence.empty and "schemas" in evidence.columns:
            for schemas, update in zip(evidence["schemas"],
                                       evidence.get("last_update", [None] * len(evidence)),
                                       strict=False):
                if name in _schemas_of(schemas):
                    count += 1
                    ts = pd.to_datetime(update, errors="coerce", utc=True)
                    if not is_missing(ts) and (last is None or ts > last):
                        last = ts
        if not known:
            etat = "non_renseigne"
        elif count == 0:
            etat = "absent"
        elif last is not None and (today - last.date()).days <= FRESH_DAYS:
            etat = "present"
        else:
            etat = "ancien"
        rows.append({"schema": name, "jeu": label, "etat": etat, "libelle_etat": GRID_LABELS[etat],
                     "jeux": count, "derniere_mise_a_jour": date_fr(last) if last is not None else ""})
    return pd.DataFrame(rows)


def next_steps(row: Mapping[str, object], grid: pd.DataFrame,
               epci: Mapping[str, object] | None = None) -> list[str]:
    """The three cheapest next steps for a collectivité, in plain French, cheapest first.

    ``row`` is its status row, ``grid`` its ``scdl_grid``, ``epci`` the status row of its
    intercommunality (to suggest the shared platform it already uses).
    """
    steps: list[str] = []
    obligation = row.get("obligation")
    statut = row.get("statut")
    if obligation == vocab.A_VERIFIER:
        steps.append("Confirmer le nombre d'agents (en équivalents temps plein) auprès de la "
                     "préfecture : c'est lui qui dit si l'obligation s'applique.")
    if statut == vocab.INCONNU:
        steps.append("Vérifier que le portail de données est en ligne : il n'a pas pu être lu "
                      "lors de la dernière collecte.")
    if statut == vocab.NON_PUBLIE or is_missing(statut):
        first = epci_platform(epci)
        if first:
            steps.append(f"Publier sur la plateforme que votre intercommunalité "
                         f"({epci.get('nom')}) utilise déjà ({platform_name(first)}). C'est "
                         "la voie la moins coûteuse, sans outil à acheter.")
        else:
            steps.append("Créer le compte de la collectivité sur data.gouv.fr (gratuit) et y "
                         "publier un premier jeu de données.")
    missing = grid[grid["etat"].eq("absent")]["jeu"].tolist() if len(grid) else []
    stale = grid[grid["etat"].eq("ancien")]["jeu"].tolist() if len(grid) else []
    if stale:
        steps.append(f"Mettre à jour les jeux anciens de plus d'un an : {', '.join(stale[:3])}.")
    if missing:
        steps.append("Publier les jeux prioritaires du Socle commun des données locales qui "
                     f"manquent, en commençant par : {', '.join(missing[:3])} (modèles et "
                     "validateur gratuits sur schema.data.gouv.fr).")
    if statut in vocab.PUBLISHING:
        steps.append("Indiquer le schéma SCDL dans la fiche des jeux déjà publiés (champ "
                     "« schéma » sur data.gouv.fr ou le portail) : ils seront alors reconnus.")
    steps.append("Désigner un référent open data et annoncer le calendrier de mise à jour "
                 "des jeux publiés.")
    steps.append("Faire connaître les données publiées : un lien depuis le site de la "
                 "collectivité et un signalement à l'Observatoire open data des territoires.")
    return steps[:3]


def epci_platform(epci: Mapping[str, object] | None) -> str | None:
    """The first platform of a publishing intercommunality (an address or a name)."""
    if epci is None or epci.get("statut") not in vocab.PUBLISHING:
        return None
    platforms = str(epci.get("plateformes") or "")
    first = platforms.split(",")[0].strip()
    return first or None


def platform_name(platform: str) -> str:
    """A platform as words: its host for an address (« data.muretain.fr », not
    « https://data.muretain.fr/explore/?refine%2Epublisher=... »), else its name."""
    if platform.startswith(("http://", "https://")):
        host = urlsplit(platform).hostname or platform
        return host.removeprefix("www.")
    return platform


def step_links(steps: list[str], epci: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """(words, address) of the pages where the steps are done."""
    links: list[tuple[str, str]] = []
    first = epci_platform(epci)
    if first and first.startswith(("http://", "https://")) \
            and any(platform_name(first) in s for s in steps):
        links.append((f"La plateforme de l'intercommunalité : {platform_name(first)}", first))
    if any("data.gouv.fr (gratuit)" in s for s in steps):
        links.append(LINK_DATAGOUV)
    if any("schema.data.gouv.fr" in s for s in steps):
        links.append(LINK_SCHEMAS)
    return links


def _population(row: Mapping[str, object]) -> str | None:
    """« 25 361 habitants (population totale 2019) »: the population the law uses."""
    pop = row.get("population_totale")
    if is_missing(pop):
        return None
    year = row.get("annee_population")
    return f"{nombre(pop)} habitants (population totale{'' if is_missing(year) else f' {int(year)}'})"


def _agents_unknown(row: Mapping[str, object]) -> bool:
    return all(is_missing(row.get(c)) for c in ("agents_min", "agents_max")) or \
        row.get("agents_tranche") in ("NN", "00", "01")


def verdict(row: Mapping[str, object], rule: Mapping[str, object] | None = None) -> str:
    """The answer in one sentence, under the rule in force, with the one population the
    law uses (population totale and its millésime); the detail of the figures is in
    ``what_would_change``."""
    nom = _text(row.get("nom"), "Cette collectivité")
    params = (rule or {}).get("parameters") or {}
    sp = nombre(params.get("seuil_population", 3500))
    sa = nombre(params.get("seuil_agents", 50))
    label = str((rule or {}).get("label") or "la règle choisie")
    pop = _population(row) if row.get("type") == vocab.TYPE_COM else None
    obligation = row.get("obligation")
    if obligation == vocab.OBLIGEE:
        agents = (f"un effectif compté d'au moins {sa} agents par cette règle"
                  if row.get("hypothese") is True else f"au moins {sa} agents")
        facts = f"{pop} et {agents}" if pop else agents
        return f"{nom} doit ouvrir ses données publiques, selon la règle « {label} » : {facts}."
    if obligation == vocab.NON_OBLIGEE:
        total = row.get("population_totale")
        threshold = params.get("seuil_population", 3500)
        if pop and not is_missing(total) and float(total) < float(threshold):   # type: ignore[arg-type]
            why = f"{pop}, sous le seuil de {sp} habitants"
        else:
            why = f"moins de {sa} agents"
        return f"{nom} n'est pas tenue d'ouvrir ses données ({label}) : {why}."
    if obligation == vocab.A_VERIFIER:
        if _agents_unknown(row):
            return (f"{nom} est obligée si elle emploie au moins {sa} agents"
                    + (f" ({pop})" if pop else "") + " : son effectif n'est pas connu, un "
                    "décompte de la préfecture ou de la collectivité le décidera.")
        return (f"{nom} est obligée si sa population totale en vigueur atteint {sp} "
                "habitants : ce chiffre n'est pas encore connu, les populations légales "
                "de l'Insee le décideront.")
    return f"{nom} : obligation non calculée ({label})."


def what_would_change(row: Mapping[str, object]) -> list[str]:
    """What would change the answer (near a threshold), then the detail of the figures
    used (where a second population, of another millésime, may be named)."""
    out = []
    near = row.get("proche_seuil_motif")
    if row.get("proche_seuil") is True and not is_missing(near) and str(near):
        out.append(f"Proche d'un seuil ({near}) : la réponse peut changer avec le prochain "
                   "millésime des populations ou des effectifs.")
    if row.get("hypothese") is True:
        out.append("Un décompte des agents (tranche Sirene ou fichier de la préfecture) "
                   "sous le seuil changerait la réponse : la règle choisie suppose l'effectif "
                   "atteint faute de mieux.")
    motif = row.get("motif")
    if not is_missing(motif) and str(motif):
        out.append(f"Détail des chiffres utilisés : {motif}")
    return out


@dataclass
class Sheet:
    """Everything the fiche says, once, for the page and the PDF."""

    nom: str
    sous_titre: str
    obligation: str
    motif: str
    statut: str
    faits: list[tuple[str, str]]            # (label, value) lines: datasets, update, platforms
    grille: pd.DataFrame                    # scdl_grid
    semblables: pd.DataFrame                # nom, population, statut (labels)
    etapes: list[str]
    date_donnees: str
    verdict: str = ""                       # one sentence, under the rule in force
    changerait: list[str] = field(default_factory=list)   # what would change the answer
    liens: list[tuple[str, str]] = field(default_factory=list)   # (words, address)

    @property
    def etapes_titre(self) -> str:
        return STEP_HEADINGS.get(len(self.etapes), "Les prochaines étapes")
    historique: list[tuple[str, str]] = field(default_factory=list)  # (snapshot, statut)




def _text(value: object, vide: str = "—") -> str:
    return vide if is_missing(value) or value == "" else str(value)


def build_sheet(row: Mapping[str, object], evidence: pd.DataFrame, peers: pd.DataFrame,
                epci: Mapping[str, object] | None, history: pd.DataFrame | None,
                data_date: str, today: dt.date | None = None,
                rule: Mapping[str, object] | None = None) -> Sheet:
    """Assemble the fiche of one collectivité from its status row and evidence."""
    # Observatoire editions list publishers, not their datasets' schemas.
    grid = scdl_grid(evidence, today, known=row.get("kind") != vocab.KIND_OBSERVATOIRE)
    type_label = vocab.TYPE.label(row.get("type"))
    where = f", département {row['departement']}" if not is_missing(row.get("departement")) else ""
    pop, measure = row.get("population_totale"), "population totale"
    if is_missing(pop):   # départements, régions: a sum of municipales (the note says so)
        pop, measure = row.get("population_municipale"), "population municipale"
    year = row.get("annee_population")
    measure += "" if is_missing(year) else f" {int(year)}"    # every figure names its millésime
    sous_titre = f"{type_label}{where} · SIREN {_text(row.get('siren'))}"
    if not is_missing(pop):
        sous_titre += f" · {nombre(pop)} habitants ({measure})"
    faits = [
        # No count (an Observatoire edition without counts, an unknown status): say so.
        ("Jeux de données publiés",
         nombre(row.get("nb_jeux"), vide="non renseigné dans cette source")),
        ("dont sur data.gouv.fr", nombre(row.get("nb_jeux_datagouv"), vide="—")),
        ("dont sur des portails", nombre(row.get("nb_jeux_portails"), vide="—")),
        ("Dernière mise à jour", date_fr(row.get("derniere_mise_a_jour"), vide="—")),
        ("Plateformes", _text(row.get("plateformes"))),
    ]
    similar_rows = pd.DataFrame({
        "Collectivité": peers.get("nom", pd.Series(dtype="object")).astype(str),
        "Population": peers.get("population_totale", pd.Series(dtype="float64")).map(
            lambda v: nombre(v, vide="?")),
        "Statut": vocab.STATUT.labelled(peers.get("statut", pd.Series(dtype="object"))),
    }) if len(peers) else pd.DataFrame(columns=["Collectivité", "Population", "Statut"])
    steps = next_steps(row, grid, epci)
    hist: list[tuple[str, str]] = []
    if history is not None and len(history):
        for label, statut in zip(history["label"], history["statut"], strict=True):
            hist.append((str(label), vocab.STATUT.label(statut)))
    return Sheet(
        nom=_text(row.get("nom")), sous_titre=sous_titre,
        obligation=vocab.OBLIGATION.label(row.get("obligation")),
        motif=_text(row.get("motif"), "Motif non disponible."),
        statut=vocab.STATUT.label(row.get("statut"), "Statut non disponible"),
        faits=faits, grille=grid, semblables=similar_rows,
        etapes=steps, date_donnees=data_date, historique=hist,
        verdict=verdict(row, rule), changerait=what_would_change(row),
        liens=step_links(steps, epci))


def similar(df: pd.DataFrame, siren: str, n: int = 8) -> pd.DataFrame:
    """Collectivités like ``siren``: same type family and size band, in the same EPCI
    (communes) or département, else the same région; closest population first."""
    me = df[df["siren"].eq(siren)]
    if me.empty:
        return df.iloc[0:0]
    row = me.iloc[0]
    fam = terr.family(str(row["type"]))
    band = terr.size_band(row.get("population_totale"))
    peers = df[df["type"].map(terr.family).eq(fam) & df["siren"].ne(siren)]
    peers = peers[peers["population_totale"].map(terr.size_band).eq(band)]
    scopes = []
    if fam == "COM" and pd.notna(row.get("epci_siren")):
        scopes.append(peers["epci_siren"].eq(row["epci_siren"]))
    if pd.notna(row.get("departement")):
        scopes.append(peers["departement"].eq(row["departement"]))
    if pd.notna(row.get("region")):
        scopes.append(peers["region"].eq(row["region"]))
    chosen = peers.iloc[0:0]
    for mask in scopes:
        chosen = peers[mask.fillna(False).astype(bool)]
        if len(chosen) >= 3:
            break
    if chosen.empty:
        return chosen
    distance = (pd.to_numeric(chosen["population_totale"], errors="coerce")
                - float(row.get("population_totale") or 0)).abs()
    return chosen.assign(_d=distance).sort_values("_d").drop(columns="_d").head(n)
