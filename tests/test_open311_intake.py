"""Open311 queued intake: a token at once, the worker files it, the token tells the outcome."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoAssertNumQueries, Settings

from cityhall.accounts import services as accounts
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.open311 import intake as queued
from cityhall.open311.models import Intake
from cityhall.open311.tokens import intake_token_for
from cityhall.reports.models import Category, Report, ReportContact
from tests.factories import THUDUC, unit_named
from tests.test_open311 import (
    BASE,
    CONTACT,
    assert_error,
    body,
    flood_form,
    jpeg,
    key,  # noqa: F401 (fixture)
    post,
    xml,
)
from tests.test_open311 import _setup as _open311_setup  # noqa: F401 (autouse fixture)
from tests.workflow_support import run_together

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _queued(settings: Settings, tmp_path: Path) -> None:
    settings.CITYHALL_OPEN311_ASYNC_INTAKE = True


def _work() -> int:
    return queued.file_pending(limit=50).total


def _make_due() -> None:
    """Skip the retry delay, as if it had passed."""
    Intake.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def token_answer(client: Client, token: str, fmt: str = "json") -> Response:
    return client.get(f"{BASE}tokens/{token}.{fmt}")


def test_a_post_is_accepted_with_a_token_and_filed_by_the_worker(client: Client,
                                                                 key: str) -> None:  # noqa: F811
    response = post(client, key, "json", **flood_form(**CONTACT))
    assert response.status_code == 202
    [item] = body(response)
    assert "service_request_id" not in item
    assert item["token"].startswith("q-") and item["service_notice"]
    assert item["account_id"] == "acct-4242"
    assert not Report.objects.exists()
    # Before the worker: the token is known, the id not yet.
    [waiting] = body(token_answer(client, item["token"]))
    assert waiting == {"service_request_id": None, "token": item["token"]}

    assert _work() == 1
    report = Report.objects.get()
    assert report.channel == "open311" and report.unit == unit_named(THUDUC)
    assert ReportContact.objects.get(report=report).name == "Nguyễn Văn An"
    [found] = body(token_answer(client, item["token"]))
    assert found == {"service_request_id": report.code, "token": item["token"]}
    root = xml(token_answer(client, item["token"], "xml"))
    assert root.findtext("request/service_request_id") == report.code
    # The contact is not kept in the queue once filed.
    assert Intake.objects.get().payload == {}


def test_the_post_refuses_at_once_what_can_be_checked(client: Client, key: str) -> None:  # noqa: F811
    lines = assert_error(post(client, key, "xml", **flood_form(**{"attribute[kind]": "lava"})),
                         400, "xml")
    assert lines[0].startswith("attribute[kind]:")
    assert_error(post(client, key, "json", **flood_form(description="")), 400, "json")
    assert_error(post(client, key, "json", **flood_form(lat="21.0285", long="105.8542")),
                 400, "json")
    assert_error(post(client, key, "json", **flood_form(service_code="nope")), 404, "json")
    assert_error(post(client, "wrong", "json", **flood_form()), 403, "json")
    assert not Intake.objects.exists() and not DBTaskResult.objects.exists()
    assert AuditEntry.objects.filter(action="reports.submit_refused").count() == 4


class _Autocommit:
    """Stands for a connection outside any transaction (tests run inside one)."""

    in_atomic_block = False


@pytest.fixture
def caches_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The per-process caches at work, as in a server; emptied afterwards."""
    from cityhall.accounts import auth
    from cityhall.core import localcache
    from cityhall.orgunits import resolve
    from cityhall.reports.services import intake as reports_intake

    monkeypatch.setattr(localcache, "connection", _Autocommit())
    yield
    for cache in (auth._KEYS, resolve._POINT_UNITS, reports_intake._CATEGORIES):
        cache.clear()


def test_an_accepted_post_is_one_insert_and_no_task(
    client: Client, key: str, caches_on: None,  # noqa: F811
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    post(client, key, "json", **flood_form())  # the key and the category are looked up
    form = flood_form(**CONTACT)  # (finding the test's point reads the registry)
    with django_assert_num_queries(1) as captured:
        response = post(client, key, "json", **form)
    assert response.status_code == 202
    assert captured.captured_queries[0]["sql"].startswith("INSERT INTO")
    assert Intake.objects.count() == 2 and not DBTaskResult.objects.exists()


def test_a_revoked_key_is_refused_at_once_in_its_own_process(
    client: Client, key: str, caches_on: None,  # noqa: F811
) -> None:
    from cityhall.accounts.models import ApiKey

    assert post(client, key, "json", **flood_form()).status_code == 202
    accounts.revoke_api_key(actor=SYSTEM, key=ApiKey.objects.get(name="FixApp"))
    assert_error(post(client, key, "json", **flood_form()), 403, "json")


def test_a_key_revoked_elsewhere_works_here_until_the_cache_ttl(
    client: Client, key: str, caches_on: None, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    from cityhall.accounts import auth
    from cityhall.accounts.models import ApiKey
    from cityhall.core import localcache

    clock = [1000.0]
    monkeypatch.setattr(localcache.time, "monotonic", lambda: clock[0])
    assert post(client, key, "json", **flood_form()).status_code == 202
    # Another process revokes it: no signal reaches this one.
    ApiKey.objects.filter(name="FixApp").update(is_active=False)
    clock[0] += auth.KEY_CACHE_SECONDS - 1
    assert post(client, key, "json", **flood_form()).status_code == 202
    clock[0] += 2
    assert_error(post(client, key, "json", **flood_form()), 403, "json")


def test_an_unknown_key_is_not_kept(client: Client, caches_on: None) -> None:
    from cityhall.accounts.models import ApiKey

    raw = "chk_" + "made-in-another-process-later-000000000"
    assert_error(post(client, raw, "json", **flood_form()), 403, "json")
    # Saved without a signal, as if by another process.
    ApiKey.objects.bulk_create([ApiKey(name="Later", scopes=["open311:write"], prefix=raw[4:12],
                                       key_hash=hashlib.sha256(raw.encode()).hexdigest())])
    assert post(client, raw, "json", **flood_form()).status_code == 202


def test_an_idempotency_key_gives_one_intake_and_one_report(client: Client,
                                                            key: str) -> None:  # noqa: F811
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post(f"{BASE}requests.json", {**flood_form(), "api_key": key}, headers=headers)
    again = client.post(f"{BASE}requests.json", {**flood_form(), "api_key": key}, headers=headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert body(first)[0]["token"] == body(again)[0]["token"]
    _work()
    assert Intake.objects.count() == 1 and Report.objects.count() == 1
    assert Report.objects.get().idempotency_key == "retry-1"


def test_a_refusal_in_the_worker_is_told_by_the_token(client: Client, key: str) -> None:  # noqa: F811
    # An address is resolved by the worker, not by the POST.
    form = flood_form(address_string="Phường Không Có, Quận 99")
    form.pop("lat"), form.pop("long")
    [item] = body(post(client, key, "json", **form))
    _work()
    assert Intake.objects.get().status == Intake.Status.REFUSED
    assert not Report.objects.exists()
    assert_error(token_answer(client, item["token"]), 400, "json")
    assert_error(token_answer(client, item["token"], "xml"), 400, "xml")


def test_a_failing_worker_retries_then_files_it_once(client: Client, key: str,  # noqa: F811
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    [item] = body(post(client, key, "json", **flood_form()))
    real = queued.submit_report
    calls: list[int] = []

    def flaky(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            real(**kwargs)  # writes, then the database "fails" before the commit
            raise RuntimeError("connection lost")
        return real(**kwargs)

    monkeypatch.setattr(queued, "submit_report", flaky)
    pk = Intake.objects.get().pk
    assert queued.process(pk) == Intake.Status.PENDING
    intake = Intake.objects.get()
    assert intake.attempts == 1 and intake.payload  # kept for the retry
    assert not Report.objects.exists()  # the half-done attempt was rolled back
    # The retry waits its delay: nothing is due yet.
    assert intake.next_attempt_at > timezone.now() + dt.timedelta(seconds=25)
    assert _work() == 0
    _make_due()
    assert _work() == 1
    assert Report.objects.count() == 1 and Intake.objects.get().status == Intake.Status.DONE
    [found] = body(token_answer(client, item["token"]))
    assert found["service_request_id"] == Report.objects.get().code


def test_a_worker_killed_mid_filing_leaves_it_waiting_and_the_next_files_it_once(
    client: Client, key: str, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    [item] = body(post(client, key, "json", **flood_form()))
    real = queued.submit_report

    def killed(**kwargs: Any) -> Any:
        real(**kwargs)  # the report and its workflow are written...
        raise SystemExit("worker killed")  # ...and the process dies before the commit

    monkeypatch.setattr(queued, "submit_report", killed)
    with pytest.raises(SystemExit):
        queued.file_next()
    intake = Intake.objects.get()
    assert (intake.status, intake.attempts) == (Intake.Status.PENDING, 0)
    assert not Report.objects.exists()
    monkeypatch.setattr(queued, "submit_report", real)
    assert queued.file_pending().filed == 1
    assert queued.file_pending().total == 0
    assert Report.objects.count() == 1
    [found] = body(token_answer(client, item["token"]))
    assert found["service_request_id"] == Report.objects.get().code


def _batch_breaks_on(monkeypatch: pytest.MonkeyPatch, description: str) -> None:
    """Make a batch holding `description` fail after writing (a bug), as `submit_reports`."""
    real = queued.submit_reports

    def breaks(items: Any, **kwargs: Any) -> Any:
        done = real(items, **kwargs)
        if any(item.description == description for item in items):
            raise RuntimeError("bug")
        return done

    monkeypatch.setattr(queued, "submit_reports", breaks)


def test_one_failure_does_not_undo_the_others(client: Client, key: str,  # noqa: F811
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(3):
        post(client, key, "json", **flood_form(description=f"Ngập số {n}"))
    real = queued.submit_report

    def second_breaks(**kwargs: Any) -> Any:
        if kwargs["description"] == "Ngập số 1":
            real(**kwargs)
            raise RuntimeError("bug")
        return real(**kwargs)

    # The batch fails, then each intake is filed on its own: only the bad one waits.
    _batch_breaks_on(monkeypatch, "Ngập số 1")
    monkeypatch.setattr(queued, "submit_report", second_breaks)
    done = queued.file_pending()
    assert (done.filed, done.retried) == (2, 1)
    assert sorted(Report.objects.values_list("description", flat=True)) == [
        "Ngập số 0", "Ngập số 2"]
    assert Intake.objects.filter(status=Intake.Status.PENDING, attempts=1).count() == 1
    assert Intake.objects.filter(status=Intake.Status.DONE, attempts=1).count() == 2


def test_it_gives_up_after_the_last_attempt_and_says_so(client: Client, key: str,  # noqa: F811
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    [item] = body(post(client, key, "json", **flood_form()))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("still broken")

    monkeypatch.setattr(queued, "submit_reports", broken)
    monkeypatch.setattr(queued, "submit_report", broken)
    delays = []
    for _ in range(queued.MAX_ATTEMPTS):
        _make_due()
        before = timezone.now()
        assert _work() == 1
        intake = Intake.objects.get()
        delays.append((intake.next_attempt_at - before).total_seconds())
    # 30 s, 1, 2, 4 min, each lengthened by up to 10 % (jitter), never shortened.
    for delay, plain in zip(delays[:-1], [30, 60, 120, 240], strict=True):
        assert plain <= delay < plain * 1.1 + 5
    intake = Intake.objects.get()
    assert intake.status == Intake.Status.FAILED and intake.attempts == queued.MAX_ATTEMPTS
    assert intake.payload == {}
    assert_error(token_answer(client, item["token"]), 500, "json")
    assert AuditEntry.objects.filter(action="open311.intake_failed").count() == 1


def test_waiting_intakes_can_be_made_due_at_once(client: Client, key: str,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    post(client, key, "json", **flood_form())
    later = timezone.now() + dt.timedelta(minutes=4)
    Intake.objects.update(created_at=timezone.now() - dt.timedelta(minutes=20),
                          next_attempt_at=later)  # waiting out a retry delay
    assert _work() == 0
    out = StringIO()
    call_command("open311_requeue", stdout=out)
    assert "queued again: 1" in out.getvalue()
    assert _work() == 1
    assert Report.objects.count() == 1
    assert queued.requeue_waiting() == 0


def test_the_worker_command_files_the_queue(client: Client, key: str) -> None:  # noqa: F811
    post(client, key, "json", **flood_form())
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "open311.intake: filed 1, refused 0, retried 0, failed 0" in out.getvalue()
    assert Report.objects.count() == 1


def test_a_forged_or_unknown_intake_token_is_a_404(client: Client) -> None:
    assert_error(token_answer(client, "q-1-deadbeef"), 404, "json")
    assert_error(token_answer(client, intake_token_for(999999), "xml"), 404, "xml")


def test_photos_are_filed_at_once_even_when_queued(client: Client, key: str) -> None:  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")
    response = client.post(f"{BASE}requests.json", {**flood_form(), "api_key": key,
                                                     "media": photo})
    assert response.status_code == 201
    assert body(response)[0]["service_request_id"].startswith("PA-")


def test_sync_mode_files_at_once(client: Client, key: str, settings: Settings) -> None:  # noqa: F811
    settings.CITYHALL_OPEN311_ASYNC_INTAKE = False
    response = post(client, key, "json", **flood_form())
    assert response.status_code == 201
    assert body(response)[0]["service_request_id"].startswith("PA-")
    assert not Intake.objects.exists()


def test_enterprise_categories_are_refused_at_once(client: Client, key: str) -> None:  # noqa: F811
    code = Category.objects.filter(audience="enterprise").values_list("code", flat=True).first()
    assert code is not None
    response = post(client, key, "json", **flood_form(service_code=code))
    assert response.status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL: SKIP LOCKED with truly concurrent workers")
def test_two_workers_file_each_of_120_intakes_exactly_once(committed_registry: None) -> None:
    from tests.reports_support import categories

    categories()
    api_key, _raw = accounts.create_api_key(actor=SYSTEM, name="Both", scopes=["open311:write"])
    for n in range(120):
        queued.accept(actor=api_key, payload=queued.payload_of(**_submission(n)),
                      idempotency_key="" if n % 2 else f"k-{n}")
    results = run_together(lambda: queued.file_pending(limit=1000),
                           lambda: queued.file_pending(limit=1000))
    assert sum(r.filed for r in results) == 120
    assert all(r.filed > 0 for r in results), "both workers took a share"
    assert Report.objects.count() == 120
    assert not Intake.objects.exclude(status=Intake.Status.DONE).exists()
    per_report = Intake.objects.values("report_id").annotate(n=Count("id"))
    assert per_report.count() == 120 and {row["n"] for row in per_report} == {1}
    pk = Intake.objects.order_by("pk").values_list("pk", flat=True)[0]
    found = Client().get(f"{BASE}tokens/{intake_token_for(pk)}.json")
    report = Intake.objects.get(pk=pk).report
    assert report is not None
    assert body(found)[0]["service_request_id"] == report.code


def _submission(n: int) -> dict[str, Any]:
    from cityhall.reports.services import Contact
    from tests.reports_support import thu_duc_point

    lat, lon = thu_duc_point()
    return {"category": "ngap-ha-tang", "description": f"Ngập số {n}", "latitude": lat,
            "longitude": lon, "address": "", "contact": Contact(name="Nguyễn Văn An"),
            "attributes": {"kind": "flooding"}, "media_urls": []}
