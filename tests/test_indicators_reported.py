"""Reported socio-economic indicators (targets, submissions by form, XLSX and API, approval,
versions), "assign now" from a red number, and the dashboard's PDF export."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook
from pypdf import PdfReader

from cityhall.accounts.models import User
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.indicators import reporting
from cityhall.indicators.errors import IndicatorCode, IndicatorError
from cityhall.indicators.models import Indicator, IndicatorTask, ReportedValue, ReportState
from cityhall.indicators.reporting import ImportRefused, ImportRow, report_period
from cityhall.notifications.models import Notification
from cityhall.plans.models import Task
from tests.factories import WardTeam, bearer, city, department, make_staff

pytestmark = [pytest.mark.django_db]

BUDGET = "socio.budget_revenue"
DISBURSED = "socio.public_investment_disbursement"


@pytest.fixture
def ready(team: WardTeam) -> WardTeam:
    call_command("load_indicators", verbosity=0)
    return team


def _indicator(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


def _month(back: int) -> str:
    """The month `back` months before the current one, as YYYY-MM."""
    today = timezone.localdate()
    n = today.year * 12 + today.month - 1 - back
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


# Periods and targets (pure) ----------------------------------------------------------

def test_periods_follow_the_indicators_frequency() -> None:
    assert report_period("2026-03", "monthly").last == dt.date(2026, 3, 31)
    q = report_period("2026-q4", "quarterly")
    assert (q.label, q.first, q.last) == ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert q.shifted(steps=-1).label == "2026-Q3" and q.shifted(years=-1).label == "2025-Q4"
    assert report_period("2026-01", "monthly").shifted(steps=-1).label == "2025-12"
    assert report_period("2025", "yearly").last == dt.date(2025, 12, 31)
    for text, frequency in (("2026-Q1", "monthly"), ("2026-13", "monthly"),
                            ("2026-03", "quarterly"), ("1999", "yearly")):
        with pytest.raises(IndicatorError) as refused:
            report_period(text, frequency)
        assert refused.value.code == IndicatorCode.INVALID_PERIOD


def test_a_target_is_compared_as_its_kind_says(db: None) -> None:
    call_command("load_indicators", verbosity=0)
    june = report_period("2026-06", "monthly")
    assert reporting.threshold(_indicator(BUDGET), 1200, june) == 600  # cumulative
    assert reporting.threshold(_indicator("socio.exports"), 1200, june) == 100  # a month's share
    q = report_period("2026-Q2", "quarterly")
    assert reporting.threshold(_indicator("socio.grdp_growth"), 8, q) == 8  # a level


# Submission and approval ---------------------------------------------------------------

def test_a_value_shows_only_once_the_units_leader_approves_it(ready: WardTeam,
                                                               client: Client) -> None:
    budget, month = _indicator(BUDGET), _month(1)
    saved = reporting.submit_value(actor=ready.officer, indicator=budget, unit=ready.ward,
                                   period=month, value="120,5")
    assert saved.state == ReportState.PENDING and saved.version == 1
    client.force_login(ready.leader)
    board = client.get("/staff/indicators/").context["board"]
    assert next(r for r in board.rows if r.indicator.code == BUDGET).figure.value is None

    with pytest.raises(IndicatorError) as refused:
        reporting.approve_value(actor=ready.officer, value=saved)
    assert refused.value.code == "not_allowed"
    reporting.approve_value(actor=ready.leader, value=saved)
    board = client.get("/staff/indicators/").context["board"]
    row = next(r for r in board.rows if r.indicator.code == BUDGET)
    assert row.figure.value == 120.5 and row.reported and row.reported.period
    assert row.reported.period.label == month
    assert AuditEntry.objects.filter(action__in=["indicators.value_submit",
                                                 "indicators.value_approve"]).count() == 2


def test_a_correction_is_a_new_version_and_the_first_is_kept(ready: WardTeam) -> None:
    budget, month = _indicator(BUDGET), _month(1)
    first = reporting.submit_value(actor=ready.officer, indicator=budget, unit=ready.ward,
                                   period=month, value=100)
    reporting.approve_value(actor=ready.leader, value=first)
    second = reporting.submit_value(actor=ready.officer, indicator=budget, unit=ready.ward,
                                    period=month, value=90, note="sửa số liệu")
    with pytest.raises(IndicatorError) as waiting:
        reporting.submit_value(actor=ready.officer, indicator=budget, unit=ready.ward,
                               period=month, value=95)
    assert waiting.value.code == IndicatorCode.PENDING_EXISTS
    figures = reporting.reported_figures([budget], ready.ward, timezone.localdate())
    assert figures[BUDGET].value == 100  # the correction waits
    reporting.approve_value(actor=ready.leader, value=second)
    figures = reporting.reported_figures([budget], ready.ward, timezone.localdate())
    assert figures[BUDGET].value == 90
    kept = ReportedValue.objects.filter(unit=ready.ward, period=month).order_by("version")
    assert [(v.version, float(v.value), v.state) for v in kept] == [
        (1, 100.0, "approved"), (2, 90.0, "approved")]


def test_returns_need_a_reason_and_the_submitter_does_not_approve(ready: WardTeam) -> None:
    budget = _indicator(BUDGET)
    leader = city_leader()
    own = reporting.submit_value(actor=ready.leader, indicator=budget, unit=ready.ward,
                                 period=_month(2), value=5)
    with pytest.raises(IndicatorError) as refused:
        reporting.approve_value(actor=ready.leader, value=own)
    assert refused.value.code == IndicatorCode.OWN_SUBMISSION
    with pytest.raises(IndicatorError) as no_reason:
        reporting.return_value(actor=leader, value=own, reason="  ")
    assert no_reason.value.code == "reason_required"
    back = reporting.return_value(actor=leader, value=own, reason="Sai đơn vị tính")
    assert back.state == ReportState.RETURNED and back.reason == "Sai đơn vị tính"
    with pytest.raises(IndicatorError) as decided:
        reporting.approve_value(actor=leader, value=back)
    assert decided.value.code == "invalid_state"
    again = reporting.submit_value(actor=ready.officer, indicator=budget, unit=ready.ward,
                                   period=_month(2), value=6)
    assert again.version == 2


def city_leader() -> User:
    """The city's leader (made once per test)."""
    found = User.objects.filter(username="cl.reported").first()
    return found or make_staff("cl.reported", city(), "leader")


def test_only_the_units_staff_and_reporting_kinds_submit(ready: WardTeam) -> None:
    with pytest.raises(IndicatorError) as outsider:
        reporting.submit_value(actor=ready.outsider, indicator=_indicator(BUDGET),
                               unit=ready.ward, period=_month(1), value=1)
    assert outsider.value.code == "not_allowed"
    with pytest.raises(IndicatorError) as kind:
        reporting.submit_value(actor=ready.leader, indicator=_indicator("socio.exports"),
                               unit=ready.ward, period=_month(1), value=1)
    assert kind.value.code == IndicatorCode.NOT_A_REPORTER
    with pytest.raises(IndicatorError) as computed:
        reporting.submit_value(actor=SYSTEM, indicator=_indicator("requests.received"),
                               unit=ready.ward, period=_month(1), value=1)
    assert computed.value.code == IndicatorCode.NOT_REPORTED
    with pytest.raises(IndicatorError) as future:
        reporting.submit_value(actor=ready.officer, indicator=_indicator(BUDGET),
                               unit=ready.ward, period=_month(-2), value=1)
    assert future.value.code == IndicatorCode.INVALID_PERIOD


# The reporting page and the XLSX import ----------------------------------------------------

def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(reporting.HEADER))
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_import_with_a_bad_row_changes_nothing_and_says_which(ready: WardTeam,
                                                                 client: Client) -> None:
    code = ready.ward.code
    bad = _xlsx([[BUDGET, code, _month(3), 10, ""], [BUDGET, code, "2026-Q1", 11, ""],
                 [BUDGET, "NOWHERE", _month(4), 12, ""], [DISBURSED, code, _month(3), "x", ""]])
    client.force_login(ready.officer)
    answer = client.post("/staff/indicators/reported/import/",
                         {"file": _upload(bad)}, follow=True)
    text = answer.content.decode()
    assert "dòng 3" in text and "dòng 4" in text and "dòng 5" in text and "dòng 2" not in text
    assert not ReportedValue.objects.exists()
    assert AuditEntry.objects.filter(action="indicators.values_import_refused").count() == 1

    good = _xlsx([[BUDGET, code, _month(3), 10, "quý"], [DISBURSED, code, _month(3), 42.5, ""]])
    client.post("/staff/indicators/reported/import/", {"file": _upload(good)})
    assert ReportedValue.objects.filter(state="pending", channel="import").count() == 2
    client.force_login(ready.leader)
    page = client.get("/staff/indicators/reported/")
    assert len(page.context["awaiting"]) == 2
    pick = page.context["awaiting"][0]
    client.post(f"/staff/indicators/reported/{pick.pk}/approve/")
    client.post(f"/staff/indicators/reported/{page.context['awaiting'][1].pk}/return/",
                {"reason": "Thiếu số liệu"})
    states = dict(ReportedValue.objects.values_list("pk", "state"))
    assert sorted(states.values()) == ["approved", "returned"]


def _upload(data: bytes) -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("values.xlsx", data, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))


def test_the_import_command_refuses_all_rows_when_one_is_wrong(ready: WardTeam,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "v.xlsx"
    path.write_bytes(_xlsx([[BUDGET, ready.ward.code, _month(1), 1, ""],
                            [BUDGET, ready.ward.code, _month(1), 2, ""]]))
    with pytest.raises(SystemExit):
        call_command("import_reported", str(path), user=ready.officer.username)
    assert not ReportedValue.objects.exists()
    path.write_bytes(_xlsx([[BUDGET, ready.ward.code, _month(1), 1, ""]]))
    call_command("import_reported", str(path), user=ready.officer.username)
    assert ReportedValue.objects.get().channel == "import"


def test_import_rows_are_all_or_nothing_in_the_service(ready: WardTeam) -> None:
    rows = [ImportRow(2, BUDGET, ready.ward.code, _month(1), 3),
            ImportRow(3, BUDGET, ready.ward.code, _month(2), "1e20")]
    with pytest.raises(ImportRefused) as refused:
        reporting.import_values(actor=ready.officer, rows=rows)
    assert len(refused.value.problems) == 1 and "3" in refused.value.problems[0]
    assert not ReportedValue.objects.exists()


# The API -----------------------------------------------------------------------------------

def test_the_api_submits_approves_and_shows_approved_values_only(ready: WardTeam,
                                                                 client: Client) -> None:
    month = _month(1)
    body = {"unit": ready.ward.code, "period": month, "value": 61.5}
    made = client.post(f"/api/v1/indicators/{DISBURSED}/reports", body,
                       content_type="application/json", headers=bearer(ready.officer))
    assert made.status_code == 201, made.content
    assert made.json()["state"] == "pending" and made.json()["channel"] == "api"
    values = client.get(f"/api/v1/indicators/{DISBURSED}/values?unit={ready.ward.code}",
                        headers=bearer(ready.leader)).json()
    assert values["total"]["value"] is None and values["values"] == []
    outsider = client.get(f"/api/v1/indicators/{DISBURSED}/reports",
                          headers=bearer(ready.outsider))
    assert outsider.status_code == 200 and outsider.json() == {"count": 0, "items": []}
    hidden = client.get(f"/api/v1/indicators/{DISBURSED}/reports?unit={ready.ward.code}",
                        headers=bearer(ready.outsider))
    assert hidden.status_code == 404
    other = client.post(f"/api/v1/indicators/reports/{made.json()['id']}/approve",
                        headers=bearer(ready.leader_ak))
    assert other.status_code == 404
    done = client.post(f"/api/v1/indicators/reports/{made.json()['id']}/approve",
                       headers=bearer(ready.leader))
    assert done.status_code == 200 and done.json()["decided_by"] == ready.leader.username
    values = client.get(f"/api/v1/indicators/{DISBURSED}/values?unit={ready.ward.code}"
                        f"&from={month}-01", headers=bearer(ready.leader)).json()
    assert values["total"]["value"] == pytest.approx(0.615)
    assert [v["value"] for v in values["values"]] == [pytest.approx(0.615)]
    target = client.put(f"/api/v1/indicators/{DISBURSED}/targets",
                        {"unit": ready.ward.code, "year": 2026, "value": 95},
                        content_type="application/json", headers=bearer(ready.officer))
    assert target.status_code == 403
    again = client.post(f"/api/v1/indicators/{DISBURSED}/reports", body,
                        content_type="application/json", headers=bearer(ready.outsider))
    assert again.status_code == 404


# Red numbers, "assign now" and the PDF ----------------------------------------------------------

def _red_budget(team: WardTeam) -> None:
    """An approved budget revenue far below the ward's target: a red number."""
    budget, month = _indicator(BUDGET), _month(1)
    reporting.set_target(actor=team.leader, indicator=budget, unit=team.ward,
                         year=int(month[:4]), value=1200)
    saved = reporting.submit_value(actor=team.officer, indicator=budget, unit=team.ward,
                                   period=month, value=10)
    reporting.approve_value(actor=team.leader, value=saved)


def test_a_red_number_leads_to_a_task_for_the_unit(ready: WardTeam, client: Client) -> None:
    _red_budget(ready)
    leader = city_leader()
    client.force_login(leader)
    page = client.get(f"/staff/indicators/?unit={ready.ward.code}")
    row = next(r for r in page.context["board"].rows if r.indicator.code == BUDGET)
    assert row.red and f'data-testid="assign-{BUDGET}"' in page.content.decode()
    query = f"indicator={BUDGET}&unit={ready.ward.code}"
    step_one = client.get(f"/staff/indicators/assign/?{query}")
    assert step_one.status_code == 200 and not Task.objects.exists()
    form = step_one.context["form"]
    answer = client.post(f"/staff/indicators/assign/?{query}", {
        "title": form.initial["title"], "working_days": 3, "description": "",
        "idempotency_key": form.fields["idempotency_key"].initial})
    assert answer.status_code == 302
    task = Task.objects.get()
    assert task.lead_unit == ready.ward and "/staff/indicators/?unit=" in task.description
    link = IndicatorTask.objects.get(task=task)
    assert link.indicator.code == BUDGET and link.unit == ready.ward
    assert Notification.objects.filter(recipient=ready.officer,
                                       subject_ref=f"plans.task:{task.pk}").exists()
    client.force_login(ready.officer)
    assert task.title in client.get("/nhiem-vu/").content.decode()


def test_a_ward_officer_cannot_assign_and_sees_no_button(ready: WardTeam,
                                                         client: Client) -> None:
    _red_budget(ready)
    client.force_login(ready.officer)
    page = client.get("/staff/indicators/")
    assert 'data-testid="assign-' not in page.content.decode()
    answer = client.post(f"/staff/indicators/assign/?indicator={BUDGET}", {
        "title": "x", "working_days": 3, "idempotency_key": "k1"})
    assert answer.status_code == 400 and not Task.objects.exists()


def test_the_pdf_holds_the_figures_comparisons_and_the_766_score(ready: WardTeam,
                                                                 client: Client) -> None:
    _red_budget(ready)
    client.force_login(ready.leader)
    answer = client.get("/staff/indicators/export.pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(answer.content)).pages)
    text = " ".join(text.split())
    assert "Phường Thủ Đức" in text and "Thu ngân sách" in text
    assert "Quyết định 766" in text and "Kỳ trước" in text and "Chỉ tiêu" in text
    assert "không có số liệu" in text


def test_the_public_page_shows_approved_reported_figures_only(ready: WardTeam,
                                                              client: Client) -> None:
    dept = department("79-SXD")
    officer = make_staff("o.sxd", dept, "officer")
    saved = reporting.submit_value(actor=officer, indicator=_indicator("socio.exports"),
                                   unit=dept, period=_month(1), value=4321)
    assert "4.321" not in client.get("/indicators/").content.decode()
    reporting.approve_value(actor=SYSTEM, value=saved)
    text = client.get("/indicators/").content.decode()
    assert 'data-testid="public-socio.exports"' in text and "4.321,00" in text


def test_a_figure_one_department_reports_is_assigned_to_that_department(
        ready: WardTeam, client: Client) -> None:
    dept = department("79-SCT")
    exports = _indicator("socio.exports")
    reporting.set_target(actor=SYSTEM, indicator=exports, unit=dept, year=2026, value=120000)
    saved = reporting.submit_value(actor=SYSTEM, indicator=exports, unit=dept,
                                   period=_month(1), value=10)
    reporting.approve_value(actor=SYSTEM, value=saved)
    client.force_login(city_leader())
    step_one = client.get("/staff/indicators/assign/?indicator=socio.exports")
    assert step_one.status_code == 200 and step_one.context["responsible"] == dept
    form = step_one.context["form"]
    client.post("/staff/indicators/assign/?indicator=socio.exports", {
        "title": "Đẩy mạnh xuất khẩu", "working_days": 10,
        "idempotency_key": form.fields["idempotency_key"].initial})
    assert Task.objects.get().lead_unit == dept
