"""Stored files that no row names (a rolled-back upload) are deleted, once they are old."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from pytest_django import Settings

from cityhall.core.files.orphans import sweep_orphans
from cityhall.reports.models import ReportPhoto
from tests.reports_support import flood

pytestmark = pytest.mark.django_db


def _age(name: str, hours: float) -> None:
    path = Path(default_storage.path(name))
    past = (timezone.now() - dt.timedelta(hours=hours)).timestamp()
    os.utime(path, (past, past))


def test_a_rolled_back_upload_leaves_a_file_that_the_sweep_deletes_once_old(
    reports_ready: None, settings: Settings
) -> None:
    report = flood(now=None).report
    kept = ReportPhoto(report=report, width=1, height=1)
    kept.put(b"kept", content_type="image/jpeg", extension="jpg")
    kept.save()

    lost = ReportPhoto(report=report, width=1, height=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        lost.put(b"rolled back", content_type="image/jpeg", extension="jpg")
        lost.save()
        raise RuntimeError("the request failed after the upload")
    orphan = lost.file.name or ""
    assert default_storage.exists(orphan)
    assert not ReportPhoto.objects.filter(file=orphan).exists()

    # Young, it may belong to a transaction still running: left alone.
    assert sweep_orphans(100, force=True).deleted == 0
    _age(orphan, 2)
    _age(kept.file.name or "", 2)
    swept = sweep_orphans(100, force=True)
    assert (swept.checked, swept.deleted) == (2, 1)
    assert not default_storage.exists(orphan)
    assert default_storage.exists(kept.file.name or "")


def test_the_sweep_runs_once_per_interval_across_workers(reports_ready: None) -> None:
    cache.delete("core:file_orphans:ran")  # another test's worker round may have run it
    report = flood(now=None).report
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = ReportPhoto(report=report, width=1, height=1)
        lost.put(b"rolled back", content_type="image/jpeg", extension="jpg")
        raise RuntimeError
    _age(lost.file.name or "", 2)
    assert sweep_orphans(100).deleted == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        again = ReportPhoto(report=report, width=1, height=1)
        again.put(b"rolled back too", content_type="image/jpeg", extension="jpg")
        raise RuntimeError
    _age(again.file.name or "", 2)
    # Another worker within the hour: the shared cache says it ran.
    assert sweep_orphans(100).deleted == 0
