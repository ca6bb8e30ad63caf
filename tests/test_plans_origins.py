"""Tasks that remember their origin: "assign now" from a report's and a document's page,
tasks from a directive (`plans.services.tasks_from_directive`), the API and the fragment the
origin's page loads. Scope as "assign now" says: leaders, to the units they lead."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from cityhall.accounts.models import Role, User
from cityhall.core.models import AuditEntry
from cityhall.documents.models import Document
from cityhall.notifications.models import Notification
from cityhall.plans import services
from cityhall.plans.errors import PlanCode, PlanError
from cityhall.plans.models import OriginKind, Plan, Task
from cityhall.plans.origins import Origin
from cityhall.plans.schedule import deadline_after
from cityhall.plans.workbook import read_xlsx, write_xlsx
from cityhall.reports.models import Report
from cityhall.workflow.calendar_data import current_calendar
from tests.clients import signed_in
from tests.documents_support import arrived
from tests.factories import WardTeam, bearer, city, department, make_staff
from tests.reports_support import flood

pytestmark = [pytest.mark.django_db]


@dataclass
class World:
    team: WardTeam
    report: Report
    directive: Document
    city_leader: User
    dept_leader: User


@pytest.fixture
def world(team: WardTeam) -> World:
    """A flooding report and an incoming Chỉ thị in Phường Thủ Đức, and two leaders above."""
    report = Report.objects.get(pk=flood().report.pk)
    directive = arrived(team.ward, team.clerk, day=dt.date(2026, 11, 2), doc_type="chi_thi",
                        notation="05/CT-UBND", author="Ủy ban nhân dân Thành phố",
                        summary="Về tăng cường chống ngập khu dân cư mùa mưa")
    return World(team=team, report=report, directive=directive,
                 city_leader=make_staff("c.leader", city(), Role.LEADER),
                 dept_leader=make_staff("d.leader", department("79-SXD"), Role.LEADER))


def req(world: World) -> Origin:
    return Origin(kind=OriginKind.REQUEST, ref=world.report.code)


def doc(world: World) -> Origin:
    return Origin(kind=OriginKind.DOCUMENT, ref=str(world.directive.pk))


def api(user: User) -> Client:
    return Client(headers=bearer(user))


# -- services -------------------------------------------------------------------

def test_assign_now_from_a_report_keeps_the_reports_label_and_page(world: World) -> None:
    made = services.assign_now(actor=world.team.leader, title="Khơi thông cống", working_days=3,
                               unit=world.team.ward, origin=req(world))
    task = made.task
    assert task.origin_kind == "request" and task.origin_ref == world.report.code
    assert task.origin_url == f"/staff/reports/{world.report.code}/"
    assert world.report.code in task.origin_label
    entry = AuditEntry.objects.get(action="plans.task_assign")
    assert entry.changes["origin"] == {"kind": "request", "ref": world.report.code}
    # The ward's leaders and officers are told at once.
    told = set(Notification.objects.filter(subject_ref=f"plans.task:{task.pk}")
               .values_list("recipient__username", flat=True))
    assert {"officer.td", "officer2.td", "leader.td"} <= told
    notice = Notification.objects.filter(subject_ref=f"plans.task:{task.pk}").first()
    assert notice is not None and world.report.code in notice.body  # says where it is from


def test_an_officer_may_not_assign_from_a_report(world: World) -> None:
    with pytest.raises(PlanError) as caught:
        services.assign_now(actor=world.team.officer, title="X", working_days=3,
                            unit=world.team.ward, origin=req(world))
    assert caught.value.code == "not_allowed"
    assert not Task.objects.exists()


def test_a_ward_leader_assigns_only_to_units_in_scope(world: World) -> None:
    neighbour = world.team.leader_ak.memberships.get().unit
    with pytest.raises(PlanError) as caught:
        services.assign_now(actor=world.team.leader, title="X", working_days=3, unit=neighbour,
                            origin=req(world))
    assert caught.value.code == "not_allowed"
    # A leader of another ward may not even name the report as origin: it is not theirs.
    with pytest.raises(PlanError) as caught:
        services.assign_now(actor=world.team.leader_ak, title="X", working_days=3,
                            unit=neighbour, origin=req(world))
    assert caught.value.code == PlanCode.UNKNOWN_ORIGIN
    assert not Task.objects.exists()


def test_an_origin_is_checked_before_anything_is_written(world: World) -> None:
    bad = [Origin(kind="letter", ref="1"), Origin(kind=OriginKind.REQUEST, ref=""),
           Origin(kind=OriginKind.DOSSIER, ref="HS-1", label=""),
           Origin(kind=OriginKind.DOSSIER, ref="HS-1", label="Hồ sơ",
                  url="https://evil.example/x"),
           Origin(kind=OriginKind.DOSSIER, ref="HS-1", label="Hồ sơ", url="//evil.example/"),
           Origin(kind=OriginKind.DOSSIER, ref="HS-1", label="Hồ sơ", url="/no/such/page/"),
           Origin(kind=OriginKind.DOCUMENT, ref="999999")]
    for origin in bad:
        with pytest.raises(PlanError) as caught:
            services.assign_now(actor=world.team.leader, title="X", working_days=3,
                                unit=world.team.ward, origin=origin)
        assert caught.value.code in (PlanCode.INVALID_ORIGIN, PlanCode.UNKNOWN_ORIGIN), origin
    assert not Task.objects.exists()
    kept = services.assign_now(
        actor=world.team.leader, title="X", working_days=3, unit=world.team.ward,
        origin=Origin(kind=OriginKind.DOSSIER, ref="HS-1", label="  Hồ sơ   HS-1 ",
                      url="/nhiem-vu/?x=1#y")).task
    assert (kept.origin_label, kept.origin_url) == ("Hồ sơ HS-1", "/nhiem-vu/?x=1#y")


def test_a_directive_gives_several_tasks_at_once_each_told(world: World) -> None:
    t = world.team
    today = dt.date(2026, 11, 30)
    made = services.tasks_from_directive(
        actor=world.city_leader, origin=doc(world), today=today, items=[
            services.DirectiveItem(title="Nạo vét kênh", working_days=10, unit=t.ward),
            services.DirectiveItem(title="Kiểm tra máy bơm", working_days=5, person=t.officer),
            services.DirectiveItem(title="Báo cáo Sở", working_days=15,
                                   unit=world.dept_leader.memberships.get().unit)])
    assert made.created and len(made.tasks) == 3
    for task in made.tasks:
        assert task.origin_kind == "document" and task.origin_ref == str(world.directive.pk)
        assert task.origin_url == f"/van-ban/{world.directive.pk}/"
        assert "05/CT-UBND" in task.origin_label
    pump = made.tasks[1]
    assert pump.lead_unit == t.ward and pump.person_in_charge == t.officer
    assert pump.due == deadline_after(current_calendar(), today, 5)
    assert Notification.objects.filter(recipient=t.officer,
                                       subject_ref=f"plans.task:{pump.pk}").exists()
    assert AuditEntry.objects.filter(action="plans.task_assign").count() == 3
    whole = AuditEntry.objects.get(action="plans.directive_tasks")
    assert whole.changes["tasks"] == [x.pk for x in made.tasks]


def test_a_directive_with_a_bad_row_gives_nothing_and_names_the_row(world: World) -> None:
    t = world.team
    neighbour = t.leader_ak.memberships.get().unit
    with pytest.raises(PlanError) as caught:
        services.tasks_from_directive(actor=t.leader, origin=doc(world), items=[
            services.DirectiveItem(title="Nạo vét kênh", working_days=10, unit=t.ward),
            services.DirectiveItem(title="Sang phường khác", working_days=5, unit=neighbour),
            services.DirectiveItem(title=" ", working_days=5, unit=t.ward),
            services.DirectiveItem(title="Quá hạn", working_days=0, unit=t.ward)])
    assert caught.value.code == PlanCode.NO_DIRECTIVE_ITEMS
    assert set(caught.value.detail) == {"items.1", "items.2", "items.3"}
    assert not Task.objects.exists()
    assert not Notification.objects.filter(subject_ref__startswith="plans.task").exists()
    with pytest.raises(PlanError) as caught:
        services.tasks_from_directive(actor=t.leader, origin=doc(world), items=[])
    assert caught.value.code == PlanCode.NO_DIRECTIVE_ITEMS


def test_an_officer_cannot_give_tasks_from_a_directive(world: World) -> None:
    with pytest.raises(PlanError):
        services.tasks_from_directive(actor=world.team.officer, origin=doc(world), items=[
            services.DirectiveItem(title="X", working_days=3, unit=world.team.ward)])
    assert not Task.objects.exists()


def test_a_directive_repeated_with_its_key_gives_its_tasks_once(world: World) -> None:
    items = [services.DirectiveItem(title=f"Việc {n}", working_days=3, unit=world.team.ward)
             for n in range(2)]
    first = services.tasks_from_directive(actor=world.team.leader, origin=doc(world),
                                          items=items, idempotency_key="k1")
    again = services.tasks_from_directive(actor=world.team.leader, origin=doc(world),
                                          items=items, idempotency_key="k1")
    assert not again.created and [t.pk for t in again.tasks] == [t.pk for t in first.tasks]
    assert Task.objects.count() == 2


def test_directive_tasks_join_a_plan_only_for_its_leaders(world: World) -> None:
    plan = services.create_plan(actor=world.city_leader, title="Chống ngập",
                                owner_unit=city())
    item = [services.DirectiveItem(title="Nạo vét", working_days=3, unit=world.team.ward)]
    with pytest.raises(PlanError):
        services.tasks_from_directive(actor=world.team.leader, origin=doc(world), items=item,
                                      plan=plan)
    made = services.tasks_from_directive(actor=world.city_leader, origin=doc(world),
                                         items=item, plan=plan)
    assert made.tasks[0].plan == plan and made.tasks[0].owner_unit == plan.owner_unit
    # The export names the origin for the reader; an import does not bring it back.
    content = write_xlsx(plan)
    rows = list(load_workbook(BytesIO(content))["tasks"].iter_rows(values_only=True))
    assert rows[0][-1] == "origin"
    origin = str(rows[1][-1])
    assert "05/CT-UBND" in origin and f"/van-ban/{world.directive.pk}/" in origin
    again = services.import_plan(actor=world.city_leader, sheet=read_xlsx(content))
    assert again.tasks.get().origin_kind == OriginKind.NONE


# -- API -------------------------------------------------------------------------

def test_the_api_takes_an_origin_and_shows_it(world: World) -> None:
    client = api(world.team.leader)
    answer = client.post("/api/v1/tasks", json.dumps({
        "title": "Khơi thông cống", "unit": world.team.ward.code, "working_days": 2,
        "origin": {"kind": "request", "ref": world.report.code, "label": "ignored",
                   "url": "/ignored/"}}), content_type="application/json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["origin"]["kind"] == "request" and body["origin"]["ref"] == world.report.code
    assert body["origin"]["url"] == f"/staff/reports/{world.report.code}/"
    one = client.get(f"/api/v1/tasks/{body['id']}")
    assert one.status_code == 200
    assert one.json()["origin"] == body["origin"]
    assert one.json()["assigned_by"] == "leader.td"
    listed = client.get("/api/v1/tasks", {"origin_kind": "request",
                                           "origin_ref": world.report.code}).json()
    assert [t["id"] for t in listed["items"]] == [body["id"]]
    assert client.get("/api/v1/tasks", {"origin_kind": "document"}).json()["count"] == 0


def test_the_api_refuses_a_bad_origin_with_a_code(world: World) -> None:
    client = api(world.team.leader)
    for origin, code, status in (
            ({"kind": "request", "ref": "PA-0000-000000"}, "unknown_task_origin", 400),
            ({"kind": "dossier", "ref": "HS-1"}, "invalid_task_origin", 400),
            ({"kind": "dossier", "ref": "HS-1", "label": "x", "url": "javascript:alert(1)"},
             "invalid_task_origin", 400),
            ({"kind": "letter", "ref": "1"}, None, 422)):
        answer = client.post("/api/v1/tasks", json.dumps({
            "title": "X", "unit": world.team.ward.code, "working_days": 2, "origin": origin}),
            content_type="application/json")
        assert answer.status_code == status, (origin, answer.content)
        if code:
            assert answer.json()["code"] == code
    assert not Task.objects.exists()


def test_the_api_gives_a_directives_tasks_or_none(world: World) -> None:
    client = api(world.team.leader)
    items_in: list[dict[str, object]] = [
        {"title": "Nạo vét kênh", "unit": world.team.ward.code, "working_days": 5},
        {"title": "Kiểm tra máy bơm", "person": "officer.td", "working_days": 3}]
    body = {"origin": {"kind": "document", "ref": str(world.directive.pk)}, "items": items_in}
    made = client.post("/api/v1/tasks/from-directive", json.dumps(body),
                       content_type="application/json", headers={"Idempotency-Key": "d-1"})
    assert made.status_code == 201, made.content
    items = made.json()["items"]
    assert [i["title"] for i in items] == ["Nạo vét kênh", "Kiểm tra máy bơm"]
    assert all(i["origin"]["kind"] == "document" for i in items)
    again = client.post("/api/v1/tasks/from-directive", json.dumps(body),
                        content_type="application/json", headers={"Idempotency-Key": "d-1"})
    assert again.status_code == 200 and again.json() == made.json()
    items_in.append({"title": "Ngoài phạm vi",
                          "unit": world.team.leader_ak.memberships.get().unit.code,
                          "working_days": 3})
    refused = client.post("/api/v1/tasks/from-directive", json.dumps(body),
                          content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_directive_items"
    assert Task.objects.count() == 2
    officer = api(world.team.officer).post("/api/v1/tasks/from-directive", json.dumps(
        {**body, "items": items_in[:1]}), content_type="application/json")
    assert officer.status_code == 403


def test_a_task_is_not_shown_to_an_outsider_in_the_api(world: World) -> None:
    task = services.assign_now(actor=world.team.leader, title="X", working_days=3,
                               unit=world.team.ward, origin=req(world)).task
    assert api(world.team.outsider).get(f"/api/v1/tasks/{task.pk}").status_code == 404
    assert api(world.team.officer).get(f"/api/v1/tasks/{task.pk}").status_code == 200


# -- pages -----------------------------------------------------------------------

def test_a_leader_assigns_now_from_a_reports_page_and_goes_back(world: World) -> None:
    leader = signed_in(world.team.leader, "en")
    code = world.report.code
    page = leader.get(f"/staff/reports/{code}/")
    assert b"/nhiem-vu/tu-nguon/?kind=request" in page.content
    fragment = leader.get("/nhiem-vu/tu-nguon/", {"kind": "request", "ref": code})
    assert fragment.status_code == 200 and b'data-testid="assign-now"' in fragment.content
    form = leader.get("/nhiem-vu/giao-ngay/", {"kind": "request", "ref": code})
    assert form.status_code == 200
    text = form.content.decode()
    assert f"Follow up report {code}" in text
    assert f'<option value="{world.team.ward.code}" selected>' in text
    key = form.context["form"]["idempotency_key"].value()
    given = leader.post("/nhiem-vu/giao-ngay/", {
        "page": "assign", "title": "Khơi thông cống trước số 12", "unit": world.team.ward.code,
        "person": "officer.td", "working_days": 2, "description": "", "idempotency_key": key,
        "origin_kind": "request", "origin_ref": code, "next": ""})
    assert given.status_code == 302 and given["Location"] == f"/staff/reports/{code}/"
    task = Task.objects.get()
    assert task.origin_ref == code and task.person_in_charge == world.team.officer
    listed = leader.get("/nhiem-vu/tu-nguon/", {"kind": "request", "ref": code})
    assert "Khơi thông cống trước số 12" in listed.content.decode()
    shown = leader.get(f"/nhiem-vu/{task.pk}/").content.decode()
    assert 'data-testid="task-origin"' in shown and f"/staff/reports/{code}/" in shown


def test_the_fragment_shows_no_button_to_an_officer_and_no_task_to_an_outsider(
        world: World) -> None:
    services.assign_now(actor=world.team.leader, title="Khơi thông cống", working_days=3,
                        unit=world.team.ward, origin=req(world))
    query = {"kind": "request", "ref": world.report.code}
    officer = signed_in(world.team.officer).get("/nhiem-vu/tu-nguon/", query).content.decode()
    assert "Khơi thông cống" in officer and 'data-testid="assign-now"' not in officer
    outsider = signed_in(world.team.leader_ak).get("/nhiem-vu/tu-nguon/", query)
    assert outsider.status_code == 200
    assert "Khơi thông cống" not in outsider.content.decode()
    assert 'data-testid="assign-now"' not in outsider.content.decode()
    # A hand-made post from an officer is refused and nothing is given.
    refused = signed_in(world.team.officer, "en").post("/nhiem-vu/giao-ngay/", {
        "page": "assign", "title": "X", "unit": world.team.ward.code, "working_days": 2,
        "idempotency_key": "k", "origin_kind": "request", "origin_ref": world.report.code})
    assert refused.status_code == 400
    assert Task.objects.count() == 1


def test_a_leader_gives_a_directives_tasks_from_the_documents_page(world: World) -> None:
    leader = signed_in(world.city_leader, "en")
    ref = str(world.directive.pk)
    fragment = leader.get("/nhiem-vu/tu-nguon/", {"kind": "document", "ref": ref})
    assert b'data-testid="directive-tasks"' in fragment.content
    page = leader.get("/nhiem-vu/tu-chi-thi/", {"kind": "document", "ref": ref})
    assert page.status_code == 200
    key = page.context["form"]["idempotency_key"].value()
    rows = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "50", "kind": "document", "ref": ref, "plan": "",
            "idempotency_key": key,
            "form-0-title": "Nạo vét kênh", "form-0-unit": world.team.ward.code,
            "form-0-working_days": "10",
            "form-1-title": "Kiểm tra máy bơm", "form-1-person": "officer.td",
            "form-1-working_days": "5",
            "form-2-title": "", "form-2-unit": "", "form-2-working_days": ""}
    bad = leader.post("/nhiem-vu/tu-chi-thi/", {**rows, "form-1-working_days": ""})
    assert bad.status_code == 400 and not Task.objects.exists()
    given = leader.post("/nhiem-vu/tu-chi-thi/", rows)
    assert given.status_code == 302 and given["Location"] == f"/van-ban/{ref}/"
    assert sorted(Task.objects.values_list("title", flat=True)) == [
        "Kiểm tra máy bơm", "Nạo vét kênh"]
    assert set(Task.objects.values_list("origin_ref", flat=True)) == {ref}
    assert leader.post("/nhiem-vu/tu-chi-thi/", rows).status_code == 302  # a double click
    assert Task.objects.count() == 2


def test_the_plan_choice_lists_only_plans_the_leader_steers(world: World) -> None:
    Plan.objects.create(title="Kế hoạch của Sở", owner_unit=department("79-SXD"))
    page = signed_in(world.team.leader).get("/nhiem-vu/tu-chi-thi/", {
        "kind": "document", "ref": str(world.directive.pk)})
    assert "Kế hoạch của Sở" not in page.content.decode()


def test_a_leader_follows_up_a_late_task_now_from_its_page(world: World) -> None:
    """#13's story: the city leader opens a late task, gives the ward a follow-up "now";
    the ward officer has it in the queue, and the late task's page lists it."""
    late = services.assign_now(actor=world.city_leader, title="Số hóa sổ hộ tịch",
                               working_days=1, unit=world.team.ward).task
    Task.objects.filter(pk=late.pk).update(due=dt.date(2026, 1, 5), start=dt.date(2026, 1, 2))
    leader = signed_in(world.city_leader, "en")
    page = leader.get(f"/nhiem-vu/{late.pk}/").content.decode()
    assert f"/nhiem-vu/tu-nguon/?kind=task&amp;ref={late.pk}" in page
    form = leader.get("/nhiem-vu/giao-ngay/", {"kind": "task", "ref": str(late.pk)})
    text = form.content.decode()
    assert "Follow up: Số hóa sổ hộ tịch" in text
    assert f'<option value="{world.team.ward.code}" selected>' in text
    given = leader.post("/nhiem-vu/giao-ngay/", {
        "page": "assign", "title": "Báo cáo lý do trễ hạn", "unit": world.team.ward.code,
        "person": "officer.td", "working_days": 2, "description": "",
        "idempotency_key": form.context["form"]["idempotency_key"].value(),
        "origin_kind": "task", "origin_ref": str(late.pk), "next": ""})
    assert given.status_code == 302 and given["Location"] == f"/nhiem-vu/{late.pk}/"
    follow = Task.objects.get(title="Báo cáo lý do trễ hạn")
    assert (follow.origin_kind, follow.origin_ref) == ("task", str(late.pk))
    assert follow.origin_url == f"/nhiem-vu/{late.pk}/"
    assert "Số hóa sổ hộ tịch" in follow.origin_label
    listed = leader.get("/nhiem-vu/tu-nguon/", {"kind": "task", "ref": str(late.pk)})
    assert "Báo cáo lý do trễ hạn" in listed.content.decode()
    queue = signed_in(world.team.officer).get("/nhiem-vu/", {"mine": "1"}).content.decode()
    assert "Báo cáo lý do trễ hạn" in queue
    # Another ward's leader does not see the late task, so may not name it as an origin.
    with pytest.raises(PlanError) as caught:
        services.assign_now(actor=world.team.leader_ak, title="X", working_days=3,
                            unit=world.team.leader_ak.memberships.get().unit,
                            origin=Origin(kind=OriginKind.TASK, ref=str(late.pk)))
    assert caught.value.code == PlanCode.UNKNOWN_ORIGIN
