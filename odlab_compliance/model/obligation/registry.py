"""The rules registry (``reference/rules.toml``): presets with label, legal basis,
description and parameters. Rules are data; this module only reads and checks them.

``PARAMETERS`` is what the engine knows: every entry must be documented in the
registry's ``[parametres]`` table, and every rule must give a valid value to every entry
(tests/test_obligation_registry.py keeps both true).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType

from odlab_compliance import vocab
from odlab_compliance.config import PROJECT_ROOT

RULES_PATH = PROJECT_ROOT / "reference" / "rules.toml"

# How agent counts enter the decision (parameter ``effectif``).
EFFECTIF_TEST = "test"                            # the law: unknown count -> a_verifier
EFFECTIF_TEST_SINON_HYPOTHESE = "test_sinon_hypothese"  # unknown count -> ODF assumption
EFFECTIF_HYPOTHESE = "hypothese"                  # counts ignored: ODF assumption for all
EFFECTIF_MODES = (EFFECTIF_TEST, EFFECTIF_TEST_SINON_HYPOTHESE, EFFECTIF_HYPOTHESE)
COLLECTIVITE_TYPES = vocab.TYPE.codes


def _positive_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _non_negative_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _ratio(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < 1


def _types(v: object) -> bool:
    return isinstance(v, list) and all(t in COLLECTIVITE_TYPES for t in v)


def _band_codes(v: object) -> bool:
    return isinstance(v, list) and all(isinstance(t, str) and len(t) == 2 for t in v)


# parameter -> (check, what a valid value looks like, in French for the error message)
PARAMETERS: dict[str, tuple[Callable[[object], bool], str]] = {
    "seuil_population": (_positive_int, "un entier positif"),
    "seuil_agents": (_positive_int, "un entier positif"),
    "types_test_population": (_types, f"une liste de types parmi {', '.join(COLLECTIVITE_TYPES)}"),
    "population_repli_municipale": (lambda v: isinstance(v, bool), "true ou false"),
    "effectif": (lambda v: v in EFFECTIF_MODES, f"l'une des valeurs {', '.join(EFFECTIF_MODES)}"),
    "marge_population": (_ratio, "un nombre entre 0 et 1 (0.10 = ±10 %)"),
    "tranches_proches": (_band_codes, "une liste de codes de tranche Sirene (\"12\", \"21\")"),
    "tranches_improbables": (_band_codes, "une liste de codes de tranche Sirene (\"00\", "
                                          "\"01\")"),
    "marge_agents": (_non_negative_int, "un entier positif ou nul"),
}
REQUIRED_FIELDS = ("id", "label", "base_legale", "description", "hypothese", "parametres")


class RegistryError(ValueError):
    """The rules registry is malformed (a developer error, reported in French)."""


@dataclass(frozen=True)
class Rule:
    """One preset of the registry."""

    id: str
    label: str
    basis: str            # base légale
    description: str
    assumption: bool      # True when results may rest on ODF's assumption, not the law
    parameters: Mapping[str, object] = field(default_factory=dict)
    short_label: str = ""  # the sidebar's menu (its width cut the long labels); "": label

    def __getitem__(self, name: str) -> object:
        return self.parameters[name]


@dataclass(frozen=True)
class Registry:
    rules: tuple[Rule, ...]
    parameter_docs: Mapping[str, str]


def parse_registry(data: Mapping, source: str = "rules.toml") -> Registry:
    """Check a parsed registry and build its rules; raise RegistryError on any problem."""
    problems: list[str] = []
    docs_raw = data.get("parametres", {})
    docs = {name: str(entry.get("description", "")).strip() for name, entry in docs_raw.items()}
    for name in PARAMETERS:
        if not docs.get(name):
            problems.append(f"paramètre « {name} » connu du moteur mais non documenté "
                            "dans [parametres]")
    for name in docs:
        if name not in PARAMETERS:
            problems.append(f"paramètre « {name} » documenté mais inconnu du moteur")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, entry in enumerate(data.get("regle", []), start=1):
        rid = entry.get("id") or f"n° {i}"
        for key in REQUIRED_FIELDS:
            value = entry.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                problems.append(f"règle « {rid} » : champ « {key} » manquant ou vide")
        if rid in seen:
            problems.append(f"règle « {rid} » définie deux fois")
        seen.add(rid)
        params = entry.get("parametres") or {}
        for name, value in params.items():
            if name not in PARAMETERS:
                problems.append(f"règle « {rid} » : paramètre inconnu « {name} »")
            elif not PARAMETERS[name][0](value):
                problems.append(f"règle « {rid} » : « {name} » doit être {PARAMETERS[name][1]} "
                                f"(valeur : {value!r})")
        for name in PARAMETERS:
            if name not in params:
                problems.append(f"règle « {rid} » : paramètre « {name} » sans valeur")
        if not isinstance(entry.get("hypothese", False), bool):
            problems.append(f"règle « {rid} » : « hypothese » doit être true ou false")
        if params.get("effectif") in (EFFECTIF_HYPOTHESE, EFFECTIF_TEST_SINON_HYPOTHESE) \
                and entry.get("hypothese") is False:
            problems.append(f"règle « {rid} » repose sur l'hypothèse de l'Observatoire : "
                            "« hypothese » doit valoir true")
        rules.append(Rule(
            id=str(rid), label=str(entry.get("label", "")).strip(),
            basis=str(entry.get("base_legale", "")).strip(),
            description=str(entry.get("description", "")).strip(),
            assumption=bool(entry.get("hypothese", False)),
            parameters=MappingProxyType(dict(params)),
            short_label=str(entry.get("label_court", "")).strip(),
        ))
    if not rules:
        problems.append("aucune règle [[regle]]")
    if problems:
        raise RegistryError(f"{source} : registre des règles invalide\n  "
                            + "\n  ".join(problems))
    return Registry(rules=tuple(rules), parameter_docs=MappingProxyType(docs))


def load_registry(path: Path = RULES_PATH) -> Registry:
    with open(path, "rb") as fh:
        return parse_registry(tomllib.load(fh), source=str(path))


@cache
def registry() -> Registry:
    """The project's registry, read once per process."""
    return load_registry()


def list_rules() -> list[Rule]:
    """Every preset, in registry order (the methodology page renders them)."""
    return list(registry().rules)


def rule_ids() -> list[str]:
    return [r.id for r in registry().rules]


def get_rule(rule_id: str) -> Rule:
    """A preset by id; a KeyError with a French message listing the known ids."""
    for r in registry().rules:
        if r.id == rule_id:
            return r
    raise KeyError(f"règle inconnue : « {rule_id} » (règles possibles : {', '.join(rule_ids())})")


def as_rule(rule: Rule | str) -> Rule:
    """``rule`` itself, or the preset its id names (the one place an id becomes a Rule)."""
    return get_rule(rule) if isinstance(rule, str) else rule


def parameter_docs() -> Mapping[str, str]:
    """Parameter name -> French explanation, for the methodology page."""
    return registry().parameter_docs
