"""What fixes missing or old data, as people meet it: a button for an editor (import the
prefecture's staff counts, start a harvest), a sentence for a reader (what the data is,
who to ask). No command line is shown on a page: a reader cannot run one, and an editor
has the button.

Pages call these; the shared notices of ``ui.views`` and ``ui.shell`` use the sentences
(``refresh_sentence``, ``agents_sentence``) in place of command lines.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from odlab_compliance import auth, db
from odlab_compliance.config import Settings
from odlab_compliance.errors import InputError, LineError
from odlab_compliance.fmt import date_heure_fr, nombre
from odlab_compliance.ingest.agents import prefecture
from odlab_compliance.ingest.agents.detect import PREFECTURE_CSV, detect
from odlab_compliance.ingest.agents.importer import import_file
from odlab_compliance.textfile import utf8_text
from odlab_compliance.ui import background, render

AGENTS_FLASH = "remedies_agents_flash"
HARVEST_FLASH = "remedies_harvest_flash"


def who_to_ask(settings: Settings) -> str:
    """« adressez-vous à … »: the operator's contact (ODLAB_CONTACT) when set."""
    if settings.contact:
        return f"adressez-vous à {settings.contact}"
    return "adressez-vous à la personne qui administre ce tableau de bord"


def refresh_sentence(settings: Settings, decision: auth.Decision) -> str:
    """How the data gets refreshed, for this person (no command line)."""
    if decision.can_write and not decision.limited:   # a harvest changes every territory
        return ("Pour les rafraîchir, lancez une collecte depuis la page « Premier "
                "lancement » (bouton « Lancer une collecte »).")
    return f"Pour une mise à jour, {who_to_ask(settings)}."


def agents_sentence(settings: Settings, decision: auth.Decision, *,
                    other_rule: bool = True) -> str:
    """How the staff counts get completed, for this person (no command line);
    ``other_rule``: also suggest the Observatoire's rule, which needs no count."""
    rule = (" ou choisissez la règle de l'Observatoire dans le menu de gauche"
            if other_rule else "")
    if decision.can_write:
        return ("Importez le fichier d'effectifs de la préfecture depuis la page « Suivi » "
                f"ou « Premier lancement » (« Importer des effectifs »){rule}.")
    return ("Les effectifs manquants sont complétés par la préfecture ; pour les faire "
            f"ajouter, {who_to_ask(settings)}."
            + (" En attendant, la règle de l'Observatoire (menu de gauche) donne une "
               "estimation sans effectifs." if other_rule else ""))


# -- starting a harvest ---------------------------------------------------------------

def harvest_section(settings: Settings, decision: auth.Decision, key: str) -> None:
    """« Lancer une collecte » for an editor; the sentence for a reader."""
    flash = st.session_state.pop(HARVEST_FLASH, None)
    if flash:
        st.success(flash, icon=":material/sync:")
    if not decision.can_write or decision.limited:
        st.caption("Les données de publication viennent de collectes (data.gouv.fr, "
                   f"portails des collectivités). {refresh_sentence(settings, decision)}")
        return
    since = background.running(settings)
    if since is not None:
        st.info(f"Une collecte lancée depuis le tableau de bord est en cours (depuis le "
                f"{date_heure_fr(since)}). Les pages montrent la nouvelle situation dès "
                "qu'elle est terminée ; une collecte qui échoue laisse la précédente "
                "intacte.", icon=":material/sync:")
        return
    st.caption("Une collecte interroge data.gouv.fr et les portails des collectivités (de "
               "quelques minutes à une heure pour toute la France). Elle tourne sur le "
               "serveur : vous pouvez fermer la page. Si elle échoue, la situation "
               "précédente reste affichée.")
    if st.button("Lancer une collecte", key=f"{key}_harvest", icon=":material/sync:"):
        # Checked again here: a disabled or hidden button is not a barrier.
        if not decision.can_write or decision.limited:
            st.error(decision.reason)
        elif background.start_harvest(settings):
            st.session_state[HARVEST_FLASH] = (
                f"Collecte lancée par {auth.editor_label(decision.editor)}.")
            st.rerun()
        else:
            st.info("Une collecte est déjà en cours.")


# -- importing the prefecture's staff counts ------------------------------------------

def _checked(folder: Path, upload: object, allowed: set[str] | None, scope: str
             ) -> tuple[Path, pd.DataFrame]:
    """The upload written into ``folder`` (the agents reader works on a path, like the
    command line) and its rows, checked (and, for an editor limited to territories, each
    collectivité within them); InputError otherwise."""
    path = folder / Path(upload.name).name   # type: ignore[attr-defined]
    path.write_bytes(upload.getvalue())        # type: ignore[attr-defined]
    fmt = detect(path)
    if fmt.kind != PREFECTURE_CSV:
        raise InputError(path.name, "c'est un stock Sirene, trop gros pour un envoi par le "
                                    "navigateur : l'exploitant le charge sur le serveur. "
                                    "Ici : le fichier d'effectifs de la préfecture "
                                    "(siren;agents;annee;source)")
    rows = prefecture.parse_prefecture(fmt)
    if allowed is not None:
        lines = prefecture.read_rows(utf8_text(path.read_bytes(), path.name),
                                     fmt.delimiter or ";").index
        outside = [LineError(int(line), f"SIREN {siren} hors de votre territoire ({scope})")
                   for line, siren in zip(lines, rows["siren"], strict=True)
                   if siren not in allowed]
        if outside:
            raise InputError(path.name, f"{nombre(len(outside))} ligne(s) hors de votre "
                                        "territoire : fichier refusé", outside)
    return path, rows


def agents_section(settings: Settings, decision: auth.Decision, key: str,
                   names: dict[str, str] | None = None,
                   allowed: set[str] | None = None) -> None:
    """Upload of the prefecture's staff-count CSV (``siren;agents;annee;source``):
    checked and previewed, written on click; a bad file names its bad lines and writes
    nothing. A reader gets the sentence. ``allowed``: the SIRENs an editor limited to
    territories may write for (None: not limited)."""
    flash = st.session_state.pop(AGENTS_FLASH, None)
    if flash:
        st.success(flash, icon=":material/badge:")
    if not decision.can_write:
        st.caption(agents_sentence(settings, decision))
        return
    upload = st.file_uploader("Fichier d'effectifs de la préfecture (CSV : siren;agents;"
                              "annee;source)", type=["csv"], key=f"{key}_agents_upload")
    if upload is None:
        return
    with tempfile.TemporaryDirectory(prefix="odlab-effectifs-") as tmp:
        try:
            path, rows = _checked(Path(tmp), upload, allowed, decision.scope)
        except InputError as exc:
            render.user_error(exc)
            return
        _agents_preview(settings, decision, key, path, rows, names or {})


def _agents_preview(settings: Settings, decision: auth.Decision, key: str, path: Path,
                    rows: pd.DataFrame, names: dict[str, str]) -> None:
    st.markdown(f"**Aperçu** : {nombre(len(rows))} effectif(s) à enregistrer ; ils priment "
                "sur les tranches Sirene.")
    render.table(pd.DataFrame({
        "SIREN": rows["siren"], "Collectivité": rows["siren"].map(names).fillna(""),
        "Agents": rows["agents_min"], "Année": rows["annee"].astype(str),
        "Source": rows["source_detail"]}), key=f"{key}_agents_preview",
        height=300 if len(rows) > 8 else "auto")
    if st.button(f"Enregistrer {nombre(len(rows))} effectif(s)", key=f"{key}_agents_go",
                 type="primary"):
        if not decision.can_write:
            st.error(decision.reason)
            return
        try:
            with db.connect(settings) as con:
                report = import_file(con, path)
        except InputError as exc:
            render.user_error(exc)
            return
        # The pages' caches are keyed by the database file's time: they refresh by themselves.
        st.session_state[AGENTS_FLASH] = report.summary().replace("\n", " ")
        st.rerun()
