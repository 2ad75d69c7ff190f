"""Rules are data: every rule is documented, every parameter the engine knows is too."""

from __future__ import annotations

import copy
import tomllib

import pytest

from odlab_compliance.config import PROJECT_ROOT
from odlab_compliance.model.obligation import get_rule, list_rules, parameter_docs
from odlab_compliance.model.obligation.registry import (
    PARAMETERS,
    RULES_PATH,
    RegistryError,
    parse_registry,
)

RAW = tomllib.loads(RULES_PATH.read_text(encoding="utf-8"))
DOC = (PROJECT_ROOT / "docs" / "obligation.md").read_text(encoding="utf-8")


def test_presets_exist():
    assert {"legal", "odf", "legal_hypothese_odf"} <= {r.id for r in list_rules()}
    assert get_rule("legal").assumption is False
    assert get_rule("odf").assumption is True


@pytest.mark.parametrize("rule", list_rules(), ids=lambda r: r.id)
def test_every_rule_is_documented(rule):
    assert rule.label and rule.basis and rule.description
    assert set(rule.parameters) == set(PARAMETERS)


def test_every_parameter_known_to_the_code_is_documented():
    docs = parameter_docs()
    assert [p for p in PARAMETERS if len(docs.get(p, "")) < 40] == []


def test_docs_page_names_every_rule_and_parameter():
    missing = [r.id for r in list_rules() if f"`{r.id}`" not in DOC]
    missing += [p for p in PARAMETERS if f"`{p}`" not in DOC]
    assert missing == []


@pytest.mark.parametrize("field", ["label", "base_legale", "description"])
def test_a_rule_without_its_documentation_is_refused(field):
    raw = copy.deepcopy(RAW)
    raw["regle"][0][field] = " "
    with pytest.raises(RegistryError, match=f"champ « {field} » manquant"):
        parse_registry(raw)


def test_an_undocumented_parameter_is_refused():
    raw = copy.deepcopy(RAW)
    del raw["parametres"]["marge_agents"]
    with pytest.raises(RegistryError, match="« marge_agents » connu du moteur mais non documenté"):
        parse_registry(raw)


def test_an_unknown_or_invalid_parameter_is_refused():
    raw = copy.deepcopy(RAW)
    raw["regle"][0]["parametres"]["seuil_habitants"] = 3500
    raw["regle"][0]["parametres"]["effectif"] = "ou"
    with pytest.raises(RegistryError) as exc:
        parse_registry(raw)
    assert "paramètre inconnu « seuil_habitants »" in str(exc.value)
    assert "« effectif » doit être" in str(exc.value)


def test_an_assumption_rule_must_say_so():
    raw = copy.deepcopy(RAW)
    odf = next(r for r in raw["regle"] if r["id"] == "odf")
    odf["hypothese"] = False
    with pytest.raises(RegistryError, match="« hypothese » doit valoir true"):
        parse_registry(raw)
