"""`cityhall demo`: the bulk history is made of real rows, its roll-ups are exact (verify finds
no difference), its shares follow the published figures, and a second load is refused."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from cityhall.dossiers import services as dossiers
from cityhall.dossiers.models import Channel, Dossier, DossierComponent
from cityhall.indicators import bulk, services, values
from cityhall.indicators.models import DailyTally
from cityhall.orgunits.models import Unit
from cityhall.procedures.models import Level
from cityhall.reports.models import Report
from cityhall.reports.states import OPEN_STATES
from cityhall.workflow.models import Transition
from tests.dossiers_support import applicant, procedures
from tests.factories import WardTeam

pytestmark = [pytest.mark.django_db]

BIRTH = "1.001193.000.00.00.H29"


def total(metric: str) -> int:
    return DailyTally.objects.filter(metric=metric).aggregate(n=Sum("value"))["n"] or 0


@pytest.fixture
def loaded(team: WardTeam) -> bulk.Loaded:
    procedures()
    return bulk.generate(requests=2000, dossiers=1000, days=30, seed=7)


def test_a_small_load_is_exact_and_verify_finds_no_difference(loaded: bulk.Loaded) -> None:
    result = services.verify()
    assert result.ok, result.differences[:5]
    assert Report.objects.count() == 2000 == total("reports.received")
    assert Dossier.objects.count() == 1000 == total("dossiers.received")
    assert loaded.rows["reports_report"] == 2000 and loaded.rows["dossiers_dossier"] == 1000
    assert loaded.rows["workflow_transition"] == Transition.objects.count()
    assert loaded.rows["dossiers_dossiercomponent"] == DossierComponent.objects.count()
    assert loaded.rows["indicators_dailytally"] == DailyTally.objects.count()
    # A history, not a heap: spread over the 30 days, answered, late now and then, rated.
    today = timezone.localdate()
    days = set(Report.objects.values_list("created_at", flat=True))
    assert {timezone.localdate(d) for d in days} <= {
        today - dt.timedelta(days=n) for n in range(30)}
    assert DailyTally.objects.filter(metric="reports.received").values("day").distinct() \
        .count() == 30
    assert total("reports.resolved") > 1500 and total("reports.late") > 0
    assert total("reports.rating_count") > 300 and total("dossiers.results") > 700
    assert total("dossiers.components_by_data") > 0
    assert not Report.objects.filter(created_at__gt=timezone.now()).exists()
    assert not Transition.objects.filter(at__gt=timezone.now()).exists()


def test_shares_follow_the_published_figures(loaded: bulk.Loaded) -> None:
    f = bulk.FIGURES
    # 1022: 97.38 % answered on time.
    on_time = total("reports.on_time") / total("reports.resolved")
    assert abs(on_time - f.requests_on_time) < 0.02
    # 1.7 of 2.5 million dossiers online.
    online = Dossier.objects.filter(channel=Channel.ONLINE).count() / 1000
    assert abs(online - f.dossiers_online) < 0.05
    commune = Dossier.objects.filter(procedure__level=Level.COMMUNE).count() / 1000
    assert abs(commune - f.commune_share) < 0.05
    # The top four categories of 1022 take their weight of the residents' requests.
    top = Report.objects.filter(category__code__in=f.top_categories).count() / 2000
    weights = dict(zip(*_categories(), strict=True))
    want = sum(weights[c] for c in f.top_categories) / sum(weights.values())
    assert abs(top - want) < 0.04
    # Every commune-level unit gets work, more where the unit's weight is higher: the
    # heavier half of the wards takes its expected share of the requests.
    wards = list(Unit.objects.active_on().commune_level().order_by("code"))
    weight = dict(zip([u.pk for u in wards], bulk._weights_by_area(wards), strict=True))
    heavy = sorted(weight, key=weight.__getitem__)[len(wards) // 2:]
    expected = sum(weight[u] for u in heavy) / sum(weight.values())
    placed = dict(Report.objects.values_list("place_unit").annotate(n=Count("pk")))
    assert len(placed) > 150
    assert abs(sum(placed.get(u, 0) for u in heavy) / 2000 - expected) < 0.04


def _categories() -> tuple[list[str], list[float]]:
    world = bulk._world(bulk.FIGURES)
    return [c.code for c in world.categories], world.category_weights


def test_a_second_load_is_refused_unless_added(loaded: bulk.Loaded) -> None:
    with pytest.raises(bulk.DemoExists):
        bulk.generate(requests=10, dossiers=10, days=5)
    with pytest.raises(CommandError, match="--add"):
        call_command("demo", "--requests", "10", stdout=StringIO())
    out = StringIO()
    call_command("demo", "--requests", "300", "--dossiers", "200", "--days", "10", "--add",
                 stdout=out)
    assert "rows/s" in out.getvalue()
    assert Report.objects.count() == 2300 and Dossier.objects.count() == 1200
    assert services.verify().ok
    # Codes stay unique, and the day counters moved past them: a dossier received now
    # through the service gets the next number.
    assert Report.objects.values("code").distinct().count() == 2300


def test_a_dossier_received_after_the_load_gets_a_fresh_code(team: WardTeam) -> None:
    procedures()
    bulk.generate(requests=0, dossiers=3000, days=1, seed=3)
    made = dossiers.submit_dossier(actor=team.resident, procedure=BIRTH,
                                   competent_unit=team.ward, applicant=applicant())
    assert made.created and Dossier.objects.filter(code=made.dossier.code).count() == 1
    assert services.verify().ok


def test_roll_ups_rebuilt_after_the_load_are_exact(team: WardTeam) -> None:
    procedures()
    done = bulk.generate(requests=400, dossiers=300, days=20, seed=5, rollups="rebuild")
    assert done.rows["indicators_dailytally"] == DailyTally.objects.count() > 0
    assert services.verify().ok


def _schema(tables: list[str]) -> set[tuple[str, str]]:
    """Every index and constraint of `tables`, by name and definition (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                       [tables])
        found = set(cursor.fetchall())
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = ANY(%s::regclass[])", [tables])
        return found | set(cursor.fetchall())


LOADED_TABLES = ["reports_report", "reports_reportcontact", "dossiers_dossier",
                 "dossiers_dossiercomponent", "workflow_transition"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
def test_a_large_load_sets_the_indexes_aside_and_makes_them_all_again(team: WardTeam) -> None:
    procedures()
    before = _schema(LOADED_TABLES)
    assert len(before) > 40
    done = bulk.generate(requests=600, dossiers=300, days=20, seed=11, defer_indexes=True)
    assert done.index_seconds > 0
    assert _schema(LOADED_TABLES) == before
    assert services.verify().ok


def test_the_indexes_are_set_aside_only_for_a_load_as_large_as_the_tables(
        loaded: bulk.Loaded, monkeypatch: pytest.MonkeyPatch) -> None:
    dropped: list[list[str]] = []

    class Spy(bulk._Deferred):
        def drop(self) -> None:
            dropped.append(self.tables)
            super().drop()

    monkeypatch.setattr(bulk, "_Deferred", Spy)
    bulk.generate(requests=200, dossiers=100, days=10, add=True)  # 300 into 3,000: kept
    assert dropped == []
    bulk.generate(requests=2500, dossiers=1000, days=10, add=True)  # 3,500 into 3,300
    assert dropped == ([LOADED_TABLES] if connection.vendor == "postgresql" else [])
    assert services.verify().ok


def test_only_recent_requests_are_still_in_progress(team: WardTeam) -> None:
    # The published figure is a stock (396 in progress of a month's 14,700): a request of
    # two months ago has been answered, whatever its deadline (at most ten working days).
    procedures()
    bulk.generate(requests=3000, dossiers=0, days=90, seed=13)
    old = timezone.now() - dt.timedelta(days=50)
    assert Report.objects.filter(created_at__lt=old).count() > 1000
    assert not Report.objects.filter(created_at__lt=old, state__in=OPEN_STATES).exists()
    assert Report.objects.filter(state__in=OPEN_STATES).exists()


def test_the_live_counts_are_the_open_cases_counted_now(loaded: bulk.Loaded) -> None:
    now = timezone.now()
    ward = Unit.objects.filter(pk__in=Report.objects.values("unit_id")).exclude(
        parent=None).order_by("pk").first()
    assert ward is not None
    for root in (None, ward):
        live = values.total(values.live_by_unit(root, now))
        reports = Report.objects.filter(state__in=OPEN_STATES, due_at__lt=now)
        running = Dossier.objects.filter(closed_at=None, clock_paused_at=None)
        if root is not None:
            reports = reports.filter(unit__path__startswith=root.path)
            running = running.filter(unit__path__startswith=root.path)
        assert live["reports.open_overdue"] == reports.count()
        assert live["dossiers.open"] == running.count()
        assert live["dossiers.open_overdue"] == running.filter(due_at__lt=now).count()
        assert live["dossiers.open_in_time"] == running.filter(due_at__gte=now).count()
    assert values.total(values.live_by_unit(None, now))["dossiers.open"] > 0


def test_the_one_pass_sums_are_the_two_queries_sums(loaded: bulk.Loaded) -> None:
    today = timezone.localdate()
    period = values.Period(today - dt.timedelta(days=40), today)
    ward = Unit.objects.filter(pk__in=Report.objects.values("unit_id")).exclude(
        parent=None).order_by("pk").first()
    for root in (None, ward):
        for grain in ("day", "month"):
            by_unit, by_bucket = values.tallies_by_unit_and_bucket(period, root, grain)
            assert by_unit == values.tallies_by_unit(period, root)
            assert by_bucket == values.per_bucket(period, root, grain)
            assert by_unit and by_bucket
