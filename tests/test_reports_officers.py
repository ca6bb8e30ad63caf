"""Officers on the staff pages: only the actions they may take, taking a report, refusals."""

from __future__ import annotations

import pytest
from django.test import Client

from cityhall.core.models import AuditEntry
from cityhall.reports import services
from cityhall.reports.models import Report
from cityhall.workflow import engine
from cityhall.workflow.models import Transition
from cityhall.workflow.spec import DefinitionError, parse
from tests.clients import signed_in
from tests.factories import WardTeam, ward_team
from tests.reports_support import flood

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(reports_ready: None) -> WardTeam:
    return ward_team()


def fresh() -> Report:
    return flood(now=None).report


def buttons(page: str) -> set[str]:
    import re

    return set(re.findall(r'data-action="([a-z_]+)"', page))


def test_an_officer_sees_take_and_the_actions_of_officers_only(ward: WardTeam) -> None:
    report = fresh()
    page = signed_in(ward.officer).get(f"/staff/reports/{report.code}/").content.decode()
    assert buttons(page) == set(engine.available_actions(report, ward.officer))
    assert "take" in buttons(page) and "Nhận xử lý" in page
    # The workflow gives assigning and declining to leaders and clerks, not to officers.
    assert not {"assign", "reject"} & buttons(page)
    leader_page = signed_in(ward.leader).get(f"/staff/reports/{report.code}/").content.decode()
    assert {"assign", "reject", "take"} <= buttons(leader_page)


def test_an_officer_takes_an_unassigned_report_and_it_is_recorded(ward: WardTeam) -> None:
    report = fresh()
    response = signed_in(ward.officer).post(f"/staff/reports/{report.code.lower()}/take/")
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.state, report.assignee) == ("assigned", ward.officer)
    step = Transition.objects.for_case(report).order_by("-seq").first()
    assert step is not None and (step.action, step.actor, step.assignee) == (
        "take", ward.officer, ward.officer)
    assert AuditEntry.objects.filter(action="workflow.take", object_id=str(report.pk)).exists()
    # Taken: nobody else is offered it, and the taker may start work.
    other_page = signed_in(ward.other).get(f"/staff/reports/{report.code}/").content.decode()
    assert "take" not in buttons(other_page)
    assert "start_work" in buttons(signed_in(ward.officer).get(
        f"/staff/reports/{report.code}/").content.decode())


def test_a_report_someone_took_a_moment_ago_is_refused_as_an_error_in_both_languages(
    ward: WardTeam,
) -> None:
    report = fresh()
    late = signed_in(ward.other)
    services.take_report(actor=ward.officer, report=Report.objects.get(pk=report.pk))
    refused = late.post(f"/staff/reports/{report.code}/take/")
    page = refused.content.decode()
    assert refused.status_code == 400
    assert 'class="error-summary" role="alert"' in page
    assert "Có thể ai đó vừa xử lý" in page and "cannot be taken" not in page
    english = signed_in(ward.other, "en").post(f"/staff/reports/{report.code}/take/")
    assert "Someone may have acted on it a moment ago" in english.content.decode()
    report.refresh_from_db()
    assert report.assignee == ward.officer


def test_the_queue_offers_take_on_unassigned_rows_and_assign_only_to_who_may(
    ward: WardTeam,
) -> None:
    waiting = fresh()
    taken = fresh()
    services.take_report(actor=ward.other, report=taken)
    officer_queue = signed_in(ward.officer).get("/staff/reports/").content.decode()
    assert f'data-take="{waiting.code}"' in officer_queue
    assert f'data-take="{taken.code}"' not in officer_queue
    # Officers do not assign: no ticks, no assign bar.
    assert 'id="bulk-assignee"' not in officer_queue and 'name="codes"' not in officer_queue
    clerk_queue = signed_in(ward.clerk).get("/staff/reports/").content.decode()
    assert 'id="bulk-assignee"' in clerk_queue and f'id="pick-{waiting.code}"' in clerk_queue


def test_the_queue_finds_a_report_by_its_code_in_any_case_and_state(ward: WardTeam) -> None:
    report = fresh()
    fresh()
    services.take_action(actor=ward.leader, report=report, action="reject",
                         reason="not_in_remit", reply="Không thuộc phường.", responsible="Sở")
    page = signed_in(ward.officer).get("/staff/reports/", {"code": report.code.lower()})
    rows = page.content.decode().count('class="report-code"')
    assert rows == 1 and report.code in page.content.decode()


def test_a_failed_bulk_assignment_is_an_error_message_in_the_readers_language(
    ward: WardTeam,
) -> None:
    report = fresh()
    response = signed_in(ward.clerk).post("/staff/reports/assign/", {
        "codes": [report.code], "assignee": ward.outsider.username}, follow=True)
    page = response.content.decode()
    assert 'class="message message-error" role="alert"' in page
    assert "cannot be taken" not in page


def test_the_merge_form_suggests_the_report_at_the_same_address(ward: WardTeam) -> None:
    first = flood(now=None, latitude=None, longitude=None,
                  address="Số 12 đường Võ Văn Ngân, Phường Thủ Đức").report
    second = flood(now=None, latitude=None, longitude=None,
                   address="12 Võ Văn Ngân, phường Thủ Đức", description="Ngập sau mưa").report
    officer = signed_in(ward.officer)
    page = officer.get(f"/staff/reports/{second.code}/").content.decode()
    assert 'data-testid="merge-suggestions"' in page
    assert f'name="suggested" value="{first.code}"' in page
    assert officer.post(f"/staff/reports/{second.code}/merge/",
                        {"suggested": first.code}).status_code == 302
    second.refresh_from_db()
    assert (second.state, second.duplicate_of) == ("merged", first)


def test_a_merge_target_typed_in_lower_case_is_found(ward: WardTeam) -> None:
    first, second = fresh(), fresh()
    response = signed_in(ward.officer).post(f"/staff/reports/{second.code}/merge/",
                                            {"original": f" {first.code.lower()} "})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.duplicate_of == first


def test_self_assign_is_refused_beside_an_assignee_requirement() -> None:
    spec = {
        "name": "x", "version": 1,
        "states": {"new": {"start": True}, "mine": {}, "done": {"terminal": True}},
        "actions": {"take": {"from": ["new"], "to": "mine", "roles": ["officer"],
                             "self_assign": True, "requires": ["assignee"]}},
    }
    with pytest.raises(DefinitionError, match="self_assign"):
        parse(spec)
    spec["actions"]["take"].pop("requires")  # type: ignore[index]
    assert parse(spec).actions["take"].self_assign


def test_the_engine_refuses_an_assignee_given_with_take(ward: WardTeam) -> None:
    report = fresh()
    with pytest.raises(services.ReportError) as refused:
        services.take_action(actor=ward.officer, report=report, action="take")
        services.take_report(actor=ward.other, report=report)
    # Taken, the report is assigned: `take` leaves only a received report.
    assert refused.value.code == "invalid_state"
    with pytest.raises(engine.WorkflowError) as named:
        engine.perform(fresh(), "take", actor=ward.officer, assignee=ward.other)
    assert named.value.code == "assignee_not_allowed"


def test_the_api_takes_a_report_too_and_lists_take_among_the_actions(ward: WardTeam) -> None:
    from tests.factories import bearer

    report = fresh()
    client = Client()
    headers = bearer(ward.officer)
    before = client.get(f"/api/v1/reports/{report.code}", headers=headers).json()
    assert "take" in before["actions"]
    taken = client.post(f"/api/v1/reports/{report.code.lower()}/act", {"action": "take"},
                        content_type="application/json", headers=headers)
    assert taken.status_code == 200, taken.content
    assert taken.json()["assignee"] == ward.officer.username
    again = client.post(f"/api/v1/reports/{report.code}/act", {"action": "take"},
                        content_type="application/json", headers=bearer(ward.other))
    assert (again.status_code, again.json()["code"]) == (409, "invalid_state")
