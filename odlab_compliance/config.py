"""Settings read from environment variables.

Every setting has a default, a help text and the form it expects; the README's settings
table must name each one (see ``tests/test_docs.py``), so a setting cannot go undocumented.
``load_settings`` checks every value and refuses a wrong one with a French message that
names the variable and the expected form (``SettingError``): the CLI prints it and exits
with code 2, the dashboard shows it in an error box, never a traceback.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from odlab_compliance.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = Path(__file__).resolve().parent

_TRUE = ("1", "true", "oui", "yes", "on")
_FALSE = ("0", "false", "non", "no", "off")
BASE_URL_PREFIX = "ODLAB_BASE_URL_"


class SettingError(UserError, ValueError):
    """One or more environment variables hold a value the project cannot use."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(self.__str__())

    def __str__(self) -> str:
        head = ("réglage invalide" if len(self.problems) == 1
                else f"{len(self.problems)} réglages invalides")
        return (f"{head} (variables d'environnement) :\n"
                + "\n".join(f"  - {p}" for p in self.problems)
                + "\nCorrigez la variable, ou supprimez-la pour reprendre la valeur par "
                  "défaut (voir la section « Réglages » du README).")


# A check returns None when the text is usable, else what is wrong (French).
Check = Callable[[str], str | None]


def _number(minimum: float, strict: bool) -> Check:
    def check(text: str) -> str | None:
        try:
            value = float(text.replace(",", ".") if text.count(",") == 1 else text)
        except ValueError:
            return "ce n'est pas un nombre"
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            return "valeur hors des bornes"
        return None
    return check


def _integer(minimum: int) -> Check:
    def check(text: str) -> str | None:
        try:
            value = int(text)
        except ValueError:
            return "ce n'est pas un nombre entier"
        return "valeur hors des bornes" if value < minimum else None
    return check


def _boolean(text: str) -> str | None:
    return None if text.strip().lower() in _TRUE + _FALSE else "valeur non reconnue"


def _url(text: str) -> str | None:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "ce n'est pas une adresse http(s)://hôte"
    return None


def _directory(text: str) -> str | None:
    path = Path(text).expanduser()
    if not path.exists():
        return "ce dossier n'existe pas"
    return None if path.is_dir() else "ce n'est pas un dossier"


def _not_a_file(text: str) -> str | None:
    path = Path(text).expanduser()
    return "c'est un fichier, pas un dossier" if path.exists() and not path.is_dir() else None


def _not_a_directory(text: str) -> str | None:
    return "c'est un dossier, pas un fichier" if Path(text).expanduser().is_dir() else None


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    expected: str = ""            # the accepted form, in French, for the error message
    check: Check | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting("ODLAB_HOME", str(PROJECT_ROOT / "data"),
            "Dossier de travail : fichier DuckDB `odlab.duckdb` et cache des téléchargements.",
            "un chemin de dossier (créé s'il n'existe pas)", _not_a_file),
    Setting("ODLAB_MIRROR_DIR", "",
            "Dossier organisé comme `shared/data` qui remplace les téléchargements (hors ligne, CI).",
            "le chemin d'un dossier existant, organisé comme shared/data", _directory),
    Setting("ODLAB_DB", "",
            "Chemin du fichier DuckDB, si on ne veut pas `$ODLAB_HOME/odlab.duckdb`.",
            "le chemin d'un fichier (créé s'il n'existe pas)", _not_a_directory),
    Setting("ODLAB_HTTP_TIMEOUT", "30",
            "Délai maximal (secondes) d'attente d'une réponse HTTP.",
            "un nombre de secondes supérieur à 0, ex. 30", _number(0, strict=True)),
    Setting("ODLAB_HTTP_RETRIES", "4",
            "Nombre de nouvelles tentatives sur 429/5xx ou coupure réseau.",
            "un nombre entier positif ou nul, ex. 4", _integer(0)),
    Setting("ODLAB_HTTP_BACKOFF", "1.0",
            "Facteur d'attente exponentielle entre deux tentatives (secondes).",
            "un nombre de secondes positif ou nul, ex. 1.0", _number(0, strict=False)),
    Setting("ODLAB_DATAGOUV_URL", "https://www.data.gouv.fr",
            "URL de base de data.gouv.fr (API et exports du catalogue).",
            "une adresse http(s)://hôte, ex. https://www.data.gouv.fr", _url),
    Setting("ODLAB_RECHERCHE_ENTREPRISES_URL", "https://recherche-entreprises.api.gouv.fr",
            "URL de base de l'API Recherche d'entreprises (tranches d'effectifs).",
            "une adresse http(s)://hôte, ex. https://recherche-entreprises.api.gouv.fr", _url),
    Setting("ODLAB_RECHERCHE_ENTREPRISES_RATE", "6.5",
            "Requêtes par seconde envoyées à l'API Recherche d'entreprises (le service en "
            "accepte 7 et bloque au-delà) ; plus seulement pour une instance qui l'autorise "
            "(tests : un serveur local).",
            "un nombre de requêtes par seconde supérieur à 0, ex. 6.5",
            _number(0, strict=True)),
    Setting(f"{BASE_URL_PREFIX}<GROUPE>", "",
            "Remplace l'URL de base d'un groupe de sources (`UNPKG`, `ETALAB_GEO`, `DATAGOUV_FILES`, ...), "
            "voir `reference/sources.toml` ; les tests y mettent un serveur local.",
            "une adresse http(s)://hôte[:port]", _url),
    Setting("ODLAB_STALE_DAYS", "45",
            "Âge (jours) au-delà duquel le tableau de bord signale des données anciennes.",
            "un nombre entier de jours supérieur ou égal à 1, ex. 45", _integer(1)),
    Setting("ODLAB_MAP_BASEMAP", "0",
            "`1` : fond de carte OpenStreetMap (tuiles) activé par défaut sur la page Carte, "
            "pour un déploiement dont les navigateurs ont internet ; `0` : carte sans tuiles, "
            "lisible hors ligne (l'interrupteur de la page reste disponible).",
            "1 ou 0 (oui/non, true/false, on/off)", _boolean),
    Setting("ODLAB_LOCAL_WRITE", "0",
            "`1` : sans connexion configurée, le tableau de bord permet d'écrire (suivi, "
            "ateliers) ; pour une personne seule sur son poste (`make run` le met). Jamais "
            "déduit de l'adresse d'écoute : derrière un proxy, tout le monde vient de "
            "127.0.0.1. `0` : lecture seule sans connexion.",
            "1 ou 0 (oui/non, true/false, on/off)", _boolean),
    Setting("ODLAB_CONTACT", "",
            "Qui administre ce tableau de bord (service, adresse) : dit aux lecteurs à qui "
            "demander une mise à jour des données ou un accès d'éditeur.",
            "un texte libre, ex. « Mission open data, préfecture de la Haute-Garonne "
            "(opendata@haute-garonne.gouv.fr) »", lambda _value: None),
)

_DEFAULTS = {s.name: s.default for s in SETTINGS}
_BY_NAME = {s.name: s for s in SETTINGS}


def _get(name: str, env: dict[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    value = env.get(name, "")
    return value if value != "" else _DEFAULTS[name]


def problems(env: dict[str, str] | None = None) -> list[str]:
    """One French line per variable of ``env`` whose value is unusable (empty: all good).

    An empty variable counts as unset (its default applies), as a shell's ``VAR=`` does.
    """
    env = dict(os.environ) if env is None else env
    found = []
    for name, value in sorted(env.items()):
        if not value:
            continue
        if name.startswith(BASE_URL_PREFIX):
            setting = _BY_NAME[f"{BASE_URL_PREFIX}<GROUPE>"]
        else:
            setting = _BY_NAME.get(name)
        if setting is None or setting.check is None:
            continue
        why = setting.check(value)
        if why:
            found.append(f"{name}=« {value} » : {why} ; attendu : {setting.expected}")
    return found


@dataclass(frozen=True)
class Settings:
    home: Path
    mirror_dir: Path | None
    db_path: Path
    http_timeout: float
    http_retries: int
    http_backoff: float
    stale_days: int
    base_url_overrides: dict[str, str] = field(default_factory=dict)
    map_basemap: bool = False
    local_write: bool = False
    contact: str = ""             # who runs this dashboard, told to readers
    recherche_rate: float = 6.5      # requests per second to the API Recherche d'entreprises

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def base_url(self, group: str, default: str) -> str:
        """Base URL of a group of sources, overridable by ``ODLAB_BASE_URL_<GROUP>``."""
        return self.base_url_overrides.get(group.upper(), default).rstrip("/")


def _float(text: str) -> float:
    return float(text.replace(",", ".") if text.count(",") == 1 else text)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: the process environment).

    Raises ``SettingError`` (French, every bad variable listed) before anything runs with a
    value that would fail later in a less clear way (a traceback from ``float('abc')``, a
    typo in a mirror path silently read as "no mirror, download everything").
    """
    env = dict(os.environ) if env is None else env
    bad = problems(env)
    if bad:
        raise SettingError(bad)
    home = Path(_get("ODLAB_HOME", env)).expanduser()
    mirror = _get("ODLAB_MIRROR_DIR", env)
    db = _get("ODLAB_DB", env)
    overrides = {
        k.removeprefix(BASE_URL_PREFIX): v.strip()
        for k, v in env.items()
        if k.startswith(BASE_URL_PREFIX) and v
    }
    # The two service URLs have names of their own (documented in the issues); they are
    # also groups so that sources and harvesters read them the same way.
    overrides.setdefault("DATAGOUV", _get("ODLAB_DATAGOUV_URL", env).strip())
    overrides.setdefault("RECHERCHE_ENTREPRISES",
                         _get("ODLAB_RECHERCHE_ENTREPRISES_URL", env).strip())
    return Settings(
        home=home,
        mirror_dir=Path(mirror).expanduser().resolve() if mirror else None,
        db_path=Path(db).expanduser() if db else home / "odlab.duckdb",
        http_timeout=_float(_get("ODLAB_HTTP_TIMEOUT", env)),
        http_retries=int(_get("ODLAB_HTTP_RETRIES", env)),
        http_backoff=_float(_get("ODLAB_HTTP_BACKOFF", env)),
        stale_days=int(_get("ODLAB_STALE_DAYS", env)),
        base_url_overrides=overrides,
        map_basemap=_get("ODLAB_MAP_BASEMAP", env).strip().lower() in _TRUE,
        local_write=_get("ODLAB_LOCAL_WRITE", env).strip().lower() in _TRUE,
        contact=_get("ODLAB_CONTACT", env).strip(),
        recherche_rate=_float(_get("ODLAB_RECHERCHE_ENTREPRISES_RATE", env)),
    )
