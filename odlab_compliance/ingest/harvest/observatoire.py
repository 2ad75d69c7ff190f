"""OpenDataFrance's Observatoire editions (2021, 2022) as dated historical snapshots.

The two files differ: 2021 has ``merge`` (ptf, datagouv, ptf+datagouv), ``ptf`` (the
platform's name), ``nb-ptf`` and ``nb-datagouv``; 2022 only has ``url_platform``,
``id_datagouv`` and ``techno_platform``, from which ``via`` is derived and the platform
found by its address in the platform list. SIRENs may carry trailing spaces or an
invisible mark (U+200E): only their digits are kept.

``statut`` is ``publie_via_tiers`` when the organisation publishes only through a shared
platform run by another body (the registry says who runs it), else ``publie``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.config import load_settings
from odlab_compliance.errors import InputError, LineError
from odlab_compliance.identifiers import siren_problem
from odlab_compliance.ingest.harvest.portals import PLATFORMS_SOURCE, Portal, read_platform_list
from odlab_compliance.ingest.sources import SourceUnavailable, fetch, get_source

COLUMNS = ["siren", "nom", "type", "statut", "via", "plateforme", "url_plateforme",
           "nb_jeux_ptf", "nb_jeux_datagouv", "date_edition"]
# The date each edition describes (the 2022 file is "au 31/12/2022"; the 2021 edition
# was closed in December 2021).
EDITION_DATES = {"2021": "2021-12-31", "2022": "2022-12-31"}
EDITION_SOURCES = {"2021": ("odf-organisations", 2021), "2022": ("odf-organisations", 2022)}
VIA_VALUES = ("ptf", "datagouv", "ptf+datagouv")
_REQUIRED = {"2021": ("siren", "nom", "type", "merge"),
             "2022": ("siren", "nom", "url_platform", "id_datagouv", "techno_platform")}
# Organisation type from its name or SIREN when the edition does not give it (2022).
_NAME_TYPES = {"CC": "CC", "CA": "CA", "CU": "CU", "EPT": "EPT", "METROPOLE": "MET"}
_SIREN_TYPES = {"21": "COM", "22": "DEP", "23": "REG"}
# The Observatoire's organisation types that are not collectivités (its data dictionary:
# AGCT « autre groupement de collectivités : SMI, GIP… », OACT « organisme associé :
# office de tourisme, régie de transport… », DSPT « délégataire de service public :
# opérateurs privés, SEM… », SDE syndicat d'énergie) -> vocab.ORGANISME.
BODY_TYPES = {"AGCT": vocab.ORG_SYNDICAT, "OACT": vocab.ORG_ETABLISSEMENT,
              "DSPT": vocab.ORG_OPERATEUR, "SDE": vocab.ORG_SYNDICAT}


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _int(value: object) -> int | None:
    text = _text(value)
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


def clean_siren(value: object) -> str:
    """Digits only: drops the spaces and invisible marks some rows carry."""
    return re.sub(r"\D", "", _text(value))


def guess_type(siren: str, nom: str) -> str | None:
    """Organisation type when the edition does not say it: name prefix, then SIREN prefix."""
    words = nom.upper().split()
    if words and words[0] in _NAME_TYPES:
        return _NAME_TYPES[words[0]]
    if "METROPOLE" in words:
        return "MET"
    return _SIREN_TYPES.get(siren[:2])


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower().removeprefix("www.")


def _platform_by_url(url: str, portals: Sequence[Portal]) -> Portal | None:
    host = _host(url)
    same = [p for p in portals if p.host == host]
    if len(same) <= 1:
        return same[0] if same else None
    path = urlsplit(url).path
    return max(same, key=lambda p: len(urlsplit(p.url).path) if path.startswith(urlsplit(p.url).path) else -1)


def _platform_by_name(name: str, portals: Sequence[Portal]) -> Portal | None:
    wanted = name.split(",")[0].strip().lower()
    return next((p for p in portals if p.name.strip().lower() == wanted), None)


def statut_of(siren: str, org_type: str | None, via: str, platform: Portal | None) -> str:
    """publie_via_tiers: only a shared platform run by another body; publie otherwise."""
    if via != "ptf" or platform is None or not platform.shared:
        return vocab.PUBLIE
    if platform.owner_siren:
        return vocab.PUBLIE if platform.owner_siren == siren else vocab.VIA_TIERS
    if org_type and platform.porteur_type:
        return vocab.PUBLIE if org_type == platform.porteur_type else vocab.VIA_TIERS
    return vocab.VIA_TIERS


def _via_2022(url: str, id_datagouv: str, techno: str) -> str:
    techs = [t.strip().lower() for t in techno.split(",") if t.strip()]
    on_ptf = bool(url) or any(t != "datagouv" for t in techs)
    on_dg = bool(id_datagouv) or "datagouv" in techs
    if on_ptf and on_dg:
        return "ptf+datagouv"
    return "ptf" if on_ptf else "datagouv"


def _registered_platform_list() -> Path | tuple[()]:
    """The platform list from the mirror, cache or its source; none when unavailable
    (then no platform is known to be shared and every organisation is ``publie``)."""
    try:
        return fetch(get_source(*PLATFORMS_SOURCE), load_settings()).path
    except (SourceUnavailable, KeyError, OSError):
        return ()


def _read(path: Path, edition: str) -> pd.DataFrame:
    if edition not in EDITION_DATES:
        raise InputError(str(path), f"édition « {edition} » inconnue (attendu : "
                                    f"{', '.join(EDITION_DATES)})")
    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(str(path), f"fichier CSV illisible : {exc}") from exc
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in _REQUIRED[edition] if c not in df.columns]
    if missing:
        raise InputError(str(path), f"colonnes manquantes pour l'édition {edition} : "
                                    f"{', '.join(missing)} (présentes : {', '.join(df.columns)})")
    return df


def read_edition(path: str | Path, edition: str, *,
                 platforms: Sequence[Portal] | str | Path | None = None) -> pd.DataFrame:
    """One row per organisation of an Observatoire edition, in the columns ``COLUMNS``.

    ``platforms`` is the portal registry (or the path of the platform list) used to name
    2022 platforms and to tell shared ones; by default the ``observatoire-plateformes.csv``
    next to ``path``, else the registered source ``odf-plateformes`` (mirror, cache, URL). Bad SIRENs raise ``InputError`` naming the lines.
    """
    path = Path(path)
    edition = str(edition)
    df = _read(path, edition)
    if platforms is None:
        sibling = path.with_name("observatoire-plateformes.csv")
        platforms = sibling if sibling.is_file() else _registered_platform_list()
    if isinstance(platforms, str | Path):
        platforms = read_platform_list(Path(platforms))
    errors: list[LineError] = []
    rows = []
    for i, r in enumerate(df.to_dict("records"), start=2):
        siren = clean_siren(r.get("siren"))
        problem = siren_problem(siren)
        if problem and not (len(siren) == 9 and problem.endswith("clé de contrôle invalide")):
            errors.append(LineError(i, problem))
            continue
        nom = _text(r.get("nom"))
        if edition == "2021":
            via = _text(r.get("merge")).lower()
            if via not in VIA_VALUES:
                errors.append(LineError(i, f"merge « {via} » : attendu {', '.join(VIA_VALUES)}"))
                continue
            url = _text(r.get("url-ptf")) if via != "datagouv" else ""
            ptf_name = _text(r.get("ptf")) if via != "datagouv" else ""
            platform = (_platform_by_url(url, platforms) if url else None) or \
                (_platform_by_name(ptf_name, platforms) if ptf_name else None)
            org_type = _text(r.get("type")) or None
            nb_ptf, nb_dg = _int(r.get("nb-ptf")), _int(r.get("nb-datagouv"))
        else:
            url = _text(r.get("url_platform"))
            via = _via_2022(url, _text(r.get("id_datagouv")), _text(r.get("techno_platform")))
            platform = _platform_by_url(url, platforms) if url else None
            ptf_name = ""
            org_type = guess_type(siren, nom)
            nb_ptf = nb_dg = None
        rows.append({
            "siren": siren, "nom": nom, "type": org_type,
            "statut": statut_of(siren, org_type, via, platform), "via": via,
            "plateforme": platform.name if platform else (ptf_name or None),
            "url_plateforme": url or None,
            "nb_jeux_ptf": nb_ptf, "nb_jeux_datagouv": nb_dg,
            "date_edition": EDITION_DATES[edition],
        })
    if errors:
        raise InputError(str(path), f"{len(errors)} ligne(s) invalide(s) dans l'édition {edition}",
                         errors)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["nb_jeux_ptf"] = out["nb_jeux_ptf"].astype("Int64")
    out["nb_jeux_datagouv"] = out["nb_jeux_datagouv"].astype("Int64")
    return out
