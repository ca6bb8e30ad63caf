"""The registry as `load_units` builds it from vietnam-provinces and vietnamadminunits."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.orgunits.models import Unit, UnitKind, UnitSuccession
from cityhall.orgunits.services import load_registry, unlink_successor, update_succession
from cityhall.orgunits.sources import legacy_rows, registry_data

pytestmark = pytest.mark.django_db

NEW_YEAR = dt.date(2026, 1, 1)
LAST_OLD_DAY = dt.date(2025, 6, 30)

# The ten units whose codes the packages disagree on, with the code vietnam-provinces gives.
CODE_DISAGREEMENTS = {
    "Phường An Khánh": ("27118", "27094"),
    "Phường An Nhơn": ("26887", "26876"),
    "Phường Bàn Cờ": ("27160", "27154"),
    "Phường Bình Phú": ("27385", "27364"),
    "Phường Hiệp Bình": ("26812", "26809"),
    "Phường Hạnh Thông": ("26902", "26890"),
    "Phường Linh Xuân": ("26794", "26800"),
    "Phường Tam Bình": ("26797", "26803"),
    "Phường Thông Tây Hội": ("26899", "26898"),
    "Phường Tân Sơn Nhì": ("27010", "27019"),
}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fail any attempt to open a network connection."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    # A geocoder looks its host up first: refuse the DNS query too.
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == []


def test_it_has_113_wards_54_communes_and_1_special_zone_on_new_year_2026() -> None:
    active = Unit.objects.active_on(NEW_YEAR).filter(parent__code="79")
    assert active.filter(kind=UnitKind.WARD).count() == 113
    assert active.filter(kind=UnitKind.COMMUNE).count() == 54
    assert active.filter(kind=UnitKind.SPECIAL_ZONE).count() == 1
    assert active.commune_level().count() == 168


def test_the_city_has_its_electronic_id_and_the_departments_hang_below_it() -> None:
    city = Unit.objects.active_on(NEW_YEAR).get(code="79")
    assert city.name == "Thành phố Hồ Chí Minh"
    assert city.electronic_id == "000.00.00.H29"
    assert city.valid_from == dt.date(2025, 7, 1)
    departments = Unit.objects.active_on(NEW_YEAR).filter(kind=UnitKind.DEPARTMENT)
    assert departments.count() == 13
    assert set(departments.values_list("parent__code", flat=True)) == {"79"}
    construction = departments.get(code="79-SXD")
    assert construction.name == "Sở Xây dựng"
    assert construction.name_en == "Department of Construction"
    # No electronic id is invented for departments.
    assert not departments.exclude(electronic_id="").exists()


def test_new_units_carry_full_and_short_names_centre_and_area() -> None:
    saigon = Unit.objects.active_on(NEW_YEAR).get(name="Phường Sài Gòn")
    assert saigon.short_name == "Sài Gòn"
    assert saigon.kind == UnitKind.WARD
    assert saigon.path == f"79/{saigon.code}/"
    assert saigon.latitude == pytest.approx(10.78, abs=0.01)
    assert saigon.longitude == pytest.approx(106.70, abs=0.01)
    assert saigon.area_km2 and saigon.area_km2 > 0
    missing_geo = Unit.objects.active_on(NEW_YEAR).commune_level().filter(latitude__isnull=True)
    assert not missing_geo.exists()
    con_dao = Unit.objects.active_on(NEW_YEAR).get(kind=UnitKind.SPECIAL_ZONE)
    assert con_dao.name == "Đặc khu Côn Đảo"


def test_legacy_district_1_and_ben_nghe_ended_with_saigon_as_successor() -> None:
    district = Unit.objects.get(name="Quận 1", kind=UnitKind.DISTRICT)
    ben_nghe = Unit.objects.get(name="Phường Bến Nghé")
    saigon = Unit.objects.active_on(NEW_YEAR).get(name="Phường Sài Gòn")
    assert district.valid_to == LAST_OLD_DAY
    assert ben_nghe.valid_to == LAST_OLD_DAY
    assert ben_nghe.parent == district
    assert not ben_nghe.is_active_on(NEW_YEAR)
    assert ben_nghe.is_active_on(LAST_OLD_DAY)
    assert saigon in ben_nghe.successors.all()
    assert saigon in district.successors.all()
    link = UnitSuccession.objects.get(predecessor=ben_nghe, successor=saigon)
    assert link.is_primary
    assert link.effective_on == dt.date(2025, 7, 1)


def test_old_provinces_ended_and_merged_into_the_city() -> None:
    city = Unit.objects.active_on(NEW_YEAR).get(code="79")
    for code in ("74", "77"):
        old = Unit.objects.get(code=code, kind=UnitKind.PROVINCE)
        assert old.valid_to == LAST_OLD_DAY
        assert list(old.successors.all()) == [city]
    thu_dau_mot = Unit.objects.get(name="Thành phố Thủ Dầu Một", kind=UnitKind.DISTRICT)
    assert thu_dau_mot.parent is not None and thu_dau_mot.parent.code == "74"


def test_every_old_unit_has_exactly_one_primary_successor() -> None:
    old = Unit.objects.filter(valid_to=LAST_OLD_DAY)
    assert old.count() == 2 + 38 + 441
    primaries = UnitSuccession.objects.filter(predecessor__in=old, is_primary=True)
    assert primaries.count() == old.count()
    assert primaries.values("predecessor").distinct().count() == old.count()


def test_townships_are_loaded_as_communes_and_keep_their_title() -> None:
    townships = Unit.objects.filter(valid_to=LAST_OLD_DAY, name__startswith="Thị trấn")
    assert townships.count() == 17
    assert set(townships.values_list("kind", flat=True)) == {UnitKind.COMMUNE}


def test_a_split_ward_sends_its_work_to_the_converters_default_successor() -> None:
    an_phu_tay = Unit.objects.get(name="Xã An Phú Tây", valid_to=LAST_OLD_DAY)
    links = UnitSuccession.objects.filter(predecessor=an_phu_tay).select_related("successor")
    assert {link.successor.name: link.is_primary for link in links} == {
        "Phường Bình Đông": True,
        "Xã Bình Chánh": False,
    }


def test_code_disagreements_are_resolved_to_vietnam_provinces_codes() -> None:
    data = registry_data()
    assert data.code_disagreements == CODE_DISAGREEMENTS
    for name, (ours, theirs) in CODE_DISAGREEMENTS.items():
        unit = Unit.objects.active_on(NEW_YEAR).get(name=name)
        assert unit.code == ours
        assert not Unit.objects.active_on(NEW_YEAR).filter(code=theirs, name=name).exists()


def test_names_that_fold_alike_are_joined_by_their_diacritics() -> None:
    thanh_an = Unit.objects.active_on(NEW_YEAR).get(name="Xã Thanh An")
    thanh_an_island = Unit.objects.active_on(NEW_YEAR).get(name="Xã Thạnh An")
    # Thạnh An is the Cần Giờ island commune, Thanh An is in the former Bình Dương.
    assert thanh_an.latitude and thanh_an.latitude > 11
    assert thanh_an_island.latitude and thanh_an_island.latitude < 10.7


def test_every_unit_the_converter_returns_exists_and_is_our_primary_successor(
    no_network: list[Any],
) -> None:
    from vietnamadminunits import convert_address

    active = {u.name: u for u in Unit.objects.active_on(NEW_YEAR).commune_level()}
    primary = {
        (link.predecessor.code, link.predecessor.parent.code if link.predecessor.parent else ""):
        link.successor.name
        for link in UnitSuccession.objects.filter(is_primary=True).select_related(
            "predecessor__parent", "successor"
        )
    }
    rows = legacy_rows()
    assert len(rows) == 442
    for row in rows:
        # Without a street the converter never geocodes (the fixture would fail if it did).
        address = ", ".join(p for p in (row["ward"], row["district"], row["province"]) if p)
        new = convert_address(address)
        assert new.ward in active, address
        key = (row["wardCode"], row["districtCode"]) if row["wardCode"] else (
            row["districtCode"], row["provinceCode"])
        assert primary[key] == new.ward, address


def test_loading_again_changes_nothing_and_writes_no_audit_entry() -> None:
    before_units = Unit.objects.count()
    before_links = UnitSuccession.objects.count()
    before_audit = AuditEntry.objects.filter(action="orgunits.load_registry").count()
    call_command("load_units", verbosity=0)
    report = load_registry(actor=SYSTEM)
    assert not report.changed
    assert Unit.objects.count() == before_units
    assert UnitSuccession.objects.count() == before_links
    assert AuditEntry.objects.filter(action="orgunits.load_registry").count() == before_audit


def test_a_load_that_repairs_data_writes_one_summary_audit_entry() -> None:
    entries = AuditEntry.objects.filter(action="orgunits.load_registry")
    before = set(entries.values_list("pk", flat=True))
    Unit.objects.filter(name="Phường Sài Gòn").update(name="Phường Sai")
    UnitSuccession.objects.filter(predecessor__name="Phường Bến Nghé").update(is_primary=False)
    report = load_registry(actor=SYSTEM)
    assert report.updated == ["26740"]
    assert report.successions_updated == 1
    assert Unit.objects.active_on(NEW_YEAR).get(code="26740").name == "Phường Sài Gòn"
    new_entries = entries.exclude(pk__in=before)
    assert new_entries.count() == 1
    entry = new_entries.get()
    assert entry.actor_label == "system"
    assert entry.changes["updated"] == ["26740"]


def test_the_load_keeps_an_electronic_id_an_administrator_entered() -> None:
    Unit.objects.filter(code="79-SXD").update(electronic_id="000.99.99.H29")
    report = load_registry(actor=SYSTEM)
    assert not report.changed
    assert Unit.objects.get(code="79-SXD").electronic_id == "000.99.99.H29"


def test_the_load_keeps_the_successors_a_person_set() -> None:
    # An old ward split between two new ones, and a person's correction of the split: the
    # other successor takes the open work, and a link recorded by mistake is removed.
    split = next(unit for unit in Unit.objects.filter(valid_to=LAST_OLD_DAY)
                 if UnitSuccession.objects.filter(predecessor=unit).count() >= 3)
    primary, other, wrong = UnitSuccession.objects.filter(predecessor=split).order_by(
        "-is_primary", "pk")[:3]
    assert primary.is_primary and not other.is_primary
    update_succession(actor=SYSTEM, succession=other, is_primary=True, note="Sửa theo NQ")
    unlink_successor(actor=SYSTEM, succession=wrong)
    report = load_registry(actor=SYSTEM)
    assert report.successions_kept == [split.code] and not report.changed
    links = {link.successor_id: link for link in UnitSuccession.objects.filter(predecessor=split)}
    assert wrong.successor_id not in links  # not brought back
    assert links[other.successor_id].is_primary and links[other.successor_id].note == "Sửa theo NQ"
    assert not links[primary.successor_id].is_primary
    # The other units' successors are still repaired from the sources.
    UnitSuccession.objects.filter(predecessor__name="Phường Bến Nghé").update(is_primary=False)
    assert load_registry(actor=SYSTEM).successions_updated == 1
