"""Settings read from environment variables.

Every setting has a default and a help text; the README's settings table is generated from
``SETTINGS`` (see ``tests/test_docs.py``), so a setting cannot go undocumented.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("ODLAB_HOME", str(PROJECT_ROOT / "data"),
            "Dossier de travail : fichier DuckDB `odlab.duckdb` et cache des téléchargements."),
    Setting("ODLAB_MIRROR_DIR", "",
            "Dossier organisé comme `shared/data` qui remplace les téléchargements (hors ligne, CI)."),
    Setting("ODLAB_DB", "",
            "Chemin du fichier DuckDB, si on ne veut pas `$ODLAB_HOME/odlab.duckdb`."),
    Setting("ODLAB_HTTP_TIMEOUT", "30",
            "Délai maximal (secondes) d'attente d'une réponse HTTP."),
    Setting("ODLAB_HTTP_RETRIES", "4",
            "Nombre de nouvelles tentatives sur 429/5xx ou coupure réseau."),
    Setting("ODLAB_HTTP_BACKOFF", "1.0",
            "Facteur d'attente exponentielle entre deux tentatives (secondes)."),
    Setting("ODLAB_DATAGOUV_URL", "https://www.data.gouv.fr",
            "URL de base de data.gouv.fr (API et exports du catalogue)."),
    Setting("ODLAB_RECHERCHE_ENTREPRISES_URL", "https://recherche-entreprises.api.gouv.fr",
            "URL de base de l'API Recherche d'entreprises (tranches d'effectifs)."),
    Setting("ODLAB_BASE_URL_<GROUPE>", "",
            "Remplace l'URL de base d'un groupe de sources (`UNPKG`, `ETALAB_GEO`, `DATAGOUV_FILES`, ...), "
            "voir `reference/sources.toml` ; les tests y mettent un serveur local."),
    Setting("ODLAB_STALE_DAYS", "45",
            "Âge (jours) au-delà duquel le tableau de bord signale des données anciennes."),
    Setting("ODLAB_MAP_BASEMAP", "0",
            "`1` : fond de carte OpenStreetMap (tuiles) activé par défaut sur la page Carte, "
            "pour un déploiement dont les navigateurs ont internet ; `0` : carte sans tuiles, "
            "lisible hors ligne (l'interrupteur de la page reste disponible)."),
)
_TRUE = ("1", "true", "oui", "yes", "on")

_DEFAULTS = {s.name: s.default for s in SETTINGS}


def _get(name: str, env: dict[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    value = env.get(name, "")
    return value if value != "" else _DEFAULTS[name]


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

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def base_url(self, group: str, default: str) -> str:
        """Base URL of a group of sources, overridable by ``ODLAB_BASE_URL_<GROUP>``."""
        return self.base_url_overrides.get(group.upper(), default).rstrip("/")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: the process environment)."""
    env = dict(os.environ) if env is None else env
    home = Path(_get("ODLAB_HOME", env)).expanduser()
    mirror = _get("ODLAB_MIRROR_DIR", env)
    db = _get("ODLAB_DB", env)
    overrides = {
        k.removeprefix("ODLAB_BASE_URL_"): v
        for k, v in env.items()
        if k.startswith("ODLAB_BASE_URL_") and v
    }
    # The two service URLs have names of their own (documented in the issues); they are
    # also groups so that sources and harvesters read them the same way.
    overrides.setdefault("DATAGOUV", _get("ODLAB_DATAGOUV_URL", env))
    overrides.setdefault("RECHERCHE_ENTREPRISES", _get("ODLAB_RECHERCHE_ENTREPRISES_URL", env))
    return Settings(
        home=home,
        mirror_dir=Path(mirror).expanduser().resolve() if mirror else None,
        db_path=Path(db).expanduser() if db else home / "odlab.duckdb",
        http_timeout=float(_get("ODLAB_HTTP_TIMEOUT", env)),
        http_retries=int(_get("ODLAB_HTTP_RETRIES", env)),
        http_backoff=float(_get("ODLAB_HTTP_BACKOFF", env)),
        stale_days=int(_get("ODLAB_STALE_DAYS", env)),
        base_url_overrides=overrides,
        map_basemap=_get("ODLAB_MAP_BASEMAP", env).strip().lower() in _TRUE,
    )
