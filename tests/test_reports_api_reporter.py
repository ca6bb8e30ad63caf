"""The reporter's side of the reports API: follow, rate, reopen and add photos, by the private
token or the reporter's own account; everyone else is answered as if the report did not exist."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image
from pytest_django import Settings

from cityhall.core.models import AuditEntry
from cityhall.reports import services
from cityhall.reports.models import Report, ReportPhoto
from cityhall.reports.services import Contact
from tests.factories import Personas, bearer
from tests.reports_support import jpeg_with_gps

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reports_ready")]

SAIGON_ADDRESS = "Phường Sài Gòn, TP.HCM"


def _file(actor: Any = services.ANONYMOUS, **extra: Any) -> services.Submission:
    fields: dict[str, Any] = {"category": "moi-truong-rac", "channel": "web",
                              "description": "Rác dồn đống trước số 5.",
                              "address": SAIGON_ADDRESS}
    fields.update(extra)
    return services.submit_report(actor=actor, **fields)


def _resolve(people: Personas, report: Report) -> Report:
    services.assign_report(actor=people.leader, report=report, assignee=people.officer,
                           comment="Nội bộ: gọi chị Lan trước khi đến")
    services.start_work(actor=people.officer, report=report)
    return services.resolve_report(actor=people.officer, report=report, reply="Đã thu gom.")


def _post(client: Client, path: str, body: dict[str, Any], **headers: str) -> Response:
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def _token(raw: str) -> dict[str, str]:
    return {"X-Report-Token": raw}


def _png(size: tuple[int, int] = (20, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 10)).save(out, format="PNG")
    return out.getvalue()


def test_the_token_holder_follows_the_report_without_staff_data(
    client: Client, people: Personas
) -> None:
    made = _file(contact=Contact(name="Nguyễn Thị Lan", phone="0909123456"))
    services.assign_report(actor=people.leader, report=made.report, assignee=people.officer,
                           comment="Nội bộ: gọi chị Lan trước khi đến")
    url = f"/api/v1/reports/{made.report.code}/follow"
    response = client.get(url, headers=_token(made.private_token))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "assigned"
    assert body["unit_name"] == "Phường Sài Gòn"
    assert body["due_at"] is not None and body["overdue"] is False
    assert body["routing_reason"] and body["shown_publicly"] is True
    assert [s["action"] for s in body["history"]] == ["start", "assign"]
    assert body["history"][0]["note"] == body["routing_reason"]
    assert body["history"][1]["note"] == ""
    for secret in ("Nguyễn Thị Lan", "0909123456", "gọi chị Lan", people.officer.username):
        assert secret not in response.content.decode()
    assert not {"contact", "assignee", "actions", "tax_code", "channel"} & set(body)
    assert body["can_rate"] is False and body["can_reopen"] is False
    assert body["photos_until"] is not None
    # The token also works as a query parameter (a link), and gives the same view.
    assert client.get(url, {"token": made.private_token}).json() == body


def test_follow_answers_404_alike_to_a_wrong_token_and_to_anyone_but_the_reporter(
    client: Client, people: Personas
) -> None:
    made = _file(actor=people.resident)
    url = f"/api/v1/reports/{made.report.code}/follow"
    unknown = client.get("/api/v1/reports/PA-000101-0001/follow", headers=_token("x" * 43))
    assert unknown.status_code == 404
    wrong = client.get(url, headers=_token(made.private_token[:-1] + "A"))
    assert wrong.status_code == 404 and wrong.json() == unknown.json()
    assert client.get(url).status_code == 404
    for name in ("leader", "officer", "outsider", "city_leader", "kp_head"):
        response = client.get(url, headers=bearer(getattr(people, name)))
        assert response.status_code == 404, name
    response = client.get(url, headers=bearer(people.resident))
    assert response.status_code == 200 and response.json()["code"] == made.report.code
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_token_holder_rates_the_answer_once(client: Client, people: Personas) -> None:
    made = _file()
    report = _resolve(people, made.report)
    url = f"/api/v1/reports/{report.code}/rate"
    bad = _post(client, url, {"rating": 9}, **_token(made.private_token))
    # The document says 1 to 5: anything else is refused before the service.
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    wrong = _post(client, url, {"rating": 4, "token": "not-the-token"})
    assert wrong.status_code == 404
    assert _post(client, url, {"rating": 4}).status_code == 404
    # A member of staff is not the reporter, even of a report in their own unit.
    assert _post(client, url, {"rating": 4}, **bearer(people.officer)).status_code == 404
    report.refresh_from_db()
    assert report.rating is None and report.state == "resolved"
    # The token in the body works as well as the header.
    response = _post(client, url, {"rating": 4, "comment": "Nhanh", "token": made.private_token})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "closed"
    assert response.json()["rating"] == 4 and response.json()["can_rate"] is False
    again = _post(client, url, {"rating": 5}, **_token(made.private_token))
    assert again.status_code == 409 and again.json()["code"] == "already_rated"
    report.refresh_from_db()
    assert report.rating == 4
    assert AuditEntry.objects.filter(action="reports.rate").count() == 1


def test_the_signed_in_reporter_reopens_with_a_bearer_token(
    client: Client, people: Personas
) -> None:
    made = _file(actor=people.resident)
    url = f"/api/v1/reports/{made.report.code}/reopen"
    early = _post(client, url, {"reason": "Vẫn còn rác"}, **bearer(people.resident))
    assert early.status_code == 409 and early.json()["code"] == "invalid_state"
    report = _resolve(people, made.report)
    follow = client.get(f"/api/v1/reports/{report.code}/follow", headers=bearer(people.resident))
    assert follow.json()["can_reopen"] is True and follow.json()["reopen_until"]
    blank = _post(client, url, {"reason": "   "}, **bearer(people.resident))
    assert blank.status_code == 422 and blank.json()["code"] == "invalid"
    assert _post(client, url, {}, **bearer(people.resident)).status_code == 422
    assert _post(client, url, {"reason": "x"}, **bearer(people.leader)).status_code == 404
    response = _post(client, url, {"reason": "Vẫn còn rác"}, **bearer(people.resident))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "in_progress" and body["resolved_at"] is None
    assert body["history"][-1]["action"] == "reopen"
    assert body["history"][-1]["note"] == "Vẫn còn rác"
    again = _post(client, url, {"reason": "Vẫn còn rác"}, **bearer(people.resident))
    assert again.status_code == 409


def test_reopen_after_the_window_is_refused(
    client: Client, people: Personas, settings: Settings
) -> None:
    made = _file()
    report = _resolve(people, made.report)
    settings.CITYHALL_REPORTS_REOPEN_DAYS = 0
    Report.objects.filter(pk=report.pk).update(
        resolved_at=timezone.now() - dt.timedelta(hours=1))
    response = _post(client, f"/api/v1/reports/{report.code}/reopen", {"reason": "Còn"},
                     **_token(made.private_token))
    assert response.status_code == 409
    assert response.json()["code"] == "reopen_window_passed"
    assert Report.objects.get(pk=report.pk).state == "resolved"


def test_follow_costs_the_same_queries_whatever_the_history_and_photos(
    client: Client, people: Personas
) -> None:
    small = _file(photos=[_png()])
    big = _file(description="Rác khác", photos=[_png((30, 10)), _png((40, 10)), _png((50, 10))])
    _resolve(people, big.report)
    counts = []
    for made in (small, big):
        url = f"/api/v1/reports/{made.report.code}/follow"
        client.get(url, headers=_token(made.private_token))
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(url, headers=_token(made.private_token)).json()
        counts.append(len(ctx.captured_queries))
        assert all(p["url"].endswith(f"?t={made.private_token}") for p in body["photos"])
    assert counts[0] == counts[1] == 3


def test_the_reporter_adds_photos_within_the_window_stripped_of_exif(
    client: Client, people: Personas
) -> None:
    made = _file()
    url = f"/api/v1/reports/{made.report.code}/photos"
    upload = SimpleUploadedFile("ngap.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(url, {"photos": [upload]}, headers=_token(made.private_token))
    assert response.status_code == 201, response.json()
    assert response.json()["added"] == 1
    (photo,) = ReportPhoto.objects.filter(report=made.report)
    with photo.file.open("rb") as stored, Image.open(stored) as image:
        assert dict(image.getexif()) == {}
    assert photo.content_type == "image/jpeg"
    # A retried upload of the same picture stores nothing new.
    again = client.post(url, {"photos": [SimpleUploadedFile("x.jpg", jpeg_with_gps())],
                              "token": made.private_token})
    assert again.status_code == 200 and again.json()["added"] == 0
    assert len(again.json()["photos"]) == 1
    assert ReportPhoto.objects.filter(report=made.report).count() == 1
    # The photo is served to the token holder by the web's photo address.
    assert client.get(again.json()["photos"][0]["url"]).status_code == 200
    assert AuditEntry.objects.filter(action="reports.add_photos").count() == 1


def test_photo_uploads_are_checked_as_at_filing(
    client: Client, people: Personas, settings: Settings
) -> None:
    made = _file()
    url = f"/api/v1/reports/{made.report.code}/photos"
    headers = _token(made.private_token)
    fake = SimpleUploadedFile("a.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = client.post(url, {"photos": [fake]}, headers=headers)
    assert response.status_code == 400 and response.json()["code"] == "photo_type"
    settings.CITYHALL_REPORTS_PHOTO_MAX_BYTES = 100
    big = SimpleUploadedFile("b.png", _png((200, 200)))
    response = client.post(url, {"photos": [big]}, headers=headers)
    assert response.status_code == 400 and response.json()["code"] == "photo_too_large"
    settings.CITYHALL_REPORTS_PHOTO_MAX_BYTES = 8 * 1024 * 1024
    settings.CITYHALL_REPORTS_PHOTOS_MAX = 2
    many = [SimpleUploadedFile(f"{i}.png", _png((10 + i, 10))) for i in range(3)]
    response = client.post(url, {"photos": many}, headers=headers)
    assert response.status_code == 400 and response.json()["code"] == "too_many_photos"
    assert client.post(url, {}, headers=headers).status_code == 422
    assert ReportPhoto.objects.count() == 0
    refused = AuditEntry.objects.filter(action="reports.add_photos_refused")
    assert sorted(e.changes["code"] for e in refused) == [
        "photo_too_large", "photo_type", "too_many_photos"]


def test_photos_only_from_the_reporter_and_only_within_the_window(
    client: Client, people: Personas
) -> None:
    made = _file(actor=people.resident)
    url = f"/api/v1/reports/{made.report.code}/photos"
    for user in (people.leader, people.officer, people.outsider):
        response = client.post(url, {"photos": [SimpleUploadedFile("a.png", _png())]},
                               headers=bearer(user))
        assert response.status_code == 404
    response = client.post(url, {"photos": [SimpleUploadedFile("a.png", _png())]},
                           headers=_token("wrong"))
    assert response.status_code == 404
    response = client.post(url, {"photos": [SimpleUploadedFile("a.png", _png())]},
                           headers=bearer(people.resident))
    assert response.status_code == 201
    Report.objects.filter(pk=made.report.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=2))
    response = client.post(url, {"photos": [SimpleUploadedFile("b.png", _png((30, 30)))]},
                           headers=bearer(people.resident))
    assert response.status_code == 409 and response.json()["code"] == "photo_window_passed"
    assert ReportPhoto.objects.filter(report=made.report).count() == 1
