"""Who sees what: scope by unit for every persona, on every endpoint that returns scoped data."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from cityhall.accounts import services
from cityhall.accounts.models import Membership, Role, User
from cityhall.accounts.scope import scope_of
from cityhall.core import scoping
from cityhall.core.audit import SYSTEM, log_personal_data_read, record
from cityhall.core.models import AuditEntry, PersonalDataRead
from cityhall.core.scoping import Scope
from cityhall.orgunits.models import Unit, UnitKind
from tests.factories import (
    Personas,
    Probe,
    bearer,
    city,
    make_user,
)

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = pytest.mark.django_db


def _get(user: User | None, url: str) -> Response:
    headers = bearer(user) if user is not None else {}
    return Client().get(url, headers=headers)


def test_leader_sees_the_ward_and_its_neighbourhoods(people: Personas) -> None:
    scope = scope_of(people.leader)
    assert scope.covers(people.ward) and scope.covers(people.kp)
    assert not scope.covers(people.other_ward)


def test_officer_sees_the_ward_only(people: Personas) -> None:
    scope = scope_of(people.officer)
    assert scope.covers(people.ward)
    assert not scope.covers(people.kp) and not scope.covers(people.other_ward)


def test_neighbourhood_head_sees_the_neighbourhood_only(people: Personas) -> None:
    scope = scope_of(people.kp_head)
    assert scope.covers(people.kp) and not scope.covers(people.ward)


def test_city_leadership_and_superusers_see_everything(people: Personas) -> None:
    assert scope_of(people.city_leader).everything
    assert scope_of(make_user("root", is_superuser=True)).everything


def test_residents_anonymous_and_inactive_users_see_nothing(people: Personas) -> None:
    assert scope_of(people.resident).is_empty
    assert scope_of(None).is_empty
    people.officer.is_active = False
    assert scope_of(people.officer).is_empty


def test_a_leader_of_an_ended_province_is_not_city_leadership() -> None:
    # The pre-2025 provinces (Bình Dương...) are roots too, but ended ones.
    old = Unit.objects.filter(kind=UnitKind.PROVINCE, valid_to__isnull=False).first()
    assert old is not None
    # A membership from before the merger that nobody closed.
    user = make_user("old.leader")
    services.grant_membership(
        actor=SYSTEM, user=user, unit=old, role=Role.LEADER, valid_from=dt.date(2020, 1, 1)
    )
    scope = scope_of(user)
    assert not scope.everything
    assert not scope.covers(city())


def test_an_ended_membership_gives_no_scope(people: Personas) -> None:
    Membership.objects.filter(user=people.officer).update(valid_to="2025-07-31")
    assert scope_of(type(people.officer).objects.get(pk=people.officer.pk)).is_empty


def test_an_empty_scope_selects_no_rows_and_everything_selects_unit_less_rows(
    people: Personas,
) -> None:
    record(actor=SYSTEM, action=Probe.NO_UNIT)
    rows = AuditEntry.objects.filter(action=Probe.NO_UNIT)
    assert not rows.visible_to(people.resident).exists()
    assert not rows.visible_to(people.leader).exists()
    assert not rows.visible_to(None).exists()
    assert rows.visible_to(people.city_leader).count() == 1
    assert not rows.filter(Scope().q("unit")).exists()


def test_visible_to_asks_the_lookup_accounts_registered_with_core(people: Personas) -> None:
    # Core knows nothing of memberships: the scope comes from accounts.scope.scope_of.
    record(actor=SYSTEM, action=Probe.WARD, unit=people.ward)
    previous = scoping.register_scope_lookup(lambda user: Scope(unit_ids=frozenset({people.kp.pk})))
    try:
        assert not AuditEntry.objects.filter(action=Probe.WARD).visible_to(people.leader).exists()
    finally:
        scoping.register_scope_lookup(previous)
    assert AuditEntry.objects.filter(action=Probe.WARD).visible_to(people.leader).exists()


def test_without_a_registered_lookup_nobody_sees_anything_not_even_a_superuser(
    people: Personas,
) -> None:
    record(actor=SYSTEM, action=Probe.WARD, unit=people.ward)
    record(actor=SYSTEM, action=Probe.NO_UNIT)
    root = make_user("root", is_superuser=True)
    previous = scoping.register_scope_lookup(None)
    try:
        for user in (root, people.city_leader, people.leader):
            assert not AuditEntry.objects.visible_to(user).exists()
            assert not Membership.objects.visible_to(user).exists()
    finally:
        scoping.register_scope_lookup(previous)
    assert AuditEntry.objects.visible_to(root).count() == AuditEntry.objects.count()


def test_personal_data_reads_are_seen_by_the_leaders_of_the_readers_unit(people: Personas) -> None:
    log_personal_data_read(reader=people.officer, obj=people.resident, subject=people.resident,
                           fields=["phone"], purpose="call back")
    log_personal_data_read(reader=people.outsider, obj=people.resident, subject=people.resident,
                           fields=["phone"], purpose="call back")
    readers = {
        name: set(PersonalDataRead.objects.visible_to(user).values_list("reader__username",
                                                                          flat=True))
        for name, user in people.all().items()
    }
    assert readers["leader"] == {"p.officer"}
    assert readers["outsider"] == {"p.outsider"}
    assert readers["city_leader"] == {"p.officer", "p.outsider"}
    assert readers["resident"] == set() and readers["kp_head"] == set()


def test_managed_scope_drops_single_units(people: Personas) -> None:
    assert scope_of(people.officer).managed().is_empty
    assert scope_of(people.leader).managed().covers(people.kp)


# Endpoint by persona: the expected result for each of the scoped endpoints.
MEMBERSHIP_VIEW = {
    # persona: (sees the ward's officer, sees the kp head, sees the other ward's leader)
    "leader": (True, True, False),
    "officer": (True, False, False),
    "outsider": (False, False, True),
    "city_leader": (True, True, True),
    "kp_head": (False, True, False),
    "resident": (False, False, False),
}


@pytest.mark.parametrize("persona", [*MEMBERSHIP_VIEW, "anonymous"])
def test_memberships_endpoint_by_persona(people: Personas, persona: str) -> None:
    response = _get(people.all()[persona], "/api/v1/memberships?limit=200")
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    names = {row["username"] for row in response.json()["items"]}
    expected = MEMBERSHIP_VIEW[persona]
    assert ("p.officer" in names, "p.kp" in names, "p.outsider" in names) == expected


AUDIT_VIEW = {
    # persona: (sees the ward's entry, sees the kp's entry, sees the other ward's, unit-less)
    "leader": (True, True, False, False),
    "officer": (True, False, False, False),
    "outsider": (False, False, True, False),
    "city_leader": (True, True, True, True),
    "kp_head": (False, True, False, False),
    "resident": (False, False, False, False),
}


@pytest.mark.parametrize("persona", [*AUDIT_VIEW, "anonymous"])
def test_audit_endpoint_by_persona(people: Personas, persona: str) -> None:
    record(actor=SYSTEM, action=Probe.WARD, unit=people.ward)
    record(actor=SYSTEM, action=Probe.KP, unit=people.kp)
    record(actor=SYSTEM, action=Probe.OTHER_WARD, unit=people.other_ward)
    record(actor=SYSTEM, action=Probe.NO_UNIT)
    response = _get(people.all()[persona], "/api/v1/audit?limit=200")
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    actions = {row["action"] for row in response.json()["items"]}
    seen = tuple(a in actions for a in ("probe.ward", "probe.kp", "probe.other", "probe.nounit"))
    assert seen == AUDIT_VIEW[persona]


PEOPLE_VIEW = {
    # persona: (reads the ward's officer, reads the kp head, reads the other ward's leader,
    #           reads the resident); everyone reads their own record
    "leader": (True, True, False, False),
    "officer": (True, False, False, False),
    "outsider": (False, False, True, False),
    "city_leader": (True, True, True, False),
    "kp_head": (False, True, False, False),
    "resident": (False, False, False, True),
}


@pytest.mark.parametrize("persona", [*PEOPLE_VIEW, "anonymous"])
def test_people_endpoint_by_persona(people: Personas, persona: str) -> None:
    user = people.all()[persona]
    results = []
    for target in ("p.officer", "p.kp", "p.outsider", "p.resident"):
        response = _get(user, f"/api/v1/people/{target}")
        if persona == "anonymous":
            assert response.status_code == 401
            continue
        # Out of scope answers 404, never 403: it does not confirm the person exists.
        assert response.status_code in (200, 404)
        results.append(response.status_code == 200)
    if persona != "anonymous":
        assert tuple(results) == PEOPLE_VIEW[persona]


@pytest.mark.parametrize("persona", [*PEOPLE_VIEW, "anonymous"])
def test_personal_data_reads_endpoint_shows_only_ones_own(people: Personas, persona: str) -> None:
    _get(people.leader, "/api/v1/people/p.officer")
    response = _get(people.all()[persona], "/api/v1/me/personal-data-reads")
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    assert response.json()["count"] == (1 if persona == "officer" else 0)


@pytest.mark.parametrize("persona", [*PEOPLE_VIEW, "anonymous"])
def test_me_endpoint_shows_only_ones_own_memberships(people: Personas, persona: str) -> None:
    user = people.all()[persona]
    response = _get(user, "/api/v1/me")
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert user is not None
    body = response.json()
    assert body["username"] == user.username
    expected = {m.unit.code for m in Membership.objects.filter(user=user).select_related("unit")}
    assert {m["unit_code"] for m in body["memberships"]} == expected


def test_a_long_lived_user_object_reads_its_memberships_again_after_a_minute(
    people: Personas, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cityhall.accounts import scope as scope_module
    from cityhall.workflow import engine

    clock = [1000.0]
    monkeypatch.setattr(scope_module.time, "monotonic", lambda: clock[0])
    officer = people.officer
    assert scope_of(officer).covers(people.ward)
    assert engine.memberships_of(officer)
    # Changed elsewhere (another process, an update without the services): the object in
    # hand still answers from what it read, within a request's lifetime...
    Membership.objects.filter(user=officer).update(valid_to="2025-07-31")
    clock[0] += 30
    assert scope_of(officer).covers(people.ward) and engine.memberships_of(officer)
    # ...but not past USER_CACHE_SECONDS: a worker's object cannot act on old roles for long.
    clock[0] += scope_module.USER_CACHE_SECONDS
    assert scope_of(officer).is_empty and engine.memberships_of(officer) == []


def test_a_scope_selects_the_units_themselves_without_a_field(people: Personas) -> None:
    leader_units = set(Unit.objects.filter(scope_of(people.leader).q()))
    assert {people.ward, people.kp} <= leader_units and people.other_ward not in leader_units
    officer_units = set(Unit.objects.filter(scope_of(people.officer).q()))
    assert officer_units == {people.ward}
