"""The one-page report of a territory (EPCI, département, région, France), for an elected
official: who is obliged, who publishes, the rate and its trend, who is behind, and the
cheapest next steps — the territory counterpart of the collectivité sheet.

Pure: built from the model's ``StatusAt`` and ``status_series`` (no figure is computed
here that the model does not give), rendered by ``present.report_pdf``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pandas as pd

from odlab_compliance import territory as terr
from odlab_compliance import vocab
from odlab_compliance.fmt import nombre, pourcentage
from odlab_compliance.model import figures as figs
from odlab_compliance.model.status import StatusAt

BEHIND_SHOWN = 12


@dataclass
class TerritoryReport:
    """Everything the report says, in French, ready to print."""

    nom: str
    sous_titre: str
    date_donnees: str
    chiffres: list[tuple[str, str]]
    par_type: pd.DataFrame                     # Type, Obligées, Publient, Taux
    tendance: list[tuple[str, str]]            # (snapshot label, rate)
    en_retard: pd.DataFrame                    # Collectivité, Type, Population, Statut
    nb_en_retard: int
    etapes: list[str]
    notes: list[str] = field(default_factory=list)


def behind(frame: pd.DataFrame) -> pd.DataFrame:
    """Obliged collectivités that do not publish (status known), most populated first."""
    part = frame[frame["obligation"].eq(vocab.OBLIGEE)
                 & frame["statut"].eq(vocab.NON_PUBLIE)]
    return part.sort_values(["population_totale", "nom"], ascending=[False, True],
                            na_position="last")


def shared_platform(frame: pd.DataFrame) -> str | None:
    """The platform most used by the territory's collectivités that publish through a
    shared platform (the cheapest way for the others), if any."""
    users = frame[frame["statut"].eq(vocab.VIA_TIERS) & frame["plateformes"].notna()]
    if users.empty:
        return None
    urls = users["plateformes"].astype(str).str.split(" | ", regex=False).explode()
    # The portal's address, not a long page of it: what a person can type.
    hosts = urls[urls.str.startswith("http")].map(
        lambda u: f"{urlsplit(u).scheme}://{urlsplit(u).netloc}")
    return None if hosts.empty else str(hosts.value_counts().index[0])


def next_steps(frame: pd.DataFrame, f: figs.Figures) -> list[str]:
    """The three cheapest next steps for the territory, cheapest first."""
    steps: list[str] = []
    late = behind(frame)
    if f.n_a_verifier:
        steps.append(f"Obtenir l'effectif en agents des {nombre(f.n_a_verifier)} collectivités "
                     "« à vérifier » (modèle de tableau sur la page Suivi) : c'est lui qui dit "
                     "si elles sont obligées.")
    platform = shared_platform(frame)
    if len(late) and platform:
        steps.append(f"Proposer aux {nombre(len(late))} collectivités obligées qui ne publient "
                     f"pas la plateforme partagée déjà utilisée sur le territoire : {platform}.")
    if len(late):
        names = ", ".join(late["nom"].astype(str).head(3))
        steps.append(f"Réunir les {nombre(len(late))} collectivités obligées qui ne publient "
                     f"pas lors d'un atelier (page Atelier), en commençant par les plus "
                     f"peuplées : {names}.")
    if f.n_inconnu:
        steps.append(f"Vérifier les sources en panne : {nombre(f.n_inconnu)} collectivités "
                     "obligées ont un statut inconnu à cette date.")
    stale = frame[frame["obligation"].eq(vocab.OBLIGEE) & frame["statut"].isin(vocab.PUBLISHING)
                  & frame.get("a_jour", pd.Series(pd.NA, index=frame.index)).eq(False)]
    if len(stale):
        steps.append(f"Relancer les {nombre(len(stale))} collectivités dont les données n'ont "
                     "pas été mises à jour depuis 12 mois.")
    steps.append("Encourager la publication des jeux prioritaires du Socle commun des données "
                 "locales (délibérations, subventions, budget…), modèles et validateur gratuits "
                 "sur schema.data.gouv.fr.")
    steps.append("Demander à chaque collectivité obligée de désigner un référent open data "
                 "et d'annoncer le calendrier de mise à jour de ses jeux.")
    return steps[:3]


def build_report(at: StatusAt, series: pd.DataFrame, territory_name: str,
                 rule_label: str, assumption: bool = False) -> TerritoryReport:
    """The report of ``at`` (statuses of a territory at a snapshot) with the territory's
    ``series`` (``StatusModel.status_series``)."""
    f = at.figures
    frame = at.frame
    level = terr.LEVEL_LABELS.get(at.territory.level, "")
    snapshot = at.snapshot.label if at.snapshot else "aucune collecte"
    chiffres = [
        ("Collectivités obligées", nombre(f.obligees)),
        ("Publient (elles-mêmes ou via un tiers)", nombre(f.publiant)),
        ("dont via une plateforme partagée", nombre(f.n_via_tiers)),
        ("Taux de publication", pourcentage(f.taux, 1, vide="non calculable")),
        ("Population couverte (communes obligées)", pourcentage(f.couverture, 1,
                                                                 vide="non calculable")),
        ("Statut inconnu (source indisponible)", nombre(f.n_inconnu)),
        ("À vérifier (donnée manquante)", nombre(f.n_a_verifier)),
    ]
    types = figs.by_type(frame)
    types = types[types["obligees"] > 0]
    par_type = pd.DataFrame({
        "Type": types["libelle"], "Obligées": types["obligees"].map(nombre),
        "Publient": types["publiant"].map(nombre),
        "Taux": types["taux"].map(lambda v: pourcentage(v, 1, vide="—"))})
    tendance = [(str(r["label"]), pourcentage(r["taux"], 1, vide="—"))
                for r in series.tail(6).to_dict("records")]
    late = behind(frame)
    en_retard = pd.DataFrame({
        "Collectivité": late["nom"].astype(str),
        "Type": vocab.TYPE.labelled(late["type"]),
        "Population": late["population_totale"].map(lambda v: nombre(v, vide="—")),
    }).head(BEHIND_SHOWN)
    notes = []
    if at.vintage.note:
        notes.append(at.vintage.note)
    if assumption:
        notes.append("Règle fondée sur une hypothèse de travail (celle de l'Observatoire open "
                     "data des territoires), pas sur le seul texte de loi.")
    return TerritoryReport(
        nom=territory_name,
        sous_titre=f"{level} · règle : {rule_label} · référentiel {at.vintage.vintage}",
        date_donnees=snapshot, chiffres=chiffres, par_type=par_type, tendance=tendance,
        en_retard=en_retard, nb_en_retard=len(late), etapes=next_steps(frame, f),
        notes=notes)
