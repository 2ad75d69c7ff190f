"""The review rule: which automatic matches count without a person, which wait for one.

Held two ways, so that loosening the rule (a lower threshold, a review flag made merely
informative, ``any`` for ``all``, a homonym left unpenalised) fails here:

- at its boundaries, with known numbers: 0.8 counts, 0.79 waits; each review flag stops a
  match at confidence 1; the informative flags alone do not; a human decision wins;
- on real names, against the reference built from the mirror's COG at test time: the
  names régions and départements use for themselves (« Région Sud », « Le Département
  31 ») go to the right collectivité; homonyms go to the right one when the name itself
  settles it (« Ville de X » is not the hamlet of the same name) and to review otherwise,
  never to a wrong one.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

import pandas as pd
import pytest

from odlab_compliance import vocab
from odlab_compliance.config import load_settings
from odlab_compliance.ingest.matching import matcher
from odlab_compliance.model import matching
from tests.fixtures.matching import labelled as L

AUTO = vocab.DECISION_AUTO
REVIEW_FLAGS = [f for f in vocab.MATCH_FLAG.codes if f not in vocab.INFO_FLAGS]


# -- the rule at its boundaries ----------------------------------------------------------

@pytest.mark.parametrize(("confidence", "counts"), [
    (1.0, True), (0.95, True), (0.85, True), (0.8, True), (0.8000001, True),
    (0.7999, False), (0.79, False), (0.6, False), (0.5, False), (0.0, False),
    (None, False), ("", False), (float("nan"), False)])
def test_an_unflagged_automatic_match_counts_from_0_8(confidence, counts):
    assert matching.is_counted(AUTO, confidence, "") is counts


@pytest.mark.parametrize("flag", REVIEW_FLAGS)
def test_every_review_flag_stops_even_a_certain_match(flag):
    assert not matching.is_counted(AUTO, 1.0, flag)
    # alongside informative flags too: one review flag is enough
    assert not matching.is_counted(AUTO, 1.0, ",".join([*vocab.INFO_FLAGS, flag]))
    assert not matching.is_counted(AUTO, 1.0, f"{flag},{vocab.FLAG_SIRET_SHARED}")


def test_which_flags_only_inform_is_a_known_list():
    """Known answer: a SIRET several declare, a match set aside by a decision on the same
    publisher, an invalid SIRET (matched by the name), an outdated SIREN (successor
    found by the name). Anything else asks a person."""
    assert set(vocab.INFO_FLAGS) == {vocab.FLAG_SIRET_SHARED, vocab.FLAG_OVERRIDDEN,
                                     vocab.FLAG_SIRET_INVALID, vocab.FLAG_OUTDATED}
    assert set(REVIEW_FLAGS) == {vocab.FLAG_SIRET_NAME, vocab.FLAG_OUTSIDE_REF,
                                 vocab.FLAG_HOMONYMS, vocab.FLAG_NOT_COLLECTIVITE,
                                 vocab.FLAG_APPROX, vocab.FLAG_PORTAL_OWNER}
    for flag in vocab.INFO_FLAGS:
        assert matching.is_counted(AUTO, 0.8, flag)
        assert not matching.is_counted(AUTO, 0.79, flag)
    assert matching.is_counted(AUTO, 0.9, ",".join(vocab.INFO_FLAGS))


def test_a_person_decides_over_the_rule():
    for decision in (vocab.DECISION_CONFIRME, vocab.DECISION_AJOUTE):
        assert matching.is_counted(decision, 0.0, vocab.FLAG_HOMONYMS)
    assert not matching.is_counted(vocab.DECISION_REJETE, 1.0, "")
    assert not matching.is_counted("inconnue", 1.0, "")
    assert not matching.is_counted(None, 1.0, "")


def test_the_scores_that_meet_the_rule_are_the_documented_ones():
    """The matcher's own confidences on each side of the threshold (module docstring):
    a homonym and a name that contradicts its SIRET are proposed under it."""
    assert matcher.REVIEW_THRESHOLD == 0.8
    assert matcher.CONF_SIREN == 1.0 and matcher.CONF_PARTIAL >= 0.8
    assert matcher.CONF_DOUBT < 0.8 and matcher.CONF_NOT_COLLECTIVITE < 0.8
    assert 1.0 * matcher.HOMONYM_PENALTY < 0.8


# -- real names, on the mirror's reference --------------------------------------------------

@pytest.fixture(scope="module")
def real_ref(mirror_dir, tmp_path_factory) -> matching.MatchReference:
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("ODLAB_"):
                mp.delenv(key)
        mp.setenv("ODLAB_HOME", str(tmp_path_factory.mktemp("home")))
        mp.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
        return L.mirror_reference(load_settings())


def _verdict(ref: matching.MatchReference, name: str, siret: str | None = None
             ) -> tuple[list[str], list[str]]:
    """(the SIRENs that count, the SIRENs proposed for review) for one publisher."""
    rows, _ = matcher.match_all(pd.DataFrame(
        [{"source": vocab.SOURCE_DATAGOUV, "publisher_id": "p", "name": name, "siret": siret,
          "platform_id": None}]), ref)
    ok = matching.counted(rows)
    return list(rows.loc[ok, "siren"]), list(rows.loc[~ok, "siren"])


# Names as the collectivités write them on their sites and data.gouv.fr organisations,
# with the SIREN of the collectivité they are (COG 2026).
OWN_NAMES = [
    ("Région Occitanie / Pyrénées-Méditerranée", "200053791"),   # Occitanie
    ("Occitanie / Pyrénées-Méditerranée", "200053791"),
    ("Région Sud", "231300021"),                                  # Provence-Alpes-Côte d'Azur
    ("Région Sud Provence-Alpes-Côte d'Azur", "231300021"),
    ("La Région Grand Est", "200052264"),
    ("Région Grand Est", "200052264"),
    ("Région Hauts-de-France", "200053742"),
    ("Région Réunion", "239740012"),
    ("Collectivité de Corse", "200076958"),
    ("Département de la Haute-Garonne", "223100017"),
    ("Le Département 31", "223100017"),
    ("Département 31", "223100017"),
    ("CD31", "223100017"),
    ("Conseil départemental de la Haute-Garonne", "223100017"),
    ("Conseil départemental du Nord", "225900018"),
    ("Département du Nord", "225900018"),
    ("Le Département de la Gironde", "223300013"),
    ("Département des Bouches-du-Rhône", "221300015"),
    ("Collectivité européenne d'Alsace", "200094332"),
    ("Ville de Paris", "217500016"),
    ("Métropole de Lyon", "200046977"),
    ("Ville de Lyon", "216901231"),
    ("Saint-Denis (93)", "929939411"),     # commune nouvelle with Pierrefitte (2025)
    ("Ville de Saint-Denis (974)", "219740115"),
]


@pytest.mark.mirror
@pytest.mark.parametrize(("name", "siren"), OWN_NAMES)
def test_a_collectivite_s_own_name_counts_for_it(real_ref, name, siren):
    counted, waiting = _verdict(real_ref, name)
    assert counted == [siren], (name, counted, waiting, real_ref.by_siren[siren]["nom"])


# Names that must NOT count: too vague, several towns, a name that contradicts its SIRET,
# a typo. The right answer is a person's review (or nothing), never a collectivité.
WAIT = [
    ("Sud", None),                            # a word, not « Région Sud »
    ("Ville de Saint-Denis", None),           # Saint-Denis (93) and Saint-Denis (974)
    ("Ville de Valence", "212603625"),        # Valence (26) and Valence (82), both towns
    ("Commune de Valence", "212603625"),      # … and Valence (16): the biggest first
    ("Valence", "212603625"),
    ("Ville de Toulousse", None),             # a typo: approaching name
]


@pytest.mark.mirror
@pytest.mark.parametrize(("name", "first"), WAIT)
def test_a_name_that_does_not_settle_it_waits_for_a_person(real_ref, name, first):
    counted, waiting = _verdict(real_ref, name)
    assert counted == [], (name, counted)
    if first is not None:
        assert waiting[:1] == [first], (name, waiting)


@pytest.mark.mirror
def test_a_name_that_contradicts_its_siret_waits(real_ref):
    # the Haute-Garonne's SIRET on the city of Toulouse's name, and a prefecture's name
    haute_garonne = "223100017"
    counted, waiting = _verdict(real_ref, "Ville de Toulouse", haute_garonne)
    assert counted == [] and "223100017" in waiting
    counted, _ = _verdict(real_ref, "Préfecture de la Haute-Garonne", haute_garonne)
    assert counted == []


def _homonyms(mirror_dir) -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    """From the COG 2026 communes: names shared by one town (≥ 5,000 inhabitants) and only
    villages (< 500), with the town's and the villages' SIRENs; names shared by two towns."""
    communes = json.loads((mirror_dir / "cog-2026" / "communes.json").read_text("utf-8"))
    by_name: dict[str, list[dict]] = defaultdict(list)
    for c in communes:
        if c.get("type") == "commune-actuelle" and c.get("siren") and c.get("population"):
            by_name[c["nom"]].append(c)
    one_town, two_towns = [], []
    for nom, group in sorted(by_name.items()):
        if len(group) < 2:
            continue
        towns = [c for c in group if c["population"] >= 5_000]
        villages = [c for c in group if c["population"] < 500]
        if len(towns) == 1 and len(villages) == len(group) - 1:
            one_town.append((nom, towns[0]["siren"], [c["siren"] for c in villages]))
        elif len(towns) >= 2:
            two_towns.append(nom)
    return one_town, two_towns


@pytest.mark.mirror
def test_ville_de_x_is_the_town_not_the_hamlet_of_that_name(real_ref, mirror_dir):
    one_town, _ = _homonyms(mirror_dir)
    assert len(one_town) >= 50, "le COG a des dizaines de tels homonymes"
    wrong, missed = [], []
    for nom, town, villages in one_town:
        counted, waiting = _verdict(real_ref, f"Ville de {nom}")
        if set(counted) & set(villages):
            wrong.append(nom)
        elif counted != [town]:
            missed.append(nom)
        # without « Ville de » nothing says which: a person decides, the town first
        for form in (f"Commune de {nom}", f"Mairie de {nom}", nom):
            counted, waiting = _verdict(real_ref, form)
            if counted:
                wrong.append(form)
            elif waiting[:1] != [town]:
                missed.append(form)
    assert not wrong, f"rapprochés à tort : {wrong[:20]}"
    assert not missed, f"non retrouvés : {missed[:20]}"


@pytest.mark.mirror
def test_two_towns_of_one_name_wait_for_a_person(real_ref, mirror_dir):
    _, two_towns = _homonyms(mirror_dir)
    assert len(two_towns) >= 5
    for nom in two_towns:
        counted, waiting = _verdict(real_ref, f"Ville de {nom}")
        assert counted == [], (nom, counted)
        assert waiting, nom
