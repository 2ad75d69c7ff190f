"""Méthode et sources: rules from the registry, status rules, sources with URL, vintage,
retrieval date and licence, the harvest journal, known limits."""

import pandas as pd
import streamlit as st

from odlab_compliance import vocab
from odlab_compliance.fmt import nombre
from odlab_compliance.model.status import FRESH_DAYS, STATUS_RULES
from odlab_compliance.ui import cache, method, render, shell, tables

ctx = shell.context()
st.title("Méthode et sources")

st.header("Qui est obligé ? Les règles")
st.warning(
    "**« 3 500 habitants ET 50 agents », pas « ou ».** La loi pour une République numérique "
    "(art. L312-1-1 du CRPA) et son décret (art. D312-1-1-1) excluent les collectivités de "
    "moins de 3 500 habitants *et* les administrations de moins de 50 agents : une "
    "collectivité n'est obligée que si elle remplit les deux conditions. La lecture « 3 500 "
    "habitants ou 50 agents », fréquente dans la presse, est erronée pour les collectivités.",
    icon=":material/gavel:")
docs = cache.parameter_docs()
for rule in cache.rules():
    with st.expander(f"{rule['label']} (`{rule['id']}`)", expanded=rule["id"] == ctx.rule):
        st.markdown(f"**Base légale.** {render.md_escape(rule['basis'])}")
        st.markdown(render.md_escape(rule["description"]))
        if rule["assumption"]:
            st.info("Cette règle repose sur une hypothèse de travail (celle de "
                    "l'Observatoire open data des territoires), pas sur le seul texte de "
                    "loi : un résultat qui en dépend le dit dans son motif.")
        st.markdown("**Paramètres**")
        for name, value in rule["parameters"].items():
            if isinstance(value, bool):
                shown = "oui" if value else "non"
            elif isinstance(value, int | float):
                shown = nombre(value, 0 if isinstance(value, int) else 2)
            else:
                shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            st.markdown(f"- `{name}` = **{render.md_escape(shown)}** : "
                        f"{render.md_escape(docs.get(name, ''))}")

st.header("Les chiffres de ce référentiel")
facts = method.facts(ctx)
method.section(ctx, facts)

st.header("Statut de publication")
for code, text in STATUS_RULES.items():
    st.markdown(f"- **{vocab.STATUT.label(code)}** : {render.md_escape(text)}")
st.markdown(
    "Le **taux de publication** rapporte les collectivités obligées qui publient (elles-mêmes "
    "ou via une plateforme partagée) à celles dont le statut est connu : les statuts "
    "« inconnu » sont montrés à part et exclus du calcul. La **population couverte** est la "
    "part de la population des communes obligées vivant dans une commune qui publie (communes "
    "seules, pour ne pas compter deux fois un habitant par sa commune, son intercommunalité, "
    "son département et sa région). Les jeux prioritaires sont ceux du Socle commun des "
    "données locales ; un jeu est « ancien » s'il n'a pas été mis à jour depuis "
    f"{nombre(FRESH_DAYS)} jours.")

st.header("Sources")
from odlab_compliance.ingest.sources import all_sources  # noqa: E402

fetched = cache.source_fetches(ctx.sig)
rows = []
for src in all_sources():
    got = fetched[(fetched["source_id"] == src.id) & (fetched["vintage"] == src.vintage)] \
        if not fetched.empty else fetched
    rows.append({
        "Source": src.title, "Producteur": src.producer, "Millésime": src.vintage,
        "Adresse": src.url(ctx.settings) or None, "Licence": src.licence, "Format": src.format,
        "Obtenu le": (pd.Timestamp(got["retrieved_at"].iloc[0]).strftime("%d/%m/%Y %H:%M")
                      if len(got) else "pas encore"),
        "Origine": got["origin"].iloc[0] if len(got) else "",
    })
sources = pd.DataFrame(rows)
render.table(sources, key="methode_sources", links=("Adresse",))
render.downloads(sources, "sources", key="methode_sources_dl")
if ctx.settings.mirror_dir:
    st.caption(f"Miroir hors ligne utilisé à la place des téléchargements : "
               f"{render.md_escape(str(ctx.settings.mirror_dir))}")

loads = cache.reference_loads(ctx.sig)
if not loads.empty:
    st.subheader("Chargements du référentiel")
    for _, load in loads.iterrows():
        warnings = tables.json_list(load.get("warnings"))
        st.markdown(f"**Millésime {load['vintage']}** chargé le "
                    f"{pd.Timestamp(load['loaded_at']).strftime('%d/%m/%Y à %H:%M')}"
                    f"{' : ' + str(len(warnings)) + ' avertissement(s)' if warnings else ''}")
        for w in warnings[:20]:
            st.markdown(f"- {render.md_escape(w)}")

st.header("Journal des collectes")
journal = cache.journal(ctx.sig)
if journal.empty:
    st.caption("Aucune collecte enregistrée.")
else:
    shown = tables.journal_table(journal)
    render.table(shown, key="methode_journal", height=320)
    render.downloads(shown, "journal-collectes", key="methode_journal_dl")

st.header("Rapprochement des éditeurs")
from odlab_compliance.ui import matching_view  # noqa: E402

st.markdown(matching_view.METHOD_TEXT)
st.subheader("File de vérification")
matching_view.queue_table(ctx, "methode_file")
st.subheader("Rapport de rapprochement")
matching_view.report_section(ctx)

st.header("Limites connues")
st.markdown(f"- {method.population_limit(facts)}")
st.markdown("""
- **Effectifs.** Aucun fichier officiel ne donne les agents en équivalents temps plein de
  chaque collectivité. Les tranches Sirene comptent des salariés (pas des ETP) et peuvent
  dater de plusieurs années ; sans donnée, la règle légale classe la collectivité « à
  vérifier ». Un décompte de la préfecture remplace la tranche.
- **Détection de la publication.** Une collectivité est comptée comme publiant dès un jeu
  de données (règle de l'Observatoire). Les données de l'État republiées par un portail
  local ne comptent pas. Une source injoignable rend le statut « inconnu », jamais
  « ne publie pas ».
- **Rapprochements.** Un même rapprochement relie aux collectivités les organisations
  data.gouv.fr, les éditeurs des portails et les lignes des éditions de l'Observatoire
  (voir plus haut) ; un rapprochement incertain ne compte qu'une fois confirmé, et une
  décision humaine survit aux collectes suivantes. Un éditeur désigné par un sigle ou une
  marque seulement (« CARENE », « Cap Atlantique ») reste non rapproché tant qu'une
  décision ne l'ajoute pas.
- **Éditions de l'Observatoire.** Elles listent les organisations qui publient ; une
  collectivité absente d'une édition y est comptée « ne publie pas ». Les éditions n'ont
  pas de date de mise à jour des jeux.
- **Cartes.** Contours simplifiés (IGN Admin Express) ; les collectivités d'outre-mer hors
  départements n'ont pas de contour. Les cartes de communes ne s'affichent qu'à l'échelle
  d'un département, pour rester rapides.
""")
