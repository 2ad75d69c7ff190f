"""The notices shown beside the key figures: what they rest on when agent counts are
missing or partial."""

from __future__ import annotations

import streamlit as st

from odlab_compliance.analysis import coverage as cov
from odlab_compliance.fmt import nombre
from odlab_compliance.model import figures as figs


def no_agents_notice(figures: figs.Figures) -> None:
    """Under the legal rule, without agent counts everyone is « à vérifier »: say why and
    what to do, instead of showing empty figures."""
    if figures.n_a_verifier and not figures.obligees:
        st.info(f"{nombre(figures.n_a_verifier)} collectivité(s) sont « à vérifier » : aucun effectif "
                "d'agents n'est chargé, et la loi exige 3 500 habitants ET 50 agents. Importez "
                "les effectifs (`python -m odlab_compliance agents import FICHIER`) ou choisissez "
                "la règle de l'Observatoire dans le menu de gauche.", icon=":material/info:")


def figures_notes(figures: figs.Figures) -> None:
    """Beside the key figures: how many obliged collectivités are presumed, how complete
    the agent counts are, and what a rate computed on partial counts rests on."""
    presumed = cov.presumed_sentence(figures)
    partial = cov.partial_rate_note(figures)
    lines = [x for x in (presumed, cov.coverage_sentence(figures), partial) if x]
    if figures.n_a_verifier and figures.obligees:
        lines.append(f"{nombre(figures.n_a_verifier)} collectivité(s) à vérifier (effectif "
                     "inconnu ou improbable, ou populations de part et d'autre de 3 500) ne "
                     "sont comptées ni parmi les obligées ni parmi les non obligées : voir leur "
                     "liste et la liste de veille ci-dessous.")
    if lines and (presumed or partial):
        st.info("\n\n".join(lines), icon=":material/groups:")
    elif lines:
        st.caption(" ".join(lines))


def rate_help(figures: figs.Figures, text: str) -> str:
    """A rate's help text, with what it rests on when agent counts are partial."""
    note = cov.partial_rate_note(figures)
    return f"{text} {note}" if note else text
