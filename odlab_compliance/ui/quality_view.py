"""Publication quality on the pages (issue 18): the sheet's section, the overview's grade
distribution against its peers, the Méthode page's grid. Content comes from
``analysis.quality`` (phrasing) and ``model.quality`` (rules); this module only draws."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from odlab_compliance import vocab
from odlab_compliance.analysis import quality as aq
from odlab_compliance.fmt import nombre, pourcentage
from odlab_compliance.model import publication, quality
from odlab_compliance.model.snapshots import Snapshot
from odlab_compliance.present import charts
from odlab_compliance.territory import Territory
from odlab_compliance.ui import cache, render
from odlab_compliance.ui.shell import Context

GRADES_EXPORT = {"siren": "SIREN", "nom": "Nom", "type": "Type", "statut": "Statut",
                 "note": "Note", "note_partielle": "Note partielle",
                 "pourquoi_note": "Pourquoi cette note", "pour_progresser": "Pour progresser",
                 "version_grille": "Version de la grille"}
# Which column groups a territory's peers (the other areas of the same level).
PEER_COLUMN = {"REG": "region", "DEP": "departement"}


def graded(ctx: Context, whole: pd.DataFrame, snapshot: Snapshot | None) -> pd.DataFrame:
    """The status table with each collectivité's grade (``publication.attach_grades``)."""
    profiles = cache.profiles(ctx.sig, snapshot) if snapshot is not None else None
    return publication.attach_grades(whole, profiles)


def section_for(ctx: Context, siren: str, row: dict,
                snapshot: Snapshot | None) -> aq.QualitySection | None:
    """The sheet's quality section of one collectivité (None without a snapshot, or when
    its status is unknown: no grade then)."""
    if snapshot is None or row.get("statut") == vocab.INCONNU:
        return None
    prof = cache.profiles(ctx.sig, snapshot)
    mine = prof[prof["siren"] == siren]
    p = mine.iloc[0].to_dict() if len(mine) else quality.profile_row(
        siren, quality.Profile(nb_jeux=0))
    table = cache.dataset_quality(ctx.sig, siren, snapshot)
    return aq.quality_section(p, table)


def sheet_section(ctx: Context, sec: aq.QualitySection | None, row: dict, siren: str) -> None:
    """« Qualité de la publication » on the sheet: the grade and why, what to fix first
    (a non-conforming SCDL file), the two changes that raise the grade, the datasets."""
    st.subheader(sec.titre if sec else "Qualité de la publication")
    if sec is None:
        st.caption("Pas de note : aucune collecte enregistrée, ou la source dont dépend "
                   "cette collectivité a échoué (statut inconnu).")
        return
    left, right = st.columns([1, 5])
    if sec.note in vocab.NOTE:   # the badge's HTML only ever holds a letter of vocab.NOTE
        left.markdown(
            f"<div style='font-size:3.2rem;font-weight:700;line-height:1;color:white;"
            f"background:{vocab.NOTE[sec.note].colour};border-radius:0.4rem;"
            f"text-align:center;padding:0.6rem 0'>{sec.note}</div>", unsafe_allow_html=True)
    else:
        left.markdown(f"**{render.md_escape(str(sec.note))}**")
    right.markdown(render.md_escape(sec.pourquoi))
    if sec.progresser and sec.prochaine:
        right.markdown(f"**Pour passer à {sec.prochaine}** : " + " ; ".join(
            render.md_escape(s) for s in sec.progresser) + ".")
    for alert in sec.alertes:
        lines = [f"**{render.md_escape(alert.titre)}**"]
        lines += [f"- {render.md_escape(e)}" for e in alert.erreurs]
        lines += ["", render.md_escape(alert.action)]   # a paragraph, not the last bullet
        st.warning("\n".join(lines), icon=":material/rule:")
    if sec.jeux.empty:
        st.caption("Aucun jeu de données compté à cette date.")
    else:
        # The errors are in the alerts above: the table stays readable without them.
        shown = sec.jeux.drop(columns="premieres_erreurs")
        render.table(shown, key="fiche_quality", labels=aq.DATASET_LABELS)
        render.downloads(sec.jeux.rename(columns=aq.DATASET_LABELS),
                         ctx.file_stem("qualite", siren), key="fiche_quality_dl")
    st.caption(f"Note selon la grille {sec.version} (page Méthode et sources). « À jour » : "
               "dernière mise à jour conforme à la fréquence déclarée (12 mois sans "
               "fréquence) ; « Format ouvert » : au moins un fichier ouvert et lisible par "
               "une machine ; conformité SCDL vérifiée avec Validata.")


def overview_section(ctx: Context, whole: pd.DataFrame, local: pd.DataFrame,
                     snapshot: Snapshot | None) -> None:
    """Grade distribution of the territory's obliged collectivités, against its peers."""
    st.subheader("Qualité de la publication des collectivités obligées")
    if snapshot is None:
        st.caption("Aucune collecte : pas encore de notes.")
        return
    mine, peers, peer_label, peer_median = territory_grades(ctx, whole, local, snapshot)
    counts = aq.grade_counts(mine["note"].dropna())
    c = st.columns(3)
    render.metric(c[0], "Note médiane du territoire", aq.median_grade(mine["note"]) or "—",
                  kind="text", help="Médiane des notes A à E des collectivités obligées dont le statut est "
                       "connu.")
    render.metric(c[1], f"Note médiane · {peer_label}", peer_median or "—", kind="text",
                  help="Note médiane de chaque territoire comparable (départements ou "
                       "régions), puis la médiane de celles-ci.")
    partial = int(mine["note_partielle"].fillna(False).astype(bool).sum())
    render.metric(c[2], "Notes partielles", partial,
                  help="Un critère n'est pas fourni par la source (un portail qui ne date pas "
                       "ses jeux, une édition de l'Observatoire qui ne donne que des nombres).")
    with render.guard("la répartition des notes"):
        st.plotly_chart(charts.grade_distribution(
            counts, aq.grade_counts(peers["note"].dropna()) if len(peers) else None,
            territory_label="Ce territoire", peers_label=peer_label),
            key="ve_grades", width="stretch", theme=None)
    shown = counts.assign(part=counts["part"].map(lambda v: pourcentage(v, vide="—")),
                          nombre=counts["nombre"].map(nombre))
    render.table(shown, key="ve_grades_table",
                 labels={"note": "Note", "nombre": "Collectivités", "part": "Part"})
    listing = mine.reindex(columns=list(GRADES_EXPORT)).assign(
        type=lambda f: vocab.TYPE.labelled(f["type"]),
        statut=lambda f: vocab.STATUT.labelled(f["statut"]),
        note_partielle=lambda f: f["note_partielle"].map(vocab.yes_no))
    render.downloads(listing.rename(columns=GRADES_EXPORT), ctx.file_stem("notes"),
                     key="ve_grades_dl")


def territory_grades(ctx: Context, whole: pd.DataFrame, local: pd.DataFrame,
                     snapshot: Snapshot) -> tuple[pd.DataFrame, pd.DataFrame, str, str | None]:
    """The territory's obliged collectivités with their grades, its peers', the peers'
    label and median."""
    g_all = graded(ctx, whole, snapshot)
    obliged_all = g_all[g_all["obligation"] == vocab.OBLIGEE]
    mine = obliged_all[obliged_all["siren"].isin(local["siren"])]
    peers, label, median = _peers(ctx.territory, obliged_all)
    return mine, peers, label, median


def report_line(ctx: Context, whole: pd.DataFrame, local: pd.DataFrame,
                snapshot: Snapshot | None) -> str | None:
    """The territory PDF's line of grades (None without a snapshot)."""
    if snapshot is None:
        return None
    mine, _, label, median = territory_grades(ctx, whole, local, snapshot)
    return aq.grades_summary(mine["note"], label, median)


def _peers(t: Territory, obliged: pd.DataFrame) -> tuple[pd.DataFrame, str, str | None]:
    """The peers' collectivités (empty for France: it is its own reference), their label
    and the median of their areas' medians: the other départements (régions) for a
    département (région), the régions for France, the département for smaller areas."""
    if t.level == "FR":
        medians = obliged.groupby("region")["note"].agg(aq.median_grade).dropna()
        return obliged.iloc[0:0], "Régions", aq.median_grade(medians)
    col = PEER_COLUMN.get(t.level)
    if col is None:   # an EPCI or a commune: its département's collectivités
        deps = obliged.loc[obliged["siren"] == t.code, "departement"].dropna()
        same = obliged[obliged["departement"].isin(deps)] if len(deps) else obliged.iloc[0:0]
        return same, "Département", aq.median_grade(same["note"])
    others = obliged[obliged[col].notna() & (obliged[col] != t.code)]
    medians = others.groupby(col)["note"].agg(aq.median_grade).dropna()
    label = "Autres départements" if t.level == "DEP" else "Autres régions"
    return others, label, aq.median_grade(medians)


def method_section() -> None:
    """The grid on the Méthode page, with each rule's reason and the grid's version."""
    st.header("Qualité de la publication : la note de A à E")
    st.markdown(
        "« Publie » reste le statut légal (au moins un jeu trouvé). La **note** dit *comment* "
        "une collectivité publie, à chaque collecte : la plus haute note dont **toutes** les "
        "conditions sont remplies. Un critère que la source ne fournit pas (un portail qui ne "
        "date pas ses jeux, une édition de l'Observatoire qui ne donne que des nombres de "
        "jeux) est écarté et la note est dite **partielle**. Une collectivité au statut "
        "inconnu n'a pas de note.")
    grid = quality.grid_table()
    # Long reasons read as text, not in table cells cut at the column's width.
    for note, rows in grid.groupby("note", sort=True):
        st.markdown(f"**Note {note}** — {render.md_escape(vocab.NOTE[note].help)}")
        st.markdown("\n".join(f"- {render.md_escape(r.condition)} : "
                               f"*{render.md_escape(r.raison)}*" for r in rows.itertuples()))
    st.markdown(
        f"- **À jour** : dernière mise à jour de moins de {nombre(quality.LATE_FACTOR, 1)} fois "
        "la période de la fréquence déclarée (un jeu mensuel est en retard après 46 jours) ; "
        f"sans fréquence périodique, moins de {nombre(quality.DEFAULT_MAX_AGE_DAYS)} jours.\n"
        "- **Format ouvert** : au moins un fichier dans un format ouvert et lisible par une "
        "machine (CSV, JSON, GeoJSON, XML, ODS, Shapefile…) ; XLS/XLSX, PDF, DOC n'en sont "
        "pas.\n"
        "- **SCDL conforme** : au moins un fichier du schéma vérifié sans erreur par Validata "
        "contre la version du schéma qu'il déclare (schema.data.gouv.fr). Un fichier qui n'a "
        "pas pu être lu est « non vérifiable », ni conforme ni non conforme ; un fichier "
        "nouveau ou modifié est « pas encore vérifié » jusqu'au passage suivant.")
    st.caption(f"Grille version {quality.GRID_VERSION} ; les exports portent cette version "
               "(colonne « version_grille », « grille_qualite » du datapackage.json).")


CHANGE_LABELS = {"nom": "Nom", "type": "Type", "departement": "Dép.",
                 "note_avant": "Note avant", "note_apres": "Note après", "sens": "Évolution",
                 "pourquoi_note": "Pourquoi (après)", "pour_progresser": "Pour progresser"}


def changes_section(ctx: Context, before, after, stem: str) -> None:  # noqa: ANN001 (StatusAt)
    """Grade changes between two snapshots of the territory; the falls first (the
    publishers to watch), then the rises."""
    st.subheader("Notes de publication : évolutions")
    if not (before.has_status and after.has_status):
        st.caption("Il faut une collecte ou une édition de l'Observatoire à chaque date.")
        return
    a = graded(ctx, before.frame, before.snapshot)
    b = graded(ctx, after.frame, after.snapshot)
    b = b[b["obligation"] == vocab.OBLIGEE]
    moved = aq.grade_changes(a, b).merge(
        b[["siren", "nom", "type", "departement", "pourquoi_note", "pour_progresser"]],
        on="siren", how="left")
    moved["type"] = vocab.TYPE.labelled(moved["type"])
    fell = moved[moved["sens"] == "en baisse"]
    rose = moved[moved["sens"] == "en hausse"]
    c = st.columns(2)
    render.metric(c[0], "Notes en baisse (à surveiller)", len(fell))
    render.metric(c[1], "Notes en hausse", len(rose))
    if before.snapshot.is_observatoire or after.snapshot.is_observatoire:
        st.caption("Une édition de l'Observatoire ne donne que des nombres de jeux : sa note "
                   "est partielle, une évolution face à une collecte en vient souvent.")
    shown = pd.concat([fell, rose])[list(CHANGE_LABELS)]
    render.table(shown, key="chg_grades", labels=CHANGE_LABELS, height=300,
                 empty="Aucune note n'a changé sur la période.")
    render.downloads(shown.rename(columns=CHANGE_LABELS), f"{stem}-notes", key="chg_grades_dl")
