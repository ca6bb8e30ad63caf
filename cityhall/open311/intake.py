"""Queued Open311 intake: accept a checked POST in one short transaction, file it in the worker.

GeoReport v2 lets a server answer a POST with a `token` instead of a
`service_request_id` when the request is accepted for later processing; `tokens/{token}`
gives the id once it exists. The POST checks everything it can without writing
(`reports.services.intake.check_partner_report`), then stores the request and its task
together, so nothing accepted is lost: the worker files it with `submit_report`; a crash
or a database error is retried with a growing delay; a refusal is kept and shown by the
token.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from cityhall.accounts.models import ApiKey
from cityhall.core import audit
from cityhall.open311.models import Intake
from cityhall.reports.services import Contact, ReportError, submit_report

logger = logging.getLogger(__name__)

#: Attempts before an intake that keeps failing (not refused) is given up and shown as failed.
MAX_ATTEMPTS = 5
#: Delay before the first retry; doubled for each further one (30 s, 1, 2, 4 min).
RETRY_DELAY = dt.timedelta(seconds=30)


def accept(*, actor: ApiKey, payload: dict[str, Any], idempotency_key: str = ""
           ) -> tuple[Intake, bool]:
    """Store a checked submission and queue its filing; (intake, created).

    The same `idempotency_key` from the same partner key gives back the first intake.
    """
    key = (idempotency_key or "").strip()[:100]
    if key:
        found = Intake.objects.filter(api_key=actor, idempotency_key=key).first()
        if found is not None:
            return found, False
    try:
        with transaction.atomic():
            intake = Intake.objects.create(api_key=actor, idempotency_key=key, payload=payload)
            # The task row is written in the same transaction: both or neither.
            file_intake.enqueue(intake.pk)
    except IntegrityError:
        # A concurrent retry with the same key won the race.
        found = Intake.objects.filter(api_key=actor, idempotency_key=key).first()
        if found is None:
            raise
        return found, False
    return intake, True


def payload_of(*, category: str, description: str, latitude: float | None,
               longitude: float | None, address: str, contact: Contact,
               attributes: dict[str, Any], media_urls: list[str]) -> dict[str, Any]:
    """The stored form of a submission (JSON)."""
    return {"category": category, "description": description, "latitude": latitude,
            "longitude": longitude, "address": address, "contact": asdict(contact),
            "attributes": attributes, "media_urls": media_urls}


def _refusal(exc: ReportError) -> tuple[int, list[str]]:
    from cityhall.open311.views import report_error

    mapped = report_error(exc)
    return mapped.status, mapped.descriptions


def process(intake_id: int, *, now: dt.datetime | None = None) -> str:
    """File one queued submission as a report; returns the intake's status afterwards.

    The report, its workflow start and the intake's new status commit together, so a
    crash leaves the intake waiting and a retry files it once.
    """
    try:
        with transaction.atomic():
            intake = (Intake.objects.select_for_update().select_related("api_key")
                      .filter(pk=intake_id).first())
            if intake is None or intake.status != Intake.Status.PENDING:
                return intake.status if intake is not None else "missing"
            data = intake.payload
            try:
                made = submit_report(
                    actor=intake.api_key, category=data["category"],
                    description=data["description"], channel="open311",
                    latitude=data["latitude"], longitude=data["longitude"],
                    address=data["address"], contact=Contact(**data["contact"]),
                    attributes=data["attributes"], media_urls=data["media_urls"],
                    # The partner's key, or one of our own: a retry never files twice.
                    idempotency_key=intake.idempotency_key or f"open311-intake:{intake.pk}",
                    now=now, suggest=False,
                )
            except ReportError as exc:
                intake.status = Intake.Status.REFUSED
                intake.error_status, intake.errors = _refusal(exc)
            else:
                intake.status, intake.report = Intake.Status.DONE, made.report
            intake.payload = {}
            intake.attempts += 1
            intake.processed_at = timezone.now()
            intake.save()
            return intake.status
    except Exception:
        logger.exception("Open311 intake %s could not be filed", intake_id)
        return _retry_later(intake_id)


def _retry_later(intake_id: int) -> str:
    """Count a failed attempt; queue another, or give up after `MAX_ATTEMPTS`."""
    with transaction.atomic():
        intake = Intake.objects.select_for_update().filter(pk=intake_id).first()
        if intake is None or intake.status != Intake.Status.PENDING:
            return intake.status if intake is not None else "missing"
        intake.attempts += 1
        if intake.attempts >= MAX_ATTEMPTS:
            intake.status = Intake.Status.FAILED
            intake.error_status = 500
            intake.errors = [_("The request could not be filed; please send it again.")]
            intake.payload = {}
            intake.processed_at = timezone.now()
            audit.record(actor=audit.SYSTEM, action="open311.intake_failed", obj=intake,
                         changes={"attempts": [None, intake.attempts]})
        else:
            delay = RETRY_DELAY * 2 ** (intake.attempts - 1)
            file_intake.using(run_after=timezone.now() + delay).enqueue(intake.pk)
        intake.save()
        return intake.status


def requeue_waiting(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Queue again the intakes still waiting after `older_than` (a worker died mid-task)."""
    waiting = list(Intake.objects.filter(status=Intake.Status.PENDING,
                                         created_at__lt=timezone.now() - older_than)
                   .values_list("pk", flat=True))
    for pk in waiting:
        file_intake.enqueue(pk)
    return len(waiting)


@task()
def file_intake(intake_id: int) -> str:
    """Worker task: file a queued Open311 submission (see `process`)."""
    return process(intake_id)
