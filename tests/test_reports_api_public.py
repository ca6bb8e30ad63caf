"""The public reports list and moderation: no personal data in public, filters, a fixed query
count; a hidden report leaves every public view but stays in the staff queue."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cityhall.accounts.models import Role, User
from cityhall.core.models import AuditEntry
from cityhall.reports import services
from cityhall.reports.models import Report
from cityhall.reports.services import Contact, ReportError
from tests.factories import Personas, bearer, make_staff
from tests.reports_support import flood, thu_duc_point

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reports_ready")]

PUBLIC_FIELDS = {
    "code", "category", "category_name", "category_name_en", "state", "unit_code", "unit_name",
    "description", "address", "latitude", "longitude", "created_at", "due_at", "overdue",
    "public_reply", "replied_at", "resolved_at",
}


def _file(count: int = 1, address: str = "Phường Sài Gòn, TP.HCM", **extra: Any) -> list[Report]:
    return [services.submit_report(
        actor=services.ANONYMOUS, category="moi-truong-rac", channel="web",
        description=f"Rác số {i}", address=address, **extra).report for i in range(count)]


def _post(
    client: Client, path: str, body: dict[str, Any], user: User | None = None
) -> Response:
    headers = bearer(user) if user is not None else {}
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def _public_codes(client: Client, **params: Any) -> list[str]:
    response = client.get("/api/v1/reports/public", params)
    assert response.status_code == 200, response.json()
    return [item["code"] for item in response.json()["items"]]


def test_the_public_list_has_no_personal_data(client: Client, people: Personas) -> None:
    (report,) = _file(contact=Contact(name="Nguyễn Thị Lan", phone="0909123456",
                                      email="lan@example.vn"))
    services.assign_report(actor=people.leader, report=report, assignee=people.officer,
                           comment="Nội bộ: gọi chị Lan")
    response = client.get("/api/v1/reports/public")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert set(item) == PUBLIC_FIELDS
    assert item["code"] == report.code and item["unit_name"] == "Phường Sài Gòn"
    for secret in ("Nguyễn Thị Lan", "0909123456", "lan@example.vn", "gọi chị Lan",
                   people.officer.username):
        assert secret not in response.content.decode()


def test_the_public_list_filters_by_category_unit_state_and_box(
    client: Client, people: Personas
) -> None:
    (saigon,) = _file()
    wet = flood(now=None).report  # a point report in Phường Thủ Đức
    services.assign_report(actor=people.leader, report=saigon, assignee=people.officer)
    assert set(_public_codes(client)) == {saigon.code, wet.code}
    assert _public_codes(client, category="ngap-ha-tang") == [wet.code]
    assert _public_codes(client, unit=people.other_ward.code) == [wet.code]
    assert _public_codes(client, state="assigned") == [saigon.code]
    lat, lon = thu_duc_point()
    box = f"{lat - 0.01},{lon - 0.01},{lat + 0.01},{lon + 0.01}"
    assert _public_codes(client, bbox=box) == [wet.code]
    # Longitude first (GeoJSON order) lies outside latitude's range and is refused.
    swapped = client.get("/api/v1/reports/public",
                         {"bbox": f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"})
    assert swapped.status_code == 422 and swapped.json()["code"] == "invalid"
    assert swapped.json()["detail"][0]["loc"][-1] == "bbox"
    for bad in ("1,2,3", "a,b,c,d", "nan,0,1,1", "10,10,9,11"):
        response = client.get("/api/v1/reports/public", {"bbox": bad})
        assert response.status_code == 422, bad
    assert client.get("/api/v1/reports/public", {"state": "lost"}).status_code == 422
    page = client.get("/api/v1/reports/public", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and len(page["items"]) == 1


def test_the_public_list_costs_two_queries_whatever_the_page_size(
    client: Client, people: Personas
) -> None:
    _file(2)
    client.get("/api/v1/reports/public")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/reports/public").json()["count"] == 2
    _file(8, address="Phường Thủ Đức, TP.HCM")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/reports/public").json()["items"]) == 10
    assert len(few.captured_queries) == len(many.captured_queries) == 2


def test_a_hidden_report_leaves_every_public_view_but_not_the_staff_queue(
    client: Client, people: Personas
) -> None:
    shown, hidden = _file(2)
    token = services.private_token_of(hidden)
    response = _post(client, f"/api/v1/reports/{hidden.code}/hide",
                     {"reason": "Có số điện thoại cá nhân trong mô tả"}, people.leader)
    assert response.status_code == 200, response.json()
    assert response.json()["is_public"] is False
    entry = AuditEntry.objects.get(action="reports.hide")
    assert entry.actor_user == people.leader
    assert entry.changes["reason"][1] == "Có số điện thoại cá nhân trong mô tả"
    assert _public_codes(client) == [shown.code]
    assert client.get("/api/v1/reports/statistics").json()["received"] == 1
    listed = client.get("/open311/v2/requests.json").json()
    assert [r["service_request_id"] for r in listed] == [shown.code]
    assert client.get(f"/open311/v2/requests/{hidden.code}.json").status_code == 404
    page = client.get(reverse("reports:report_list")).content.decode()
    assert shown.code in page and hidden.code not in page
    assert client.get(reverse("reports:report_follow", args=[hidden.code])).status_code == 404
    queue = client.get("/api/v1/reports", headers=bearer(people.officer)).json()
    assert {i["code"] for i in queue["items"]} == {shown.code, hidden.code}
    # The reporter still follows it and is told it is not shown publicly.
    follow = client.get(f"/api/v1/reports/{hidden.code}/follow",
                        headers={"X-Report-Token": token})
    assert follow.status_code == 200 and follow.json()["shown_publicly"] is False


def test_only_leaders_and_administrators_of_the_unit_moderate(
    client: Client, people: Personas
) -> None:
    (report,) = _file()
    url = f"/api/v1/reports/{report.code}/hide"
    body = {"reason": "Nội dung xúc phạm"}
    admin = make_staff("p.admin", people.ward, Role.ADMIN)
    expected = {"officer": 403, "outsider": 404, "kp_head": 404, "resident": 404,
                "anonymous": 401}
    for name, user in people.all().items():
        if name in expected:
            response = _post(client, url, body, user)
            assert response.status_code == expected[name], name
    assert _post(client, url, body, people.officer).json()["code"] == "not_allowed"
    assert Report.objects.get(pk=report.pk).is_public is True
    assert not AuditEntry.objects.filter(action="reports.hide").exists()
    assert _post(client, url, body, people.city_leader).status_code == 200
    response = _post(client, f"/api/v1/reports/{report.code}/publish", {}, admin)
    assert response.status_code == 200 and response.json()["is_public"] is True
    with pytest.raises(ReportError) as refused:
        services.hide_report(actor=services.ANONYMOUS, report=report, reason="x")
    assert refused.value.code == "not_allowed"


def test_hiding_twice_changes_nothing_and_publishing_restores(
    client: Client, people: Personas
) -> None:
    (report,) = _file()
    url = f"/api/v1/reports/{report.code}"
    blank = _post(client, f"{url}/hide", {"reason": "  "}, people.leader)
    # A blank reason is refused by the schema (docs/api.md, "Text"), before the service.
    assert blank.status_code == 422 and blank.json()["code"] == "invalid"
    assert _post(client, f"{url}/hide", {}, people.leader).status_code == 422
    for _ in range(2):
        response = _post(client, f"{url}/hide", {"reason": "Trùng lặp spam"}, people.leader)
        assert response.status_code == 200 and response.json()["is_public"] is False
    assert AuditEntry.objects.filter(action="reports.hide").count() == 1
    assert _public_codes(client) == []
    for _ in range(2):
        response = _post(client, f"{url}/publish", {"reason": "Đã xem lại"}, people.leader)
        assert response.status_code == 200 and response.json()["is_public"] is True
    assert AuditEntry.objects.filter(action="reports.publish").count() == 1
    assert _public_codes(client) == [report.code]


def test_a_hidden_report_is_not_suggested_as_a_duplicate(
    client: Client, people: Personas
) -> None:
    # people.outsider leads Phường Thủ Đức, where the flooding reports are.
    shown, hidden = flood(now=None).report, flood(now=None, description="Ngập nữa").report
    services.hide_report(actor=people.outsider, report=hidden, reason="spam")
    lat, lon = thu_duc_point()
    body = {"category": "ngap-ha-tang", "description": "Ngập đường", "latitude": lat,
            "longitude": lon, "channel": "web", "attributes": {"kind": "flooding"}}
    response = _post(client, "/api/v1/reports", body)
    assert response.status_code == 201, response.json()
    assert [d["code"] for d in response.json()["duplicates"]] == [shown.code]


def test_a_date_filter_with_any_offset_is_read_and_none_gives_a_500(
    client: Client, people: Personas
) -> None:
    _file()
    # PostgreSQL refuses offsets past ±15:59 that Python accepts: the filter passes UTC on.
    for moment in ("2026-03-02T09:00:00+21:14", "2026-03-02T09:00:00-23:59",
                   "2026-03-02T09:00:00"):
        response = client.get("/api/v1/reports/public", {"received_after": moment})
        assert response.status_code == 200, (moment, response.content)
