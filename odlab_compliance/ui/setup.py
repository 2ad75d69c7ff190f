"""First run: build the reference data and import the Observatoire history from the
official sources (or the mirror directory), with progress bars and French messages."""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from odlab_compliance import db
from odlab_compliance.config import SettingError, Settings, load_settings
from odlab_compliance.errors import InputError
from odlab_compliance.fmt import nombre
from odlab_compliance.ingest.harvest.run import import_observatoire, observatoire_sources
from odlab_compliance.ingest.reference import load_vintage
from odlab_compliance.ingest.sources import SourceUnavailable, all_sources
from odlab_compliance.model.first_run import vintages_to_load

LOG = logging.getLogger("odlab_compliance.ui")


def stop_on_bad_settings() -> None:
    """Check the settings before any page runs: a wrong variable becomes a French error
    box naming it and the expected form, and the run stops (no traceback, no half page)."""
    try:
        load_settings()
    except SettingError as exc:
        # In a code block: names and values shown as typed (no Markdown escapes inside).
        listed = "\n".join(p.replace("`", "'") for p in exc.problems)
        st.error("Le tableau de bord ne peut pas démarrer : "
                 + ("un réglage est invalide." if len(exc.problems) == 1
                    else f"{len(exc.problems)} réglages sont invalides.")
                 + f"\n\n```text\n{listed}\n```\n\nCorrigez la variable d'environnement "
                 "(ou supprimez-la pour reprendre la valeur par défaut), puis redémarrez "
                 "le tableau de bord.", icon=":material/settings_alert:")
        st.stop()


def default_vintages(known: list[int]) -> list[int]:
    """The vintages to preselect: the newest and those the Observatoire editions need."""
    return vintages_to_load(known, [int(src.vintage) for src in observatoire_sources()])


def source_title(source_id: str, vintage: int | None = None) -> str:
    """A source's French title from the registry (its id when not registered)."""
    titles = [s for s in all_sources() if s.id == source_id]
    exact = [s for s in titles if vintage is not None and s.vintage == vintage]
    chosen = (exact or titles)
    return chosen[0].title if chosen else source_id


def step_label(text: str, vintage: int) -> str:
    """A load step as a person reads it: « source cog-communes » becomes the source's
    title, « contours COM » the level's name."""
    if text.startswith("source "):
        return f"obtention de « {source_title(text.removeprefix('source '), vintage)} »"
    if text.startswith("contours "):
        level = text.removeprefix("contours ")
        return f"contours {_OUTLINES.get(level, level)}"
    return text


_OUTLINES = {"COM": "des communes", "EPCI": "des intercommunalités",
             "DEP": "des départements", "REG": "des régions"}


def edition_label(source_key: str) -> str:
    """« observatoire:2021 » -> the edition's title."""
    _, _, year = source_key.partition(":")
    return source_title("odf-organisations", int(year)) if year.isdigit() else source_key


def progress_factory(area: st.delta_generator.DeltaGenerator
                     ) -> Callable[[str, int | None], Callable[[int], None]]:
    """A ``progress(label, total)`` like the CLI's, drawing Streamlit progress bars."""

    def make(label: str, total: int | None) -> Callable[[int], None]:
        bar = area.progress(0.0, text=label)
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            if total:
                bar.progress(min(1.0, done[0] / total), text=label)
            else:
                bar.progress(0.5, text=f"{label} ({nombre(done[0])} octets…)")

        return advance

    return make


def fetch_agents(settings: Settings) -> bool:
    """Agent counts of every candidate through the API Recherche d'entreprises (resumable:
    a second click goes on where the first stopped); True when complete."""
    from odlab_compliance.ingest.agents import national
    from odlab_compliance.model import agent_scope, figures

    st.write("Effectifs des collectivités (API Recherche d'entreprises, moins de 7 requêtes "
             "par seconde ; quelques minutes pour toute la France)…")
    bar = st.progress(0.0, text="Effectifs : préparation")

    def progress(done: int, planned: int) -> None:
        share = done / planned if planned else 0.0
        bar.progress(min(1.0, share), text=f"Effectifs : {nombre(done)} requête(s) sur "
                                           f"{nombre(planned)}")

    with db.connect(settings) as con:
        scope = agent_scope.fetch_scope(con)
    outcome = national.fetch(settings, scope, progress=progress)
    for line in outcome.summary(figures.rate(outcome.known_after, outcome.candidates)
                                ).splitlines():
        st.write(line)
    return outcome.complete and not outcome.failures


def build(settings: Settings, vintages: list[int], observatoire: bool,
          agents: bool = False) -> bool:
    """Run the first-run steps; show progress and French messages; True when all went well."""
    ok = True
    with st.status("Construction de la base…", expanded=True) as box:
        try:
            for vintage in vintages:
                st.write(f"Référentiel {vintage} : téléchargement et chargement…")
                area = st.container()
                with db.connect(settings) as con:
                    load_vintage(con, vintage, settings, progress=progress_factory(area),
                                 step=lambda text, v=vintage, a=area: a.caption(
                                     f"Référentiel {v} — {step_label(text, v)}"))
                st.write(f"Référentiel {vintage} chargé.")
            if observatoire:
                st.write("Éditions de l'Observatoire open data des territoires…")
                for outcome in import_observatoire(settings):
                    if outcome.ok:
                        st.write(f"{edition_label(outcome.source_key)} : "
                                 f"{nombre(outcome.items)} organisation(s).")
                    else:
                        ok = False
                        st.error(f"{edition_label(outcome.source_key)} : {outcome.error}")
            if agents:
                ok = fetch_agents(settings) and ok
        except SourceUnavailable as exc:
            ok = False
            st.error(f"Une source officielle n'a pas pu être obtenue : {exc}")
        except InputError as exc:
            ok = False
            st.error(f"Un fichier officiel est illisible : {exc}")
        except Exception as exc:  # never a traceback for a user
            ok = False
            LOG.exception("premier lancement")
            st.error(f"La construction s'est arrêtée sur une erreur inattendue "
                     f"({type(exc).__name__}). Le détail est dans le journal du serveur.")
        box.update(label="Base construite." if ok else "Construction incomplète.",
                   state="complete" if ok else "error", expanded=not ok)
    st.cache_data.clear()
    st.cache_resource.clear()
    return ok
