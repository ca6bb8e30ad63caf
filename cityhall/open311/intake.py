"""Queued Open311 intake: accept a checked POST with one INSERT, file it in the worker.

GeoReport v2 lets a server answer a POST with a `token` instead of a
`service_request_id` when the request is accepted for later processing; `tokens/{token}`
gives the id once it exists. The POST checks everything it can without writing
(`reports.services.intake.check_partner_report`) and stores the submission as a pending
`Intake` row, which is the queue itself: workers claim due rows directly (`FOR UPDATE
SKIP LOCKED` on PostgreSQL), a batch at a time (`CITYHALL_INTAKE_BATCH`), and file the
batch with `submit_reports` in one transaction, together with the intakes' new status: so
nothing accepted is lost, a crash leaves the rows pending, and no row is filed twice. A
refusal is kept and shown by the token; it does not hold up the rest of the batch. A
batch that fails otherwise (a database error, a bug) is filed again one intake at a time
(`submit_report`, each in a savepoint), so that only the intake at fault is retried, with
a growing delay.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.accounts.models import ApiKey
from cityhall.core import audit, localcache
from cityhall.core.bulk import bulk_set
from cityhall.core.fields import concrete_field
from cityhall.core.queue import Retry, WorkQueue
from cityhall.open311.audit_actions import Open311Audit
from cityhall.open311.models import Intake
from cityhall.reports.services import (
    Contact,
    NewReport,
    ReportError,
    Submission,
    submit_report,
    submit_reports,
)

logger = logging.getLogger(__name__)

#: Attempts before an intake that keeps failing (not refused) is given up and shown as failed.
MAX_ATTEMPTS = 5
#: Delay before the first retry; doubled for each further one (30 s, 1, 2, 4 min, each
#: lengthened by up to 10 % so that intakes that failed together spread out).
RETRY_DELAY = dt.timedelta(seconds=30)

#: The pending intakes are the queue; filing claims a batch of them per transaction.
INTAKES = WorkQueue(Intake, pending=Q(status=Intake.Status.PENDING),
                    retry=Retry(first=RETRY_DELAY, max_attempts=MAX_ATTEMPTS),
                    given_up={"status": Intake.Status.FAILED})


# Raw SQL because the ORM cannot name a partial unique index as the conflict target
# (open311_intake_idempotency): a submission without a key never conflicts, one with a key
# is stored once, and the answer needs the new id (RETURNING), all in one statement.
_INSERT = (
    "INSERT INTO open311_intake (api_key_id, idempotency_key, payload, status, errors, "
    "attempts, created_at, next_attempt_at) VALUES (%s, %s, %s, %s, %s, 0, %s, %s) "
    "ON CONFLICT (api_key_id, idempotency_key) WHERE NOT (idempotency_key = '') "
    "DO NOTHING RETURNING id"
)


def accept(*, actor: ApiKey, payload: dict[str, Any], idempotency_key: str = ""
           ) -> tuple[int, bool]:
    """Store a checked submission as a pending intake; (its id, whether it is new).

    One statement in autocommit. The same `idempotency_key` from the same partner key
    gives back the first intake's id.
    """
    key = (idempotency_key or "").strip()[:100]
    # Adapted by the fields, as the ORM would (JSON; UTC date-times on SQLite).
    json_field, time_field = (concrete_field(Intake, name) for name in ("payload", "created_at"))
    now = time_field.get_db_prep_save(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [
            actor.pk, key, json_field.get_db_prep_save(payload, connection),
            Intake.Status.PENDING, json_field.get_db_prep_save([], connection), now, now,
        ])
        row = cursor.fetchone()
    if row is not None:
        return int(row[0]), True
    # Only a repeated idempotency key conflicts: answer with the first intake.
    first = (Intake.objects.filter(api_key=actor, idempotency_key=key)
             .values_list("pk", flat=True).get())
    return first, False


def payload_of(*, category: str, description: str, latitude: float | None,
               longitude: float | None, address: str, contact: Contact,
               attributes: dict[str, Any], media_urls: list[str]) -> dict[str, Any]:
    """The stored form of a submission (JSON)."""
    return {"category": category, "description": description, "latitude": latitude,
            "longitude": longitude, "address": address, "contact": asdict(contact),
            "attributes": attributes, "media_urls": media_urls}


@dataclass
class FilingResult:
    """What one `file_pending` call did."""

    filed: int = 0
    refused: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.filed + self.refused + self.retried + self.failed

    def count(self, status: str) -> None:
        """Count one intake that ended the attempt with `status`."""
        if status == Intake.Status.DONE:
            self.filed += 1
        elif status == Intake.Status.REFUSED:
            self.refused += 1
        elif status == Intake.Status.FAILED:
            self.failed += 1
        else:
            self.retried += 1

    def add(self, other: FilingResult) -> None:
        """Add the counts of `other`."""
        self.filed += other.filed
        self.refused += other.refused
        self.retried += other.retried
        self.failed += other.failed


def _refusal(exc: ReportError) -> tuple[int, list[str]]:
    from cityhall.open311.views import report_error

    mapped = report_error(exc)
    return mapped.status, mapped.descriptions


def _claim_next(now: dt.datetime, pk: int | None = None) -> Intake | None:
    """Lock the oldest due pending intake (or intake `pk`), skipping those others hold.

    Runs inside the filing transaction (`core.queue.WorkQueue.lock`): on PostgreSQL the row
    lock, taken with SKIP LOCKED, keeps it from every other worker until the commit; on
    SQLite the transaction is IMMEDIATE (settings), so it already holds the database's
    write lock from BEGIN.
    """
    among = Intake.objects.select_related("api_key")
    if pk is not None:
        among = among.filter(pk=pk)
    claimed = INTAKES.lock(now=now, limit=1, among=among)
    return claimed[0] if claimed else None


class IntakeTakenTwice(RuntimeError):
    """Another worker changed a claimed intake: cannot happen while the claim's lock holds."""


def _file(intake: Intake, now: dt.datetime | None) -> str:
    """File a claimed intake (inside its transaction); returns its new status."""
    data = intake.payload
    refusal: ReportError | None = None
    attempts = intake.attempts + 1
    changes: dict[str, Any]
    try:
        # A savepoint: a failure undoes this filing only, and the failed attempt is
        # counted in the same transaction.
        with transaction.atomic():
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
                # Caught inside the savepoint: its `reports.submit_refused` entry is kept.
                refusal = exc
    except Exception:
        logger.exception("Open311 intake %s could not be filed", intake.pk)
        changes = _after_failure(intake)
    else:
        # The contact leaves the queue once the outcome is known.
        changes = {"attempts": attempts, "payload": {}, "processed_at": timezone.now()}
        if refusal is not None:
            status, errors = _refusal(refusal)
            changes.update(status=Intake.Status.REFUSED, error_status=status, errors=errors)
        else:
            changes.update(status=Intake.Status.DONE, report=made.report)
    # Conditional on the row still pending: were it filed meanwhile (it cannot be while the
    # claim's lock holds), the whole filing is rolled back rather than kept twice.
    if not Intake.objects.filter(pk=intake.pk, status=Intake.Status.PENDING).update(**changes):
        raise IntakeTakenTwice(f"Open311 intake {intake.pk} changed under its claim")
    for name, value in changes.items():
        setattr(intake, name, value)
    return intake.status


def _after_failure(intake: Intake) -> dict[str, Any]:
    """The intake's changes after a failed attempt: a later retry, or given up."""
    failure = INTAKES.failure(intake, now=timezone.now())
    if not failure.gave_up:
        return failure.changes
    audit.record(actor=audit.SYSTEM, action=Open311Audit.INTAKE_FAILED, obj=intake,
                 changes={"attempts": [None, failure.attempts]})
    return {**failure.changes, "error_status": 500,
            "errors": [_("The request could not be filed; please send it again.")],
            "payload": {}, "processed_at": timezone.now()}


def file_next(*, now: dt.datetime | None = None, pk: int | None = None) -> str | None:
    """Claim and file the oldest due intake (or intake `pk` if due); its status, None if none.

    The claim, the report, its workflow start and the intake's new status commit
    together: a worker killed mid-way leaves the intake pending for the next one.
    """
    # Filing changes no category or unit: the per-process caches may serve it.
    with localcache.caching_in_transaction(), transaction.atomic():
        intake = _claim_next(timezone.now(), pk)
        if intake is None:
            return None
        return _file(intake, now)


def _submission(intake: Intake) -> NewReport:
    """The stored submission of a claimed intake, for `submit_reports`."""
    data = intake.payload
    return NewReport(
        actor=intake.api_key, category=data["category"], description=data["description"],
        channel="open311", latitude=data["latitude"], longitude=data["longitude"],
        address=data["address"], contact=Contact(**data["contact"]),
        attributes=data["attributes"], media_urls=data["media_urls"],
        # The partner's key, or one of our own: a retry never files twice.
        idempotency_key=intake.idempotency_key or f"open311-intake:{intake.pk}",
    )


# What filing writes on an intake, whatever its outcome.
_OUTCOME_FIELDS = ("attempts", "payload", "processed_at", "status", "report", "error_status",
                   "errors")


def _record(claimed: list[Intake], outcomes: list[Submission | ReportError]) -> None:
    """Give each filed or refused intake its outcome, in one statement."""
    processed = timezone.now()
    for intake, outcome in zip(claimed, outcomes, strict=True):
        # The contact leaves the queue once the outcome is known.
        intake.attempts += 1
        intake.payload = {}
        intake.processed_at = processed
        if isinstance(outcome, ReportError):
            intake.status = Intake.Status.REFUSED
            intake.error_status, intake.errors = _refusal(outcome)
        else:
            intake.status = Intake.Status.DONE
            intake.report = outcome.report
    # Conditional on the rows still pending, as in `_file`.
    updated = bulk_set(Intake, claimed, _OUTCOME_FIELDS, where={"status": Intake.Status.PENDING})
    if updated != len(claimed):
        raise IntakeTakenTwice(
            f"{len(claimed) - updated} Open311 intakes changed under their claim")


def file_batch(*, limit: int | None = None, now: dt.datetime | None = None) -> FilingResult:
    """Claim up to `limit` due intakes (`CITYHALL_INTAKE_BATCH`) and file them in one transaction.

    The claim, the reports with their workflow starts and the intakes' new status commit
    together: a worker killed mid-way leaves every intake of the batch pending. A refused
    intake is marked refused and the others are filed. Should the batch fail otherwise,
    it is undone and its intakes are filed one at a time (`file_next`'s way), so that a
    bad one is retried alone.
    """
    size = settings.CITYHALL_INTAKE_BATCH if limit is None else limit
    result = FilingResult()
    with localcache.caching_in_transaction(), transaction.atomic():
        claimed = INTAKES.lock(now=timezone.now(), limit=size,
                               among=Intake.objects.select_related("api_key"))
        if not claimed:
            return result
        # Kept to file them one by one, should the batch fail.
        before = [copy.copy(intake) for intake in claimed]
        try:
            with transaction.atomic():
                # The codes apart: workers filing side by side never wait for each other.
                outcomes = submit_reports([_submission(i) for i in claimed], now=now,
                                          codes_apart=True)
                _record(claimed, outcomes)
        except IntakeTakenTwice:
            raise
        except Exception:
            logger.exception("A batch of %s Open311 intakes could not be filed; filing them "
                             "one at a time", len(claimed))
            for intake in before:
                result.count(_file(intake, now))
        else:
            for intake in claimed:
                result.count(intake.status)
    return result


def file_pending(*, limit: int = 500, batch: int | None = None) -> FilingResult:
    """File due intakes, a batch per transaction, until none is left or `limit` were tried.

    Safe in several workers. `batch` is the most intakes per transaction
    (`CITYHALL_INTAKE_BATCH` by default).
    """
    size = batch or settings.CITYHALL_INTAKE_BATCH
    result = FilingResult()
    while result.total < limit:
        done = file_batch(limit=min(size, limit - result.total))
        if done.total == 0:
            break
        result.add(done)
    return result


def process(intake_id: int, *, now: dt.datetime | None = None) -> str:
    """File intake `intake_id` now if it is pending and due; its status afterwards."""
    status = file_next(now=now, pk=intake_id)
    if status is not None:
        return status
    found = Intake.objects.filter(pk=intake_id).values_list("status", flat=True).first()
    return found or "missing"


def requeue_waiting(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Make the intakes still waiting after `older_than` due now (skip their retry delay)."""
    return (Intake.objects.filter(status=Intake.Status.PENDING,
                                  created_at__lt=timezone.now() - older_than,
                                  next_attempt_at__gt=timezone.now())
            .update(next_attempt_at=timezone.now()))
