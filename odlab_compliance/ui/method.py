"""The Méthode page's figures, from the data (``analysis.methodology``): population
millésimes and their proof, obliged counts per rule, near-threshold counts, coverage of
agent counts per région."""

from __future__ import annotations

import streamlit as st

from odlab_compliance import vocab
from odlab_compliance.analysis import coverage as cov
from odlab_compliance.analysis import methodology
from odlab_compliance.fmt import nombre, pourcentage
from odlab_compliance.model import figures as figs
from odlab_compliance.ui import cache, render, selection
from odlab_compliance.ui.shell import Context


def facts(ctx: Context) -> methodology.Facts | None:
    if not ctx.ready or ctx.vintage is None:
        return None
    tables = {r["id"]: cache.obligations(ctx.sig, r["id"], ctx.vintage) for r in cache.rules()}
    return methodology.facts(tables, cache.reference_loads(ctx.sig), ctx.vintage)


def section(ctx: Context, f: methodology.Facts | None) -> None:
    """« Les chiffres de ce référentiel »: every number computed from the loaded data."""
    if f is None:
        st.caption("Chargez un référentiel pour voir ses chiffres.")
        return
    labels = {r["id"]: r["label"] for r in cache.rules()}
    st.markdown(
        f"Référentiel **{f.vintage}** : {nombre(f.communes)} communes ; populations légales "
        f"en vigueur au 1er janvier {f.vintage} : millésime **{f.en_vigueur or '?'}** (publié "
        f"fin décembre {(f.en_vigueur or 0) + 2 if f.en_vigueur else '?'}). L'obligation de "
        "publier par défaut s'applique depuis le 7 octobre 2018.")
    render.table(methodology.per_rule(f, labels), key="methode_per_rule")
    st.markdown(
        f"- **{nombre(f.entre_mesures)} commune(s)** ont une population municipale sous 3 500 et "
        "une population totale (du même millésime) au-dessus : la loi retient la totale.\n"
        f"- **{nombre(f.de_part_et_d_autre)} commune(s)** ont des chiffres (mesures ou "
        "millésimes) de part et d'autre de 3 500.\n"
        f"- **{nombre(f.totale_en_vigueur_manquante)} commune(s)** ont une population "
        f"municipale {f.en_vigueur or ''} sous 3 500 et une population totale plus ancienne "
        "au-dessus : sans la population totale du millésime en vigueur (fichier de l'Insee), "
        "elles sont « à vérifier ».\n"
        f"- **{nombre(f.proche_seuil)} collectivité(s)** sont proches d'un seuil selon la règle "
        "légale (liste de veille) : "
        + " ; ".join(f"{vocab.VEILLE[c].label[:1].lower()}{vocab.VEILLE[c].label[1:]} : "
                     f"{nombre(n)}" for c, n in f.veille.items()) + ".\n"
        f"- **{nombre(f.candidats)} collectivité(s)** ont un effectif qui peut décider de leur "
        f"obligation ; {nombre(f.effectifs_connus)} ont un effectif connu "
        f"({pourcentage(f.couverture_effectifs, 1, vide='—')}). Règle affichée par défaut : "
        f"« {labels.get(f.default_rule, f.default_rule)} » (la loi seule à partir de 95 %) ; "
        f"{nombre(f.presumees)} collectivité(s) y sont obligées par hypothèse.")
    files = methodology.population_files(cache.reference_loads(ctx.sig))
    if not files.empty:
        st.markdown("**Millésime de chaque fichier de population**, établi par ses chiffres "
                    "(jamais par le nom du fichier) :")
        render.table(files, key="methode_populations")
    table = figs.coverage_by(cache.obligations(ctx.sig, ctx.rule, ctx.vintage), "REG",
                             selection.child_names(ctx, "REG"))
    if not table.empty:
        st.markdown("**Effectifs connus par région**")
        render.table(cov.coverage_table(table), key="methode_coverage")
        render.downloads(cov.coverage_table(table, display=False), "effectifs-connus-regions",
                         key="methode_coverage_dl")


def population_limit(f: methodology.Facts | None) -> str:
    """The « Population » item of the known limits, with its figures."""
    if f is None:
        return ("**Population.** La loi se réfère à la population totale du millésime en "
                "vigueur ; deux millésimes ne sont jamais comparés comme une seule année.")
    return (f"**Population.** La loi se réfère à la population totale du millésime en vigueur "
            f"({f.en_vigueur or '?'} pour {f.vintage}). Sans le fichier des populations "
            "légales de l'Insee, la paire (totale, municipale) vient des listes de membres des "
            "EPCI, d'un autre millésime que le fichier des communes : la municipale la plus "
            "récente sert de plancher, et les désaccords autour de 3 500 sont « à vérifier ». "
            f"{nombre(f.entre_mesures)} communes sont de part et d'autre de 3 500 selon la "
            f"mesure (même millésime), {nombre(f.de_part_et_d_autre)} selon la mesure ou le "
            f"millésime ; {nombre(f.totale_en_vigueur_manquante)} sont « à vérifier » faute de "
            "population totale du millésime en vigueur.")

