"""Open311 queued intake: a token at once, the worker files it, the token tells the outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from cityhall.core.models import AuditEntry
from cityhall.open311 import intake as queued
from cityhall.open311.models import Intake
from cityhall.reports.models import Category, Report, ReportContact
from cityhall.workflow.management.commands.worker import run_queued_tasks
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

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _queued(settings: Any, tmp_path: Path) -> None:
    settings.CITYHALL_OPEN311_ASYNC_INTAKE = True


def _work() -> int:
    return run_queued_tasks("test-worker", max_tasks=50)


def token_answer(client: Client, token: str, fmt: str = "json") -> Any:
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
    assert root.find("request/service_request_id").text == report.code  # type: ignore[union-attr]
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


def test_an_idempotency_key_gives_one_intake_and_one_report(client: Client,
                                                            key: str) -> None:  # noqa: F811
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-1"}
    first = client.post(f"{BASE}requests.json", {**flood_form(), "api_key": key}, **headers)
    again = client.post(f"{BASE}requests.json", {**flood_form(), "api_key": key}, **headers)
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
    assert Intake.objects.get().attempts == 1
    assert not Report.objects.exists()  # the half-done attempt was rolled back
    # The retry was queued for later: run it now.
    retry = DBTaskResult.objects.filter(status="READY").order_by("-enqueued_at").first()
    assert retry is not None and retry.run_after is not None
    assert queued.process(pk) == Intake.Status.DONE
    assert Report.objects.count() == 1
    [found] = body(token_answer(client, item["token"]))
    assert found["service_request_id"] == Report.objects.get().code


def test_it_gives_up_after_the_last_attempt_and_says_so(client: Client, key: str,  # noqa: F811
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    [item] = body(post(client, key, "json", **flood_form()))

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("still broken")

    monkeypatch.setattr(queued, "submit_report", broken)
    pk = Intake.objects.get().pk
    for _ in range(queued.MAX_ATTEMPTS):
        queued.process(pk)
    intake = Intake.objects.get()
    assert intake.status == Intake.Status.FAILED and intake.attempts == queued.MAX_ATTEMPTS
    assert_error(token_answer(client, item["token"]), 500, "json")
    assert AuditEntry.objects.filter(action="open311.intake_failed").count() == 1


def test_waiting_intakes_can_be_queued_again(client: Client, key: str) -> None:  # noqa: F811
    post(client, key, "json", **flood_form())
    DBTaskResult.objects.all().delete()  # the worker died with the task
    Intake.objects.update(created_at=Intake.objects.get().created_at.replace(year=2020))
    assert queued.requeue_waiting() == 1
    _work()
    assert Report.objects.count() == 1
    assert queued.requeue_waiting() == 0


def test_a_forged_or_unknown_intake_token_is_a_404(client: Client) -> None:
    assert_error(token_answer(client, "q-1-deadbeef"), 404, "json")
    from cityhall.open311.tokens import intake_token_for

    assert_error(token_answer(client, intake_token_for(999999), "xml"), 404, "xml")


def test_photos_are_filed_at_once_even_when_queued(client: Client, key: str) -> None:  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")
    response = client.post(f"{BASE}requests.json", {**flood_form(), "api_key": key,
                                                     "media": photo})
    assert response.status_code == 201
    assert body(response)[0]["service_request_id"].startswith("PA-")


def test_sync_mode_files_at_once(client: Client, key: str, settings: Any) -> None:  # noqa: F811
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
