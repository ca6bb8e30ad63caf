"""Assigning a report to the person who has it already changes nothing, and the answer says so."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from cityhall.notifications.models import Notification
from cityhall.reports import services
from cityhall.reports.models import Report
from cityhall.workflow import engine
from tests.factories import Personas, at, bearer
from tests.reports_support import MON
from tests.workflow_support import run_together


def _file(count: int = 1) -> list[Report]:
    return [services.submit_report(
        actor=services.ANONYMOUS, category="moi-truong-rac", channel="web",
        description=f"Rác số {i}", address="Phường Sài Gòn, TP.HCM").report for i in range(count)]


def _assign(client: Client, report: Report, assignee: str, headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/reports/{report.code}/assign",
                       json.dumps({"assignee": assignee}), content_type="application/json",
                       headers=headers)


def _assigned_notices(report: Report) -> int:
    return Notification.objects.filter(subject_ref=f"reports.report:{report.pk}",
                                       subject__startswith="Hồ sơ được giao").count()


def test_the_service_says_whether_an_assignment_changed_anything(
    reports_ready: None, people: Personas,
) -> None:
    (report,) = _file()
    first = services.assign_report(actor=people.leader, report=report, assignee=people.officer,
                                   now=MON)
    again = services.assign_report(actor=people.leader, report=report, assignee=people.officer,
                                   now=at(2026, 3, 2, 10))
    assert (first.report, first.changed) == (report, True)
    assert (again.report, again.changed) == (report, False)
    assert [t.action for t in engine.history(report)] == ["start", "assign"]
    assert _assigned_notices(report) == 1
    assert Report.objects.get(pk=report.pk).updated_at == MON  # nothing was touched


def test_assigning_twice_through_the_api_answers_changed_then_unchanged(
    client: Client, reports_ready: None, people: Personas,
) -> None:
    (report,) = _file()
    headers = bearer(people.leader)
    first = _assign(client, report, people.officer.username, headers)
    again = _assign(client, report, people.officer.username, headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["changed"], again.json()["changed"]) == (True, False)
    assert again.json()["assignee"] == people.officer.username
    assert again.json()["state"] == "assigned"
    assert [s["action"] for s in again.json()["history"]] == ["start", "assign"]
    assert _assigned_notices(report) == 1
    # Someone else is a change again.
    other = _assign(client, report, people.leader.username, headers)
    assert other.json()["changed"] is True


def test_bulk_assign_skips_the_reports_already_with_that_person_and_says_so(
    client: Client, reports_ready: None, people: Personas,
) -> None:
    first, second, third = _file(3)
    services.assign_report(actor=people.leader, report=second, assignee=people.officer)
    codes = [first.code, second.code, third.code]
    response = client.post("/api/v1/reports/assign",
                           json.dumps({"codes": codes, "assignee": people.officer.username}),
                           content_type="application/json", headers=bearer(people.leader))
    assert response.status_code == 200
    assert response.json() == {"assigned": codes, "changed": [first.code, third.code],
                               "unchanged": [second.code]}
    assert [t.action for t in engine.history(second)] == ["start", "assign"]
    assert [_assigned_notices(r) for r in (first, second, third)] == [1, 1, 1]


def test_the_openapi_schema_documents_what_the_assign_answers_say(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()

    def answer(path: str) -> dict[str, Any]:
        ref = schema["paths"][path]["post"]["responses"]["200"]["content"][
            "application/json"]["schema"]["$ref"]
        return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

    single = answer("/api/v1/reports/{code}/assign")
    assert "changed" in single["required"]
    assert "already" in single["properties"]["changed"]["description"]
    bulk = answer("/api/v1/reports/assign")
    assert {"assigned", "changed", "unchanged"} <= set(bulk["required"])
    assert "already" in bulk["properties"]["unchanged"]["description"]


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL: truly concurrent requests on one row")
def test_six_identical_assign_requests_at_once_make_one_step_and_one_notice(
    committed_registry: None, reports_ready: None, people: Personas,
) -> None:
    (report,) = _file()
    tokens = [bearer(people.leader) for _ in range(6)]
    answers = run_together(*[
        (lambda h=h: _assign(Client(), report, people.officer.username, h)) for h in tokens
    ])
    assert [a.status_code for a in answers] == [200] * 6
    assert sorted(a.json()["changed"] for a in answers) == [False] * 5 + [True]
    assert {a.json()["assignee"] for a in answers} == {people.officer.username}
    assert [t.action for t in engine.history(report)] == ["start", "assign"]
    assert _assigned_notices(report) == 1
