"""The source registry (``reference/sources.toml``): each official source with its
address or the rule that finds it, its millésime, producer, licence and mirror path.

Reading the registry is kept apart from fetching (``ingest/sources.py``) so that the
modules that locate and check files (``locate``, ``layout``, ``siren_listing``) can name
a ``Source`` without importing the fetcher that imports them."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from odlab_compliance.config import PROJECT_ROOT, Settings
from odlab_compliance.errors import UserError

REGISTRY_PATH = PROJECT_ROOT / "reference" / "sources.toml"


class NotLocated(RuntimeError):
    """A source's rule found no file (French reason)."""


@dataclass(frozen=True)
class Source:
    id: str
    vintage: int
    title: str
    producer: str
    base: str
    path: str
    mirror: str
    format: str
    licence: str
    notes: str = ""
    millesime: int | None = None   # population millésime stated by the producer
    page: str = ""                 # the producer's page describing the file
    locate: str = ""               # rule finding the address ("" : ``path`` is the file)
    dataset: str = ""              # data.gouv.fr dataset slug (locate = "datagouv")
    organization: str = ""         # data.gouv.fr organisation slug, to search datasets
    dataset_query: str = ""        # search words when the slug does not answer
    resource_title: str = ""       # regular expression on the resource's title
    resource_format: str = ""      # resource format on data.gouv.fr ("csv")
    fallback_base: str = ""        # pinned public copy, when the rule finds nothing
    fallback_path: str = ""
    years: tuple[int, ...] = ()    # editions to try, own year first (locate = "years")
    natures: tuple[str, ...] = ()  # natures juridiques (locate = "recherche_entreprises")
    columns: tuple[str, ...] = ()  # what the file must hold (ingest/layout.py)
    required: bool = True          # the product cannot do without it

    def url(self, settings: Settings, year: int | None = None) -> str:
        """Official URL, with the base group overridable by settings ("" when none).

        A yearly file (``{year}`` in its path) is given for ``year``, else its own
        year (the first of ``years``)."""
        if not self.base:
            return ""
        path = self.path
        if "{year}" in path:
            path = path.replace("{year}", str(year or (self.years[0] if self.years
                                                          else self.vintage)))
        return base_url(self.base, settings) + path

    def fallback_url(self, settings: Settings) -> str:
        return (base_url(self.fallback_base, settings) + self.fallback_path
                if self.fallback_base else "")

    @property
    def filename(self) -> str:
        # A located file (an API answer, a yearly path) is cached under the mirror's name.
        return Path(self.mirror if self.locate or not self.path else self.path).name


class UnknownSource(UserError, KeyError):
    """No source of that id and vintage in the registry (a typo on the command line)."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


@cache
def _registry() -> dict:
    with open(REGISTRY_PATH, "rb") as fh:
        return tomllib.load(fh)


def _bases() -> dict[str, str]:
    return _registry()["bases"]


def base_url(group: str, settings: Settings) -> str:
    """The URL of a base group of the registry, overridable by ``ODLAB_BASE_URL_<GROUP>``."""
    return settings.base_url(group, _bases()[group])


_TUPLES = ("years", "natures", "columns")


def all_sources() -> list[Source]:
    """Every registered source, in registry order."""
    return [Source(**{k: tuple(v) if k in _TUPLES else v for k, v in s.items()})
            for s in _registry()["source"]]


def get_source(source_id: str, vintage: int) -> Source:
    for s in all_sources():
        if s.id == source_id and s.vintage == vintage:
            return s
    known = sorted({f"{s.id}@{s.vintage}" for s in all_sources()})
    raise UnknownSource(f"source inconnue : {source_id}@{vintage} (connues : {', '.join(known)})")


def vintages() -> list[int]:
    """Reference vintages for which the COG communes file is registered."""
    return sorted({s.vintage for s in all_sources() if s.id == "cog-communes"})
