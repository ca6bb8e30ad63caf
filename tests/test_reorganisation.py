"""Units that merge or split on a date, with their open work carried over by handlers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.orgunits import reorganisation
from cityhall.orgunits.models import Unit, UnitKind, UnitSuccession
from cityhall.orgunits.services import create_unit, reorganise_units, update_unit

pytestmark = pytest.mark.django_db

EFFECTIVE = dt.date(2026, 3, 1)
LAST_DAY = dt.date(2026, 2, 28)
TODAY = dt.date(2026, 1, 15)


class FakeWorkQueue:
    """Open work per unit, as a domain app would keep it, with each item's history."""

    def __init__(self) -> None:
        self.items: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.calls: list[tuple[str, str]] = []

    def add(self, unit: Unit, title: str) -> None:
        self.items[unit.pk].append({"title": title, "history": [unit.code]})

    def move(self, *, ended: Unit, primary: Unit, effective_on: dt.date, actor: Any) -> int:
        self.calls.append((ended.code, primary.code))
        moving = self.items.pop(ended.pk, [])
        for item in moving:
            item["history"].append(primary.code)
        self.items[primary.pk].extend(moving)
        return len(moving)


@pytest.fixture
def queue() -> Iterator[FakeWorkQueue]:
    fake = FakeWorkQueue()
    reorganisation.register_handler("fake-queue", fake.move)
    yield fake
    reorganisation.unregister_handler("fake-queue")


def _active(name: str) -> Unit:
    return Unit.objects.active_on(TODAY).get(name=name)


def test_a_merge_ends_the_old_units_and_moves_their_work_to_the_new_one(
    queue: FakeWorkQueue,
) -> None:
    saigon, ben_thanh = _active("Phường Sài Gòn"), _active("Phường Bến Thành")
    queue.add(saigon, "flooded street")
    queue.add(ben_thanh, "broken lamp")
    queue.add(ben_thanh, "noise")
    city = Unit.objects.active_on(TODAY).get(code="79")
    # The merged ward takes Sài Gòn's code, which is free once Sài Gòn has ended.
    merged = Unit(code=saigon.code, kind=UnitKind.WARD, name="Phường Trung Tâm",
                  short_name="Trung Tâm", parent=city)

    result = reorganise_units(actor=SYSTEM, ended=[saigon, ben_thanh], successors=[merged],
                              effective_on=EFFECTIVE, primary=merged, note="Resolution 1/2026")

    saigon.refresh_from_db()
    ben_thanh.refresh_from_db()
    assert saigon.valid_to == LAST_DAY and ben_thanh.valid_to == LAST_DAY
    assert merged.pk is not None and merged.valid_from == EFFECTIVE
    assert Unit.objects.active_on(EFFECTIVE).get(code=saigon.code) == merged
    assert Unit.objects.active_on(LAST_DAY).get(code=saigon.code) == saigon
    links = UnitSuccession.objects.filter(successor=merged)
    assert {(link.predecessor.name, link.is_primary, link.effective_on) for link in links} == {
        ("Phường Sài Gòn", True, EFFECTIVE), ("Phường Bến Thành", True, EFFECTIVE)
    }
    # Other apps' handlers (reports) run too; this test looks at its own queue only.
    assert result.moved["fake-queue"] == {saigon.code: 1, ben_thanh.code: 2}
    assert [item["history"] for item in queue.items[merged.pk]] == [
        [saigon.code, merged.code], [ben_thanh.code, merged.code], [ben_thanh.code, merged.code]
    ]
    assert not queue.items.get(saigon.pk)
    entry = AuditEntry.objects.filter(action="orgunits.reorganise_units").latest("pk")
    assert entry.changes["moved"]["fake-queue"] == {saigon.code: 1, ben_thanh.code: 2}
    assert entry.changes["note"] == "Resolution 1/2026"
    assert AuditEntry.objects.filter(action="orgunits.end_unit").count() >= 2


def test_a_split_sends_all_open_work_to_the_primary_successor(queue: FakeWorkQueue) -> None:
    an_khanh = _active("Phường An Khánh")
    queue.add(an_khanh, "illegal construction")
    city = an_khanh.parent
    north = Unit(code=an_khanh.code, kind=UnitKind.WARD, name="Phường An Khánh Bắc",
                 parent=city)
    south = Unit(code="99902", kind=UnitKind.WARD, name="Phường An Khánh Nam", parent=city)

    result = reorganise_units(actor=SYSTEM, ended=[an_khanh], successors=[north, south],
                              effective_on=EFFECTIVE, primary=north)

    assert result.moved["fake-queue"] == {an_khanh.code: 1}
    assert queue.calls == [(an_khanh.code, north.code)]
    assert queue.items[north.pk][0]["history"] == [an_khanh.code, north.code]
    links = {link.successor.name: link.is_primary
             for link in UnitSuccession.objects.filter(predecessor=an_khanh)}
    assert links == {"Phường An Khánh Bắc": True, "Phường An Khánh Nam": False}
    # Resolution follows the primary link: an old address lands in the north ward.
    from cityhall.orgunits.resolve import resolve_address

    found = resolve_address("Phường Thảo Điền, Quận 2", day=EFFECTIVE)
    assert found.unit == north
    assert found.split
    assert [u.name for u in found.alternatives] == ["Phường An Khánh Nam"]


def test_a_failing_handler_undoes_the_whole_reorganisation() -> None:
    def broken(*, ended: Unit, primary: Unit, effective_on: dt.date, actor: Any) -> int:
        raise RuntimeError("queue unavailable")

    reorganisation.register_handler("broken", broken)
    try:
        saigon, ben_thanh = _active("Phường Sài Gòn"), _active("Phường Bến Thành")
        with pytest.raises(RuntimeError):
            reorganise_units(actor=SYSTEM, ended=[ben_thanh], successors=[saigon],
                             effective_on=EFFECTIVE, primary=saigon)
    finally:
        reorganisation.unregister_handler("broken")
    ben_thanh.refresh_from_db()
    assert ben_thanh.valid_to is None
    assert not UnitSuccession.objects.filter(predecessor=ben_thanh).exists()


def test_merging_into_an_existing_unit_keeps_it_open(queue: FakeWorkQueue) -> None:
    saigon, ben_thanh = _active("Phường Sài Gòn"), _active("Phường Bến Thành")
    queue.add(ben_thanh, "pothole")
    reorganise_units(actor=SYSTEM, ended=[ben_thanh], successors=[saigon],
                     effective_on=EFFECTIVE, primary=saigon)
    saigon.refresh_from_db()
    assert saigon.valid_to is None
    assert len(queue.items[saigon.pk]) == 1


@pytest.mark.parametrize("problem", ["primary_elsewhere", "self", "ended_already", "nothing"])
def test_it_rejects_an_inconsistent_reorganisation(problem: str) -> None:
    saigon, ben_thanh = _active("Phường Sài Gòn"), _active("Phường Bến Thành")
    kwargs: dict[str, Any] = {"ended": [ben_thanh], "successors": [saigon], "primary": saigon}
    if problem == "primary_elsewhere":
        kwargs["primary"] = ben_thanh
    elif problem == "self":
        kwargs["successors"] = [ben_thanh]
        kwargs["primary"] = ben_thanh
    elif problem == "ended_already":
        kwargs["ended"] = [Unit.objects.get(name="Phường Bến Nghé")]
    else:
        kwargs["ended"] = []
    with pytest.raises(ValidationError):
        reorganise_units(actor=SYSTEM, effective_on=EFFECTIVE, **kwargs)
    ben_thanh.refresh_from_db()
    assert ben_thanh.valid_to is None


def test_a_new_unit_cannot_take_a_code_still_in_use() -> None:
    saigon, ben_thanh = _active("Phường Sài Gòn"), _active("Phường Bến Thành")
    clash = Unit(code=saigon.code, kind=UnitKind.WARD, name="Phường Trùng", parent=saigon.parent)
    with pytest.raises(ValidationError):
        reorganise_units(actor=SYSTEM, ended=[ben_thanh], successors=[clash],
                         effective_on=EFFECTIVE, primary=clash)
    ben_thanh.refresh_from_db()
    assert ben_thanh.valid_to is None


def test_a_name_can_hold_only_one_handler() -> None:
    def one(**kwargs: Any) -> int:
        return 0

    def other(**kwargs: Any) -> int:
        return 0

    reorganisation.register_handler("only-one", one)
    try:
        reorganisation.register_handler("only-one", one)
        with pytest.raises(ValueError, match="only-one"):
            reorganisation.register_handler("only-one", other)
    finally:
        reorganisation.unregister_handler("only-one")
    assert "only-one" not in reorganisation.handlers()


def test_create_and_update_unit_are_validated_and_audited() -> None:
    saigon = _active("Phường Sài Gòn")
    khu_pho = create_unit(actor=SYSTEM, code=f"{saigon.code}-KP01", kind=UnitKind.NEIGHBOURHOOD,
                          name="Khu phố 1", parent=saigon, valid_from=dt.date(2025, 7, 1))
    assert khu_pho.path == f"79/{saigon.code}/{saigon.code}-KP01/"
    created = AuditEntry.objects.filter(action="orgunits.create_unit").latest("pk")
    assert created.object_id == str(khu_pho.pk)
    assert created.changes["name"] == [None, "Khu phố 1"]

    update_unit(actor=SYSTEM, unit=khu_pho, name="Khu phố Một", short_name="KP1")
    updated = AuditEntry.objects.filter(action="orgunits.update_unit").latest("pk")
    assert updated.changes == {"name": ["Khu phố 1", "Khu phố Một"], "short_name": ["", "KP1"]}
    assert Unit.objects.search("khu pho mot").filter(pk=khu_pho.pk).exists()

    with pytest.raises(ValidationError):
        create_unit(actor=SYSTEM, code="X1", kind="castle", name="Nowhere")
    with pytest.raises(ValidationError):
        create_unit(actor=SYSTEM, code=saigon.code, kind=UnitKind.WARD, name="Twin")
    with pytest.raises(ValidationError):
        update_unit(actor=SYSTEM, unit=khu_pho, valid_to=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError):
        update_unit(actor=SYSTEM, unit=khu_pho, path="hacked/")


def test_changing_a_parent_moves_the_subtree_paths() -> None:
    saigon, ben_thanh = _active("Phường Sài Gòn"), _active("Phường Bến Thành")
    khu_pho = create_unit(actor=SYSTEM, code="T-KP", kind=UnitKind.NEIGHBOURHOOD,
                          name="Khu phố thử", parent=saigon)
    division = create_unit(actor=SYSTEM, code="T-DIV", kind=UnitKind.DIVISION, name="Tổ thử",
                           parent=khu_pho)
    update_unit(actor=SYSTEM, unit=khu_pho, parent=ben_thanh)
    division.refresh_from_db()
    assert division.path == f"79/{ben_thanh.code}/T-KP/T-DIV/"
    assert division in Unit.objects.subtree_of(ben_thanh)


def test_an_address_naming_a_unit_that_split_after_2025_finds_its_successor(
    queue: FakeWorkQueue,
) -> None:
    from cityhall.orgunits.resolve import resolve_address

    an_khanh = _active("Phường An Khánh")
    north = Unit(code=an_khanh.code, kind=UnitKind.WARD, name="Phường An Khánh Bắc",
                 parent=an_khanh.parent)
    south = Unit(code="99902", kind=UnitKind.WARD, name="Phường An Khánh Nam",
                 parent=an_khanh.parent)
    reorganise_units(actor=SYSTEM, ended=[an_khanh], successors=[north, south],
                     effective_on=EFFECTIVE, primary=north)
    found = resolve_address("Phường An Khánh, Thành phố Hồ Chí Minh", day=EFFECTIVE)
    assert found.unit == north
    assert found.method == "legacy_address"
    assert found.split
    assert found.legacy_unit == an_khanh
    # Before the split, the same address names the ward itself.
    assert resolve_address("Phường An Khánh, TP.HCM", day=LAST_DAY).unit == an_khanh
