"""Plans and tasks through their services and API: scope, refusals, notices, reminders."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cityhall.accounts.models import Role, User
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.notifications.models import Notification
from cityhall.orgunits.models import Unit
from cityhall.plans import services
from cityhall.plans.api import GanttOut
from cityhall.plans.errors import PlanCode, PlanError
from cityhall.plans.models import Decision, Dependency, Plan, Task
from cityhall.plans.schedule import deadline_after
from cityhall.plans.status import Status, task_status
from cityhall.workflow.calendar_data import current_calendar
from tests.factories import Personas, bearer, department, make_staff

D = dt.date
TODAY = D(2026, 11, 30)  # what the tests call today, where they say so


@dataclass
class World:
    people: Personas
    plan: Plan
    survey: Task
    portal: Task
    train: Task
    dept: Unit


@pytest.fixture
def world(people: Personas) -> World:
    """A city plan with three tasks: survey -> portal (lag 2), train in parallel."""
    dept = department("79-SNV")
    plan = services.create_plan(
        actor=people.city_leader, title="Kế hoạch chuyển đổi số", owner_unit=people.city_leader
        .memberships.get().unit, document_number="02/KH-BCĐ", document_date="15/3/2025",
        fields=["digital_transformation"],
        phases=[services.PhaseIn("Cao điểm", D(2025, 6, 30)),
                services.PhaseIn("Bứt phá", D(2025, 12, 31))])
    survey = services.create_task(
        actor=people.city_leader, plan=plan, title="Khảo sát hạ tầng", lead_unit=people.ward,
        person_in_charge=people.officer, start=D(2026, 10, 1), due=D(2026, 10, 30))
    portal = services.create_task(
        actor=people.city_leader, plan=plan, title="Hợp nhất cổng dịch vụ công",
        lead_unit=dept, start=D(2026, 11, 4), due=D(2026, 12, 31), depends_on=[(survey, 2)])
    train = services.create_task(
        actor=people.city_leader, plan=plan, title="Tập huấn", lead_unit=dept,
        start=D(2026, 10, 1), due=D(2026, 10, 15))
    return World(people, plan, survey, portal, train, dept)


def api(user: User | None) -> Client:
    return Client(headers=bearer(user)) if user else Client()


# -- services -------------------------------------------------------------------

def test_only_the_owning_units_leaders_make_plans_and_tasks(world: World) -> None:
    p = world.people
    with pytest.raises(PlanError) as caught:
        services.create_plan(actor=p.officer, title="X", owner_unit=p.ward)
    assert caught.value.code == "not_allowed"
    with pytest.raises(PlanError):
        services.create_task(actor=p.leader, plan=world.plan, title="X", lead_unit=p.ward,
                             start=D(2026, 1, 1), due=D(2026, 1, 2))
    assert Task.objects.count() == 3
    entry = AuditEntry.objects.filter(action="plans.plan_create").get()
    assert entry.changes["document_number"] == "02/KH-BCĐ"


def test_a_task_cannot_end_before_it_starts(world: World) -> None:
    with pytest.raises(PlanError) as caught:
        services.create_task(actor=world.people.city_leader, plan=world.plan, title="X",
                             lead_unit=world.dept, start=D(2026, 2, 2), due=D(2026, 2, 1))
    assert caught.value.code == PlanCode.INVALID_DATES


def test_a_dependency_that_closes_a_circle_is_refused_and_nothing_changes(world: World) -> None:
    leader = world.people.city_leader
    services.add_dependency(actor=leader, predecessor=world.portal, successor=world.train)
    before = set(Dependency.objects.values_list("predecessor", "successor", "lag"))
    with pytest.raises(PlanError) as caught:
        services.add_dependency(actor=leader, predecessor=world.train, successor=world.survey)
    assert caught.value.code == PlanCode.DEPENDENCY_CYCLE
    assert set(Dependency.objects.values_list("predecessor", "successor", "lag")) == before


def test_progress_at_100_marks_done_and_the_status_follows_the_dates(world: World) -> None:
    p = world.people
    services.report_progress(actor=p.officer, task=world.survey, percent=40, note="đang làm")
    world.survey.refresh_from_db()
    assert world.survey.status_on(D(2026, 10, 20)) == Status.IN_PROGRESS
    assert world.survey.status_on(D(2026, 11, 2)) == Status.OVERDUE
    services.report_progress(actor=p.officer, task=world.survey, percent=100)
    world.survey.refresh_from_db()
    assert world.survey.done_on is not None
    assert world.survey.status_on() == Status.DONE_LATE  # done after 30 Oct 2026
    assert world.survey.reports.count() == 2


def test_an_outsider_cannot_report_progress(world: World) -> None:
    with pytest.raises(PlanError) as caught:
        services.report_progress(actor=world.people.outsider, task=world.survey, percent=50)
    assert caught.value.code == "not_allowed"
    world.survey.refresh_from_db()
    assert world.survey.progress == 0


def test_an_extension_is_asked_once_at_a_time_and_decided_by_the_plan_owner(world: World) -> None:
    p = world.people
    asked = services.request_extension(actor=p.officer, task=world.survey,
                                       new_due=D(2026, 12, 15), reason="Chờ vốn")
    with pytest.raises(PlanError) as caught:
        services.request_extension(actor=p.officer, task=world.survey, new_due=D(2026, 12, 20),
                                   reason="again")
    assert caught.value.code == PlanCode.EXTENSION_PENDING
    with pytest.raises(PlanError):
        services.decide_extension(actor=p.leader, request=asked, approve=True)  # a ward leader
    services.decide_extension(actor=p.city_leader, request=asked, approve=True, note="Đồng ý")
    world.survey.refresh_from_db()
    assert world.survey.due == D(2026, 12, 15)
    second = services.request_extension(actor=p.officer, task=world.survey,
                                        new_due=D(2027, 1, 31), reason="Thêm")
    services.decide_extension(actor=p.city_leader, request=second, approve=False)
    world.survey.refresh_from_db()
    assert world.survey.due == D(2026, 12, 15)
    history = list(world.survey.extensions.values_list("decision", "previous_due", "asked_due"))
    assert history == [(Decision.APPROVED, D(2026, 10, 30), D(2026, 12, 15)),
                       (Decision.REFUSED, D(2026, 12, 15), D(2027, 1, 31))]
    with pytest.raises(PlanError) as decided:
        services.decide_extension(actor=p.city_leader, request=second, approve=True)
    assert decided.value.code == "invalid_state"


def test_assign_now_tells_the_person_at_once_with_a_working_day_deadline(people: Personas) -> None:
    made = services.assign_now(actor=people.leader, title="Báo cáo số liệu", working_days=3,
                               person=people.officer, today=D(2026, 11, 27),
                               idempotency_key="k1")
    task = made.task
    assert made.created and task.lead_unit == people.ward and task.owner_unit == people.ward
    assert task.due == deadline_after(current_calendar(), D(2026, 11, 27), 3) == D(2026, 12, 2)
    notice = Notification.objects.get(recipient=people.officer)
    assert "Báo cáo số liệu" in notice.subject
    again = services.assign_now(actor=people.leader, title="Báo cáo số liệu", working_days=3,
                                person=people.officer, idempotency_key="k1")
    assert not again.created and again.task.pk == task.pk
    assert AuditEntry.objects.filter(action="plans.task_assign").count() == 1


def test_assign_now_only_to_units_the_leader_leads(people: Personas) -> None:
    for actor in (people.officer, people.outsider):
        with pytest.raises(PlanError) as caught:
            services.assign_now(actor=actor, title="X", working_days=2, unit=people.ward)
        assert caught.value.code == "not_allowed"
    with pytest.raises(PlanError) as caught:
        services.assign_now(actor=people.leader, title="X", working_days=0, unit=people.ward)
    assert caught.value.code == PlanCode.INVALID_DEADLINE
    assert not Task.objects.exists()


def test_reminders_go_once_per_due_date(people: Personas) -> None:
    made = services.assign_now(actor=people.leader, title="Nộp báo cáo", working_days=2,
                               unit=people.ward, today=D(2026, 11, 30))
    Notification.objects.all().delete()
    assert services.send_reminders(limit=10, today=D(2026, 11, 30)).sent == 1
    assert services.send_reminders(limit=10, today=D(2026, 11, 30)).sent == 0
    # Told: the ward's leader and officer (no person named).
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "p.leader", "p.officer"}
    ask = services.request_extension(actor=people.officer, task=made.task,
                                     new_due=D(2026, 12, 3), reason="Ốm")
    services.decide_extension(actor=people.leader, request=ask, approve=True)
    assert services.send_reminders(limit=10, today=D(2026, 12, 1)).sent == 1
    assert AuditEntry.objects.filter(action="plans.task_remind").count() == 2


def test_the_database_status_agrees_with_the_pure_rule(world: World) -> None:
    rng = random.Random(13)
    base = D(2026, 1, 1)
    for _ in range(60):
        start = base + dt.timedelta(days=rng.randrange(0, 60))
        due = start + dt.timedelta(days=rng.randrange(0, 30))
        Task.objects.create(
            plan=world.plan, owner_unit=world.plan.owner_unit, lead_unit=world.dept, title="t",
            start=start, due=due, progress=rng.choice([0, 0, 30, 100]),
            cancelled=rng.random() < 0.15,
            done_on=rng.choice([None, None, due, due + dt.timedelta(days=3)]))
    for today in (D(2025, 12, 1), D(2026, 1, 20), D(2026, 2, 15), D(2026, 6, 1)):
        for task in Task.objects.with_status(today):
            assert task.status == task_status(  # type: ignore[attr-defined]
                start=task.start, due=task.due, done_on=task.done_on, progress=task.progress,
                cancelled=task.cancelled, today=today)


# -- API ------------------------------------------------------------------------

def test_plans_are_scoped_by_unit(world: World) -> None:
    p = world.people
    seen = {name: api(user).get("/api/v1/plans").json() for name, user in
            [("city", p.city_leader), ("officer", p.officer), ("outsider", p.outsider)]}
    assert seen["city"]["count"] == 1 and seen["officer"]["count"] == 1
    assert seen["outsider"]["count"] == 0
    assert api(None).get("/api/v1/plans").status_code == 401
    assert api(p.outsider).get(f"/api/v1/plans/{world.plan.pk}").json()["code"] == "not_found"
    body = api(p.officer).get(f"/api/v1/plans/{world.plan.pk}").json()
    assert [ph["name"] for ph in body["phases"]] == ["Cao điểm", "Bứt phá"]


def test_the_gantt_data_has_dependencies_statuses_and_the_critical_path(world: World) -> None:
    p = world.people
    body = api(p.city_leader).get(f"/api/v1/plans/{world.plan.pk}/gantt").json()
    assert GanttOut.model_validate(body).model_dump(mode="json") == body  # as documented
    tasks = {t["title"]: t for t in body["tasks"]}
    assert tasks["Hợp nhất cổng dịch vụ công"]["dependencies"] == [
        {"id": world.survey.pk, "lag": 2}]
    assert tasks["Khảo sát hạ tầng"]["critical"] and tasks["Hợp nhất cổng dịch vụ công"]["critical"]
    assert not tasks["Tập huấn"]["critical"]
    assert tasks["Tập huấn"]["status"] in Status.values
    # The survey ends on Friday 30 Oct; Monday 2 Nov + 2 working days of lag is Wednesday
    # 4 Nov, the portal's planned start: no slack. A day later, the survey has one.
    services.reschedule_task(actor=p.city_leader, task=world.portal, start=D(2026, 11, 5),
                             due=D(2026, 12, 31))
    body = api(p.city_leader).get(f"/api/v1/plans/{world.plan.pk}/gantt").json()
    tasks = {t["title"]: t for t in body["tasks"]}
    assert not tasks["Khảo sát hạ tầng"]["critical"]
    assert tasks["Hợp nhất cổng dịch vụ công"]["critical"]
    # The ward officer sees only the ward's task, without the department's links.
    mine = api(p.officer).get(f"/api/v1/plans/{world.plan.pk}/gantt").json()
    assert [t["title"] for t in mine["tasks"]] == ["Khảo sát hạ tầng"]


def test_the_gantt_data_takes_the_same_queries_for_3_or_60_tasks(world: World) -> None:
    client = api(world.people.city_leader)
    url = f"/api/v1/plans/{world.plan.pk}/gantt"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(57):
        services.create_task(actor=SYSTEM, plan=world.plan, title=f"t{n}", lead_unit=world.dept,
                             start=D(2026, 1, 1), due=D(2026, 2, 1),
                             depends_on=[(world.train, 0)] if n % 2 else [])
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["tasks"]) == 60
    assert len(many) == len(few)


def test_tasks_filter_by_unit_person_status_and_due_dates(world: World) -> None:
    client = api(world.people.city_leader)

    def titles(query: str) -> list[str]:
        response = client.get("/api/v1/tasks" + query)
        assert response.status_code == 200, response.content
        return [t["title"] for t in response.json()["items"]]

    assert titles("?unit=79-SNV") == ["Tập huấn", "Hợp nhất cổng dịch vụ công"]
    assert titles("?person=p.officer") == ["Khảo sát hạ tầng"]
    assert titles("?due_before=2026-10-20") == ["Tập huấn"]
    assert titles("?due_after=2026-10-20") == ["Khảo sát hạ tầng", "Hợp nhất cổng dịch vụ công"]
    overdue = titles("?status=overdue")
    assert set(overdue) <= {"Tập huấn", "Khảo sát hạ tầng"}
    assert client.get("/api/v1/tasks?status=late").status_code == 422
    assert api(world.people.outsider).get("/api/v1/tasks").json()["count"] == 0


def test_post_tasks_assigns_now_once_per_idempotency_key(people: Personas) -> None:
    client = api(people.leader)
    body = {"title": "Rà soát thủ tục", "person": "p.officer", "working_days": 5}
    first = client.post("/api/v1/tasks", json.dumps(body), content_type="application/json",
                        headers={"Idempotency-Key": "abc"})
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/tasks", json.dumps(body), content_type="application/json",
                        headers={"Idempotency-Key": "abc"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert first.json()["unit_code"] == people.ward.code
    queue = api(people.officer).get("/api/v1/tasks?person=p.officer").json()
    assert [t["title"] for t in queue["items"]] == ["Rà soát thủ tục"]


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"title": "X", "unit": "nope", "working_days": 3}, 400, "unknown_task_assignee"),
    ({"title": "X", "working_days": 3}, 400, "unknown_task_assignee"),
    ({"title": "X", "unit": "26734", "working_days": 0}, 422, "invalid"),
    ({"title": " ", "unit": "26734", "working_days": 3}, 422, "invalid"),
    ({"title": "X", "unit": "26734", "working_days": 3, "extra": 1}, 422, "invalid"),
])
def test_post_tasks_refuses_bad_input_and_changes_nothing(
        people: Personas, body: dict[str, Any], status: int, code: str) -> None:
    response = api(people.leader).post("/api/v1/tasks", json.dumps(body),
                                       content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not Task.objects.exists()


def test_post_tasks_to_a_unit_one_does_not_lead_is_forbidden(people: Personas) -> None:
    response = api(people.outsider).post(
        "/api/v1/tasks", json.dumps({"title": "X", "unit": people.ward.code, "working_days": 3}),
        content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (403, "not_allowed")
    assert not Task.objects.exists()


def test_rescheduling_through_the_api_is_for_the_plans_leaders(world: World) -> None:
    url = f"/api/v1/tasks/{world.survey.pk}/schedule"
    body = json.dumps({"start": "2026-10-02", "end": "2026-11-06"})
    refused = api(world.people.officer).put(url, body, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")
    world.survey.refresh_from_db()
    assert world.survey.due == D(2026, 10, 30)
    done = api(world.people.city_leader).put(url, body, content_type="application/json")
    assert done.status_code == 200 and done.json()["due"] == "2026-11-06"
    backwards = api(world.people.city_leader).put(
        url, json.dumps({"start": "2026-10-02", "end": "2026-10-01"}),
        content_type="application/json")
    assert backwards.json()["code"] == "invalid_task_dates"


def test_progress_through_the_api(world: World) -> None:
    url = f"/api/v1/tasks/{world.survey.pk}/progress"
    ok = api(world.people.officer).post(url, json.dumps({"percent": 60}),
                                        content_type="application/json")
    assert ok.status_code == 200 and ok.json()["progress"] == 60
    assert api(world.people.officer).post(url, json.dumps({"percent": 101}),
                                          content_type="application/json").status_code == 422
    assert api(world.people.outsider).post(url, json.dumps({"percent": 10}),
                                           content_type="application/json").status_code == 404


def test_a_ward_officer_made_later_sees_a_task_given_to_the_ward(people: Personas) -> None:
    services.assign_now(actor=people.leader, title="Kiểm tra", working_days=4, unit=people.ward)
    newcomer = make_staff("p.new", people.ward, Role.OFFICER)
    assert api(newcomer).get("/api/v1/tasks").json()["count"] == 1


# -- scorecards -----------------------------------------------------------------

def test_scorecards_tally_and_rank_a_month_in_working_days() -> None:
    from cityhall.plans.scorecards import tally
    from cityhall.workflow.calendar_data import build_calendar

    cal = build_calendar(years=range(2025, 2027), exceptions=[], language="vi")
    rows = [
        ("A", "Ward A", D(2025, 6, 13), D(2025, 6, 12)),   # on time
        ("A", "Ward A", D(2025, 6, 13), D(2025, 6, 17)),   # Fri due, Tue done: 2 days late
        ("B", "Ward B", D(2025, 6, 20), D(2025, 6, 20)),   # on time
        ("C", "Ward C", D(2025, 6, 27), None),             # open; today 1 July: 2 days late
        ("C", "Ward C", D(2025, 6, 30), None),             # due today-1: 1 day late
    ]
    cards = {c.key: c for c in tally(rows, cal, today=D(2025, 7, 1))}
    assert [(c.rank, c.key) for c in sorted(cards.values(), key=lambda c: c.rank)] == [
        (1, "B"), (2, "A"), (3, "C")]
    assert (cards["A"].done_on_time, cards["A"].done_late, cards["A"].average_delay) == (1, 1, 2.0)
    assert (cards["C"].overdue_now, cards["C"].average_delay, cards["C"].share_met) == (2, 1.5, 0.0)
    assert cards["B"].average_delay is None


def test_scorecards_api_is_scoped_and_checks_the_period(world: World) -> None:
    services.report_progress(actor=world.people.officer, task=world.survey, percent=100)
    body = api(world.people.city_leader).get("/api/v1/scorecards?period=2026-10&kind=unit").json()
    # Neither met its commitment; the department has one overdue now, so the ward ranks first.
    assert [(c["rank"], c["key"], c["overdue_now"]) for c in body["items"]] == [
        (1, world.people.ward.code, 0), (2, "79-SNV", 1)]
    mine = api(world.people.officer).get("/api/v1/scorecards?period=2026-10&kind=person").json()
    assert [(c["key"], c["done_late"]) for c in mine["items"]] == [("p.officer", 1)]
    assert api(world.people.outsider).get(
        "/api/v1/scorecards?period=2026-10").json()["items"] == []
    assert api(world.people.city_leader).get(
        "/api/v1/scorecards?period=2026-13").status_code == 422


# -- calendar feeds -------------------------------------------------------------

def test_a_feed_lists_the_deadlines_with_the_zone_and_renewing_revokes_it(world: World) -> None:
    client = api(world.people.officer)
    feeds = client.get("/api/v1/me/calendar-feeds").json()
    assert [(f["kind"], f["unit"]) for f in feeds] == [("person", None),
                                                      ("unit", world.people.ward.code)]
    assert client.get("/api/v1/me/calendar-feeds").json() == feeds  # made once
    own = feeds[0]["url"].removeprefix("http://testserver")
    response = Client().get(own)  # no sign-in: the address is the secret
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert "BEGIN:VTIMEZONE\r\nTZID:Asia/Ho_Chi_Minh\r\n" in text
    assert "TZOFFSETTO:+0700" in text
    assert f"UID:task-{world.survey.pk}@cityhall" in text
    assert "DTEND;TZID=Asia/Ho_Chi_Minh:20261030T170000" in text
    assert "SUMMARY:Khảo sát hạ tầng" in text
    assert "Tập huấn" not in text  # the department's, not this person's
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    renewed = client.post(f"/api/v1/me/calendar-feeds/{feeds[0]['id']}/renew").json()
    assert renewed["url"] != feeds[0]["url"]
    assert Client().get(own).status_code == 404
    assert Client().get(renewed["url"].removeprefix("http://testserver")).status_code == 200
    assert api(world.people.outsider).post(
        f"/api/v1/me/calendar-feeds/{feeds[0]['id']}/renew").status_code == 404
    assert Client().get("/calendar/1-forged.ics").status_code == 404


def test_a_units_feed_stops_when_its_owner_leaves_the_unit(world: World) -> None:
    from cityhall.accounts.services import end_membership

    feeds = api(world.people.officer).get("/api/v1/me/calendar-feeds").json()
    unit_feed = feeds[1]["url"].removeprefix("http://testserver")
    assert "Khảo sát hạ tầng" in Client().get(unit_feed).content.decode()
    membership = world.people.officer.memberships.get()
    end_membership(actor=SYSTEM, membership=membership, on=D(2026, 1, 1))
    assert Client().get(unit_feed).status_code == 404


def test_ical_folding_never_splits_a_character() -> None:
    from cityhall.plans.ical import escape, fold

    line = "SUMMARY:" + escape("Số hóa hồ sơ; kết quả, giải quyết\nthủ tục") * 4
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
    assert "\\;" in line and "\\," in line and "\\n" in line
