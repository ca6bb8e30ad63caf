"""Filing queued intakes in batches: each table once per batch, same rows as one at a time."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from cityhall.accounts import services as accounts
from cityhall.accounts.models import ApiKey, Role
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.notifications.models import Notification, OutboxMessage
from cityhall.open311 import intake as queued
from cityhall.open311.models import Intake
from cityhall.reports import services
from cityhall.reports.models import Report, ReportContact
from cityhall.reports.services import Contact, NewReport, ReportError, Submission
from cityhall.workflow import definitions
from cityhall.workflow.models import Transition
from tests.factories import THUDUC, make_staff, make_user, unit_named
from tests.reports_support import MON, categories, thu_duc_point

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings: Settings) -> None:
    settings.CITYHALL_OPEN311_ASYNC_INTAKE = True
    categories()
    # Someone to tell in the ward (the unit's notice) and in the department (xe-buyt).
    make_staff("leader.thuduc", unit_named(THUDUC), role=Role.LEADER)
    make_staff("clerk.thuduc", unit_named(THUDUC), role=Role.CLERK)


@pytest.fixture
def api_key() -> ApiKey:
    made, _raw = accounts.create_api_key(actor=SYSTEM, name="Batch", scopes=["open311:write"])
    return made


def _payload(n: int, **extra: Any) -> dict[str, Any]:
    lat, lon = thu_duc_point()
    fields: dict[str, Any] = {
        "category": "ngap-ha-tang", "description": f"Ngập số {n}", "latitude": lat,
        "longitude": lon, "address": "",
        # Addresses of their own: no message held over a cap (whose audit is one more INSERT).
        "contact": Contact(name="Nguyễn Văn An", phone=f"090{n:07d}", email=f"an{n}@example.vn"),
        "attributes": {"kind": "flooding"}, "media_urls": []}
    fields.update(extra)
    return queued.payload_of(**fields)


def _queue(api_key: ApiKey, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        queued.accept(actor=api_key, payload=_payload(n))


def _inserts(captured: list[dict[str, Any]]) -> Counter[str]:
    """INSERT statements per table."""
    found: Counter[str] = Counter()
    for query in captured:
        match = re.match(r'\s*INSERT INTO "?(\w+)"?', query["sql"], re.IGNORECASE)
        if match:
            found[match.group(1)] += 1
    return found


def test_a_batch_writes_each_table_once_whatever_its_size(api_key: ApiKey) -> None:
    definitions.load_all()  # as a release does (`cityhall load_workflows`), not on first use
    _queue(api_key, 2)
    assert queued.file_batch(limit=2).filed == 2  # warms the per-process caches
    counts = {}
    statements = {}
    for size in (3, 12):
        _queue(api_key, size, start=100 * size)
        with CaptureQueriesContext(connection) as ctx:
            done = queued.file_batch(limit=size)
        assert done.filed == size
        counts[size] = _inserts(ctx.captured_queries)
        statements[size] = len(ctx.captured_queries)
    expected = {"reports_report", "workflow_transition", "core_auditentry",
                "reports_reportcontact", "notifications_notification",
                "notifications_outboxmessage"}
    assert set(counts[3]) >= expected
    # On PostgreSQL the codes are taken on a connection of their own (not captured here),
    # so that the day's counter is not held until the batch commits.
    assert counts[3]["reports_codecounter"] == (0 if connection.vendor == "postgresql" else 1)
    assert all(n == 1 for n in counts[3].values()), counts[3]
    assert counts[3] == counts[12]
    # Nothing else grows with the batch either.
    assert statements[3] == statements[12]
    assert statements[12] <= 25


def test_a_batch_is_filed_in_the_order_claimed_with_consecutive_codes(api_key: ApiKey) -> None:
    _queue(api_key, 5)
    assert queued.file_pending(batch=5).filed == 5
    codes = [i.report.code for i in Intake.objects.select_related("report").order_by("pk")
             if i.report is not None]
    numbers = [int(code.rsplit("-", 1)[1]) for code in codes]
    assert numbers == list(range(numbers[0], numbers[0] + 5))
    assert len(set(codes)) == 5


def test_a_refused_intake_does_not_sink_the_batch(api_key: ApiKey) -> None:
    _queue(api_key, 2)
    # Only the worker reads an address: one that names no unit is refused there.
    queued.accept(actor=api_key, payload=_payload(7, latitude=None, longitude=None,
                                                  address="Số 1, Sao Hỏa"))
    queued.accept(actor=api_key, payload=_payload(8, category="no-such-category"))
    _queue(api_key, 1, start=9)
    done = queued.file_pending(batch=10)
    assert (done.filed, done.refused, done.retried, done.failed) == (3, 2, 0, 0)
    assert sorted(Report.objects.values_list("description", flat=True)) == [
        "Ngập số 0", "Ngập số 1", "Ngập số 9"]
    refused = Intake.objects.filter(status=Intake.Status.REFUSED).order_by("pk")
    # An address that names no unit is bad input; an unknown service code, not found.
    assert [i.error_status for i in refused] == [400, 404]
    assert all(i.errors and i.payload == {} and i.attempts == 1 and i.report_id is None
               for i in refused)
    assert AuditEntry.objects.filter(action="reports.submit_refused").count() == 2
    assert not Intake.objects.filter(status=Intake.Status.PENDING).exists()


def test_a_worker_killed_mid_batch_leaves_all_waiting_and_each_is_filed_once(
    api_key: ApiKey, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _queue(api_key, 6)
    real = queued.submit_reports

    def killed(items: Any, **kwargs: Any) -> Any:
        real(items, **kwargs)  # the reports, their workflow starts, notices: written...
        raise SystemExit("worker killed")  # ...and the process dies before the commit

    monkeypatch.setattr(queued, "submit_reports", killed)
    with pytest.raises(SystemExit):
        queued.file_pending(batch=4)
    assert not Report.objects.exists() and not Transition.objects.exists()
    assert not Notification.objects.exists() and not OutboxMessage.objects.exists()
    assert list(Intake.objects.values_list("status", "attempts").distinct()) == [
        (Intake.Status.PENDING, 0)]
    monkeypatch.setattr(queued, "submit_reports", real)
    assert queued.file_pending(batch=4).filed == 6
    assert queued.file_pending(batch=4).total == 0
    assert Report.objects.count() == 6
    assert len(set(Intake.objects.values_list("report_id", flat=True))) == 6
    assert Transition.objects.filter(action="start").count() == 6


def test_a_batch_replays_an_intake_already_filed_by_its_key(api_key: ApiKey) -> None:
    """A report already filed under the intake's key is answered, not filed twice."""
    _queue(api_key, 2)
    first = Intake.objects.order_by("pk").first()
    assert first is not None
    data = first.payload
    earlier = services.submit_report(
        actor=api_key, category=data["category"], description=data["description"],
        channel="open311", latitude=data["latitude"], longitude=data["longitude"],
        contact=Contact(**data["contact"]), attributes=data["attributes"],
        idempotency_key=f"open311-intake:{first.pk}")
    assert queued.file_pending().filed == 2
    assert Report.objects.count() == 2
    first.refresh_from_db()
    assert first.report_id == earlier.report.pk


# -- the same rows either way -----------------------------------------------------------

def _inputs(api_key: ApiKey) -> list[NewReport]:
    lat, lon = thu_duc_point()
    resident = make_user("cu.dan", full_name="Trần Thị Bình", email="binh@example.vn")
    flood: dict[str, Any] = {"category": "ngap-ha-tang", "latitude": lat, "longitude": lon,
                             "attributes": {"kind": "flooding", "water_depth_cm": "40"}}
    return [
        NewReport(actor=api_key, channel="open311", description="Ngập trước số 12",
                  contact=Contact(name="Nguyễn Văn An", phone="0901234567",
                                  email="an@example.vn"), **flood),
        NewReport(actor=api_key, channel="open311", description="Ngập, không tên", **flood),
        NewReport(actor=api_key, channel="open311", description="Xe buýt 19 không dừng",
                  category="xe-buyt", attributes={"route": "19"},
                  contact=Contact(phone="0907654321")),
        NewReport(actor=resident, channel="web", description="Ngập hẻm 5", **flood),
        NewReport(actor=services.ANONYMOUS, channel="web", description="Ngập, ẩn danh",
                  anonymous=True, **flood),
        NewReport(actor=api_key, channel="open311", description="", **flood),  # refused
        NewReport(actor=api_key, channel="open311", description="Ngập tại địa chỉ",
                  category="ngap-ha-tang", address="Phường Thủ Đức, Thành phố Hồ Chí Minh",
                  attributes={"kind": "flooding"}),
    ]


_SKIP = {"id", "code", "token_salt", "private_token_hash", "created_at", "at", "case_id",
         "report", "object_id", "object_repr", "next_attempt_at"}


def _row(obj: Model, code: str, pk: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in _SKIP:
            continue
        value = getattr(obj, f.attname)
        if isinstance(value, str):
            value = value.replace(code, "<code>").replace(f"report:{pk}", "report:<pk>")
        values[f.name] = value
    return values


def _rows_of(report: Report) -> dict[str, Any]:
    """Everything filing wrote about `report`, without ids, codes and clock readings."""
    code, pk = report.code, report.pk
    ref = f"reports.report:{pk}"

    def rows(objects: Any) -> list[dict[str, Any]]:
        return sorted((_row(o, code, pk) for o in objects), key=repr)

    return {
        "report": _row(report, code, pk),
        "steps": rows(Transition.objects.filter(case_type="reports.report", case_id=pk)),
        "audit": rows(AuditEntry.objects.filter(object_type="reports.report",
                                                object_id=str(pk))),
        "contact": rows(ReportContact.objects.filter(report_id=pk)),
        "notices": rows(Notification.objects.filter(subject_ref=ref)),
        "outbox": rows(OutboxMessage.objects.filter(subject_ref=ref)),
    }


def test_a_batch_writes_the_same_rows_as_filing_one_at_a_time(api_key: ApiKey) -> None:
    items = _inputs(api_key)
    one_by_one: list[Any] = []
    for item in items:
        try:
            one_by_one.append(services.submit_report(
                actor=item.actor, category=item.category, description=item.description,
                channel=item.channel, latitude=item.latitude, longitude=item.longitude,
                address=item.address, contact=item.contact, attributes=item.attributes,
                anonymous=item.anonymous, now=MON, suggest=False))
        except ReportError as exc:
            one_by_one.append(exc)
    refusals_before = list(AuditEntry.objects.filter(action="reports.submit_refused")
                           .values_list("actor_label", "changes"))
    batch = services.submit_reports(items, now=MON)
    assert len(batch) == len(one_by_one) == len(items)
    for single, batched in zip(one_by_one, batch, strict=True):
        if isinstance(single, ReportError):
            assert isinstance(batched, ReportError)
            assert (batched.code, batched.detail) == (single.code, single.detail)
            continue
        assert isinstance(single, Submission) and isinstance(batched, Submission)
        assert batched.created and batched.report.pk != single.report.pk
        rows_batched, rows_single = _rows_of(batched.report), _rows_of(single.report)
        for table, rows in rows_single.items():
            assert rows_batched[table] == rows, table
        # The private token is the report's own and opens it.
        assert Report.hash_token(batched.private_token) == Report.objects.get(
            pk=batched.report.pk).private_token_hash
    refusals = list(AuditEntry.objects.filter(action="reports.submit_refused")
                    .values_list("actor_label", "changes"))
    assert refusals == refusals_before * 2
    # The checks made notices and outbox rows for someone: the comparison compared something.
    assert Notification.objects.count() >= 2 and OutboxMessage.objects.count() >= 2


def test_a_key_repeated_in_a_batch_files_once(api_key: ApiKey) -> None:
    lat, lon = thu_duc_point()
    item = NewReport(actor=api_key, channel="open311", description="Ngập", category="ngap-ha-tang",
                     latitude=lat, longitude=lon, attributes={"kind": "flooding"},
                     idempotency_key="k-1")
    first, again = services.submit_reports([item, item], now=MON)
    assert isinstance(first, Submission) and isinstance(again, Submission)
    assert first.created and not again.created and again.report.pk == first.report.pk
    assert Report.objects.count() == 1
    [later] = services.submit_reports([item], now=MON)
    assert isinstance(later, Submission) and not later.created
    assert later.report.pk == first.report.pk


def test_a_batch_keeps_the_working_day_deadlines(api_key: ApiKey) -> None:
    """Filed on the Friday before Tết, the deadline counts working days past the holiday."""
    from tests.reports_support import FRI

    lat, lon = thu_duc_point()
    item = NewReport(actor=api_key, channel="open311", description="Ngập", category="ngap-ha-tang",
                     latitude=lat, longitude=lon, attributes={"kind": "flooding"})
    [batched] = services.submit_reports([item], now=FRI)
    single = services.submit_report(actor=api_key, category="ngap-ha-tang", description="Ngập",
                                    channel="open311", latitude=lat, longitude=lon,
                                    attributes={"kind": "flooding"}, now=FRI)
    assert isinstance(batched, Submission)
    assert batched.report.due_at == single.report.due_at
    assert batched.report.due_at is not None
    assert batched.report.due_at - FRI > dt.timedelta(days=7)  # Tết lies in between


# -- one filing at a time ---------------------------------------------------------------

def test_a_synchronous_post_costs_at_most_nineteen_statements(settings: Settings) -> None:
    """Was 24 before: the savepoints of the code counter and of the workflow start, the
    counter read back, a second audit INSERT, a lock, insert and count per address. 18 until
    the indicators' daily roll-up joined the transaction (one INSERT ... ON CONFLICT)."""
    from django.test import Client

    from tests.test_open311 import flood_form, post

    settings.CITYHALL_OPEN311_ASYNC_INTAKE = False
    _made, raw = accounts.create_api_key(actor=SYSTEM, name="Sync", scopes=["open311:write"])
    client = Client()
    # As the bench posts: a name and a phone number, already known from an earlier report.
    form = flood_form(first_name="Văn An", last_name="Nguyễn", phone="0901234567")
    assert post(client, raw, "json", **form).status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        assert post(client, raw, "json", **{**form, "description": "Lần hai"}).status_code == 201
    statements = [q["sql"] for q in ctx.captured_queries]
    # In a test every cache is bypassed (the test's transaction): the key is read twice,
    # the category and the ward registry once; a server with warm caches skips those four.
    assert len(statements) <= 19, "\n".join(statements)
    assert sum(s.lstrip().upper().startswith("SAVEPOINT") for s in statements) <= 1
    assert sum(s.lstrip().upper().startswith("INSERT") for s in statements) == 8
    assert sum("indicators_dailytally" in s for s in statements) == 1


def test_the_batch_path_is_used_by_the_worker(api_key: ApiKey, settings: Settings) -> None:
    settings.CITYHALL_INTAKE_BATCH = 3
    _queue(api_key, 7)
    calls: list[int] = []
    real = queued.submit_reports

    def counted(items: Any, **kwargs: Any) -> Any:
        calls.append(len(items))
        return real(items, **kwargs)

    import pytest as _pytest

    with _pytest.MonkeyPatch.context() as patch:
        patch.setattr(queued, "submit_reports", counted)
        assert queued.file_pending().filed == 7
    assert calls == [3, 3, 1]
    assert Intake.objects.filter(processed_at__lte=timezone.now()).count() == 7
