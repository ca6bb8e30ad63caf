"""Targets and commitments, the scorecards page and report, the chart drawn as PDF and PNG,
and the chart across plans (issue #13, second slice)."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from cityhall.accounts.models import User
from cityhall.core.models import AuditEntry
from cityhall.orgunits.models import Unit
from cityhall.plans import services
from cityhall.plans.drawing import ROWS_PER_PAGE, chart_pdf, chart_png, target_label
from cityhall.plans.errors import PlanCode, PlanError
from cityhall.plans.gantt import across_plans, gantt_data
from cityhall.plans.models import Plan, Task
from cityhall.plans.scorecards import tally
from cityhall.plans.targets import commitment
from cityhall.workflow.calendar_data import current_calendar
from tests.factories import Personas, bearer, department

D = dt.date
VND = "VND"


@dataclass
class World:
    people: Personas
    plan: Plan
    disburse: Task  # the ward's, with a target
    portal: Task  # the department's
    dept: Unit


@pytest.fixture
def world(people: Personas) -> World:
    dept = department("79-SNV")
    city_leader = people.city_leader
    plan = services.create_plan(
        actor=city_leader, title="Kế hoạch thực hiện Nghị quyết 57", fields=["innovation"],
        owner_unit=city_leader.memberships.get().unit,
        phases=[services.PhaseIn("Năm 2025", D(2025, 12, 31))])
    phase = plan.phases.get()
    disburse = services.create_task(
        actor=city_leader, plan=plan, title="Giải ngân vốn đầu tư công", lead_unit=people.ward,
        person_in_charge=people.officer, start=D(2025, 1, 2), due=D(2025, 12, 31), phase=phase)
    portal = services.create_task(
        actor=city_leader, plan=plan, title="Hợp nhất cổng dịch vụ công", lead_unit=dept,
        start=D(2025, 3, 3), due=D(2025, 12, 31), phase=phase, depends_on=[(disburse, 0)])
    return World(people, plan, disburse, portal, dept)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


# -- the rule -------------------------------------------------------------------------

def test_a_commitment_is_met_only_by_a_value_reported_as_of_its_day() -> None:
    by = D(2025, 12, 31)
    late = commitment(value=Decimal(100), measure=VND, by=by, today=D(2026, 2, 1),
                      readings=[(D(2026, 1, 15), Decimal(120)), (D(2025, 12, 31), Decimal(90))])
    assert late.actual == Decimal(120)  # the latest day's reading, whatever the order given
    assert not late.met and late.settled
    kept = commitment(value=Decimal(100), measure=VND, by=by, today=D(2025, 6, 1),
                      readings=[(D(2025, 5, 30), Decimal(100))])
    assert kept.met and kept.settled and kept.share == 1.0
    waiting = commitment(value=Decimal(100), measure=VND, by=by, today=D(2025, 6, 1),
                         readings=[])
    assert waiting.actual is None and not waiting.met and not waiting.settled
    assert waiting.share is None


def test_scorecards_count_commitments_and_rank_by_them_after_the_share_on_time() -> None:
    calendar = current_calendar()
    rows = [("A", "Phường A", D(2025, 6, 10), D(2025, 6, 9)),
            ("B", "Phường B", D(2025, 6, 10), D(2025, 6, 9))]
    cards = tally(rows, calendar, D(2025, 7, 1),
                  [("A", "Phường A", False), ("B", "Phường B", True), ("C", "Sở C", True)])
    by_key = {c.key: c for c in cards}
    assert by_key["B"].share_commitments_met == 1.0
    assert by_key["A"].share_commitments_met == 0.0
    assert by_key["C"].due == 0 and by_key["C"].commitments == 1
    # Equal on time (100 %): the one that kept its commitment comes first.
    assert [c.key for c in cards][:2] == ["B", "A"]


# -- services -------------------------------------------------------------------------

def test_only_the_plans_leaders_set_a_target_and_it_is_audited(world: World) -> None:
    p = world.people
    with pytest.raises(PlanError) as caught:
        services.set_target(actor=p.officer, task=world.disburse, value=Decimal(1000),
                            measure=VND, by=D(2025, 12, 31))
    assert caught.value.code == "not_allowed"
    with pytest.raises(PlanError) as caught:
        services.set_target(actor=p.city_leader, task=world.disburse, value=Decimal(0),
                            measure=VND, by=D(2025, 12, 31))
    assert caught.value.code == "invalid"
    services.set_target(actor=p.city_leader, task=world.disburse, value=Decimal(1000),
                        measure=VND, by=D(2025, 12, 31))
    services.set_target(actor=p.city_leader, task=world.disburse, value=Decimal(1200),
                        measure=VND, by=D(2025, 12, 31))
    entry = AuditEntry.objects.filter(action="plans.target_set").latest("pk")
    assert entry.changes["value"] == ["1000.00", "1200"]


def test_values_are_reported_by_the_task_unit_against_an_existing_target(world: World) -> None:
    p = world.people
    with pytest.raises(PlanError) as caught:
        services.report_target_value(actor=p.officer, task=world.disburse,
                                     value=Decimal(10), on=D(2025, 6, 30))
    assert caught.value.code == PlanCode.NO_TARGET
    services.set_target(actor=p.city_leader, task=world.disburse, value=Decimal(1000),
                        measure=VND, by=D(2025, 12, 31))
    with pytest.raises(PlanError) as caught:
        services.report_target_value(actor=p.outsider, task=world.disburse,
                                     value=Decimal(10), on=D(2025, 6, 30))
    assert caught.value.code == "not_allowed"
    with pytest.raises(PlanError) as caught:
        services.report_target_value(actor=p.officer, task=world.disburse, value=Decimal(10),
                                     on=timezone.localdate() + dt.timedelta(days=1))
    assert caught.value.code == "invalid"
    services.report_target_value(actor=p.officer, task=world.disburse, value=Decimal(400),
                                 on=D(2025, 6, 30), note="Quý II")
    services.report_target_value(actor=p.officer, task=world.disburse, value=Decimal(1050),
                                 on=D(2025, 12, 30))
    assert AuditEntry.objects.filter(action="plans.target_report").count() == 2
    data = gantt_data(world.plan, p.leader, D(2026, 1, 5))
    target = next(t for t in data["tasks"] if t["id"] == world.disburse.pk)["target"]
    assert target["actual"] == Decimal(1050) and target["met"] is True
    assert target_label(target).startswith("1.050 / 1.000 VND")


# -- API ------------------------------------------------------------------------------

def test_the_target_api_sets_reports_and_answers_target_against_actual(world: World) -> None:
    p = world.people
    url = f"/api/v1/tasks/{world.disburse.pk}/target"
    leader = Client(headers=bearer(p.city_leader))
    officer = Client(headers=bearer(p.officer))
    assert officer.get(url).json()["code"] == "task_has_no_target"
    body = {"value": "1200000000000", "measure": "VND", "by": "2025-12-31"}
    refused = officer.put(url, body, content_type="application/json")
    assert refused.status_code == 403
    for bad in ("-1", "1e5", " 12", "1.234"):  # only digits, at most two decimals
        assert leader.put(url, {**body, "value": bad},
                          content_type="application/json").status_code == 422, bad
    # A JSON number is kept to the cent; below a cent a target would round to nothing.
    for tiny in (0.001, 3.8773478362990343e-140):
        assert leader.put(url, {**body, "value": tiny},
                          content_type="application/json").status_code == 422, tiny
    rounded = leader.put(url, {**body, "value": 0.5700000000000001},
                         content_type="application/json")
    assert rounded.status_code == 200, rounded.content
    assert Decimal(leader.get(url).json()["value"]) == Decimal("0.57")
    answer = leader.put(url, body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    reported = officer.post(url + "/values", {"value": "655000000000", "on": "2025-09-30",
                                              "note": "Quý III"},
                            content_type="application/json")
    assert reported.status_code == 200, reported.content
    got = officer.get(url).json()
    assert Decimal(got["actual"]) == Decimal("655000000000") and got["met"] is False
    assert got["values"][0]["by"] == p.officer.username
    gantt = Client(headers=bearer(p.leader)).get(f"/api/v1/plans/{world.plan.pk}/gantt").json()
    row = next(t for t in gantt["tasks"] if t["id"] == world.disburse.pk)
    assert Decimal(row["target"]["value"]) == Decimal("1200000000000")
    assert row["lead_unit_code"] == p.ward.code
    outsider = Client(headers=bearer(p.outsider)).get(url)
    assert outsider.status_code == 404


def test_scorecards_api_gives_the_share_of_commitments_met(world: World) -> None:
    p = world.people
    services.set_target(actor=p.city_leader, task=world.disburse, value=Decimal(100),
                        measure="%", by=D(2025, 12, 31))
    services.set_target(actor=p.city_leader, task=world.portal, value=Decimal(100),
                        measure="%", by=D(2025, 12, 15))
    services.report_target_value(actor=p.officer, task=world.disburse, value=Decimal(100),
                                 on=D(2025, 12, 20))
    answer = Client(headers=bearer(p.city_leader)).get(
        "/api/v1/scorecards?period=2025-12&kind=unit").json()
    cards = {c["key"]: c for c in answer["items"]}
    assert cards[p.ward.code]["commitments"] == 1
    assert cards[p.ward.code]["share_commitments_met"] == 1.0
    assert cards[world.dept.code]["share_commitments_met"] == 0.0
    # The ward officer sees only the ward's tasks, so only the ward's commitments.
    mine = Client(headers=bearer(p.officer)).get(
        "/api/v1/scorecards?period=2025-12&kind=unit").json()
    assert [c["key"] for c in mine["items"]] == [p.ward.code]


# -- pages ----------------------------------------------------------------------------

def test_the_task_page_sets_a_target_and_reports_values(world: World) -> None:
    p = world.people
    page = f"/nhiem-vu/{world.disburse.pk}/"
    leader = signed_in(p.city_leader)
    assert "Đặt chỉ tiêu" in leader.get(page).content.decode()
    answer = leader.post(page + "chi-tieu/", {"value": "1200", "measure": "tỷ đồng",
                                              "by": "2025-12-31"})
    assert answer.status_code == 302
    officer = signed_in(p.officer)
    shown = officer.get(page).content.decode()
    assert "Đặt chỉ tiêu" not in shown and "Báo cáo giá trị" in shown
    refused = officer.post(page + "chi-tieu/", {"value": "1", "measure": "x",
                                                "by": "2025-12-31"})
    assert refused.status_code == 400
    assert officer.post(page + "chi-tieu/gia-tri/", {"value": "1300", "on": "2025-12-20",
                                                     "note": "Vượt chỉ tiêu"}).status_code == 302
    shown = officer.get(page).content.decode()
    assert "Vượt chỉ tiêu" in shown and 'data-met="1"' in shown
    assert signed_in(p.outsider).get(page).status_code in (403, 404)


def test_the_scorecards_page_names_the_best_and_the_worst_and_exports(world: World) -> None:
    p = world.people
    services.report_progress(actor=p.officer, task=world.disburse, percent=100,
                             now=dt.datetime(2025, 12, 20, 10, tzinfo=dt.UTC))
    leader = signed_in(p.city_leader)
    page = leader.get("/ke-hoach/bang-diem/?period=2025-12&kind=unit").content.decode()
    best, worst = page.index("scorecard-best"), page.index("scorecard-worst")
    assert best < worst < page.index("<table")
    assert p.ward.name in page[best:worst] and world.dept.name in page[worst:]
    book = load_workbook(io.BytesIO(leader.get(
        "/ke-hoach/bang-diem/bao-cao.xlsx?period=2025-12&kind=unit").content))
    sheet = book.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:3] == (1, p.ward.code, p.ward.name)
    assert rows[3][1] == world.dept.code
    pdf = leader.get("/ke-hoach/bang-diem/bao-cao.pdf?period=2025-12&kind=unit")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Bảng điểm các đơn vị, 12/2025" in text
    assert p.ward.name in text and world.dept.name in text
    assert leader.get("/ke-hoach/bang-diem/bao-cao.doc").status_code == 404


def test_the_chart_is_drawn_as_pdf_and_png_for_a_meeting(world: World) -> None:
    p = world.people
    services.set_target(actor=p.city_leader, task=world.disburse, value=Decimal(1200),
                        measure="tỷ đồng", by=D(2025, 12, 31))
    services.report_target_value(actor=p.officer, task=world.disburse, value=Decimal(655),
                                 on=D(2025, 9, 30))
    leader = signed_in(p.city_leader)
    pdf = leader.get(f"/ke-hoach/{world.plan.pk}/bieu-do.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for words in ("Kế hoạch thực hiện Nghị quyết 57", "Giải ngân vốn đầu tư công",
                  "Hợp nhất cổng dịch vụ công", "Năm 2025", "655 / 1.200 tỷ đồng",
                  "đường găng", "hôm nay"):
        assert words in text, words
    png = leader.get(f"/ke-hoach/{world.plan.pk}/bieu-do.png")
    assert png["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert signed_in(p.outsider).get(f"/ke-hoach/{world.plan.pk}/bieu-do.pdf").status_code \
        in (403, 404)


def test_a_long_chart_runs_over_pages_and_a_png_is_drawn_without_a_browser() -> None:
    today = D(2025, 6, 1)
    tasks = [{"id": i, "title": f"Nhiệm vụ số {i}", "start": D(2025, 1, 1) + dt.timedelta(i),
              "end": D(2025, 2, 1) + dt.timedelta(i), "progress": 50, "status": "in_progress",
              "lead_unit": "Phường Sài Gòn", "phase": None, "critical": i % 2 == 0,
              "dependencies": [{"id": i - 1, "lag": 0}] if i else [], "target": None}
             for i in range(ROWS_PER_PAGE + 5)]
    data = {"title": "Kế hoạch dài", "today": today, "phases": [], "tasks": tasks}
    reader = PdfReader(io.BytesIO(chart_pdf(data)))
    assert len(reader.pages) == 2
    assert f"Nhiệm vụ số {ROWS_PER_PAGE + 4}" in reader.pages[1].extract_text()
    assert chart_png(data)[:4] == b"\x89PNG"


def test_the_chart_across_plans_shows_one_units_tasks_scoped(world: World) -> None:
    p = world.people
    data = across_plans(p.city_leader, D(2025, 6, 1), unit=p.ward.code)
    assert [t["id"] for t in data["tasks"]] == [world.disburse.pk]
    assert data["phases"][0]["name"].endswith(": Năm 2025")
    everything = across_plans(p.city_leader, D(2025, 6, 1), field="innovation")
    portal = next(t for t in everything["tasks"] if t["id"] == world.portal.pk)
    assert portal["dependencies"] == [{"id": world.disburse.pk, "lag": 0}]
    assert across_plans(p.city_leader, D(2025, 6, 1), field="public_investment")["tasks"] == []
    # The ward officer asking for the department's tasks gets none of them.
    assert across_plans(p.officer, D(2025, 6, 1), unit=world.dept.code)["tasks"] == []
    page = signed_in(p.city_leader).get(f"/ke-hoach/tong-hop/?unit={p.ward.code}")
    assert page.status_code == 200
    shown = json.loads(page.content.decode().split('id="gantt-data" type="application/json">')[1]
                       .split("</script>")[0])
    assert [t["id"] for t in shown["tasks"]] == [world.disburse.pk]
    assert signed_in(p.city_leader).get(
        "/ke-hoach/tong-hop/?field=innovation&format=pdf")["Content-Type"] == "application/pdf"
