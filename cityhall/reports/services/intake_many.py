"""Receiving many reports at once: each as `submit_report` would, each table written once.

The queued Open311 intake files its backlog through `submit_reports`: one transaction per
batch, one statement per table (reports, contacts, workflow steps, audit entries, notices)
and one for all the report codes, instead of some fifteen statements per report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from cityhall.accounts.models import User
from cityhall.core.audit import Actor
from cityhall.core.models import AuditEntry
from cityhall.notifications import services as notices
from cityhall.reports import policy
from cityhall.reports.errors import ReportError
from cityhall.reports.models import Category, Report, ReportContact
from cityhall.reports.services.intake import (
    Checked,
    Contact,
    Submission,
    allocate_codes,
    category_of,
    check_submission,
    idempotency_scope,
    new_report,
    private_token_of,
    refusal_entry,
    submit_entry,
    unit_notice,
)
from cityhall.workflow import engine
from cityhall.workflow.models import WorkflowCase


@dataclass(frozen=True)
class NewReport:
    """One submission for `submit_reports`: the arguments of `submit_report`, without photos."""

    actor: Actor
    category: Category | str
    description: str
    channel: str
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    contact: Contact | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    media_urls: Sequence[str] = ()
    anonymous: bool = False
    on_behalf_of: User | None = None
    idempotency_key: str = ""


#: The outcome of one submission: its filing (new, or the earlier one its key names), or
#: why it was refused.
Outcome = Submission | ReportError


def submit_reports(items: Sequence[NewReport], *, now: dt.datetime | None = None,
                   codes_apart: bool = False) -> list[Outcome]:
    """File many submissions in one transaction; their outcomes, in the order given.

    Each is checked, routed and started as `submit_report` does it (the same rules, the
    same rows), at the moment `now`. A refused submission gets its `ReportError` in the
    answer and its `reports.submit_refused` audit entry, and the others are filed. A
    repeated idempotency key (from earlier or within the batch) answers with the first
    report, `created=False`. No duplicate suggestions, no photos. A database error (two
    filings racing for one idempotency key) undoes the whole batch: file those one by one.
    `codes_apart` takes the report codes in a transaction of their own
    (`allocate_codes(apart=True)`): for workers filing batches side by side.
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    outcomes: list[Outcome | None] = [None] * len(items)
    refusals: list[AuditEntry] = []

    def refuse(i: int, exc: ReportError) -> None:
        outcomes[i] = exc
        refusals.append(refusal_entry(items[i].actor, exc, items[i].category, items[i].channel))

    # 1. The category and the idempotency scope, which the replay needs.
    scoped: dict[int, tuple[Category, str, str]] = {}
    for i, item in enumerate(items):
        try:
            category = category_of(item.category)
        except ReportError as exc:
            refuse(i, exc)
            continue
        scope = idempotency_scope(item.actor, category, item.description or "")
        scoped[i] = (category, scope, (item.idempotency_key or "").strip()[:100])
    # 2. Earlier reports with the same keys, in one query; a key repeated in the batch
    # answers with the batch's first report of that key.
    keys = {(scope, key) for _, scope, key in scoped.values() if key}
    earlier = _earlier(keys)
    first_of: dict[tuple[str, str], int] = {}
    repeats: dict[int, int] = {}
    checked: dict[int, Checked] = {}
    for i, (category, scope, key) in scoped.items():
        if key and (scope, key) in earlier:
            found = earlier[scope, key]
            outcomes[i] = Submission(report=found, private_token=private_token_of(found),
                                     created=False)
            continue
        if key and (scope, key) in first_of:
            repeats[i] = first_of[scope, key]
            continue
        item = items[i]
        # 3. Every check of `submit_report`, without a write.
        try:
            checked[i] = check_submission(
                actor=item.actor, category=category, description=item.description or "",
                channel=item.channel, latitude=item.latitude, longitude=item.longitude,
                address=item.address or "", contact=item.contact or Contact(),
                attributes=item.attributes or {}, media_urls=item.media_urls,
                anonymous=item.anonymous, on_behalf_of=item.on_behalf_of, key=key,
                scope=scope, day=day)
        except ReportError as exc:
            refuse(i, exc)
            continue
        if key:
            first_of[scope, key] = i
    with transaction.atomic():
        _write(checked, outcomes, refusals, day=day, now=now, codes_apart=codes_apart)
    for i, first in repeats.items():
        made = outcomes[first]
        # Only a first that passed its checks is repeated, and the write filed it.
        if not isinstance(made, Submission):
            raise TypeError(f"submission {first} was checked but not filed")
        outcomes[i] = Submission(report=made.report, private_token=made.private_token,
                                 created=False)
    done = [o for o in outcomes if o is not None]
    if len(done) != len(items):
        raise TypeError("a submission was left without an outcome")
    return done


def _earlier(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Report]:
    """The stored reports with these (scope, key) pairs, in one query."""
    if not keys:
        return {}
    pairs = sorted(keys)
    if connection.vendor == "postgresql":
        # Joined to the pairs, so that each is an index lookup on both columns: with
        # `scope IN (...) AND key IN (...)` the planner may look up the scope alone and
        # filter the keys, reading every report of a partner whose reports its statistics
        # do not know yet (a new partner, until the next ANALYZE).
        values = ", ".join(["(%s, %s)"] * len(pairs))
        rows: Iterable[Report] = Report.objects.raw(
            f"SELECT r.* FROM (VALUES {values}) AS v (scope, key) "  # noqa: S608 (placeholders only)
            "JOIN reports_report AS r ON r.idempotency_scope = v.scope "
            "AND r.idempotency_key = v.key WHERE NOT r.idempotency_key = ''",
            [part for pair in pairs for part in pair])
    else:
        rows = Report.objects.filter(idempotency_key__in={k for _, k in pairs},
                                     idempotency_scope__in={s for s, _ in pairs})
    return {(r.idempotency_scope, r.idempotency_key): r for r in rows
            if (r.idempotency_scope, r.idempotency_key) in keys}


def _write(checked: Mapping[int, Checked], outcomes: list[Outcome | None],
           refusals: list[AuditEntry], *, day: dt.date, now: dt.datetime,
           codes_apart: bool) -> None:
    """Write the checked submissions and the refusals' audit entries, each table once."""
    if not checked:
        AuditEntry.objects.bulk_create(refusals)
        return
    order = sorted(checked)
    made: dict[int, tuple[Report, str, ReportContact | None]] = {
        i: new_report(checked[i], "", now) for i in order}
    # Taken in the batch's transaction, the day's counter row stays locked until it
    # commits, and another batch waits for it: as late as possible, or apart.
    for i, code in zip(order, allocate_codes(day, len(order), apart=codes_apart),
                       strict=True):
        made[i][0].code = code

    def also(_: Sequence[WorkflowCase]) -> tuple[list[AuditEntry], list[notices.Notice]]:
        reports = [made[i][0] for i in order]
        staff = policy.intake_staff_by_unit(r.unit_id for r in reports)
        told = [unit_notice(r, staff.get(r.unit_id, [])) for r in reports]
        entries = [submit_entry(checked[i], made[i][0]) for i in order]
        return [*entries, *refusals], [n for n in told if n is not None]

    engine.start_many([
        engine.NewCase(made[i][0], actor=checked[i].actor, comment=checked[i].reason,
                       deadline={"working_days": checked[i].category.deadline_days})
        for i in order
    ], now=now, also=also)
    contacts = []
    for report, _token, contact_row in made.values():
        if contact_row is not None:
            contact_row.report = report  # now with its id
            contacts.append(contact_row)
    ReportContact.objects.bulk_create(contacts)
    for i, (report, token, _contact) in made.items():
        outcomes[i] = Submission(report=report, private_token=token, created=True)
