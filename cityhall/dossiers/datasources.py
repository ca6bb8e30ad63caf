"""The state's databases that replace paper components: one interface, adapters behind it.

A data source answers `lookup(identifier)` with the record it holds (or None). The dossier
service reads the record when the dossier is received and stores the reference and what
was read on the component (`DossierComponent.data_read`), which then counts as "replaced
by data" (Decision 766). Which adapters serve is a setting
(`CITYHALL_DOSSIERS_DATA_SOURCES`, a dotted path to a function returning them by name);
the default is `local_sources`, demo records for development and tests. An adapter for
the national population database or the business registry implements the same method and
raises `SourceUnavailable` when it cannot answer (the submission is then refused, never
half-stored).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import yaml
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

#: The demo records of the local adapter.
DEMO_RECORDS = Path(__file__).resolve().parent / "data" / "registries.yaml"


class SourceUnavailable(Exception):
    """The data source could not answer just now (down, timed out, refused us)."""


@dataclass(frozen=True)
class Record:
    """What a data source holds under an identifier, as read at `read_at`."""

    source: str
    identifier: str
    fields: dict[str, str]
    read_at: dt.datetime = field(default_factory=timezone.now)

    def stored(self) -> dict[str, Any]:
        """The record as the component keeps it (JSON)."""
        return {"source": self.source, "identifier": self.identifier,
                "read_at": self.read_at.isoformat(), "fields": dict(self.fields)}


class DataSource(Protocol):
    """One of the state's databases, as the dossier service reads it."""

    @property
    def name(self) -> str:
        """The source's name, as procedures name it (`population`, ...)."""
        ...

    def lookup(self, identifier: str) -> Record | None:
        """The record held under `identifier`, None if there is none.

        Raises `SourceUnavailable` when the source cannot answer.
        """
        ...


@dataclass(frozen=True)
class LocalSource:
    """A data source over a dictionary of records (the local adapter's demo data)."""

    name: str
    records: dict[str, dict[str, str]]

    def lookup(self, identifier: str) -> Record | None:
        found = self.records.get(identifier.strip())
        if found is None:
            return None
        return Record(source=self.name, identifier=identifier.strip(),
                      fields={str(k): str(v) for k, v in found.items()})


@cache
def _demo_records() -> dict[str, dict[str, dict[str, str]]]:
    data = yaml.safe_load(DEMO_RECORDS.read_text(encoding="utf-8")) or {}
    return {str(name): {str(k): v for k, v in (records or {}).items()}
            for name, records in data.items()}


def local_sources() -> dict[str, DataSource]:
    """The local adapter: every source over the demo records, for development and tests."""
    return {name: LocalSource(name=name, records=records)
            for name, records in _demo_records().items()}


def sources() -> dict[str, DataSource]:
    """The data sources in use, by name (the setting's factory, called each time, so that
    tests and deployments may swap it)."""
    factory = import_string(settings.CITYHALL_DOSSIERS_DATA_SOURCES)
    return dict(factory())


def lookup(source: str, identifier: str) -> Record | None:
    """The record `source` holds under `identifier`; `SourceUnavailable` when the source is
    not configured or cannot answer."""
    adapter = sources().get(source)
    if adapter is None:
        raise SourceUnavailable(source)
    return adapter.lookup(identifier)
