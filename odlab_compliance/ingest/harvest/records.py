"""The plain records that fetchers return and the saver writes (fetching is separate from
saving: every fetcher returns these, never touches the database)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PublisherRecord:
    """An organisation that publishes: a data.gouv.fr organisation, a portal's publisher."""

    source: str                 # "datagouv" | "portal" | "observatoire"
    publisher_id: str           # data.gouv.fr organisation id, or "<portal_id>:<publisher text>"
    name: str
    siret: str | None = None    # data.gouv.fr business_number_id (may be a SIREN or empty)
    url: str | None = None
    badges: list[str] = field(default_factory=list)
    platform_id: str | None = None   # portal registry id when source == "portal"
    nb_datasets: int | None = None


@dataclass
class ResourceRecord:
    """A file of a dataset that declares a schema (what SCDL validation needs)."""

    resource_id: str
    schema_name: str
    schema_version: str | None = None
    url: str | None = None
    format: str | None = None
    filesize: int | None = None
    checksum: str | None = None      # as published (udata: sha1/md5 value)
    modified: str | None = None


@dataclass
class DatasetRecord:
    """One dataset as published, with what is needed for status and evidence."""

    source: str                 # "datagouv" | "portal" | "observatoire"
    dataset_id: str
    publisher_id: str           # key into PublisherRecord.publisher_id
    title: str
    url: str | None = None      # landing page
    platform_id: str | None = None   # portal registry id, or "datagouv"
    platform_url: str | None = None
    last_update: str | None = None   # ISO 8601 date or datetime
    archived: bool = False
    deleted: bool = False
    schemas: list[str] = field(default_factory=list)  # e.g. ["scdl/deliberations"]
    harvest_domain: str | None = None  # data.gouv.fr harvest.domain: re-published from a portal
    state_data: bool = False         # re-published State data (INSEE, IGN, ...): not counted
    siren_hint: str | None = None    # SIREN given by the source itself (Observatoire, DCAT)
    # Quality fields (issue 18): None / empty = the source does not give it, never "no".
    licence: str | None = None
    frequency: str | None = None     # udata frequency id (annual, monthly, ...)
    formats: list[str] = field(default_factory=list)   # lower-case resource formats
    quality_score: float | None = None                  # data.gouv.fr, 0..1
    quality_criteria: dict[str, bool] | None = None     # data.gouv.fr API ``quality``
    themes: list[str] = field(default_factory=list)
    resources: list[ResourceRecord] = field(default_factory=list)  # with a schema only


@dataclass
class SourceOutcome:
    """How one source (or one portal) went: the status rules read it to say "inconnu"."""

    source_key: str             # "datagouv", "portal:<id>", "observatoire:2021"
    ok: bool
    error: str | None = None
    items: int = 0
    item_errors: list[str] = field(default_factory=list)
    # Not attempted by design (e.g. a portal technology we cannot read): its collectivités
    # stay "inconnu", but the run is not an error a scheduler should be woken for.
    skipped: bool = False

    @property
    def failed(self) -> bool:
        return not self.ok and not self.skipped
