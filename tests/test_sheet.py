"""The mayor's sheet read in 30 seconds (issue 16): one verdict in one sentence with the
population the law uses, what would change it, next steps as words with links, a grid
message that points only at what the menu offers, search by code INSEE or SIREN."""

from __future__ import annotations

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.analysis import sheet as S
from odlab_compliance.ui.sheet_view import collectivite_labels

ODF = {"id": "odf", "label": "Hypothèse de l'Observatoire (OpenDataFrance)",
       "parameters": {"seuil_population": 3500, "seuil_agents": 50}}
LEGAL = {"id": "legal", "label": "Règle légale",
         "parameters": {"seuil_population": 3500, "seuil_agents": 50}}
MURET = {"nom": "Muret", "type": vocab.TYPE_COM, "siren": "213103955", "code_insee": "31395",
         "departement": "31", "population_totale": 26223, "annee_population": 2022,
         "population_municipale": 25900, "obligation": vocab.OBLIGEE, "hypothese": True,
         "motif": "Obligée selon l'hypothèse de l'Observatoire, qui n'est pas la loi : "
                  "26 079 habitants (population municipale 2023) ≥ 3 500 ; effectif supposé.",
         "statut": vocab.NON_PUBLIE}


def test_verdict_is_one_unhedged_sentence_with_one_population():
    text = S.verdict(MURET, ODF)
    assert text.count(".") == 1 and text.endswith(".")
    assert "26\u202f223 habitants (population totale 2022)" in text
    assert "municipale" not in text and "26\u202f079" not in text
    assert "n'est pas la loi" not in text and "Hypothèse de l'Observatoire" in text
    # the second population appears only in « what would change the answer »
    assert any("26 079" in line for line in S.what_would_change(MURET))


def test_a_verifier_says_what_would_decide():
    row = {**MURET, "obligation": vocab.A_VERIFIER, "hypothese": False,
           "agents_min": None, "agents_max": None}
    text = S.verdict(row, LEGAL)
    assert "au moins 50 agents" in text and "préfecture" in text and "décidera" in text
    not_obliged = {**MURET, "population_totale": 3453, "obligation": vocab.NON_OBLIGEE}
    assert "sous le seuil de 3\u202f500 habitants" in S.verdict(not_obliged, LEGAL)


def test_next_steps_name_a_platform_by_its_host_and_link_it():
    raw = "https://data.sicoval.fr/explore/?refine%2Epublisher=Sicoval%20%28CA%29"
    epci = {"nom": "CA du Sicoval", "statut": vocab.PUBLIE, "plateformes": raw}
    grid = S.scdl_grid(pd.DataFrame(), known=False)
    steps = S.next_steps({"statut": vocab.NON_PUBLIE, "obligation": vocab.OBLIGEE}, grid, epci)
    assert all("%2E" not in s and "https://" not in s for s in steps)
    assert "data.sicoval.fr" in steps[0]
    assert ("La plateforme de l'intercommunalité : data.sicoval.fr", raw) in S.step_links(steps,
                                                                                        epci)
    alone = S.next_steps({"statut": vocab.NON_PUBLIE}, grid, None)
    assert S.LINK_DATAGOUV in S.step_links(alone, None)


def test_grid_message_points_at_a_collecte_only_when_there_is_one():
    assert "Choisissez une collecte" in S.grid_unknown(True)
    assert "Choisissez" not in S.grid_unknown(False)
    assert "Aucune collecte" in S.grid_unknown(False)


def test_search_labels_carry_code_insee_and_siren():
    rows = pd.DataFrame([MURET, {"nom": "CA Le Muretain Agglo", "type": "CA",
                                 "siren": "200068468", "code_insee": None,
                                 "departement": "31"}])
    labels = collectivite_labels(rows)
    assert "31395" in labels["213103955"] and "213103955" in labels["213103955"]
    assert "200068468" in labels["200068468"]
