"""GET requests built by the database says exactly what the Python renderer says."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from cityhall.accounts.models import Role
from cityhall.open311 import pages
from cityhall.reports import services
from cityhall.reports.models import Category, Report
from cityhall.reports.services.intake import private_token_of
from tests.factories import ANKHANH, THUDUC, department, make_staff, unit_named
from tests.reports_support import categories, thu_duc_point
from tests.test_open311 import BASE, filed, jpeg

pytestmark = pytest.mark.django_db

TRICKY = 'Cống <b>nghẹt</b> & "tràn" \\ \\n\t\r\n\x01\x1f ]]> ừ ở 🌧 </request>'


@pytest.fixture(autouse=True)
def _setup(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    categories()


@pytest.fixture
def reports() -> dict[str, Report]:
    """Reports in every state, with nulls, photos, links, escapes and odd floats."""
    ward = unit_named(THUDUC)
    leader = make_staff("leader.td", ward, Role.LEADER)
    lat, lon = thu_duc_point()
    day = dt.timedelta(days=1)
    made = {
        "received": filed(ago=day * 1, description=TRICKY, address=f"Số 12 {TRICKY}"),
        "photo": filed(ago=day * 2, photos=[jpeg(), jpeg()]),
        "links": filed(ago=day * 3, media_urls=["https://example.org/a.jpg?x=1&y=<2>",
                                                "https://example.org/b.jpg"]),
        "legacy_address": filed(ago=day * 4, latitude=None, longitude=None,
                                category="moi-truong-rac", attributes={},
                                address="Phường Thảo Điền, Quận 2, TP.HCM"),
        "precise": filed(ago=day * 5, latitude=lat + 0.000123456789012345,
                         longitude=lon - 0.0000987654321),
        "department": filed(ago=day * 6, category="xe-buyt", attributes={"route": "19"}),
        "assigned": filed(ago=day * 7),
        "in_progress": filed(ago=day * 8),
        "resolved": filed(ago=day * 9, photos=[jpeg()]),
        "closed": filed(ago=day * 10),
        "rejected": filed(ago=day * 11, category="tieng-on", attributes={"source": "karaoke"}),
        "rejected_no_reply": filed(ago=day * 12),
        "rejected_no_pointer": filed(ago=day * 12, description="Không có ai"),
        "original": filed(ago=day * 13),
        "merged": filed(ago=day * 14, description="Trùng"),
        "transferred": filed(ago=day * 15),
        "old": filed(ago=day * 150),
        "hidden": filed(ago=day * 16),
        "nulls": filed(ago=day * 17),
    }
    services.assign_report(actor=leader, report=made["assigned"], assignee=leader)
    for key in ("in_progress", "resolved", "closed"):
        services.assign_report(actor=leader, report=made[key], assignee=leader)
    services.start_work(actor=leader, report=made["in_progress"], comment="Đang xử lý")
    services.resolve_report(actor=leader, report=made["resolved"], photos=[jpeg()],
                            reply=f"Đã khơi thông.\nDòng hai: {TRICKY}")
    services.resolve_report(actor=leader, report=made["closed"], reply="Đã xong.")
    services.rate_report(actor=services.ANONYMOUS, report=made["closed"], rating=5,
                         private_token=private_token_of(made["closed"]))
    services.reject_report(actor=leader, report=made["rejected"], reason="not_in_remit",
                           reply="Không thuộc phường.", responsible="Công an <phường> & đội")
    for key in ("rejected_no_reply", "rejected_no_pointer"):
        services.reject_report(actor=leader, report=made[key], reason="handled_elsewhere",
                               reply="Đã chuyển.", responsible="Sở Xây dựng")
    services.merge_duplicate(actor=leader, report=made["merged"], original=made["original"])
    services.transfer_report(actor=leader, report=made["transferred"],
                             to_unit=unit_named(ANKHANH), reason="Sai địa bàn")
    Report.objects.filter(pk=made["hidden"].pk).update(is_public=False)
    # What the services never leave but a renderer must survive: empty and missing values,
    # and a moment a hair before the next second (the second is cut, not rounded).
    Report.objects.filter(pk=made["nulls"].pk).update(
        due_at=None, routing_reason="", routing_reasons={}, address="", place_unit=None,
        latitude=None, longitude=None,
        created_at=(timezone.now() - day * 17).replace(microsecond=999_999))
    Report.objects.filter(pk=made["rejected_no_reply"].pk).update(public_reply="")
    Report.objects.filter(pk=made["rejected_no_pointer"].pk).update(responsible_pointer="")
    Category.objects.filter(code="moi-truong-rac").update(name_en="")
    for key, report in made.items():
        report.refresh_from_db()
        made[key] = report
    assert made["department"].unit == department("79-SXD")
    assert {r.state for r in made.values()} >= {
        "received", "assigned", "in_progress", "resolved", "closed", "rejected", "merged"}
    return made


def _get(client: Client, path: str, params: dict[str, str], language: str,
         ) -> tuple[int, bytes, bool]:
    """Status, body, and whether the page was built by one SQL statement."""
    with CaptureQueriesContext(connection) as seen:
        answer = client.get(path, params, HTTP_ACCEPT_LANGUAGE=language)
    in_sql = any("json_build_object" in q["sql"] or "json_object(" in q["sql"]
                 for q in seen.captured_queries)
    return answer.status_code, answer.content, in_sql


def _both(client: Client, settings: Settings, path: str, params: dict[str, str], language: str,
          ) -> tuple[tuple[int, bytes, bool], tuple[int, bytes, bool]]:
    settings.CITYHALL_OPEN311_SQL_PAGES = True
    fast = _get(client, path, params, language)
    settings.CITYHALL_OPEN311_SQL_PAGES = False
    reference = _get(client, path, params, language)
    settings.CITYHALL_OPEN311_SQL_PAGES = True
    return fast, reference


def _cases(made: dict[str, Report]) -> list[dict[str, str]]:
    lat, lon = thu_duc_point()
    now = timezone.now()
    return [
        {}, {"page_size": "3"}, {"page_size": "4", "page": "2"}, {"page_size": "5", "page": "9"},
        {"service_request_id": ",".join(r.code for r in made.values())},
        {"service_request_id": made["merged"].code, "status": "open"},
        {"service_code": "ngap-ha-tang"}, {"service_code": "tieng-on,moi-truong-rac,xe-buyt"},
        {"status": "open"}, {"status": "closed"}, {"status": "open,closed"},
        {"start_date": (now - dt.timedelta(days=400)).isoformat()},
        {"start_date": (now - dt.timedelta(days=10)).isoformat(),
         "end_date": (now - dt.timedelta(days=3)).isoformat(), "service_code": "ngap-ha-tang"},
        {"end_date": (now - dt.timedelta(days=100)).isoformat()},
        {"updated_after": (now - dt.timedelta(minutes=5)).isoformat()},
        {"updated_before": (now - dt.timedelta(minutes=5)).isoformat()},
        {"lat": str(lat), "long": str(lon), "radius": "200"},
        {"bbox": f"{lat - 0.01},{lon - 0.01},{lat + 0.01},{lon + 0.01}"},
    ]


def test_the_database_builds_the_same_json_and_xml_as_python(
    client: Client, settings: Settings, reports: dict[str, Report],
) -> None:
    assert pages.supported()
    seen_codes: set[str] = set()
    for language in ("vi", "en"):
        for params in _cases(reports):
            for fmt in ("json", "xml"):
                path = f"{BASE}requests.{fmt}"
                fast, reference = _both(client, settings, path, params, language)
                assert fast[2] and not reference[2], "each path runs as asked"
                assert fast[0] == reference[0] == 200, (params, fast[1][:300])
                if fmt == "xml":
                    assert fast[1] == reference[1], (params, language)
                    continue
                got, want = json.loads(fast[1]), json.loads(reference[1])
                assert got == want, (params, language)
                seen_codes.update(item["service_request_id"] for item in got)
    assert reports["hidden"].code not in seen_codes
    assert seen_codes == {r.code for key, r in reports.items() if key != "hidden"}


def test_one_request_is_the_same_in_both_and_a_missing_one_is_a_404(
    client: Client, settings: Settings, reports: dict[str, Report],
) -> None:
    for key in ("received", "rejected", "merged", "photo", "nulls", "hidden"):
        for fmt in ("json", "xml"):
            path = f"{BASE}requests/{reports[key].code}.{fmt}"
            fast, reference = _both(client, settings, path, {}, "vi")
            assert fast[0] == reference[0] == (404 if key == "hidden" else 200)
            if fmt == "xml":
                assert fast[1] == reference[1]
            else:
                assert json.loads(fast[1]) == json.loads(reference[1])


def test_the_values_are_what_a_client_expects(
    client: Client, reports: dict[str, Report],
) -> None:
    data = {item["service_request_id"]: item for item in json.loads(
        client.get(f"{BASE}requests.json", {"start_date": "2020-01-01"},
                   HTTP_ACCEPT_LANGUAGE="en").content)}
    received, nulls = data[reports["received"].code], data[reports["nulls"].code]
    assert received["description"] == TRICKY
    # Why it went to its unit, in the language asked for, as the pages say it.
    english_reason = reports["received"].routing_reasons["en"]
    assert english_reason and english_reason != reports["received"].routing_reason
    assert received["service_notice"] == english_reason
    assert data[reports["rejected"].code]["status_notes"] == (
        "Không thuộc phường.\nResponsible: Công an <phường> & đội")
    assert data[reports["merged"].code]["status_notes"].startswith(
        f"Merged into {reports['original'].code}")
    assert data[reports["photo"].code]["media_url"].startswith(
        f"http://testserver/reports/{reports['photo'].code}/photos/")
    assert data[reports["links"].code]["media_url"] == "https://example.org/a.jpg?x=1&y=<2>"
    assert data[reports["precise"].code]["lat"] == reports["precise"].latitude
    assert data[reports["legacy_address"].code]["service_name"] == reports[
        "legacy_address"].category.name
    for name in ("expected_datetime", "service_notice", "address", "address_id", "lat",
                 "long", "zipcode", "media_url"):
        assert nulls[name] is None, name
    assert nulls["requested_datetime"] == timezone.localtime(
        reports["nulls"].created_at).isoformat(timespec="seconds")


def test_a_bare_date_is_midnight_utc(client: Client) -> None:
    report = filed(ago=dt.timedelta(days=1))
    day = timezone.now().astimezone(dt.UTC).date()

    def ids(**params: str) -> list[str]:
        answer = client.get(f"{BASE}requests.json", params)
        assert answer.status_code == 200, answer.content
        return [item["service_request_id"] for item in json.loads(answer.content)]

    assert ids(start_date=str(day - dt.timedelta(days=3))) == [report.code]
    assert ids(end_date=str(day - dt.timedelta(days=3))) == []


def test_a_list_may_be_reused_for_a_few_seconds_by_proxies(client: Client) -> None:
    filed()
    for path in (f"{BASE}requests.json", f"{BASE}requests.xml",
                 f"{BASE}requests.json?extensions=true"):
        answer = client.get(path)
        assert answer["Cache-Control"] == "public, max-age=5"
        assert "Accept-Language" in answer["Vary"]
    assert not client.get(f"{BASE}requests.json?status=x").has_header("Cache-Control")


def test_a_city_with_daylight_saving_keeps_the_python_renderer(settings: Settings) -> None:
    pages.city_offset.cache_clear()
    try:
        settings.TIME_ZONE = "Europe/Paris"
        assert pages.city_offset() is None and not pages.supported()
        settings.TIME_ZONE = "Asia/Ho_Chi_Minh"
        pages.city_offset.cache_clear()
        assert pages.city_offset() == dt.timedelta(hours=7) and pages.supported()
    finally:
        pages.city_offset.cache_clear()
