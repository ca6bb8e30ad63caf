"""Place resolution: addresses old and new, points, and never a byte sent over the network."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from cityhall.core.models import AuditEntry
from cityhall.orgunits.geo import contains, distance_km
from cityhall.orgunits.models import Unit
from cityhall.orgunits.resolve import UnknownPlace, resolve_address, resolve_point

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 1, 1)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every test here fails if anything tries to open a connection."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(args)
        raise AssertionError(f"network connection attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    # A geocoder looks its host up first: refuse the DNS query too.
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == [], "resolution tried to reach the network"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_the_network_guard_really_refuses_connections(no_network: list[Any]) -> None:
    with pytest.raises(AssertionError):
        socket.create_connection(("127.0.0.1", 9))
    no_network.clear()


def test_it_resolves_a_legacy_address_with_a_street_to_the_new_ward() -> None:
    found = resolve_address("12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP.HCM", day=DAY)
    assert found.unit.name == "Phường Sài Gòn"
    assert found.method == "legacy_address"
    assert found.legacy_unit is not None and found.legacy_unit.name == "Phường Bến Nghé"
    assert "Phường Bến Nghé, Quận 1" in found.reason
    assert "1 July 2025" in found.reason
    # The street is never repeated back.
    assert "Nguyễn Huệ" not in found.reason


def test_it_resolves_thao_dien_in_the_old_district_2_to_an_khanh() -> None:
    found = resolve_address("Phường Thảo Điền, Quận 2", day=DAY)
    assert found.unit.name == "Phường An Khánh"
    assert found.unit.code == "27118"
    assert found.reason.startswith("Phường An Khánh: the address 'Phường Thảo Điền")


def test_a_split_ward_with_a_street_goes_to_the_primary_successor_offline() -> None:
    # With a street, vietnamadminunits' converter would geocode this address online.
    found = resolve_address(
        "5 Đường số 3, Xã An Phú Tây, Huyện Bình Chánh, TP Hồ Chí Minh", day=DAY
    )
    assert found.unit.name == "Phường Bình Đông"
    assert found.split
    assert [u.name for u in found.alternatives] == ["Xã Bình Chánh"]
    assert "split" in found.reason


def test_it_resolves_a_new_style_address() -> None:
    found = resolve_address("10 Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh", day=DAY)
    assert found.unit.name == "Phường Sài Gòn"
    assert found.method == "address"
    assert not found.split


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("P. Sài Gòn, TP.HCM", "Phường Sài Gòn"),
        ("phuong thu duc, tp hcm", "Phường Thủ Đức"),
        ("Phường Thủ Dầu Một, Bình Dương", "Phường Thủ Dầu Một"),
        ("Xã Thạnh An, TP.HCM", "Xã Thạnh An"),
        ("Xã Thanh An, TP.HCM", "Xã Thanh An"),
        ("Đặc khu Côn Đảo", "Đặc khu Côn Đảo"),
        ("Phường 9, Quận 5, Hồ Chí Minh", "Phường An Đông"),
        ("Huyện Côn Đảo, Bà Rịa - Vũng Tàu", "Đặc khu Côn Đảo"),
        # Without diacritics "ngan phuong" holds "an phu": not the old Phường An Phú.
        ("12 vo van ngan phuong thu duc", "Phường Thủ Đức"),
        ("12 vo van ngan, phuong an phu, quan 2", "Phường Bình Trưng"),
        ("so 5 ba huyen thanh quan, phuong 6, quan 3", "Phường Xuân Hòa"),
    ],
)
def test_it_resolves_common_forms_of_addresses(address: str, expected: str) -> None:
    assert resolve_address(address, day=DAY).unit.name == expected


def test_it_follows_a_legacy_address_to_the_unit_active_on_the_day() -> None:
    # On the last day of the old units, the old ward itself is the answer.
    found = resolve_address("Phường Bến Nghé, Quận 1, TP.HCM", day=dt.date(2025, 6, 30))
    assert found.unit.name == "Phường Bến Nghé"


@pytest.mark.parametrize(
    "address", ["", "   ", "blah blah", "Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội",
                "Phường Ba Đình, Thành phố Hà Nội"],
)
def test_it_rejects_places_outside_the_city(address: str) -> None:
    with pytest.raises(UnknownPlace):
        resolve_address(address, day=DAY)


def test_a_point_in_thu_duc_resolves_to_phuong_thu_duc() -> None:
    found = resolve_point(10.8494, 106.7537, day=DAY)
    assert found.unit.name == "Phường Thủ Đức"
    assert found.method == "nearest_centre"
    # Words for residents: no instruction meant for the operator.
    assert "Thủ Đức Ward" in found.reason
    assert "load" not in found.reason.lower()
    with translation.override("vi"):
        found = resolve_point(10.8494, 106.7537, day=DAY)
    assert "Phường Thủ Đức" in found.reason
    assert "0,8 km" in found.reason


def test_a_point_in_central_saigon_resolves_to_phuong_sai_gon() -> None:
    # Near the People's Committee building on Nguyễn Huệ.
    found = resolve_point(10.7765, 106.7009, day=DAY)
    assert found.unit.name == "Phường Sài Gòn"


def test_a_point_on_con_dao_resolves_to_the_special_zone() -> None:
    assert resolve_point(8.69, 106.61, day=DAY).unit.name == "Đặc khu Côn Đảo"


@pytest.mark.parametrize(("lat", "lon"), [(21.0285, 105.8542), (0.0, 0.0), (10.0, 108.5),
                                          (91.0, 0.0), (float("nan"), 106.7)])
def test_it_rejects_points_far_from_the_city(lat: float, lon: float) -> None:
    with pytest.raises(UnknownPlace):
        resolve_point(lat, lon, day=DAY)


def _square(lat: float, lon: float, half: float) -> dict[str, Any]:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_boundaries_win_over_centres_once_loaded() -> None:
    # Draw An Khánh's boundary around a point whose nearest centre is Phường Sài Gòn.
    an_khanh = Unit.objects.active_on(DAY).get(name="Phường An Khánh")
    an_khanh.boundary = _square(10.7765, 106.7009, 0.002)
    an_khanh.save()
    found = resolve_point(10.7765, 106.7009, day=DAY)
    assert found.unit == an_khanh
    assert found.method == "point_in_polygon"
    # Outside every loaded boundary, the centres still answer.
    assert resolve_point(10.8494, 106.7537, day=DAY).method == "nearest_centre"


def test_contains_handles_holes_and_multipolygons() -> None:
    outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
    polygon = {"type": "Polygon", "coordinates": [outer, hole]}
    assert contains(polygon, lat=2, lon=2)
    assert not contains(polygon, lat=5, lon=5)
    assert not contains(polygon, lat=11, lon=5)
    multi = {"type": "MultiPolygon", "coordinates": [[outer], [[[20, 20], [30, 20], [30, 30],
                                                                [20, 20]]]]}
    assert contains(multi, lat=21, lon=25)
    assert not contains(multi, lat=29, lon=21)
    assert not contains({"type": "Polygon", "coordinates": "junk"}, lat=1, lon=1)
    assert distance_km(10.7765, 106.7009, 10.8494, 106.7537) == pytest.approx(9.9, abs=0.3)


def test_import_boundaries_matches_by_code_then_by_name_and_reports_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saigon = Unit.objects.active_on(DAY).get(name="Phường Sài Gòn")
    thu_duc = Unit.objects.active_on(DAY).get(name="Phường Thủ Đức")
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"ma_xa": saigon.code, "ten_xa": "whatever"},
             "geometry": _square(10.78, 106.70, 0.01)},
            {"type": "Feature", "properties": {"name": "phuong thu duc"},
             "geometry": _square(10.84, 106.757, 0.02)},
            {"type": "Feature", "properties": {"name": "Phường Không Có"},
             "geometry": _square(1, 1, 0.1)},
            {"type": "Feature", "properties": {"code": saigon.code}, "geometry": None},
        ],
    }
    path = tmp_path / "wards.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    call_command("import_boundaries", str(path))
    out = capsys.readouterr().out
    assert "matched 2 features" in out
    assert "Phường Không Có" in out
    saigon.refresh_from_db()
    thu_duc.refresh_from_db()
    assert saigon.boundary is not None and saigon.boundary["type"] == "Polygon"
    assert thu_duc.boundary is not None
    assert resolve_point(10.845, 106.76, day=DAY).method == "point_in_polygon"
    entry = AuditEntry.objects.filter(action="orgunits.import_boundaries").latest("pk")
    assert sorted(entry.changes["matched"]) == sorted([saigon.code, thu_duc.code])


def test_import_boundaries_refuses_a_file_that_is_not_a_feature_collection(
    tmp_path: Path,
) -> None:
    from django.core.management.base import CommandError

    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "Feature"}), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_boundaries", str(path))
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_boundaries", str(path))
