"""Crafted input (issue #8): a body over the size limit, text that is not valid Unicode, a body
that is not the declared object, a day that is not a day, a session without its CSRF token.
Each gets a documented 4xx in the API's shape (or a refusal on the web), changes nothing, and
is never a 500."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from pytest_django import Settings

from cityhall.accounts import services as accounts
from cityhall.core.audit import SYSTEM
from cityhall.notifications import services as notifications
from cityhall.notifications.models import Notification
from cityhall.reports import services
from cityhall.reports.models import Report
from tests.factories import Personas, bearer, personas
from tests.reports_support import categories

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = pytest.mark.django_db

#: A size limit small enough to go over cheaply (Django's default is 2.5 MB).
LIMIT = 10_000
#: The middleware that reads a body first; without it, the API's error mapping answers.
FIRST_READER = "cityhall.core.middleware.RejectNulMiddleware"


@pytest.fixture
def people(settings: Settings, tmp_path: Path) -> Personas:
    settings.MEDIA_ROOT = str(tmp_path)
    categories()
    return personas()


@pytest.fixture(params=["middleware", "api"])
def reader(request: pytest.FixtureRequest, settings: Settings) -> str:
    """Who meets the bad body first: the middleware, or (without it) the API itself."""
    if request.param == "api":
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != FIRST_READER]
    return str(request.param)


def _filed() -> Report:
    return services.submit_report(
        actor=services.ANONYMOUS, category="moi-truong-rac", channel="web",
        description="Rác chất đống", address="Phường Sài Gòn, TP.HCM").report


def _in_progress(people: Personas) -> Report:
    """A report of Phường Sài Gòn its leader took and is working on (ready for a reply)."""
    report = _filed()
    services.assign_report(actor=people.leader, report=report, assignee=people.leader)
    return services.start_work(actor=people.leader, report=report)


def _error(response: Response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "code"} and body["code"] == code, body


def _post(client: Client, url: str, raw: str, **headers: str) -> Response:
    return client.generic("POST", url, raw, content_type="application/json", headers=headers)


# -- a body over the size limit: 413 ---------------------------------------------------


def test_a_report_over_the_size_limit_is_a_413_and_files_nothing(
    people: Personas, settings: Settings, reader: str
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    raw = json.dumps({"category": "moi-truong-rac", "address": "Phường Sài Gòn, TP.HCM",
                      "description": "x" * (LIMIT + 1)})
    _error(_post(Client(), "/api/v1/reports", raw), 413, "too_large")
    assert not Report.objects.exists()


def test_a_preference_over_the_size_limit_is_a_413(
    people: Personas, settings: Settings, reader: str
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    raw = json.dumps({"language": "en", "padding": "x" * LIMIT})
    response = Client().generic("PATCH", "/api/v1/me", raw, content_type="application/json",
                                headers=bearer(people.officer))
    _error(response, 413, "too_large")
    people.officer.refresh_from_db()
    assert people.officer.language == "vi"


def test_a_reply_over_the_size_limit_is_a_413_and_answers_nothing(
    people: Personas, settings: Settings, reader: str
) -> None:
    report = _in_progress(people)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    raw = json.dumps({"reply": "x" * (LIMIT + 1)})
    _error(_post(Client(), f"/api/v1/reports/{report.code}/reply", raw, **bearer(people.leader)),
           413, "too_large")
    report.refresh_from_db()
    assert report.state == "in_progress" and report.public_reply == ""


def test_a_multipart_body_over_the_size_limit_is_a_413(
    people: Personas, settings: Settings, reader: str
) -> None:
    report = _filed()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    response = Client().post(f"/api/v1/reports/{report.code}/photos",
                             {"token": "x" * (LIMIT + 1)})
    _error(response, 413, "too_large")


def test_the_413_says_the_limit(people: Personas, settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    raw = json.dumps({"language": "en", "padding": "x" * LIMIT})
    response = Client().generic("PATCH", "/api/v1/me", raw, content_type="application/json",
                                headers=bearer(people.officer))
    assert str(LIMIT) in response.json()["detail"]


# -- text that is not valid Unicode: refused before any service ---------------------------

#: A lone surrogate as JSON writes it; json.dumps escapes it so.
SURROGATE = "Rác\ud800"


@pytest.mark.parametrize(("reader", "status", "code"), [
    ("middleware", 400, "invalid_text"), ("api", 422, "invalid")], indirect=["reader"])
def test_a_lone_surrogate_in_a_description_is_refused_and_files_nothing(
    people: Personas, reader: str, status: int, code: str
) -> None:
    raw = json.dumps({"category": "moi-truong-rac", "address": "Phường Sài Gòn, TP.HCM",
                      "description": SURROGATE})
    assert "\\ud800" in raw
    _error(_post(Client(), "/api/v1/reports", raw), status, code)
    assert not Report.objects.exists()


@pytest.mark.parametrize(("reader", "status", "code"), [
    ("middleware", 400, "invalid_text"), ("api", 422, "invalid")], indirect=["reader"])
def test_a_lone_surrogate_in_a_reply_is_refused_and_answers_nothing(
    people: Personas, reader: str, status: int, code: str
) -> None:
    report = _in_progress(people)
    raw = json.dumps({"reply": SURROGATE})
    _error(_post(Client(), f"/api/v1/reports/{report.code}/reply", raw,
                 **bearer(people.leader)), status, code)
    report.refresh_from_db()
    assert report.state == "in_progress" and report.public_reply == ""


def _utf7_form(**fields: str) -> tuple[bytes, str]:
    """A multipart body declared in UTF-7, in which a lone surrogate survives decoding."""
    body = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n'
        + value.encode("utf-7") + b"\r\n" for name, value in fields.items())
    return body + b"--B--\r\n", "multipart/form-data; boundary=B; charset=utf-7"


def test_a_lone_surrogate_in_the_web_report_form_is_refused_and_files_nothing(
    people: Personas,
) -> None:
    body, content_type = _utf7_form(category="moi-truong-rac", description=SURROGATE,
                                    address="Phuong Sai Gon")
    response = Client().generic("POST", "/reports/new/", body, content_type=content_type)
    _error(response, 400, "invalid_text")
    assert not Report.objects.exists()


def test_a_lone_surrogate_in_the_web_reply_form_is_refused_and_answers_nothing(
    people: Personas,
) -> None:
    report = _in_progress(people)
    client = Client()
    client.force_login(people.leader)
    body, content_type = _utf7_form(reply=SURROGATE)
    response = client.generic("POST", f"/staff/reports/{report.code}/resolve/", body,
                              content_type=content_type)
    _error(response, 400, "invalid_text")
    report.refresh_from_db()
    assert report.state == "in_progress" and report.public_reply == ""


def test_a_lone_surrogate_in_an_open311_post_is_a_400_in_its_own_format(
    people: Personas,
) -> None:
    _key, raw = accounts.create_api_key(actor=SYSTEM, name="FixApp", scopes=["open311:write"])
    body, content_type = _utf7_form(service_code="moi-truong-rac", description=SURROGATE,
                                    address_string="Phuong Sai Gon", api_key=raw)
    response = Client().generic("POST", "/open311/v2/requests.json", body,
                                content_type=content_type)
    assert response.status_code == 400 and response.json()[0]["code"] == 400
    assert not Report.objects.exists()


# -- a body that is not the declared object: 422, never 200 -------------------------------


@pytest.mark.parametrize("raw", ["12345", "[]", '"reason"', "null"])
def test_publishing_with_a_body_that_is_not_an_object_is_a_422_and_publishes_nothing(
    people: Personas, raw: str
) -> None:
    report = services.hide_report(actor=people.leader, report=_filed(), reason="Lộ số nhà")
    response = _post(Client(), f"/api/v1/reports/{report.code}/publish", raw,
                     **bearer(people.leader))
    _error(response, 422, "invalid")
    report.refresh_from_db()
    assert report.is_public is False


@pytest.mark.parametrize("raw", ["12345", "[1, 2]", "true"])
def test_marking_notices_read_with_a_body_that_is_not_an_object_is_a_422_and_marks_nothing(
    people: Personas, raw: str
) -> None:
    notifications.notify(recipients=[people.officer], channels=["in_app"],
                         template="case_done", context={"case": "A"})
    response = _post(Client(), "/api/v1/notifications/read", raw, **bearer(people.officer))
    _error(response, 422, "invalid")
    assert Notification.objects.for_user(people.officer).unread().count() == 1


def test_an_extra_field_holding_a_huge_whole_number_is_a_422(people: Personas) -> None:
    # The service reads numbers as floats: a 400-digit integer overflowed (500).
    raw = ('{"category": "ngap-ha-tang", "description": "Ngập", "address": "Phường Thủ Đức",'
           ' "attributes": {"kind": "flooding", "water_depth_cm": ' + "9" * 400 + "}}")
    _error(_post(Client(), "/api/v1/reports", raw), 422, "invalid")
    assert not Report.objects.exists()


def test_an_unknown_field_is_a_422(people: Personas) -> None:
    response = Client().patch("/api/v1/me", {"language": "en", "langauge": "vi"},
                              content_type="application/json", headers=bearer(people.officer))
    _error(response, 422, "invalid")


# -- days and moments: ISO 8601 only -------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/units", "/api/v1/units/79",
                                 "/api/v1/units/resolve?address=Ph%C6%B0%E1%BB%9Dng+S%C3%A0i+G%C3%B2n"])
@pytest.mark.parametrize("day", ["0", "20250701", "1751328000", "2025-7-1"])
def test_a_day_that_is_not_yyyy_mm_dd_is_a_422(url: str, day: str) -> None:
    joiner = "&" if "?" in url else "?"
    _error(Client().get(f"{url}{joiner}active_on={day}"), 422, "invalid")


def test_a_day_in_iso_form_is_read(people: Personas) -> None:
    before = Client().get("/api/v1/units", {"active_on": "2025-06-30", "kind": "province"})
    after = Client().get("/api/v1/units", {"active_on": "2025-07-01", "kind": "province"})
    assert before.status_code == after.status_code == 200
    # Bình Dương (74) ended on 30 June 2025, merged into Ho Chi Minh City.
    assert "74" in {u["code"] for u in before.json()["items"]}
    assert "74" not in {u["code"] for u in after.json()["items"]}


@pytest.mark.parametrize("moment", ["0.5", "1751328000", "2025-07-01", "2025-07-01T08:00",
                                    "2025-07-01 08:00:00+07:00"])
def test_a_moment_not_in_rfc_3339_form_is_a_422(moment: str) -> None:
    response = Client().get("/api/v1/reports/public", {"received_after": moment})
    _error(response, 422, "invalid")


@pytest.mark.parametrize("moment", ["2000-01-01T00:00:00+07:00", "2000-01-01T00:00:00",
                                    "2000-01-01t00:00:00.5z"])
def test_a_moment_in_rfc_3339_form_is_read(people: Personas, moment: str) -> None:
    _filed()
    response = Client().get("/api/v1/reports/public", {"received_after": moment})
    assert response.status_code == 200 and response.json()["count"] == 1


# -- a session without its CSRF token ------------------------------------------------------


def test_a_session_without_its_csrf_token_gets_a_documented_403(people: Personas) -> None:
    notifications.notify(recipients=[people.officer], channels=["in_app"],
                         template="case_done", context={"case": "A"})
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.officer)
    response = client.post("/api/v1/notifications/read", {}, content_type="application/json")
    _error(response, 403, "csrf_failed")
    assert Notification.objects.for_user(people.officer).unread().count() == 1


def test_a_query_with_too_many_fields_is_a_413() -> None:
    query = "&".join(f"f{i}=1" for i in range(1001))
    _error(Client().get(f"/api/v1/units?{query}"), 413, "too_large")


def test_an_anonymous_unsafe_request_is_unauthenticated_not_a_forgery(people: Personas) -> None:
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/notifications/read", {}, content_type="application/json")
    _error(response, 401, "not_authenticated")
