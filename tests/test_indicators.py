"""The indicator catalogue, the figures (values, periods, rankings, the 766 score), the
dashboard pages, the XLSX export and the JSON API, each scoped by who reads."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from cityhall.core.models import AuditEntry
from cityhall.indicators import dashboard, values
from cityhall.indicators.catalogue import (
    CATALOGUE,
    INDEX766,
    CatalogueError,
    index766,
    read_catalogue,
)
from cityhall.indicators.errors import IndicatorCode, IndicatorError
from cityhall.indicators.models import Indicator
from cityhall.orgunits.models import Unit
from tests.factories import WardTeam, bearer, city, make_staff, unit_named
from tests.indicators_support import workload

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def loaded(team: WardTeam) -> WardTeam:
    """The catalogue loaded and a month of random work in two wards."""
    call_command("load_indicators", verbosity=0)
    workload(team, 11, days=30)
    return team


# The catalogue ----------------------------------------------------------------------

def test_the_catalogue_loads_once_and_audits_only_changes(db: None) -> None:
    call_command("load_indicators", verbosity=0)
    count = Indicator.objects.count()
    assert count == len(read_catalogue()) > 20
    call_command("load_indicators", verbosity=0)
    assert AuditEntry.objects.filter(action="indicators.load_catalogue").count() == 1
    on_time = Indicator.objects.get(code="requests.on_time_rate")
    assert on_time.direction == "higher" and on_time.source == "computed"
    assert on_time.formula_vi and on_time.formula_en
    grdp = Indicator.objects.get(code="socio.grdp_growth")
    assert grdp.source == "reported" and grdp.reporters == ["department"]


def test_a_catalogue_naming_an_unknown_tally_is_refused(tmp_path: Path) -> None:
    rows = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    rows["indicators"][0]["compute"] = {"sum": "reports.invented"}
    rows["indicators"][1]["direction"] = "sideways"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(bad)
    assert len(caught.value.problems) == 2
    assert "unknown tally reports.invented" in caught.value.problems[0]


def test_the_766_index_has_six_groups_of_100_points_and_rates_that_exist(db: None) -> None:
    groups = index766()
    assert [g.code for g in groups] == ["transparency", "timeliness", "online", "digitisation",
                                        "payment", "satisfaction"]
    assert sum(g.max for g in groups) == 100
    assert all(sum(i.points for i in g.items) == g.max for g in groups)
    codes = {r["code"] for r in read_catalogue()}
    assert all(i.rate in codes for g in groups for i in g.items if i.rate)
    # Every item is one mapping with known keys (a comma in an unquoted name would split it).
    raw = yaml.safe_load(INDEX766.read_text(encoding="utf-8"))
    keys = {"code", "points", "target", "rate", "name_vi", "name_en"}
    assert all(set(i) <= keys for g in raw["groups"] for i in g["items"])


# Figures ----------------------------------------------------------------------------

def _indicator(code: str) -> Indicator:
    call_command("load_indicators", verbosity=0)
    return values.indicator(code)


def test_a_ratio_has_no_value_without_a_denominator(db: None) -> None:
    rate = _indicator("requests.on_time_rate")
    assert values.figure(rate, Counter()).value is None
    fig = values.figure(rate, Counter({"reports.on_time": 3, "reports.resolved": 4}))
    assert fig.value == 0.75 and fig.inputs == {"reports.on_time": 3, "reports.resolved": 4}


def test_the_timely_rate_adds_the_cases_still_in_time(db: None) -> None:
    timely = _indicator("dossiers.timely_rate")
    fig = values.figure(timely, Counter({"dossiers.on_time": 6, "dossiers.results": 8,
                                         "dossiers.open_in_time": 3, "dossiers.open": 4}))
    assert fig.value == pytest.approx(9 / 12)


def test_the_766_score_earns_full_points_at_target_and_nothing_without_data(db: None) -> None:
    call_command("load_indicators", verbosity=0)
    counts = Counter({"reports.on_time": 1, "reports.resolved": 2,
                      "reports.rating_satisfied": 4, "reports.rating_count": 4})
    groups = {g.group.code: g for g in values.score766(counts)}
    satisfaction = {i.item.code: i for i in groups["satisfaction"].items}
    assert satisfaction["feedback_on_time"].points == 3.0  # 50 % of 6 points
    assert satisfaction["feedback_satisfied"].points == 6.0
    assert satisfaction["dossiers_satisfied"].points is None
    assert not satisfaction["dossiers_satisfied"].held
    assert groups["transparency"].points == 0 and groups["transparency"].measured_max == 0
    # Online payment is held now: no fee in the counts, no rate, no points.
    assert groups["payment"].items[0].held and groups["payment"].items[0].points is None
    paid = {g.group.code: g for g in values.score766(Counter({
        "dossiers.paid_online": 3, "dossiers.with_fee": 4,
        "dossiers.digitised": 1, "dossiers.received": 2}))}
    assert paid["payment"].items[0].points == 7.5  # 75 % of 10 points
    digitised = {i.item.code: i for i in paid["digitisation"].items}
    assert digitised["digitised"].points == 2.0  # 50 % of 4 points
    # Rates the system holds but with nothing counted in the period: no points either.
    online = groups["online"].items[0]
    assert online.held and online.rate is None and online.points is None


@pytest.mark.parametrize(("first", "last", "code"), [
    ("2026-13-01", "", IndicatorCode.INVALID_PERIOD),
    ("2026-03-02", "2026-03-01", IndicatorCode.INVALID_PERIOD),
    ("2020-01-01", "2026-01-01", IndicatorCode.PERIOD_TOO_LONG),
])
def test_bad_periods_are_refused(first: str, last: str, code: IndicatorCode) -> None:
    with pytest.raises(IndicatorError) as caught:
        values.period_of(first, last)
    assert caught.value.code == code


def test_periods_compare_with_the_days_before_and_a_year_earlier() -> None:
    period = values.period_of("2024-03-01", "2024-03-31")
    assert period.previous() == values.Period(dt.date(2024, 1, 30), dt.date(2024, 2, 29))
    assert values.period_of("2024-02-29", "2024-02-29").last_year().first == dt.date(2023, 2, 28)
    assert values.quarter_or_month("2026-Q4") == values.Period(dt.date(2026, 10, 1),
                                                              dt.date(2026, 12, 31))
    assert values.quarter_or_month("2026-02").last == dt.date(2026, 2, 28)


def test_a_years_view_reads_the_year_before_once(loaded: WardTeam,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Over 365 days the period before is the same days a year earlier: one read; across a
    29 February they differ by a day and both are read."""
    read: list[values.Period] = []
    totals, per_unit = values.tallies, values.tallies_by_unit

    def counted(period: values.Period, root: Unit | None) -> Counter[str]:
        read.append(period)
        return totals(period, root)

    def counted_per_unit(period: values.Period, root: Unit | None) -> dict[int, Counter[str]]:
        read.append(period)
        return per_unit(period, root)

    monkeypatch.setattr(values, "tallies", counted)
    monkeypatch.setattr(values, "tallies_by_unit", counted_per_unit)
    year = values.period_of("2025-12-01", "2026-11-30")
    dashboard.build(city(), year)
    assert [p for p in read if p != year] == [
        values.Period(dt.date(2024, 12, 1), dt.date(2025, 11, 30))]
    read.clear()
    leap = values.period_of("2023-12-01", "2024-11-29")
    dashboard.build(city(), leap)
    earlier = [p for p in read if p != leap]
    assert len(earlier) == 2 and earlier[0] != earlier[1]


def test_the_dashboard_page_reads_each_periods_rollups_once(loaded: WardTeam,
                                                            client: Client) -> None:
    """The period (one pass on PostgreSQL, by unit and by day elsewhere), the period before
    (per unit: the comparison and the units table's red cells) and a year earlier."""
    client.force_login(make_staff("dash.once", city(), "leader"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/indicators/?from=2026-10-01&to=2026-10-30").status_code == 200
    reads = [q["sql"] for q in queries if "indicators_dailytally" in q["sql"]]
    assert len(reads) == (3 if connection.vendor == "postgresql" else 4), reads


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL planner settings")
def test_rollup_reads_plan_with_memory_for_the_grouping_and_no_jit(loaded: WardTeam) -> None:
    """Inside, the grouping may hash in memory and nothing is compiled (SET LOCAL: until
    the transaction ends)."""
    def show(name: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute(f"SHOW {name}")
            return str(cursor.fetchone()[0])

    assert show("work_mem") != values.ROLLUP_WORK_MEM
    with values.rollup_reads():
        assert (show("work_mem"), show("jit")) == (values.ROLLUP_WORK_MEM, "off")


def test_the_city_figures_are_the_wards_added_up(loaded: WardTeam) -> None:
    period = values.period_of(None, None, default_days=40)
    town = city()
    per_unit = values.tallies_by_unit(period, None)
    children = values.children_of(town)
    per_child = values.roll_up(per_unit, town, children)
    assert values.total(per_child) == values.total(per_unit)
    thuduc = values.tallies_by_unit(period, loaded.ward)
    assert set(thuduc) == {loaded.ward.pk}
    assert per_child[loaded.ward.pk] == thuduc[loaded.ward.pk]


# Pages ------------------------------------------------------------------------------

def test_the_city_leader_sees_every_ward_and_the_score(loaded: WardTeam,
                                                       client: Client) -> None:
    leader = make_staff("i.city", city(), "leader")
    client.force_login(leader)
    page = client.get("/staff/indicators/")
    assert page.status_code == 200
    board = page.context["board"]
    assert board.unit == city() and len(board.children) > 150
    assert {r.unit.name for r in board.ranking} == {"Phường Thủ Đức", "Phường An Khánh"}
    text = page.content.decode()
    assert "Bộ chỉ số theo Quyết định 766" in text and "không có số liệu" in text
    received = next(r for r in board.rows if r.indicator.code == "requests.received")
    assert received.figure.value and received.figure.value > 0


def test_a_ward_leader_sees_the_ward_and_not_another(loaded: WardTeam, client: Client) -> None:
    client.force_login(loaded.leader)
    page = client.get("/staff/indicators/")
    assert page.status_code == 200 and page.context["board"].unit == loaded.ward
    other = unit_named("Phường An Khánh")
    assert client.get(f"/staff/indicators/?unit={other.code}").status_code == 404
    assert client.get(f"/staff/indicators/records/?tally=reports.received"
                      f"&unit={other.code}").status_code == 404
    assert client.get(f"/staff/indicators/export.xlsx?unit={other.code}").status_code == 404


def test_residents_and_visitors_get_no_dashboard(loaded: WardTeam, client: Client) -> None:
    assert client.get("/staff/indicators/").status_code == 302
    client.force_login(loaded.resident)
    assert client.get("/staff/indicators/").status_code == 403
    assert client.get("/staff/indicators/records/?tally=reports.late").status_code == 403


def test_bad_input_to_the_dashboard_is_a_400_that_says_why(loaded: WardTeam,
                                                           client: Client) -> None:
    client.force_login(loaded.leader)
    page = client.get("/staff/indicators/?from=2026-02-30")
    assert page.status_code == 400 and "YYYY-MM-DD" in page.content.decode()
    assert client.get("/staff/indicators/records/?tally=reports.nothing").status_code == 404


def test_the_records_behind_a_number_are_the_ones_it_counted(loaded: WardTeam,
                                                             client: Client) -> None:
    client.force_login(loaded.leader)
    page = client.get("/staff/indicators/")
    row = next(r for r in page.context["board"].rows if r.indicator.code == "requests.late")
    listing = client.get("/staff/indicators/records/?tally=reports.late")
    assert listing.status_code == 200
    assert listing.context["page"].paginator.count <= int(row.figure.value or 0)
    assert listing.context["page"].paginator.count > 0
    assert all(r.url.startswith("/staff/reports/") for r in listing.context["rows"])


def test_the_export_holds_the_figures_the_units_and_the_score(loaded: WardTeam,
                                                              client: Client) -> None:
    client.force_login(loaded.leader)
    answer = client.get("/staff/indicators/export.xlsx")
    assert answer.status_code == 200
    book = load_workbook(BytesIO(answer.content))
    assert len(book.sheetnames) == 3
    figures = book.worksheets[0]
    assert figures["B1"].value == loaded.ward.name
    codes = [row[0].value for row in figures.iter_rows(min_row=3)]
    assert "requests.on_time_rate" in codes and "socio.grdp_growth" in codes
    score = [row[1].value for row in book.worksheets[2].iter_rows(min_row=2)]
    assert "Hồ sơ thanh toán trực tuyến" in score


def test_the_public_page_shows_figures_to_anyone(loaded: WardTeam, client: Client) -> None:
    page = client.get("/indicators/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Số liệu của Thành phố" in text
    assert loaded.resident.full_name not in text and "PA-" not in text


# The API ----------------------------------------------------------------------------

def test_the_catalogue_is_public(loaded: WardTeam, client: Client) -> None:
    answer = client.get("/api/v1/indicators")
    assert answer.status_code == 200
    assert {"code", "formula_vi", "direction", "source"} <= set(answer.json()[0])


def test_values_are_scoped_and_carry_their_inputs(loaded: WardTeam, client: Client) -> None:
    url = "/api/v1/indicators/requests.on_time_rate/values"
    assert client.get(url).status_code == 401
    answer = client.get(url + "?grain=month", headers=bearer(loaded.leader))
    assert answer.status_code == 200
    body = answer.json()
    assert body["unit"] == loaded.ward.code and body["total"]["inputs"]["reports.resolved"] > 0
    assert sum(v["inputs"]["reports.resolved"] for v in body["values"]) == \
        body["total"]["inputs"]["reports.resolved"]
    other = unit_named("Phường An Khánh")
    refused = client.get(f"{url}?unit={other.code}", headers=bearer(loaded.leader))
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    shape = client.get(f"{url}?from=yesterday", headers=bearer(loaded.leader))
    assert shape.status_code == 422 and shape.json()["code"] == "invalid"
    bad = client.get(f"{url}?from=2026-02-30", headers=bearer(loaded.leader))
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_period"
    assert client.get("/api/v1/indicators/nope/values",
                      headers=bearer(loaded.leader)).json()["code"] == "not_found"


def test_the_records_endpoint_lists_what_a_value_counted(loaded: WardTeam,
                                                         client: Client) -> None:
    answer = client.get("/api/v1/indicators/requests.resolved/records",
                        headers=bearer(loaded.leader))
    assert answer.status_code == 200
    body = answer.json()
    assert body["tally"] == "reports.resolved" and body["count"] == len(body["records"]) > 0
    assert {r["unit"] for r in body["records"]} == {loaded.ward.code}


def test_the_766_endpoint_scores_a_quarter_with_no_invented_points(loaded: WardTeam,
                                                                  client: Client) -> None:
    today = timezone.localdate()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    answer = client.get(f"/api/v1/index766?period={quarter}", headers=bearer(loaded.leader))
    assert answer.status_code == 200
    body = answer.json()
    assert len(body["groups"]) == 6 and body["measured_max"] < 100
    transparency = next(g for g in body["groups"] if g["code"] == "transparency")
    assert transparency["points"] == 0 and transparency["items"][0]["held"] is False
    payment = next(g for g in body["groups"] if g["code"] == "payment")
    assert payment["items"][0]["held"] is True
    assert client.get("/api/v1/index766?period=2026-Q5",
                      headers=bearer(loaded.leader)).status_code == 422


def test_without_a_catalogue_the_pages_say_so_instead_of_failing(team: WardTeam) -> None:
    # A database migrated but never given its catalogue (`make run` loads it).
    Indicator.objects.all().delete()
    assert Client().get("/indicators/").status_code == 404  # the branded page, not a 500
    client = Client()
    client.force_login(team.leader)
    for path in ("/indicators/", "/staff/indicators/", "/staff/indicators/export.xlsx"):
        assert client.get(path).status_code == 404, path
