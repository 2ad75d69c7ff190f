"""E-mail addresses: the one check of what can be written to (used by the Annuaire's
contacts, the follow-up contact and the mailing)."""

from __future__ import annotations

import re

# Deliberately plain: an address a mail server will accept from a prefecture's relay
# (local part, one @, a dotted domain with a 2+ letter TLD, no spaces). RFC 5322 allows
# far more (quoted local parts, comments) that no mairie publishes.
_ADDRESS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*"
                      r"\.[A-Za-z]{2,}$")
_FIND = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def address_problem(text: object) -> str | None:
    """What is wrong with ``text`` as an e-mail address (French), None when usable."""
    value = "" if text is None else str(text).strip()
    if not value:
        return "aucune adresse électronique"
    if any(c.isspace() for c in value):
        return f"adresse « {value} » invalide (espace)"
    if value.count("@") != 1:
        return f"adresse « {value} » invalide (un seul @ attendu)"
    local, domain = value.split("@")
    if not local or local.startswith(".") or local.endswith(".") or ".." in local:
        return f"adresse « {value} » invalide (partie avant @)"
    if not _ADDRESS.match(value) or ".." in domain or domain.startswith("-"):
        return f"adresse « {value} » invalide (domaine)"
    return None


def addresses_in(text: object) -> list[str]:
    """The usable addresses found in a free text ("Mme Durand, dgs@muret.fr ; 05…"),
    in order, lower-cased, without repeats."""
    if text is None:
        return []
    found = [m.group(0).strip(".").lower() for m in _FIND.finditer(str(text))]
    return [a for a in dict.fromkeys(found) if address_problem(a) is None]
