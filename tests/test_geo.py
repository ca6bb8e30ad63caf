"""Boundaries: point resolution by polygon, the boundary API, the map layer, imports.

The polygons are the TEST DATA of tests/geo_support.py (Voronoi cells of the registry's
centres), since the project ships no boundaries; every behaviour here is that of any
boundaries `cityhall import_boundaries` loads.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from shapely.geometry import shape

from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.orgunits.geo import PolygonIndex, area_shape
from cityhall.orgunits.maps import unit_map_layer
from cityhall.orgunits.models import Unit
from cityhall.orgunits.resolve import resolve_point
from cityhall.orgunits.services import import_boundaries
from tests.geo_support import TEST_SOURCE, load_test_boundaries

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 1, 1)

TEN_UNITS = [
    "Phường Sài Gòn", "Phường Bến Thành", "Phường Thủ Đức", "Phường Tân Định",
    "Phường Bình Thạnh", "Phường Gò Vấp", "Xã Bình Chánh", "Xã Cần Giờ",
    "Phường Thủ Dầu Một", "Phường Vũng Tàu",
]


@pytest.fixture
def bounded() -> None:
    result = load_test_boundaries(DAY)
    assert len(result.matched) == 168 and not result.unmatched


def _unit(name: str) -> Unit:
    return Unit.objects.active_on(DAY).get(name=name)


@pytest.mark.usefixtures("bounded")
@pytest.mark.parametrize("name", TEN_UNITS)
def test_a_point_inside_each_of_ten_units_resolves_to_it(name: str) -> None:
    unit = _unit(name)
    inside = area_shape(unit.boundary).representative_point()
    with translation.override("en"):
        found = resolve_point(inside.y, inside.x, day=DAY)
    assert found.unit == unit
    assert found.method == "point_in_polygon"
    assert found.reason == f"The point lies inside the boundary of {unit.name_en}."
    with translation.override("vi"):
        found = resolve_point(inside.y, inside.x, day=DAY)
    assert found.reason == f"Điểm nằm trong ranh giới {unit.name}."


@pytest.mark.usefixtures("bounded")
@pytest.mark.parametrize(("lat", "lon", "name"), [
    (10.7725, 106.6980, "Phường Bến Thành"),  # Bến Thành market
    (10.7798, 106.6990, "Phường Sài Gòn"),  # Notre-Dame cathedral, Công xã Paris
    (10.7497, 106.6510, "Phường Bình Tây"),  # Bình Tây market, former District 6
    (8.6820, 106.6090, "Đặc khu Côn Đảo"),  # Côn Sơn town
])
def test_known_places_resolve_by_polygon(lat: float, lon: float, name: str) -> None:
    found = resolve_point(lat, lon, day=DAY)
    assert (found.unit.name, found.method) == (name, "point_in_polygon")


@pytest.mark.usefixtures("bounded")
def test_a_shared_edge_always_gives_the_same_unit() -> None:
    saigon, ben_thanh = _unit("Phường Sài Gòn"), _unit("Phường Bến Thành")
    edge = area_shape(saigon.boundary).intersection(area_shape(ben_thanh.boundary))
    assert not edge.is_empty
    point = edge.interpolate(0.5, normalized=True)
    answers = {resolve_point(point.y, point.x, day=DAY).unit.code for _ in range(3)}
    assert answers == {min(saigon.code, ben_thanh.code)}


def test_the_index_finds_only_the_shapes_that_cover_a_point() -> None:
    square = area_shape({"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2],
                                                             [0, 0]]]})
    ring = area_shape({"type": "Polygon", "coordinates": [
        [[10, 10], [20, 10], [20, 20], [10, 20], [10, 10]],
        [[14, 14], [16, 14], [16, 16], [14, 16], [14, 14]]]})
    index = PolygonIndex.build([("a", square), ("b", ring)])
    assert index.covering(lat=1, lon=1) == ["a"]
    assert index.covering(lat=12, lon=12) == ["b"]
    assert index.covering(lat=15, lon=15) == []  # in the hole
    assert index.covering(lat=5, lon=5) == []
    assert PolygonIndex.build([]).covering(1, 1) == []


def test_an_approximate_boundary_says_so_to_the_resident_and_in_the_api() -> None:
    unit = _unit("Phường Sài Gòn")
    square = {"type": "Polygon", "coordinates": [[[106.69, 10.77], [106.71, 10.77],
                                                  [106.71, 10.79], [106.69, 10.79],
                                                  [106.69, 10.77]]]}
    collection = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": square,
        "properties": {"code": unit.code, "approximate": True,
                       "approximate_note": "Old ward split along a street"}}]}
    import_boundaries(actor=SYSTEM, collection=collection, day=DAY,
                      source="Test survey 2026", licence="CC BY 4.0")
    with translation.override("en"):
        found = resolve_point(10.78, 106.70, day=DAY)
    assert found.unit == unit and "approximate" in found.reason and found.approximate
    answer = Client().get("/api/v1/units/resolve", {"lat": "10.78", "lon": "106.70",
                                                    "active_on": DAY.isoformat()}).json()
    assert answer["approximate"] is True and answer["method"] == "point_in_polygon"
    body = Client().get(f"/api/v1/units/{unit.code}/boundary",
                        {"active_on": DAY.isoformat()}).json()
    assert body["properties"]["approximate"] is True
    assert body["properties"]["approximate_note"] == "Old ward split along a street"
    assert (body["properties"]["source"], body["properties"]["licence"]) == (
        "Test survey 2026", "CC BY 4.0")


def test_import_repairs_crossed_rings_and_sets_the_box() -> None:
    unit = _unit("Phường Tân Định")
    bowtie = {"type": "Polygon", "coordinates": [[[106.68, 10.78], [106.70, 10.80],
                                                  [106.70, 10.78], [106.68, 10.80],
                                                  [106.68, 10.78]]]}
    result = import_boundaries(actor=SYSTEM, day=DAY, collection={
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": bowtie, "properties": {"code": unit.code}},
                     {"type": "Feature", "properties": {"code": "26740"},
                      "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}]})
    assert result.matched == [unit.code] and result.unmatched == ["26740"]
    unit.refresh_from_db()
    assert unit.boundary is not None and shape(unit.boundary).is_valid
    assert (unit.bbox_west, unit.bbox_south, unit.bbox_east, unit.bbox_north) == (
        pytest.approx(106.68), pytest.approx(10.78), pytest.approx(106.70), pytest.approx(10.80))
    assert list(Unit.objects.around_point(10.79, 106.69)) == [unit]
    assert not Unit.objects.around_point(10.79, 106.71).exists()
    entry = AuditEntry.objects.filter(action="orgunits.import_boundaries").latest("pk")
    assert entry.changes["unmatched"] == ["26740"]


@pytest.mark.usefixtures("bounded")
def test_the_boundary_api_answers_a_feature_and_a_light_variant() -> None:
    unit = _unit("Phường Sài Gòn")
    client = Client()
    full = client.get(f"/api/v1/units/{unit.code}/boundary")
    assert full.status_code == 200
    body = full.json()
    assert body["type"] == "Feature" and body["id"] == unit.code
    assert body["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert body["properties"]["source"] == TEST_SOURCE
    assert body["properties"]["approximate"] is False
    assert body["properties"]["detail"] == "full"
    light = client.get(f"/api/v1/units/{unit.code}/boundary", {"detail": "map"}).json()
    assert light["properties"]["detail"] == "map"
    assert shape(light["geometry"]).symmetric_difference(shape(body["geometry"])).area < (
        0.01 * shape(body["geometry"]).area)
    coords = json.dumps(light["geometry"]["coordinates"])
    assert all(len(x.split(".")[1]) <= 5 for x in coords.replace("[", "").replace("]", "")
               .split(", ") if "." in x)


def test_the_boundary_api_says_404_for_an_unknown_code_or_no_boundary() -> None:
    client = Client()
    unknown = client.get("/api/v1/units/99999999/boundary")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    none = client.get(f"/api/v1/units/{_unit('Phường Sài Gòn').code}/boundary")
    assert none.status_code == 404 and none.json()["code"] == "no_boundary"
    assert client.get("/api/v1/units/26740/boundary", {"detail": "tiny"}).status_code == 422


def _layer(client: Client, **headers: Any) -> Any:
    return client.get("/reports/map/units.geojson", **headers)


def test_the_map_layer_has_centres_and_old_names_without_boundaries() -> None:
    response = _layer(Client())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = json.loads(response.content)
    assert len(body["features"]) == 168 and body["attribution"] == []
    saigon = next(f for f in body["features"] if f["properties"]["name"] == "Phường Sài Gòn")
    assert saigon["geometry"]["type"] == "Point" and saigon["properties"]["boundary"] is False
    assert "Phường Bến Nghé, Quận 1" in saigon["properties"]["former"]
    assert saigon["properties"]["name_en"] == "Sài Gòn Ward"


@pytest.mark.usefixtures("bounded")
def test_the_map_layer_draws_light_boundaries_and_revalidates() -> None:
    client = Client()
    response = _layer(client)
    body = json.loads(response.content)
    assert body["attribution"] == [f"{TEST_SOURCE} (test data)"]
    assert {f["geometry"]["type"] for f in body["features"]} <= {"Polygon", "MultiPolygon"}
    assert all(f["properties"]["bbox"] for f in body["features"])
    # Light enough for every page that shows a map.
    assert len(response.content) < 1_500_000
    again = _layer(client, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again["ETag"] == response["ETag"]
    assert unit_map_layer().etag == response["ETag"]


def test_nearby_keeps_the_circle_not_the_box(monkeypatch: pytest.MonkeyPatch) -> None:
    from cityhall.reports import queries
    from cityhall.reports.models import Report
    from tests.reports_support import categories, flood

    categories()
    centre = flood().report
    assert centre.latitude is not None and centre.longitude is not None
    lat, lon = centre.latitude, centre.longitude
    # 100 m north is in; 100 m north-east and east (141 m away) is in the box, not the circle.
    north = flood(latitude=lat + 100 / 110_574, longitude=lon).report
    corner = flood(latitude=lat + 100 / 110_574, longitude=lon + 100 / 109_600).report
    for limit in (queries.NEARBY_EXACT_LIMIT, 1):
        # 1: more candidates than the limit, so the database computes the distance.
        monkeypatch.setattr(queries, "NEARBY_EXACT_LIMIT", limit)
        found = set(Report.objects.nearby(lat, lon, 120).values_list("pk", flat=True))
        assert found == {centre.pk, north.pk}, limit
        assert corner.pk in set(Report.objects.nearby(lat, lon, 160).values_list("pk",
                                                                                   flat=True))
    # Nothing near: still a query that compiles to SQL (the Open311 pages compile it).
    monkeypatch.setattr(queries, "NEARBY_EXACT_LIMIT", 5000)
    empty = Report.objects.nearby(lat + 0.5, lon, 100)
    assert "IS NULL" in str(empty.query) and not empty.exists()


def test_new_boundaries_are_derived_from_the_old_wards_through_the_successions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cityhall.orgunits.boundaries import derive_boundaries
    from cityhall.orgunits.sources import LEGACY_END
    from tests.geo_support import voronoi_legacy_collection

    old = voronoi_legacy_collection()
    derived = derive_boundaries(old, source="test", licence="test data")
    features = {f["properties"]["name"]: f for f in derived.collection["features"]}
    assert derived.unmatched == []
    # Côn Đảo had no wards: with no polygon for it, it gets none (never an invented one).
    assert "Đặc khu Côn Đảo" in derived.without_boundary
    assert len(features) + len(derived.without_boundary) == 168
    # Xã An Phú Tây was split between Phường Bình Đông and Xã Bình Chánh: both approximate.
    for name in ("Phường Bình Đông", "Xã Bình Chánh"):
        props = features[name]["properties"]
        assert props["approximate"] is True and "Xã An Phú Tây" in props["approximate_note"]
    whole = [f for f in features.values() if not f["properties"]["approximate"]]
    assert whole, "units made of whole old wards are exact unions"
    # The new units tile the old ones: no overlap, nothing lost.
    shapes = [shape(f["geometry"]) for f in features.values()]
    union = shapely.union_all(shapes)
    assert sum(s.area for s in shapes) == pytest.approx(union.area, rel=1e-3)

    path = tmp_path / "old.geojson"
    path.write_text(json.dumps(old), encoding="utf-8")
    call_command("derive_boundaries", str(path), "--source", "test", "--licence", "test data",
                 "--output", str(tmp_path / "new.geojson"), "--import")
    out = capsys.readouterr().out
    assert f"derived {len(features)} boundaries" in out and "Đặc khu Côn Đảo" in out
    assert json.loads((tmp_path / "new.geojson").read_text(encoding="utf-8")) == json.loads(
        json.dumps(derived.collection))
    ben_nghe = Unit.objects.get(name="Phường Bến Nghé", valid_to=LEGACY_END)
    found = resolve_point(ben_nghe.latitude or 0, ben_nghe.longitude or 0)
    assert (found.unit.name, found.method) == ("Phường Sài Gòn", "point_in_polygon")


def test_the_process_wide_index_follows_an_import(committed_registry: None) -> None:
    """Outside a transaction the STRtree is cached; an import empties it at once."""
    saigon = Unit.objects.active_on().get(name="Phường Sài Gòn")
    lat, lon = saigon.latitude or 0, saigon.longitude or 0
    assert resolve_point(lat, lon).method == "nearest_centre"
    from cityhall.orgunits import resolve

    assert resolve._POINT_UNITS._values, "the index is kept outside a transaction"
    assert resolve_point(lat, lon).method == "nearest_centre"  # served from the cache
    load_test_boundaries()
    found = resolve_point(lat, lon)
    assert (found.unit, found.method) == (saigon, "point_in_polygon")
