"""Honest words in both languages: refusals, error pages, numbers and dates, the catalogue."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import get_resolver, path
from django.utils import timezone, translation
from pytest_django import DjangoAssertNumQueries, Settings

from cityhall import urls as cityhall_urls
from cityhall.core import limits
from cityhall.core.errors import Common
from cityhall.notifications.services import render as render_message
from cityhall.portal import errors
from cityhall.reports import services
from cityhall.reports.models import Report
from cityhall.workflow.engine import errors as engine_errors
from tests.clients import english, signed_in
from tests.factories import WardTeam
from tests.test_reports_web import (
    now_flood,
)

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def _messages(body: str) -> list[tuple[str, str, str]]:
    """The banners of a page: (level, role, text)."""
    found = re.findall(r'<li class="message message-(\w+)"(?: role="(\w+)")?>(.*?)</li>',
                       body, re.S)
    # A banner without a role of its own is announced by the list's (role="status").
    return [(level, role or "status", re.sub(r"\s+", " ", text).strip())
            for level, role, text in found]


# Refusals of the workflow engine --------------------------------------------------------------


def test_every_code_the_engine_raises_has_words_for_people() -> None:
    engine = ROOT / "cityhall/workflow/engine"
    shared = set()
    for source in engine.glob("*.py"):
        shared |= set(re.findall(r"\bCommon\.([A-Z_]+)\b", source.read_text()))
    raised = {*engine_errors.WorkflowCode, *(Common[name] for name in shared)}
    assert Common.NOT_ALLOWED in raised and Common.INVALID_STATE in raised
    assert raised - set(engine_errors.MESSAGES) == set()


def test_an_engine_refusal_speaks_the_callers_language() -> None:
    with translation.override("vi"):
        assert engine_errors.WorkflowError(Common.NOT_ALLOWED).detail == (
            "Vai trò của bạn không cho phép thực hiện thao tác này với hồ sơ vào lúc này.")
    with translation.override("en"):
        error = engine_errors.WorkflowError(Common.NOT_ALLOWED)
        assert error.detail == "Your role does not allow this action on this case now."
        assert error.code == "not_allowed"
        # A code with no words of its own (one of another app) still says something.
        assert engine_errors.WorkflowError(Common.TOO_LARGE).detail == (
            "This action cannot be taken now.")


def test_a_refused_bulk_assignment_is_a_red_alert_in_the_readers_words(team: WardTeam) -> None:
    code = now_flood().report.code
    form = {"codes": [code], "assignee": team.outsider.username}
    body = signed_in(team.clerk).post("/staff/reports/assign/", form, follow=True
                                       ).content.decode()
    assert _messages(body) == [("error", "alert", (
        f"Chưa giao phản ánh nào: {code}: "
        "Người này không làm việc tại đơn vị xử lý phản ánh."))]
    assert "cannot" not in body and "actor" not in body
    body = english(signed_in(team.clerk)).post(
        "/staff/reports/assign/", form, follow=True).content.decode()
    assert _messages(body) == [("error", "alert", (
        f"Nothing was assigned: {code}: That person does not work for the report&#x27;s unit."))]


def test_assigning_an_answered_report_says_why_not_in_words(team: WardTeam) -> None:
    made = now_flood()
    services.assign_report(actor=team.leader, report=made.report, assignee=team.officer)
    services.resolve_report(actor=team.officer, report=made.report, reply="Đã xử lý.")
    form = {"codes": [made.report.code], "assignee": team.officer.username}
    body = english(signed_in(team.clerk)).post(
        "/staff/reports/assign/", form, follow=True).content.decode()
    [(level, role, text)] = _messages(body)
    assert (level, role) == ("error", "alert")
    assert "present state" in text and "'assign'" not in text
    assert Report.objects.get(pk=made.report.pk).state == "resolved"


def test_good_news_stays_a_status_in_green(team: WardTeam) -> None:
    code = now_flood().report.code
    form = {"codes": [code], "assignee": team.officer.username}
    body = signed_in(team.clerk).post("/staff/reports/assign/", form, follow=True
                                       ).content.decode()
    [(level, role, _text)] = _messages(body)
    assert (level, role) == ("success", "status")


# Why a report went to its unit -----------------------------------------------------------------


def test_the_routing_reason_is_written_in_each_language_and_read_in_the_readers(
    team: WardTeam, client: Client
) -> None:
    from tests.test_reports_web import flood_form, sent_token

    data = flood_form(latitude="", longitude="", address="Phường Thảo Điền, Quận 2")
    code, token = sent_token(english(client).post("/reports/new/", data))
    report = Report.objects.get(code=code)
    vi, en = report.routing_reasons["vi"], report.routing_reasons["en"]
    # The record keeps the site's language whatever the sender's; both name the old ward.
    assert report.routing_reason == vi
    assert "thuộc đơn vị này từ ngày" in vi and "Phường Thảo Điền" in vi
    assert "lies there since" in en and "Phường Thảo Điền" in en
    page = client.get(f"/reports/{code}/", {"t": token}).content.decode()
    assert en.replace("'", "&#x27;") in page and vi.replace("'", "&#x27;") not in page
    escaped = en.replace("'", "&#x27;")
    assert f'<dd lang="en">{escaped}</dd>' in page
    page = Client().get(f"/reports/{code}/", {"t": token}).content.decode()
    assert vi.replace("'", "&#x27;") in page and en.replace("'", "&#x27;") not in page


def test_a_report_from_before_the_column_shows_its_vietnamese_reason_marked_as_such(
    team: WardTeam, client: Client
) -> None:
    made = now_flood()
    Report.objects.filter(pk=made.report.pk).update(routing_reasons={})
    url = f"/reports/{made.report.code}/?t={made.private_token}"
    page = english(client).get(url).content.decode()
    reason = made.report.routing_reason.replace("'", "&#x27;")
    assert f'<dd lang="vi">{reason}</dd>' in page
    assert f'<dd lang="en">{made.report.routing_reasons["en"]}' not in page


def test_a_queued_open311_report_keeps_its_reason_in_each_language(
    team: WardTeam, settings: Settings
) -> None:
    from cityhall.accounts import services as accounts
    from cityhall.core.audit import SYSTEM
    from cityhall.open311 import intake as queued
    from tests.test_open311_batch import _payload

    settings.CITYHALL_OPEN311_ASYNC_INTAKE = True
    key, _raw = accounts.create_api_key(actor=SYSTEM, name="Words", scopes=["open311:write"])
    queued.accept(actor=key, payload=_payload(1))
    assert queued.file_pending(batch=5).filed == 1
    report = Report.objects.get(api_key=key)
    assert set(report.routing_reasons) == {"vi", "en"}
    assert report.routing_reasons["vi"] == report.routing_reason
    assert report.routing_reasons["en"] != report.routing_reason


def test_a_refused_place_reads_in_the_senders_language(team: WardTeam, client: Client) -> None:
    data = flood_form_far()
    body = english(client).post("/reports/new/", data).content.decode()
    assert "The point is outside Ho Chi Minh City." in body


def flood_form_far() -> dict[str, Any]:
    from tests.test_reports_web import flood_form

    return flood_form(latitude="21.0285", longitude="105.8542")  # Hà Nội


def test_a_transfer_gives_the_new_reason_in_each_language(team: WardTeam) -> None:
    from cityhall.orgunits.models import Unit

    report = now_flood().report
    target = Unit.objects.active_on().get(name="Phường An Khánh")
    with translation.override("en"):
        services.transfer_report(actor=team.leader, report=report, to_unit=target,
                                 reason="thuộc địa bàn An Khánh")
    report.refresh_from_db()
    assert report.routing_reasons["en"].startswith("Phường An Khánh: transferred by")
    assert report.routing_reasons["vi"] == report.routing_reason
    assert "transferred" not in report.routing_reason


# Notices ---------------------------------------------------------------------------------------


def test_every_message_template_exists_in_both_languages() -> None:
    names: dict[str, set[str]] = {}
    for message in (ROOT / "cityhall").glob("*/templates/notifications/messages/*.txt"):
        stem, language, _txt = message.name.rsplit(".", 2)
        names.setdefault(f"{message.parent}/{stem}", set()).add(language)
    assert len(names) > 10
    assert {name: langs for name, langs in names.items() if langs != {"vi", "en"}} == {}


@pytest.mark.parametrize(("language", "words"), [("vi", "(đã trả lời)"), ("en", "(answered)")])
def test_the_duplicate_outcome_names_the_state_in_words(language: str, words: str) -> None:
    _subject, body = render_message("report_duplicate_outcome", language, {
        "case": "PA-1", "original": "PA-0", "state": "resolved", "reply": ""})
    assert words in body
    assert "resolved" not in body


# Numbers and dates -----------------------------------------------------------------------------


def test_a_report_page_writes_dates_and_places_in_the_readers_conventions(
    team: WardTeam, client: Client
) -> None:
    made = now_flood()
    report = made.report
    url = f"/reports/{report.code}/?t={made.private_token}"
    received = timezone.localtime(report.created_at)
    lat, lon = f"{report.latitude:.5f}", f"{report.longitude:.5f}"

    vi = client.get(url).content.decode()
    assert received.strftime("%H:%M, %d/%m/%Y") in vi
    assert f"{lat.replace('.', ',')}° B, {lon.replace('.', ',')}° Đ" in vi

    en = english(client).get(url).content.decode()
    day = f"{received.day} {received.strftime('%b %Y')}"
    assert f"{received.strftime('%H:%M')}, {day}" in en
    assert f"{lat}° N, {lon}° E" in en
    assert received.strftime("%d/%m/%Y") not in en


def test_the_formats_of_each_language(settings: Settings) -> None:
    import datetime as dt

    from django.utils.formats import date_format, number_format

    day = dt.date(2026, 11, 3)
    with translation.override("vi"):
        assert date_format(day, "SHORT_DATE_FORMAT") == "03/11/2026"
        assert date_format(day, "YEAR_MONTH_FORMAT") == "tháng 11/2026"
        assert number_format(12345.5, decimal_pos=1, force_grouping=True) == "12.345,5"
    with translation.override("en"):
        assert date_format(day, "SHORT_DATE_FORMAT") == "3 Nov 2026"
        assert date_format(day, "YEAR_MONTH_FORMAT") == "Nov 2026"
        assert number_format(12345.5, decimal_pos=1, force_grouping=True) == "12,345.5"


# Error pages ----------------------------------------------------------------------------------


@pytest.fixture
def production(settings: Settings) -> Settings:
    settings.DEBUG = False
    return settings


def test_the_handlers_are_ours() -> None:
    resolver = get_resolver()
    assert resolver.resolve_error_handler(400) is errors.bad_request
    assert resolver.resolve_error_handler(403) is errors.permission_denied
    assert resolver.resolve_error_handler(404) is errors.page_not_found
    assert resolver.resolve_error_handler(500) is errors.server_error


def test_a_missing_page_is_the_shells_404_in_both_languages(
    production: Settings, client: Client
) -> None:
    response = client.get("/no/such/page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="vi">' in body and "<h1 id=\"error-title\">Không tìm thấy trang</h1>" in body
    assert 'class="skip-link"' in body and "Về trang chủ" in body
    assert "Not Found" not in body

    body = english(client).get("/no/such/page/").content.decode()
    assert '<html lang="en">' in body and "Page not found" in body


def test_a_404_raised_by_a_view_shows_the_page_not_the_developers_text(
    production: Settings, client: Client
) -> None:
    response = english(client).get("/units/99999999/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_machine_interfaces_keep_answering_json(production: Settings, client: Client) -> None:
    for address in ("/api/v1/nothing-here", "/open311/nothing-here"):
        response = client.get(address)
        assert response.status_code == 404, address
        assert response["Content-Type"].startswith("application/json"), address
        assert response.json()["code"] == "not_found"


def test_a_failed_csrf_check_is_the_shells_403(production: Settings) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "Bạn không được mở trang này" in body and "CSRF verification" not in body


def test_a_failed_csrf_check_under_the_api_is_json() -> None:
    response = errors.csrf_failure(RequestFactory().post("/open311/v2/requests.json"), "no token")
    assert response.status_code == 403
    assert json.loads(response.content)["code"] == "csrf_failed"


def test_the_500_page_needs_no_database_and_speaks_the_readers_language(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    request = RequestFactory().get("/reports/")
    with translation.override("en"), django_assert_num_queries(0):
        response = errors.server_error(request)
    body = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="en">' in body and "Something went wrong" in body
    assert settings.CITYHALL_SITE_NAME in body
    with translation.override("vi"):
        body = errors.server_error(request).content.decode()
    assert '<html lang="vi">' in body and "Đã có lỗi xảy ra" in body

    api = errors.server_error(RequestFactory().get("/api/v1/reports/"))
    assert api.status_code == 500 and api["Content-Type"].startswith("application/json")


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom: a developer's words")


#: This module as a URL map: the site's, plus a page that breaks (see the test below).
urlpatterns = [path("broken/", _broken), *cityhall_urls.urlpatterns]
handler500 = cityhall_urls.handler500


def test_an_unexpected_fault_answers_the_500_page_when_debug_is_off(
    production: Settings,
) -> None:
    production.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/broken/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in body and '<html lang="en">' in body
    assert "boom" not in body


def test_a_limit_without_its_own_answer_shows_the_429_page(settings: Settings) -> None:
    settings.CITYHALL_RATE_ANONYMOUS = "1/h"

    @limits.limit_posts(limits.Limit("tests.words"))
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("done")

    def post() -> HttpResponse:
        request: Any = RequestFactory().post("/somewhere/", REMOTE_ADDR="192.0.2.44")
        request.user = AnonymousUser()
        with translation.override("vi"):
            return view(request)

    assert post().content == b"done"
    refused = post()
    body = refused.content.decode()
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Quá nhiều yêu cầu" in body and "Vui lòng thử lại sau" in body
    assert '<html lang="vi">' in body


# The catalogue ---------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_string_of_the_code_has_its_vietnamese_words(tmp_path: Path) -> None:
    """What `makemessages` finds in the code, the Vietnamese catalogue translates."""
    tree = tmp_path / "cityhall"
    shutil.copytree(ROOT / "cityhall", tree, ignore=shutil.ignore_patterns(
        "static", "data", "__pycache__", "*.mo", "en"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "vi", "--no-location",
         "--no-obsolete", "--settings", "cityhall.settings"],
        cwd=tree, check=True, capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "PYTHONPATH": str(ROOT)},
    )
    catalogue = polib.pofile(str(tree / "locale/vi/LC_MESSAGES/django.po"))
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    missing += [e.msgid for e in catalogue.fuzzy_entries()]
    assert missing == []
