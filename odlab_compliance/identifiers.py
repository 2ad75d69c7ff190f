"""French public identifiers: SIREN, SIRET, INSEE commune codes. Always strings."""

from __future__ import annotations

import re

# La Poste's establishments share SIREN 356000000; their SIRETs do not pass the Luhn key
# (INSEE numbers them so that the sum of the 14 digits is a multiple of 5 instead).
LA_POSTE_SIREN = "356000000"

_COMMUNE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")


def luhn_ok(digits: str) -> bool:
    """Luhn checksum over a string of digits (the SIREN/SIRET control key)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def is_valid_siren(value: str) -> bool:
    """9 digits passing the Luhn key."""
    return len(value) == 9 and value.isdigit() and luhn_ok(value)


def is_valid_siret(value: str) -> bool:
    """14 digits passing the Luhn key, or a La Poste SIRET (digit sum multiple of 5)."""
    if len(value) != 14 or not value.isdigit():
        return False
    if value.startswith(LA_POSTE_SIREN) and value != LA_POSTE_SIREN + "00000":
        return sum(int(c) for c in value) % 5 == 0
    return luhn_ok(value)


def siren_problem(raw: object) -> str | None:
    """Why ``raw`` is not a usable SIREN (French sentence), or None when it is one."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return "SIREN manquant"
    if re.fullmatch(r"\d+\.0+|\d(?:\.\d+)?[eE]\+?\d+", text):
        return (f"SIREN « {text} » enregistré comme un nombre (tableur) : "
                "enregistrez la colonne en texte")
    if not text.isdigit():
        return f"SIREN « {text} » : 9 chiffres attendus"
    if len(text) != 9:
        return f"SIREN « {text} » : {len(text)} chiffres au lieu de 9"
    if not luhn_ok(text):
        return f"SIREN « {text} » : clé de contrôle invalide"
    return None


def commune_code_problem(raw: object) -> str | None:
    """Why ``raw`` is not an INSEE commune code, or None. A number (1001, 1001.0) is refused:
    its leading zero is lost and it cannot be told from another code for sure."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return (f"code commune {raw!r} enregistré comme un nombre : le zéro initial est "
                "perdu, enregistrez la colonne en texte (ex. 01001)")
    text = "" if raw is None else str(raw).strip()
    if not _COMMUNE_RE.match(text):
        return f"code commune « {text} » : 5 caractères attendus (ex. 01001, 2A004, 97105)"
    return None


def siren_of_siret(siret: str | None) -> str | None:
    """The SIREN part of a data.gouv.fr ``business_number_id`` (SIRET or SIREN), if any."""
    if not siret:
        return None
    digits = re.sub(r"\s", "", str(siret))
    if len(digits) >= 9 and digits[:9].isdigit():
        return digits[:9]
    return None
