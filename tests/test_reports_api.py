"""The reports API: scope personas, fixed query counts, idempotent create, actions, statistics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cityhall.accounts.models import User
from cityhall.core.models import PersonalDataRead
from cityhall.reports import services
from cityhall.reports.models import Report
from tests.factories import THUDUC, Personas, bearer, unit_named

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reports_ready")]


def _file(count: int, address: str = "Phường Sài Gòn, TP.HCM") -> list[Report]:
    return [services.submit_report(
        actor=services.ANONYMOUS, category="moi-truong-rac", channel="web",
        description=f"Rác số {i}", address=address).report for i in range(count)]


def _get(client: Client, path: str, user: User | None = None, **params: Any) -> Response:
    headers = bearer(user) if user is not None else {}
    return client.get(path, params, headers=headers)


def _post(client: Client, path: str, body: dict[str, Any], user: User | None = None,
          **headers: str) -> Response:
    if user is not None:
        headers.update(bearer(user))
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def test_the_queue_shows_each_persona_its_own_scope(client: Client, people: Personas) -> None:
    _file(2)
    _file(1, address="Phường Thủ Đức, TP.HCM")
    expected = {"leader": 2, "officer": 2, "outsider": 1, "city_leader": 3, "kp_head": 0,
                "resident": 0}
    for name, user in people.all().items():
        response = _get(client, "/api/v1/reports", user)
        if user is None:
            assert response.status_code == 401
            assert response.json()["code"] == "not_authenticated"
            continue
        assert response.status_code == 200, name
        assert response.json()["count"] == expected[name], name


def test_a_report_outside_the_scope_answers_404(client: Client, people: Personas) -> None:
    (report,) = _file(1)
    assert _get(client, f"/api/v1/reports/{report.code}", people.outsider).status_code == 404
    detail = _get(client, f"/api/v1/reports/{report.code}", people.leader).json()
    assert detail["history"][0]["action"] == "start"
    assert detail["actions"] == ["assign", "take", "transfer", "reject", "merge"]


def test_the_list_costs_the_same_queries_whatever_the_page_size(
    client: Client, people: Personas
) -> None:
    _file(2)
    headers = bearer(people.leader)
    client.get("/api/v1/reports", headers=headers)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/reports", headers=headers).json()["count"] == 2
    _file(8)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/reports", headers=headers).json()["items"]) == 10
    assert len(few.captured_queries) == len(many.captured_queries) <= 6


def test_the_detail_costs_a_fixed_number_of_queries(client: Client, people: Personas) -> None:
    (report,) = _file(1)
    headers = bearer(people.leader)
    client.get(f"/api/v1/reports/{report.code}", headers=headers)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/api/v1/reports/{report.code}", headers=headers).status_code == 200
    assert len(ctx.captured_queries) <= 8


def test_create_is_idempotent_with_the_same_key(client: Client, people: Personas) -> None:
    unit = unit_named(THUDUC)
    body = {"category": "ngap-ha-tang", "description": "Ngập", "latitude": unit.latitude,
            "longitude": unit.longitude, "channel": "web",
            "attributes": {"kind": "flooding"}}
    first = _post(client, "/api/v1/reports", body, people.resident, **{"Idempotency-Key": "k1"})
    assert first.status_code == 201, first.json()
    again = _post(client, "/api/v1/reports", body, people.resident, **{"Idempotency-Key": "k1"})
    assert again.status_code == 200
    assert again.json()["code"] == first.json()["code"]
    assert again.json()["private_token"] == first.json()["private_token"]
    assert first.json()["unit_name"] == "Phường Thủ Đức"
    assert Report.objects.count() == 1
    assert Report.objects.get().reporter == people.resident


def test_the_idempotency_key_is_documented_and_bounded(client: Client, people: Personas) -> None:
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/reports"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["schema"]["maxLength"] == 100
    unit = unit_named(THUDUC)
    body = {"category": "ngap-ha-tang", "description": "Ngập", "latitude": unit.latitude,
            "longitude": unit.longitude, "channel": "web", "attributes": {"kind": "flooding"}}
    # Two long keys that share their first 100 characters were once the same key.
    response = _post(client, "/api/v1/reports", body, people.resident,
                     **{"Idempotency-Key": "k" * 101})
    assert response.status_code == 422
    assert Report.objects.count() == 0


def test_create_refuses_bad_input_with_a_code(client: Client, people: Personas) -> None:
    response = _post(client, "/api/v1/reports", {"category": "hanh-chinh-cong",
                                                 "description": "x", "address": "Phường Sài Gòn"})
    assert response.status_code == 400
    assert response.json()["code"] == "anonymous_not_allowed"
    response = _post(client, "/api/v1/reports", {"category": "moi-truong-rac",
                                                 "description": "x", "channel": "hotline",
                                                 "address": "Phường Sài Gòn"})
    assert response.status_code == 403
    assert Report.objects.count() == 0


def test_staff_handle_a_report_through_the_api(client: Client, people: Personas) -> None:
    original, dup = _file(2)
    base = f"/api/v1/reports/{original.code}"
    response = _post(client, f"{base}/assign", {"assignee": people.officer.username},
                     people.leader)
    assert response.status_code == 200 and response.json()["state"] == "assigned"
    assert _post(client, f"{base}/act", {"action": "start_work"}, people.leader
                 ).status_code == 403
    response = _post(client, f"{base}/act", {"action": "start_work"}, people.officer)
    assert response.json()["state"] == "in_progress"
    response = _post(client, f"{base}/reply", {"reply": "Đã thu gom."}, people.officer)
    assert response.json()["state"] == "resolved"
    assert response.json()["public_reply"] == "Đã thu gom."
    response = _post(client, f"/api/v1/reports/{dup.code}/merge", {"into": original.code},
                     people.officer)
    assert response.json()["state"] == "merged"
    assert response.json()["duplicate_of"] == original.code
    assert _post(client, f"{base}/reply", {"reply": "again"}, people.officer).status_code == 409


def test_bulk_assign_is_all_or_nothing(client: Client, people: Personas) -> None:
    mine = _file(2)
    (other,) = _file(1, address="Phường Thủ Đức, TP.HCM")
    codes = [r.code for r in mine]
    response = _post(client, "/api/v1/reports/assign",
                     {"codes": [*codes, other.code], "assignee": people.officer.username},
                     people.leader)
    assert response.status_code == 404
    assert Report.objects.filter(state="assigned").count() == 0
    response = _post(client, "/api/v1/reports/assign",
                     {"codes": codes, "assignee": people.officer.username}, people.leader)
    assert response.json() == {"assigned": codes, "changed": codes, "unchanged": []}
    assert Report.objects.filter(state="assigned").count() == 2


def test_transfer_and_reject_through_act(client: Client, people: Personas) -> None:
    first, second = _file(2)
    response = _post(client, f"/api/v1/reports/{first.code}/act",
                     {"action": "transfer", "to_unit": "79-SNNMT", "comment": "Thuộc Sở"},
                     people.leader)
    assert response.status_code == 200
    assert response.json()["unit_code"] == "79-SNNMT"
    response = _post(client, f"/api/v1/reports/{second.code}/act",
                     {"action": "reject", "reason": "not_in_remit", "comment": "Không thuộc",
                      "responsible": "Công an Thành phố"}, people.leader)
    assert response.json()["state"] == "rejected"
    assert response.json()["responsible_pointer"] == "Công an Thành phố"


def test_the_contact_is_read_only_by_staff_of_the_unit_and_logged(
    client: Client, people: Personas
) -> None:
    report = services.submit_report(
        actor=people.resident, category="moi-truong-rac", channel="web", description="x",
        address="Phường Sài Gòn").report
    url = f"/api/v1/reports/{report.code}/contact"
    assert _get(client, url, people.outsider).status_code == 404
    response = _get(client, url, people.officer, purpose="gọi lại")
    assert response.json() == {"account_full_name": "Trần Thị Dân",
                               "account_phone": "0911111111"}
    read = PersonalDataRead.objects.get()
    assert read.subject == people.resident and read.reader == people.officer


def test_statistics_are_public_and_count_the_rows(client: Client, people: Personas) -> None:
    _file(3)
    body = _get(client, "/api/v1/reports/statistics").json()
    assert body["received"] == 3 and body["resolved"] == 0
    assert body["on_time_rate"] is None
    assert body["by_unit"][0]["name"] == "Phường Sài Gòn"


def test_the_routing_reason_is_answered_in_the_request_language(
    client: Client, people: Personas
) -> None:
    body = {"category": "ngap-ha-tang", "description": "Ngập", "channel": "web",
            "address": "Phường Thủ Đức, TP.HCM", "attributes": {"kind": "flooding"}}
    made = _post(client, "/api/v1/reports", body, people.resident,
                 **{"Accept-Language": "en"})
    assert made.status_code == 201, made.json()
    report = Report.objects.get(code=made.json()["code"])
    english = report.routing_reasons["en"]
    assert made.json()["routing_reason"] == english
    assert "the address names this unit" in english
    # The reporter's view, and the staff view of a leader of Phường Thủ Đức.
    follow = client.get(f"/api/v1/reports/{report.code}/follow",
                        headers={**bearer(people.resident), "Accept-Language": "en"})
    assert follow.json()["routing_reason"] == english
    staff = client.get(f"/api/v1/reports/{report.code}",
                       headers={**bearer(people.outsider), "Accept-Language": "vi"})
    assert staff.json()["routing_reason"] == report.routing_reasons["vi"] != english
