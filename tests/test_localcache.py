"""Per-process caches of registry and categories: used outside transactions, emptied on save."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from cityhall.core import localcache
from cityhall.core.localcache import ProcessCache
from cityhall.orgunits.models import Unit
from cityhall.orgunits.resolve import resolve_point
from cityhall.reports.models import Category

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)


def _counting(calls: list[int]) -> Callable[[], int]:
    """A compute function that records each call and answers how many there have been."""

    def compute() -> int:
        calls.append(1)
        return len(calls)

    return compute


class _Autocommit:
    """Stands for a connection outside any transaction (tests run inside one)."""

    in_atomic_block = False


@pytest.fixture
def autocommit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(localcache, "connection", _Autocommit())


def test_it_computes_again_inside_a_transaction() -> None:
    calls: list[int] = []
    cache: ProcessCache[int] = ProcessCache("test.inside", ttl=60)
    for _ in range(3):
        cache.get("k", _counting(calls))
    assert len(calls) == 3


def test_it_keeps_a_value_outside_a_transaction_until_the_ttl(autocommit: None,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    clock = [100.0]
    monkeypatch.setattr(localcache.time, "monotonic", lambda: clock[0])
    cache: ProcessCache[int] = ProcessCache("test.ttl", ttl=60)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("k", compute) == 1
    clock[0] += 59
    assert cache.get("k", compute) == 1
    clock[0] += 2
    assert cache.get("k", compute) == 2


def test_a_change_while_computing_is_not_stored(autocommit: None) -> None:
    cache: ProcessCache[str] = ProcessCache("test.race", ttl=60)

    def stale() -> str:
        cache.clear()  # a save lands while the old rows are being read
        return "old"

    assert cache.get("k", stale) == "old"
    assert cache.get("k", lambda: "new") == "new"


def test_a_saved_unit_empties_the_registry_cache(autocommit: None) -> None:
    point = (10.7765, 106.7009)
    assert resolve_point(*point, day=DAY).unit.name == "Phường Sài Gòn"
    an_khanh = Unit.objects.active_on(DAY).get(name="Phường An Khánh")
    an_khanh.boundary = {"type": "Polygon", "coordinates": [[
        [106.6989, 10.7745], [106.7029, 10.7745], [106.7029, 10.7785], [106.6989, 10.7785],
        [106.6989, 10.7745]]]}
    an_khanh.save()
    found = resolve_point(*point, day=DAY)
    assert found.unit == an_khanh
    assert found.method == "point_in_polygon"


def test_a_saved_category_empties_the_category_caches(autocommit: None) -> None:
    from cityhall.reports.filters import category_ids
    from cityhall.reports.services.intake import category_of

    first = Category.objects.create(code="cache-test", name="Thử", name_en="Test",
                                    group="Nhóm", handler="commune")
    assert category_of("cache-test").name == "Thử"
    assert category_ids(["cache-test", "nope"]) == {"cache-test": first.pk}
    first.name = "Thử lại"
    first.save()
    assert category_of("cache-test").name == "Thử lại"
    first.delete()
    assert category_ids(["cache-test"]) == {}


def test_an_unknown_category_becomes_known_once_created(autocommit: None) -> None:
    from cityhall.reports.services import ReportError
    from cityhall.reports.services.intake import category_of

    with pytest.raises(ReportError):
        category_of("made-later")
    made: Any = Category.objects.create(code="made-later", name="Sau", name_en="Later",
                                        group="Nhóm", handler="commune")
    assert category_of("made-later") == made


def test_it_serves_inside_a_transaction_that_declares_it_changes_nothing() -> None:
    calls: list[int] = []
    cache: ProcessCache[int] = ProcessCache("test.declared", ttl=60, models=(Category,))
    with localcache.caching_in_transaction():
        for _ in range(3):
            cache.get("k", _counting(calls))
    assert len(calls) == 1
    cache.get("k", _counting(calls))  # the block is over: bypassed
    assert len(calls) == 2


def test_a_change_inside_the_declared_block_turns_the_cache_off_for_it() -> None:
    cache: ProcessCache[str] = ProcessCache("test.declared-change", ttl=60,
                                            models=(Category,))
    with localcache.caching_in_transaction():
        assert cache.get("k", lambda: "old") == "old"
        Category.objects.create(code="declared", name="Khai", name_en="Declared",
                                group="Nhóm", handler="commune")
        # This transaction now sees its own change: never the cached value, and nothing
        # it computes is kept (it may be rolled back).
        assert cache.get("k", lambda: "mine") == "mine"
        assert cache.get("k", lambda: "again") == "again"
    assert cache._values == {}


def test_a_none_answer_is_not_kept_when_asked(autocommit: None) -> None:
    misses: ProcessCache[int | None] = ProcessCache("test.misses", ttl=60, keep_none=False)
    assert misses.get("k", lambda: None) is None
    assert misses.get("k", lambda: 7) == 7
    assert misses.get("k", lambda: 8) == 7
