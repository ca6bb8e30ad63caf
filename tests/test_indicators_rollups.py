"""The daily roll-ups: kept in the transaction of each change, equal to the records' count
after random workloads (`cityhall indicators verify`), one statement per batch, rebuilt
from the records."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from cityhall.accounts.models import Role
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.dossiers import services as dossiers
from cityhall.dossiers.errors import DossierCode, DossierError
from cityhall.dossiers.models import Dossier, DossierComponent
from cityhall.indicators import records, services
from cityhall.indicators.models import DailyTally
from cityhall.indicators.values import Period
from cityhall.reports import services as reports
from cityhall.reports.models import Report
from cityhall.workflow.models import Transition
from tests.dossiers_support import BIRTH, applicant, procedures
from tests.factories import WardTeam, at, city, make_staff, unit_named
from tests.files_support import jpeg, pdf
from tests.indicators_support import workload

pytestmark = [pytest.mark.django_db]


def total(metric: str) -> int:
    return DailyTally.objects.filter(metric=metric).aggregate(n=Sum("value"))["n"] or 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_verify_finds_no_difference_after_a_random_workload(team: WardTeam, seed: int) -> None:
    done = workload(team, seed)
    assert done["report.refused"] == 0 and done["dossier.refused"] == 0
    assert done["report.filed"] > 20 and done["report.resolved"] > 5
    assert done["dossier.received"] > 10 and done["dossier.decided"] > 3
    result = services.verify()
    assert result.ok, result.differences[:5]
    # The roll-ups count what happened, not a copy of themselves: the tallies agree with
    # the records' own totals.
    assert total("reports.received") == Report.objects.count() == done["report.filed"]
    assert total("reports.resolved") == Transition.objects.filter(
        case_type="reports.report", action="resolve").count() == done["report.resolved"]
    assert total("reports.on_time") + total("reports.late") == total("reports.resolved")
    assert total("reports.reopened") == done["report.reopened"]
    assert total("reports.rating_count") == Report.objects.filter(rating__isnull=False).count()
    assert total("dossiers.received") == Dossier.objects.count() == done["dossier.received"]
    assert total("dossiers.results") == done["dossier.decided"]
    # The figures of Decision 766 the dossiers add: early results among those on time, fees
    # paid online once however often the gateway repeats itself, parts scanned later.
    assert 0 < total("dossiers.early") <= total("dossiers.on_time")
    assert total("dossiers.with_fee") == Dossier.objects.filter(fee_vnd__gt=0).count() > 0
    assert total("dossiers.paid_online") == Dossier.objects.filter(
        paid_at__isnull=False).count() == done["dossier.payment_paid"] > 0
    assert done["dossier.scanned"] > 0
    assert total("dossiers.components_digitised") == DossierComponent.objects.filter(
        digitised_at__isnull=False).count()
    assert 0 < total("dossiers.digitised") < total("dossiers.received")
    # Each of them leads to the dossiers it counted (the drill-down).
    boss = make_staff("p.city.rollups", city(), Role.LEADER)
    period = Period(dt.date(2000, 1, 1), timezone.localdate())
    listed = {tally: records.records(boss, tally, city(), period).count() for tally in (
        "dossiers.early", "dossiers.with_fee", "dossiers.paid_online", "dossiers.digitised",
        "dossiers.components_digitised")}
    assert listed["dossiers.early"] == total("dossiers.early")  # each decided once
    assert listed["dossiers.with_fee"] == total("dossiers.with_fee")
    assert listed["dossiers.paid_online"] == total("dossiers.paid_online")
    assert listed["dossiers.digitised"] == total("dossiers.digitised")
    assert 0 < listed["dossiers.components_digitised"] <= total("dossiers.components_digitised")
    # Spread over days and units, with late answers among them.
    assert DailyTally.objects.values("day").distinct().count() > 10
    assert DailyTally.objects.values("unit").distinct().count() == 2
    assert total("reports.late") > 0


def test_verify_reports_a_changed_roll_up_and_the_command_exits_non_zero(
        team: WardTeam) -> None:
    workload(team, 4, days=10)
    row = DailyTally.objects.filter(metric="reports.received").first()
    assert row is not None
    DailyTally.objects.filter(pk=row.pk).update(value=row.value + 1)
    result = services.verify()
    assert [(d.metric, d.stored, d.counted) for d in result.differences] == [
        ("reports.received", row.value + 1, row.value)]
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("indicators", "verify", stdout=out)
    assert exit_.value.code == 1
    assert "indicators: 1 differences" in out.getvalue()
    # A period that leaves the changed day out finds nothing.
    later = row.day + dt.timedelta(days=1)
    call_command("indicators", "verify", "--from", later.isoformat(), stdout=StringIO())


def test_rebuild_restores_the_roll_ups_from_the_records(team: WardTeam) -> None:
    workload(team, 5, days=15)
    before = services.stored()
    DailyTally.objects.all().delete()
    assert not services.verify().ok
    out = StringIO()
    call_command("indicators", "rebuild", stdout=out)
    assert services.stored() == before
    assert services.verify().ok
    assert AuditEntry.objects.filter(action="indicators.rebuild").count() == 1


def test_rebuild_of_a_period_leaves_other_days_alone(team: WardTeam) -> None:
    workload(team, 6, days=20)
    days = sorted({d for d, _u, _m in services.stored()})
    middle = days[len(days) // 2]
    before = services.stored()
    DailyTally.objects.all().update(value=99)
    services.rebuild(actor=SYSTEM, first=middle, last=middle)
    after = services.stored()
    assert {k: v for k, v in after.items() if k[0] == middle} == {
        k: v for k, v in before.items() if k[0] == middle}
    assert all(v == 99 for k, v in after.items() if k[0] != middle)


def test_a_batch_of_filings_writes_the_roll_ups_in_one_statement(team: WardTeam) -> None:
    neighbour = unit_named("Phường An Khánh")
    items = [reports.NewReport(actor=team.resident, category="moi-truong-rac", channel="web",
                               description=f"Rác tồn đọng số {i}.",
                               latitude=unit.latitude, longitude=unit.longitude)
             for i, unit in enumerate([team.ward, neighbour] * 25)]
    with CaptureQueriesContext(connection) as queries:
        outcomes = reports.submit_reports(items)
    assert all(isinstance(o, reports.Submission) for o in outcomes), outcomes[-1]
    writes = [q["sql"] for q in queries if "indicators_dailytally" in q["sql"]]
    assert len(writes) == 1
    assert total("reports.received") == 50
    assert set(DailyTally.objects.values_list("unit_id", "value")) == {
        (team.ward.pk, 25), (neighbour.pk, 25)}


def test_a_change_undone_leaves_the_roll_ups_as_they_were(team: WardTeam) -> None:
    made = reports.submit_report(actor=team.resident, category="moi-truong-rac", channel="web",
                                 description="Rác.", latitude=team.ward.latitude,
                                 longitude=team.ward.longitude)
    report = made.report
    reports.assign_report(actor=team.clerk, report=report, assignee=team.officer)
    before = services.stored()
    with pytest.raises(RuntimeError), transaction.atomic():
        reports.resolve_report(actor=team.officer, report=report, reply="Xong.")
        assert total("reports.resolved") == 1
        raise RuntimeError("the caller fails after the answer")
    assert services.stored() == before and total("reports.resolved") == 0


def test_an_answer_after_the_deadline_counts_late_on_that_day(team: WardTeam) -> None:
    filed = at(2026, 3, 2, 9)  # a Monday
    report = reports.submit_report(actor=team.resident, category="moi-truong-rac", channel="web",
                                   description="Rác.", latitude=team.ward.latitude,
                                   longitude=team.ward.longitude, now=filed).report
    reports.assign_report(actor=team.clerk, report=report, assignee=team.officer, now=filed)
    assert report.due_at is not None
    answered = report.due_at + dt.timedelta(hours=1)
    reports.resolve_report(actor=team.officer, report=report, reply="Xong.", now=answered)
    reports.rate_report(actor=team.resident, report=report, rating=2, now=answered)
    day = timezone.localdate(answered)
    assert dict(DailyTally.objects.filter(day=day).values_list("metric", "value")) == {
        "reports.resolved": 1, "reports.late": 1, "reports.rating_sum": 2,
        "reports.rating_count": 1}
    assert services.verify().ok


def test_concurrent_filings_of_one_unit_and_day_add_up(committed_registry: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    from tests.reports_support import categories

    categories()
    call_command("load_workflows", verbosity=0)  # not loaded by the racing threads
    ward = unit_named("Phường Thủ Đức")
    people = [make_staff(f"i.clerk{n}", ward, "clerk") for n in range(6)]
    start = threading.Barrier(len(people))
    errors: list[BaseException] = []

    def file(n: int) -> None:
        try:
            start.wait()
            for i in range(5):
                reports.submit_report(actor=people[n], category="moi-truong-rac", channel="hotline",
                                      description=f"Ngập {n}-{i}.", latitude=ward.latitude,
                                      longitude=ward.longitude, suggest=False)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(n,)) for n in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert total("reports.received") == 30 == Report.objects.count()
    assert services.verify().ok


def test_a_dossier_passed_to_another_unit_stays_received_where_it_was_received(
        team: WardTeam) -> None:
    procedures()
    applicant = dossiers.Applicant(name="Nguyễn Văn Thử", id_number="079190001234",
                                   phone="0901234567")
    made = dossiers.receive_at_counter(actor=team.clerk, procedure="2.000720.000.00.00.H29",
                                       applicant=applicant)
    dossier = made.dossier
    received_by = dossier.unit
    dossiers.act_on_dossier(actor=team.officer, dossier=dossier, action="accept")
    neighbour = unit_named("Phường An Khánh")
    dossiers.transfer_dossier(actor=team.leader, dossier=dossier, to_unit=neighbour,
                              reason="Thuộc thẩm quyền phường khác.")
    dossier.refresh_from_db()
    assert dossier.unit == neighbour != received_by
    result = services.verify()
    assert result.ok, result.differences[:5]
    assert DailyTally.objects.get(metric="dossiers.received").unit_id == received_by.pk


def test_a_supplement_that_adds_and_replaces_parts_by_data_leaves_verify_clean(
        team: WardTeam, settings: Settings, tmp_path: Path) -> None:
    # Counted as received: 3 parts, all files (digitised on 2 March); a supplement three
    # days later replaces one file by data held and adds a fourth part by data.
    settings.MEDIA_ROOT = str(tmp_path)
    procedures()
    made = dossiers.submit_dossier(
        actor=team.resident, procedure=BIRTH, applicant=applicant(), competent_unit=team.ward,
        components=[dossiers.ComponentIn(number=1, file=pdf(1)),
                    dossiers.ComponentIn(number=2, file=pdf(2)),
                    dossiers.ComponentIn(number=3, file=jpeg())], now=at(2026, 3, 2, 9))
    dossier = made.dossier
    dossiers.act_on_dossier(actor=team.officer, dossier=dossier, action="accept",
                            now=at(2026, 3, 2, 10))
    dossiers.act_on_dossier(actor=team.officer, dossier=dossier, action="request_supplement",
                            comment="Bổ sung giấy chứng nhận kết hôn.", now=at(2026, 3, 3, 9))
    dossiers.supply_components(
        actor=team.resident, dossier=dossier, now=at(2026, 3, 5, 9),
        components=[dossiers.ComponentIn(number=3, data_reference="079200000001"),
                    dossiers.ComponentIn(number=4, data_reference="079200000001")])
    assert dossier.components.count() == 4
    assert dossier.components.exclude(data_source="").count() == 2
    result = services.verify(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert result.ok, result.differences
    assert services.verify().ok
    # What was received is what counts: no part by data then; digitised whole on 2 March.
    assert total("dossiers.components") == 3 and total("dossiers.components_by_data") == 0
    assert total("dossiers.with_data") == 0 and total("dossiers.fully_by_data") == 0
    assert total("dossiers.components_digitised") == 4
    assert DailyTally.objects.get(metric="dossiers.digitised").day == dt.date(2026, 3, 2)
    dossier.refresh_from_db()
    assert (dossier.components_at_receipt, dossier.by_data_at_receipt) == (3, 0)
    assert dossier.digitised_at == at(2026, 3, 2, 9)
    # The drill-down lists it where the roll-up counted it.
    boss = make_staff("p.city.supplement", city(), Role.LEADER)
    listed = records.records(boss, "dossiers.digitised", city(),
                             Period(dt.date(2026, 3, 2), dt.date(2026, 3, 2)))
    assert [d.code for d in listed] == [dossier.code]
    assert not records.records(boss, "dossiers.digitised", city(),
                               Period(dt.date(2026, 3, 3), dt.date(2026, 3, 31))).exists()
    # Paper is not a supplement (it would replace a part's file with nothing): refused.
    dossiers.act_on_dossier(actor=team.officer, dossier=dossier, action="request_supplement",
                            comment="Bổ sung bản chính.", now=at(2026, 3, 6, 9))
    with pytest.raises(DossierError) as refused:
        dossiers.supply_components(actor=team.resident, dossier=dossier, now=at(2026, 3, 6, 10),
                                   components=[dossiers.ComponentIn(number=1, paper=True)])
    assert refused.value.code == DossierCode.INVALID_COMPONENT
    assert dossier.components.get(procedure_component__order=1).file_id is not None


def test_a_dossier_becomes_digitised_when_its_last_paper_is_scanned_and_verify_agrees(
        team: WardTeam, settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    procedures()
    made = dossiers.receive_at_counter(
        actor=team.clerk, procedure=BIRTH, applicant=applicant(), now=at(2026, 3, 2, 9),
        components=[dossiers.ComponentIn(number=1, paper=True),
                    dossiers.ComponentIn(number=3, data_reference="079200000001")])
    dossier = made.dossier
    assert dossier.digitised_at is None
    assert (dossier.components_at_receipt, dossier.by_data_at_receipt) == (2, 1)
    dossiers.attach_scans(actor=team.clerk, dossier=dossier, now=at(2026, 3, 4, 9),
                          components=[dossiers.ComponentIn(number=1, file=pdf(1))])
    dossier.refresh_from_db()
    assert dossier.digitised_at == at(2026, 3, 4, 9)
    assert DailyTally.objects.get(metric="dossiers.digitised").day == dt.date(2026, 3, 4)
    assert total("dossiers.with_data") == 1 and total("dossiers.fully_by_data") == 0
    result = services.verify()
    assert result.ok, result.differences


def test_the_migration_fills_the_counts_at_receipt_from_the_rows(
        team: WardTeam, settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    procedures()
    whole = dossiers.submit_dossier(
        actor=team.resident, procedure=BIRTH, applicant=applicant(), competent_unit=team.ward,
        components=[dossiers.ComponentIn(number=1, file=pdf(1)),
                    dossiers.ComponentIn(number=3, data_reference="079200000001")],
        now=at(2026, 3, 2, 9)).dossier
    paper = dossiers.receive_at_counter(
        actor=team.clerk, procedure=BIRTH, applicant=applicant(2), now=at(2026, 3, 3, 9),
        components=[dossiers.ComponentIn(number=1, paper=True)]).dossier
    empty = dossiers.receive_at_counter(actor=team.clerk, procedure=BIRTH,
                                        applicant=applicant(3), now=at(2026, 3, 3, 10)).dossier
    # Scrambled where the backfill must write; the dossier without components keeps what
    # the migration's new columns start with (0, 0, no moment), which is already right.
    Dossier.objects.exclude(pk=empty.pk).update(components_at_receipt=9, by_data_at_receipt=9,
                                                digitised_at=at(2000, 1, 1))
    Dossier.objects.filter(pk=empty.pk).update(components_at_receipt=0, by_data_at_receipt=0,
                                               digitised_at=None)
    backfill = importlib.import_module(
        "cityhall.dossiers.migrations.0006_dossier_counts_at_receipt").BACKFILL
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    found = {d.pk: (d.components_at_receipt, d.by_data_at_receipt, d.digitised_at)
             for d in Dossier.objects.all()}
    assert found == {whole.pk: (2, 1, at(2026, 3, 2, 9)), paper.pk: (1, 0, None),
                     empty.pk: (0, 0, None)}
    assert services.verify().ok
