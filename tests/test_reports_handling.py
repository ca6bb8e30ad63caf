"""Handling reports: lifecycle on the engine, transfer, reject, merge, contacts, reorganisation."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.utils import timezone

from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry, PersonalDataRead
from cityhall.notifications.models import Notification
from cityhall.orgunits.services import reorganise_units
from cityhall.reports import services
from cityhall.reports.models import Report
from cityhall.reports.services import Contact, ReportError
from cityhall.reports.statistics import report_statistics
from cityhall.workflow import engine
from cityhall.workflow.models import Transition
from tests.factories import ANKHANH, WardTeam, at, make_user, unit_named
from tests.reports_support import MON, flood

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(team: WardTeam) -> WardTeam:
    return team


def _handled(staff: WardTeam, report: Report, now: dt.datetime = MON) -> Report:
    services.assign_report(actor=staff.leader, report=report, assignee=staff.officer, now=now)
    services.start_work(actor=staff.officer, report=report, now=now)
    return report


def test_the_whole_path_from_receipt_to_rating(staff: WardTeam) -> None:
    made = flood(staff.resident)
    report = made.report
    assert Notification.objects.filter(recipient=staff.resident, subject__contains=report.code)
    _handled(staff, report, at(2026, 3, 3, 8))
    assert report.state == "in_progress" and report.assignee == staff.officer
    services.resolve_report(actor=staff.officer, report=report, reply="Đã khơi thông cống.",
                            now=at(2026, 3, 4, 10))
    assert report.state == "resolved"
    assert report.public_reply == "Đã khơi thông cống."
    assert report.on_time is True
    # Monday 9:00 to Wednesday 10:00: 6.5 + 8 + 2.5 working hours = 17 h.
    assert report.handling_seconds == 17 * 3600
    services.rate_report(actor=staff.resident, report=report, rating=5, now=at(2026, 3, 4, 12))
    report.refresh_from_db()
    assert (report.state, report.rating) == ("closed", 5)
    steps = [t.action for t in engine.history(report)]
    assert steps == ["start", "assign", "start_work", "resolve", "rate"]
    with pytest.raises(ReportError) as err:
        services.rate_report(actor=staff.resident, report=report, rating=4)
    assert err.value.code == "already_rated"


def test_only_the_reporter_or_the_private_link_may_rate(staff: WardTeam) -> None:
    made = flood()
    report = _handled(staff, made.report)
    services.resolve_report(actor=staff.officer, report=report, reply="Xong", now=MON)
    with pytest.raises(ReportError) as err:
        services.rate_report(actor=staff.outsider, report=report, rating=1, private_token="bad")
    assert err.value.code == "not_reporter"
    services.rate_report(actor=None, report=report, rating=2, private_token=made.private_token,
                         now=MON)
    assert report.state == "closed"
    last = engine.history(report).last()
    assert last is not None and last.actor_label == "reporter-link"


def test_an_unrated_resolved_report_closes_by_itself_after_five_working_days(
    staff: WardTeam,
) -> None:
    report = _handled(staff, flood().report)
    services.resolve_report(actor=staff.officer, report=report, reply="Xong",
                            now=at(2026, 3, 2, 10))
    assert engine.sweep(now=at(2026, 3, 6, 17)).closed == 0
    assert engine.sweep(now=at(2026, 3, 9, 17, 1)).closed == 1
    report.refresh_from_db()
    assert report.state == "closed"
    last = engine.history(report).last()
    assert last is not None and last.action == "close_unrated"
    # A rating still counts after the automatic close.
    services.rate_report(actor=None, report=report, rating=3,
                         private_token=services.private_token_of(report))
    assert Report.objects.get(pk=report.pk).rating == 3


def test_the_reporter_reopens_within_the_window_only(staff: WardTeam) -> None:
    made = flood(staff.resident)
    report = _handled(staff, made.report)
    services.resolve_report(actor=staff.officer, report=report, reply="Xong", now=MON)
    services.reopen_report(actor=staff.resident, report=report, reason="Vẫn ngập",
                           now=MON + dt.timedelta(days=3))
    assert report.state == "in_progress"
    assert report.resolved_at is None
    assert report.assignee == staff.officer
    services.resolve_report(actor=staff.officer, report=report, reply="Đã sửa lại",
                            now=MON + dt.timedelta(days=4))
    with pytest.raises(ReportError) as err:
        services.reopen_report(actor=staff.resident, report=report, reason="Vẫn ngập",
                               now=MON + dt.timedelta(days=12))
    assert err.value.code == "reopen_window_passed"
    with pytest.raises(ReportError) as err:
        services.reopen_report(actor=staff.outsider, report=report, reason="x",
                               now=MON + dt.timedelta(days=5))
    assert err.value.code == "not_reporter"


def test_a_transfer_moves_the_report_with_a_reason_and_a_fresh_deadline(staff: WardTeam) -> None:
    report = flood(staff.resident).report
    services.assign_report(actor=staff.leader, report=report, assignee=staff.officer, now=MON)
    services.transfer_report(actor=staff.leader, report=report, to_unit=unit_named(ANKHANH),
                             reason="Điểm ngập thuộc địa bàn An Khánh", now=at(2026, 3, 3, 9))
    report.refresh_from_db()
    assert report.unit == unit_named(ANKHANH)
    assert (report.state, report.assignee) == ("received", None)
    assert report.due_at == at(2026, 3, 10, 17)
    step = engine.history(report).last()
    assert step is not None
    assert step.action == "transfer" and "Phường An Khánh" in step.comment
    assert "Điểm ngập" in step.comment
    assert not Report.objects.visible_to(staff.officer).filter(pk=report.pk).exists()
    assert Report.objects.visible_to(staff.outsider).filter(pk=report.pk).exists()
    assert Notification.objects.filter(recipient=staff.leader_ak, subject__contains=report.code)
    # The receiving unit handles it now.
    services.assign_report(actor=staff.leader_ak, report=report, assignee=staff.outsider)
    with pytest.raises(ReportError):
        services.transfer_report(actor=staff.leader_ak, report=report,
                                 to_unit=unit_named(ANKHANH), reason="x")


def test_a_rejection_needs_a_pointer_to_who_is_responsible(staff: WardTeam) -> None:
    report = flood().report
    with pytest.raises(ReportError) as err:
        services.reject_report(actor=staff.leader, report=report, reason="not_in_remit",
                               reply="Không thuộc thẩm quyền", responsible="")
    assert err.value.code == "responsible_required"
    with pytest.raises(ReportError) as err:
        services.reject_report(actor=staff.officer, report=report, reason="not_in_remit",
                               reply="x", responsible="EVN HCMC")
    assert err.value.code == "not_allowed"
    services.reject_report(actor=staff.leader, report=report, reason="not_in_remit",
                           reply="Không thuộc thẩm quyền của phường.",
                           responsible="Tổng công ty Cấp nước Sài Gòn (Sawaco), 1900 545 464")
    report.refresh_from_db()
    assert report.state == "rejected"
    assert report.responsible_pointer.startswith("Tổng công ty Cấp nước")
    assert report.public_reply == "Không thuộc thẩm quyền của phường."


def test_merged_reporters_are_told_the_outcome_of_the_original(staff: WardTeam) -> None:
    first_reporter = make_user("nguoi.mot")
    second_reporter = make_user("nguoi.hai")
    original = flood(first_reporter).report
    duplicate = flood(second_reporter).report
    services.merge_duplicate(actor=staff.clerk, report=duplicate, original=original)
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.duplicate_of) == ("merged", original)
    _handled(staff, original)
    services.resolve_report(actor=staff.officer, report=original, reply="Đã xử lý")
    told = Notification.objects.filter(recipient=second_reporter)
    assert any(original.code in n.body and duplicate.code in n.body for n in told)
    with pytest.raises(ReportError):
        services.merge_duplicate(actor=staff.clerk, report=original, original=original)


def test_contact_details_are_shown_to_staff_of_the_unit_and_each_read_is_logged(
    staff: WardTeam,
) -> None:
    report = flood(staff.clerk, channel="hotline",
                   contact=Contact(name="Bà Tư", phone="0909000111")).report
    seen = services.read_reporter_contact(report=report, user=staff.officer, purpose="gọi lại")
    assert seen == {"name": "Bà Tư", "phone": "0909000111"}
    read = PersonalDataRead.objects.get()
    assert (read.reader, read.fields, read.purpose) == (staff.officer, ["name", "phone"],
                                                        "gọi lại")
    with pytest.raises(ReportError) as err:
        services.read_reporter_contact(report=report, user=staff.outsider)
    assert err.value.code == "not_found"
    assert PersonalDataRead.objects.count() == 1
    assert "0909000111" not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_a_merge_of_units_moves_open_reports_in_every_state_keeping_history(
    staff: WardTeam,
) -> None:
    made = {state: flood(staff.resident).report for state in (
        "received", "assigned", "in_progress", "resolved", "closed", "rejected")}
    services.assign_report(actor=staff.leader, report=made["assigned"], assignee=staff.officer)
    for key in ("in_progress", "resolved", "closed"):
        _handled(staff, made[key])
    for key in ("resolved", "closed"):
        services.resolve_report(actor=staff.officer, report=made[key], reply="Xong")
    services.rate_report(actor=staff.resident, report=made["closed"], rating=4)
    services.reject_report(actor=staff.leader, report=made["rejected"], reason="not_in_remit",
                           reply="x", responsible="y")
    before = {r.pk: (r.state, r.due_at, r.assignee_id,
                     list(Transition.objects.for_case(r).values_list("seq", "action")))
              for r in Report.objects.all()}

    today = timezone.localdate()
    an_khanh = unit_named(ANKHANH)
    result = reorganise_units(actor=SYSTEM, ended=[staff.ward], successors=[an_khanh],
                              effective_on=today + dt.timedelta(days=1), primary=an_khanh)

    assert result.moved["reports"] == {staff.ward.code: 4}
    for key, report in made.items():
        report.refresh_from_db()
        moved = key in ("received", "assigned", "in_progress", "resolved")
        assert report.unit == (unit_named(ANKHANH) if moved else staff.ward), key
        assert (report.state, report.due_at, report.assignee_id, list(
            Transition.objects.for_case(report).values_list("seq", "action"))) == before[report.pk]
    assert AuditEntry.objects.filter(action="reports.move_on_reorganisation").count() == 4


def test_statistics_count_the_rows(staff: WardTeam) -> None:
    on_time = _handled(staff, flood().report)
    services.resolve_report(actor=staff.officer, report=on_time, reply="ok", now=at(2026, 3, 3, 9))
    late = _handled(staff, flood().report)
    services.resolve_report(actor=staff.officer, report=late, reply="ok", now=at(2026, 3, 16, 9))
    flood()  # still open
    dup = flood().report
    services.merge_duplicate(actor=staff.clerk, report=dup, original=on_time)
    bus = services.submit_report(actor=services.ANONYMOUS, category="xe-buyt", channel="app",
                                 description="x", address="Phường Thủ Đức",
                                 attributes={"route": "08"}, now=at(2026, 4, 1, 9)).report

    stats = report_statistics()
    rows = Report.objects.filter(duplicate_of__isnull=True)
    assert stats["received"] == rows.count() == 4
    assert stats["resolved"] == rows.resolved().count() == 2
    assert stats["resolved_on_time"] == rows.on_time().count() == 1
    assert stats["on_time_rate"] == 0.5
    # 8 working hours (1 day) and 10 working days: (1 + 10) / 2 = 5.5 working days.
    assert {on_time.handling_seconds, late.handling_seconds} == {8 * 3600, 10 * 8 * 3600}
    assert stats["average_working_days"] == 5.5
    by_category = {c["code"]: c["received"] for c in stats["by_category"]}
    assert by_category == {"ngap-ha-tang": 3, "xe-buyt": 1}
    by_unit = {u["code"]: u["received"] for u in stats["by_unit"]}
    assert by_unit == {staff.ward.code: 3, bus.unit.code: 1}
    assert [(m["month"], m["received"]) for m in stats["by_month"]] == [("2026-03", 3),
                                                                        ("2026-04", 1)]


def test_the_report_states_named_in_code_are_those_of_every_report_workflow() -> None:
    from cityhall.reports.states import OPEN_STATES, STATES
    from cityhall.workflow import definitions

    files = [p for p in definitions.definition_files() if p.name.startswith("report.")]
    assert files
    for path in files:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert tuple(spec["states"]) == STATES, path.name
    assert set(OPEN_STATES) < set(STATES)
