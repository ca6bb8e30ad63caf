"""The dashboard's map of the units and the units table's red cells: values per unit joined
with the boundaries on record (test squares only, never shipped), the boundaries layer
cached by ETag and scoped, the plain message without boundaries, and "assign now" from a
red cell of the table."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.test import Client

from cityhall.accounts.models import User
from cityhall.indicators import dashboard, unitmap, values
from cityhall.indicators.models import DailyTally, Direction, Indicator, IndicatorTask
from cityhall.orgunits.maps import AREA_KINDS
from cityhall.orgunits.models import Unit
from cityhall.plans.models import Task
from tests.factories import ANKHANH, THUDUC, WardTeam, city, make_staff, unit_named
from tests.geo_support import SQUARES_SOURCE, load_test_squares

pytestmark = [pytest.mark.django_db]

SAIGON = "Phường Sài Gòn"
#: A period long past, so that only the tallies written here count.
FIRST, LAST = dt.date(2024, 3, 1), dt.date(2024, 3, 10)
PERIOD = f"from={FIRST.isoformat()}&to={LAST.isoformat()}"


def _tally(unit: Unit, day: dt.date, **counts: int) -> None:
    for metric, n in counts.items():
        DailyTally.objects.create(day=day, unit=unit, metric=metric.replace("__", "."),
                                  value=n)


@pytest.fixture
def ready(team: WardTeam) -> WardTeam:
    """The catalogue, and hand-written roll-ups for March 2024 and the ten days before:
    Thủ Đức got worse (later answers), An Khánh better, Sài Gòn has none."""
    call_command("load_indicators", verbosity=0)
    before = FIRST - dt.timedelta(days=3)
    thuduc, ankhanh = team.ward, unit_named(ANKHANH)
    _tally(thuduc, before, reports__received=10, reports__resolved=10, reports__on_time=9,
           reports__late=1)
    _tally(thuduc, FIRST, reports__received=12, reports__resolved=10, reports__on_time=6,
           reports__late=4)
    _tally(ankhanh, before, reports__received=8, reports__resolved=8, reports__on_time=6,
           reports__late=2)
    _tally(ankhanh, FIRST, reports__received=9, reports__resolved=8, reports__on_time=8,
           reports__late=0)
    return team


def _leader() -> User:
    return make_staff("map.city", city(), "leader")


def _indicator(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


# Classes and colours -----------------------------------------------------------------

def test_the_classes_put_worse_in_red_by_the_indicators_direction(ready: WardTeam) -> None:
    rate, late, received = (_indicator(c) for c in (
        "requests.on_time_rate", "requests.late", "requests.received"))
    assert rate.direction == Direction.HIGHER and late.direction == Direction.LOWER
    found = [0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 1.0]
    higher = unitmap.bands(rate, found)
    assert len(higher) == unitmap.CLASSES
    assert higher[0].colour == unitmap.WORSE_TO_BETTER[0]  # the lowest rate is red
    assert higher[-1].colour == unitmap.WORSE_TO_BETTER[-1]
    lower = unitmap.bands(late, [0, 1, 2, 3, 4])
    assert lower[-1].colour == unitmap.WORSE_TO_BETTER[0]  # the most late answers are red
    assert unitmap.colour_of(4, lower) == unitmap.WORSE_TO_BETTER[0]
    # The legend reads worse first whichever the direction.
    board_less = unitmap.UnitMap(late, None, [], lower, 0)  # type: ignore[arg-type]
    assert board_less.legend[0].colour == unitmap.WORSE_TO_BETTER[0]
    volume = unitmap.bands(received, [1, 5, 9])
    assert [b.colour for b in volume] == [unitmap.FEWER_TO_MORE[0], unitmap.FEWER_TO_MORE[2],
                                          unitmap.FEWER_TO_MORE[4]]
    # Equal values share a class; each band spans the values in it.
    assert all(b.low <= b.high for b in higher)
    assert sum(1 for b in higher if b.low <= 0.9 <= b.high) == 1
    assert unitmap.bands(rate, []) == []
    assert unitmap.colour_of(None, higher) == unitmap.NO_VALUE


# The page ----------------------------------------------------------------------------

def test_the_map_joins_each_units_value_with_its_boundary(ready: WardTeam,
                                                          client: Client) -> None:
    load_test_squares([THUDUC, ANKHANH, SAIGON], approximate=ANKHANH)
    client.force_login(_leader())
    page = client.get(f"/staff/indicators/?{PERIOD}&map=requests.on_time_rate")
    assert page.status_code == 200
    umap = page.context["unit_map"]
    assert umap.indicator.code == "requests.on_time_rate"
    assert {p.unit.name for p in umap.bounded} == {THUDUC, ANKHANH, SAIGON}
    board = page.context["board"]
    areas = [c for c in board.children if c.kind in AREA_KINDS]
    assert len(umap.unbounded) == len(areas) - 3 > 150
    assert umap.not_areas == len(board.children) - len(areas) > 0
    by_name = {p.unit.name: p for p in umap.places}
    assert by_name[THUDUC].value == pytest.approx(0.6)
    assert by_name[ANKHANH].value == pytest.approx(1.0)
    assert by_name[SAIGON].value is None and by_name[SAIGON].colour == unitmap.NO_VALUE
    assert umap.has_missing
    # Two units with a value: the worse is red, the better green.
    assert by_name[THUDUC].colour == unitmap.WORSE_TO_BETTER[0]
    assert by_name[ANKHANH].colour == unitmap.WORSE_TO_BETTER[-1]
    data = json.loads(page.content.decode().split('id="unit-map-data" type="application/json">')
                      [1].split("</script>")[0])
    thuduc = data["units"][ready.ward.code]
    assert thuduc["colour"] == unitmap.WORSE_TO_BETTER[0] and thuduc["text"] == "60,0 %"
    assert f"unit={ready.ward.code}" in thuduc["url"] and "map=requests.on_time_rate" in \
        thuduc["url"]
    assert set(data["units"]) == {p.unit.code for p in umap.bounded}
    text = page.content.decode()
    assert 'data-testid="map-legend"' in text and 'data-testid="map-unbounded"' in text
    assert "map-no-boundaries" not in text


def test_without_boundaries_the_map_says_so_and_the_table_stays(ready: WardTeam,
                                                                client: Client) -> None:
    client.force_login(_leader())
    page = client.get(f"/staff/indicators/?{PERIOD}")
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="map-no-boundaries"' in text
    assert "cityhall import_boundaries" in text and 'data-unit-map' not in text
    assert page.context["board"].ranking and 'data-testid="units-table"' in text


def test_a_departments_units_are_no_map(ready: WardTeam, client: Client) -> None:
    department = Unit.objects.active_on().filter(kind="department").first()
    assert department is not None
    umap = unitmap.unit_map(dashboard.build(department, values.period_of(FIRST, LAST)),
                            _indicator("requests.received"))
    assert umap.places == [] and not umap.drawable


# The layer ---------------------------------------------------------------------------

def test_the_layer_holds_the_units_with_a_boundary_and_is_revalidated(ready: WardTeam,
                                                                      client: Client) -> None:
    load_test_squares([THUDUC, ANKHANH], approximate=ANKHANH)
    client.force_login(_leader())
    answer = client.get("/staff/indicators/map/units.geojson")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/geo+json"
    layer = json.loads(answer.content)
    features = {f["id"]: f for f in layer["features"]}
    assert set(features) == {ready.ward.code, unit_named(ANKHANH).code}
    assert {f["properties"]["role"] for f in features.values()} == {"child"}
    assert features[unit_named(ANKHANH).code]["properties"]["approximate"] is True
    assert features[ready.ward.code]["geometry"]["type"] == "Polygon"
    assert layer["attribution"] == [f"{SQUARES_SOURCE} (test data)"]
    etag = answer["ETag"]
    assert etag and "no-cache" in answer["Cache-Control"]
    again = client.get("/staff/indicators/map/units.geojson", headers={"if-none-match": etag})
    assert again.status_code == 304 and again["ETag"] == etag
    # A boundary loaded since changes the layer at once.
    load_test_squares([SAIGON])
    fresh = client.get("/staff/indicators/map/units.geojson", headers={"if-none-match": etag})
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert len(json.loads(fresh.content)["features"]) == 3


def test_a_ward_chair_sees_the_ward_only(ready: WardTeam, client: Client) -> None:
    load_test_squares([THUDUC, ANKHANH])
    client.force_login(ready.leader)
    page = client.get(f"/staff/indicators/?{PERIOD}")
    umap = page.context["unit_map"]
    assert umap.own.unit == ready.ward and umap.own.bounded
    assert all(p.unit.path.startswith(ready.ward.path) for p in umap.places)
    layer = json.loads(client.get("/staff/indicators/map/units.geojson").content)
    assert [(f["id"], f["properties"]["role"]) for f in layer["features"]] == [
        (ready.ward.code, "self")]
    assert client.get(f"/staff/indicators/map/units.geojson?unit={city().code}"
                      ).status_code == 404
    other = unit_named(ANKHANH).code
    assert client.get(f"/staff/indicators/map/units.geojson?unit={other}").status_code == 404
    client.force_login(ready.resident)
    assert client.get("/staff/indicators/map/units.geojson").status_code == 403


# Red cells and "assign now" ------------------------------------------------------------

def test_a_red_cell_is_the_units_own_red_number(ready: WardTeam) -> None:
    board = dashboard.build(city(), values.period_of(FIRST, LAST))
    rows = dict(unitmap.table(board, lambda unit: True))
    thuduc = {c.indicator.code: c for c in rows[ready.ward]}
    ankhanh = {c.indicator.code: c for c in rows[unit_named(ANKHANH)]}
    assert thuduc["requests.on_time_rate"].red and thuduc["requests.late"].red
    assert not thuduc["requests.received"].red  # a volume is never red
    assert not any(c.red for c in ankhanh.values())
    # The same as each unit's own dashboard says of the same number.
    for unit, cells in ((ready.ward, thuduc), (unit_named(ANKHANH), ankhanh)):
        own = dashboard.build(unit, board.period)
        for row in own.rows:
            if row.indicator.code in cells:
                assert cells[row.indicator.code].red == row.red, (unit, row.indicator.code)


def test_a_red_cell_assigns_a_task_to_that_unit(ready: WardTeam, client: Client) -> None:
    client.force_login(_leader())
    page = client.get(f"/staff/indicators/?{PERIOD}")
    text = page.content.decode()
    code = ready.ward.code
    assert f'data-testid="red-{code}-requests.on_time_rate"' in text
    assert f'data-testid="assign-{code}-requests.on_time_rate"' in text
    assert f'data-testid="assign-{unit_named(ANKHANH).code}-' not in text
    query = f"indicator=requests.on_time_rate&unit={code}&{PERIOD}"
    step_one = client.get(f"/staff/indicators/assign/?{query}")
    assert step_one.status_code == 200
    form = step_one.context["form"]
    answer = client.post(f"/staff/indicators/assign/?{query}", {
        "title": form.initial["title"], "working_days": 3, "description": "",
        "idempotency_key": form.fields["idempotency_key"].initial})
    assert answer.status_code == 302
    link = IndicatorTask.objects.select_related("task").get()
    assert link.unit == ready.ward and link.value == pytest.approx(0.6)
    assert link.task.lead_unit == ready.ward and (link.first, link.last) == (FIRST, LAST)


def test_a_reader_who_leads_no_unit_sees_red_cells_without_assign(ready: WardTeam,
                                                                  client: Client) -> None:
    client.force_login(make_staff("map.clerk", city(), "officer"))
    text = client.get(f"/staff/indicators/?{PERIOD}").content.decode()
    assert f'data-testid="red-{ready.ward.code}-requests.late"' in text
    assert 'data-testid="assign-' not in text and not Task.objects.exists()
