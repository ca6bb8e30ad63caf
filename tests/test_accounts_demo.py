"""`cityhall load_demo` and `cityhall demo_logins`."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from cityhall.accounts.demo import DEMO_PASSWORD, demo_usernames
from cityhall.accounts.models import Membership, User, UserKind
from cityhall.accounts.scope import scope_of
from cityhall.core.models import AuditEntry
from cityhall.orgunits.models import Unit, UnitKind
from tests.factories import SAIGON, unit_named

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int, int]:
    return (User.objects.count(), Membership.objects.count(),
            Unit.objects.filter(is_demo=True).count(), AuditEntry.objects.count())


def test_load_demo_creates_every_demo_account_and_is_idempotent() -> None:
    call_command("load_demo", stdout=io.StringIO())
    first = _counts()
    call_command("load_demo", stdout=io.StringIO())
    assert _counts() == first
    assert set(demo_usernames()) <= set(User.objects.values_list("username", flat=True))


def test_demo_accounts_sign_in_with_the_shared_password() -> None:
    call_command("load_demo", stdout=io.StringIO())
    for name in ("city.leader", "officer.saigon", "khupho.ankhanh", "resident", "business"):
        # The lockout backend (django-axes) needs the request a sign-in comes with.
        request = RequestFactory().post("/login/")
        assert authenticate(request, username=name, password=DEMO_PASSWORD) is not None, name


def test_demo_staff_hold_their_roles_in_the_real_units() -> None:
    call_command("load_demo", stdout=io.StringIO())
    saigon = unit_named(SAIGON)
    leader = User.objects.get(username="leader.saigon")
    assert leader.kind == UserKind.STAFF
    m = leader.memberships.get()
    assert (m.unit, m.role, str(m.valid_from)) == (saigon, "leader", "2025-07-01")
    head = User.objects.get(username="khupho.saigon").memberships.get()
    assert (head.unit.code, head.unit.name, head.unit.parent) == (
        f"{saigon.code}-KP01", "Khu phố 1", saigon)
    assert head.unit.kind == UnitKind.NEIGHBOURHOOD and head.unit.is_demo
    assert scope_of(User.objects.get(username="city.leader")).everything
    assert User.objects.get(username="leader.sxd").memberships.get().unit.code == "79-SXD"
    assert User.objects.get(username="admin").is_superuser
    business = User.objects.get(username="business")
    assert (business.kind, business.tax_code) == (UserKind.BUSINESS, "0300588569")
    resident = User.objects.get(username="resident")
    assert resident.full_name and resident.phone and resident.national_id


def test_load_demo_says_to_load_the_registry_first() -> None:
    Unit.objects.filter(name=SAIGON).update(name="Phường Khác")
    with pytest.raises(CommandError, match="load_units"):
        call_command("load_demo", stdout=io.StringIO())
    assert not User.objects.filter(username="city.leader").exists()


def test_demo_logins_prints_users_roles_units_and_password() -> None:
    call_command("load_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    line = next(row for row in text.splitlines() if "khupho.saigon" in row)
    assert "Khu phố 1, Phường Sài Gòn" in line
    assert all(name in text for name in demo_usernames())


def test_demo_logins_says_in_both_languages_what_each_role_is_for() -> None:
    call_command("load_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    lines = out.getvalue().splitlines()
    at = next(i for i, row in enumerate(lines) if row.strip().startswith("officer.saigon"))
    assert "chuyên viên · officer" in lines[at]
    assert lines[at + 1].strip() == (
        "vi: xử lý phản ánh: nhận phản ánh chưa có người xử lý, xử lý và trả lời")
    assert lines[at + 2].strip() == (
        "en: handles reports: takes the unassigned, works on and answers them")
    assert "Mật khẩu" in out.getvalue() and "Password of every demo account" in out.getvalue()
