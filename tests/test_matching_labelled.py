"""The matcher against the labelled set of real publisher names (precision ≥ 99 %,
recall ≥ 95 %), and the set itself: honest labels, each with where it comes from."""

from __future__ import annotations

import re

import pytest

from odlab_compliance.config import load_settings
from tests.fixtures.matching import labelled as L


def test_the_labelled_set_is_big_enough_and_every_label_says_where_it_comes_from():
    df = L.labelled()
    assert list(df.columns) == ["id", "nom", "siret", "provenance", "plateforme", "attendu",
                                "origine_etiquette", "note"]
    assert len(df) >= 300 and df["id"].is_unique
    assert df["attendu"].map(lambda v: v == L.NONE or re.fullmatch(r"\d{9}", v) is not None).all()
    assert (df["origine_etiquette"].str.len() > 10).all()
    assert not df["origine_etiquette"].str.contains("A_ETIQUETER").any()
    assert set(df["provenance"]) == set(L.SOURCES)
    # the variants the issue names are all there
    names = df["nom"].str.lower()
    assert names.str.startswith("ville de ").sum() >= 10
    assert names.str.contains(r"^mairie de .*\(irve\)", regex=True).sum() >= 5
    assert names.str.contains(r"^(?:ca |communauté d.agglomération)", regex=True).sum() >= 10
    assert df["origine_etiquette"].str.contains("nom de département ou de région").sum() >= 50
    assert df["origine_etiquette"].str.contains("commune déléguée").sum() >= 20
    assert df["origine_etiquette"].str.contains("nommée").sum() >= 5          # renamed EPCI
    state = df["origine_etiquette"].str.contains("service de l'État")
    assert state.sum() >= 20 and (df.loc[state, "attendu"] == L.NONE).all()
    assert (df.loc[state, "siret"].str.len() == 14).all()


@pytest.mark.mirror
def test_precision_and_recall_on_the_labelled_set(mirror_dir, env, monkeypatch):
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
    settings = load_settings()
    ev = L.evaluate(L.mirror_reference(settings), L.platform_registry(settings))
    c = ev.counts()
    errors = ev.errors()[["id", "nom", "attendu", "credite", "resultat"]].to_string()
    assert c["precision"] >= 0.99, errors
    assert c["rappel"] >= 0.95, errors
    # no State service is ever credited to the collectivité whose SIRET it carries
    state = ev.rows["origine_etiquette"].str.contains("service de l'État")
    assert (ev.rows.loc[state, "credite"] == L.NONE).all()
