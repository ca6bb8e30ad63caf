"""Stored files that no row names: what a rolled-back transaction leaves behind.

`StoredFile.put` writes to storage before the caller's transaction commits (storage is not
transactional); if that transaction then rolls back, the bytes stay with no row to name
them. The worker's `core.file_orphans` job deletes such files once they are older than any
transaction can be, looking only in the folders of this month and the last (`upload_path`
dates every name), at most once per interval across all workers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from cityhall.core.files.models import StoredFile

#: A file younger than this may belong to a transaction still running: never touched.
GRACE = dt.timedelta(hours=1)
_LOCK = "core:file_orphans:ran"


@dataclass
class OrphanSweep:
    """What one sweep did."""

    checked: int = 0
    deleted: int = 0


def stored_file_models() -> list[type[StoredFile]]:
    """Every concrete model of a stored file, from every installed app."""
    return [model for model in apps.get_models() if issubclass(model, StoredFile)]


def _recent_folders(folder: str, now: dt.datetime) -> list[str]:
    last_month = now.replace(day=1) - dt.timedelta(days=1)
    return [f"{folder}/{now:%Y/%m}", f"{folder}/{last_month:%Y/%m}"]


def _names(storage: Storage, folder: str) -> Iterator[str]:
    try:
        _dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}"


def sweep_orphans(limit: int, *, now: dt.datetime | None = None,
                  storage: Storage | None = None, force: bool = False) -> OrphanSweep:
    """Delete up to `limit` stored files of the last two months that no row names.

    Runs at most once per `CITYHALL_FILE_ORPHAN_SWEEP_MINUTES` (the shared cache says when
    it last ran), unless `force`.
    """
    result = OrphanSweep()
    every = dt.timedelta(minutes=settings.CITYHALL_FILE_ORPHAN_SWEEP_MINUTES)
    if not force and not cache.add(_LOCK, True, timeout=int(every.total_seconds())):
        return result
    now = now or timezone.now()
    storage = storage or default_storage
    for model in stored_file_models():
        for folder in _recent_folders(model.storage_folder, now):
            batch: list[str] = []
            for name in _names(storage, folder):
                if storage.get_modified_time(name) > now - GRACE:
                    continue
                batch.append(name)
            for start in range(0, len(batch), 500):
                chunk = batch[start:start + 500]
                named = set(model._default_manager.filter(file__in=chunk)
                            .values_list("file", flat=True))
                result.checked += len(chunk)
                for name in chunk:
                    if name in named or result.deleted >= limit:
                        continue
                    storage.delete(name)
                    result.deleted += 1
    return result
