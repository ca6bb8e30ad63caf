"""The account services: what they write, the audit entry beside it, and what they refuse."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from cityhall.accounts import services
from cityhall.accounts.models import ApiKey, Membership, Role, User, UserKind
from cityhall.accounts.scope import scope_of
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from tests.factories import SAIGON, THUDUC, make_staff, make_user, unit_named

pytestmark = pytest.mark.django_db


def test_create_user_writes_an_audit_entry_without_personal_values() -> None:
    user = make_user("an", full_name="Nguyễn Văn An", phone="0909000000")
    entry = AuditEntry.objects.get(action="user.create", object_id=str(user.pk))
    assert entry.actor_label == "system"
    assert entry.changes["phone"] == [None, "***"]
    assert "0909000000" not in str(entry.changes)


def test_it_rejects_a_business_without_a_valid_tax_code() -> None:
    with pytest.raises(ValidationError):
        make_user("biz", kind=UserKind.BUSINESS, business_name="X")
    with pytest.raises(ValidationError):
        make_user("biz", kind=UserKind.BUSINESS, tax_code="0300588568")
    assert not User.objects.filter(username="biz").exists()


def test_it_normalises_a_business_tax_code() -> None:
    user = make_user("biz", kind=UserKind.BUSINESS, tax_code="0300588569001")
    assert user.tax_code == "0300588569-001"


def test_it_rejects_a_duplicate_username() -> None:
    make_user("same")
    with pytest.raises(ValidationError):
        make_user("same")


def test_grant_membership_makes_the_person_staff_and_records_the_unit() -> None:
    ward = unit_named(SAIGON)
    user = make_user("newcomer")
    m = services.grant_membership(actor=SYSTEM, user=user, unit=ward, role=Role.OFFICER)
    user.refresh_from_db()
    assert user.kind == UserKind.STAFF
    entry = AuditEntry.objects.get(action="membership.grant", object_id=str(m.pk))
    assert entry.unit == ward
    assert entry.changes["role"] == [None, "officer"]


def test_it_rejects_an_unknown_role_or_a_membership_ending_before_it_starts() -> None:
    ward = unit_named(SAIGON)
    user = make_user("x")
    with pytest.raises(ValidationError):
        services.grant_membership(actor=SYSTEM, user=user, unit=ward, role="mayor")
    with pytest.raises(ValidationError):
        services.grant_membership(
            actor=SYSTEM, user=user, unit=ward, role=Role.OFFICER,
            valid_from=dt.date(2025, 8, 1), valid_to=dt.date(2025, 7, 1),
        )
    assert not Membership.objects.filter(user=user).exists()


def test_end_membership_removes_the_scope_from_the_next_request() -> None:
    ward = unit_named(SAIGON)
    user = make_staff("leaving", ward, Role.LEADER)
    assert scope_of(User.objects.get(pk=user.pk)).covers(ward)
    m = Membership.objects.get(user=user)
    services.end_membership(actor=SYSTEM, membership=m, on=dt.date(2025, 7, 31))
    assert scope_of(User.objects.get(pk=user.pk)).is_empty
    # The same object (as in the request that ended it) forgets its cached scope too.
    assert scope_of(m.user).is_empty
    assert AuditEntry.objects.filter(action="membership.end", object_id=str(m.pk)).exists()


def test_a_failing_service_leaves_no_audit_row() -> None:
    before = AuditEntry.objects.count()
    real_save = AuditEntry.save

    def save_then_fail(entry: AuditEntry, *args: Any, **kwargs: Any) -> None:
        # The row reaches the database, then the service fails: both must roll back.
        real_save(entry, *args, **kwargs)
        assert AuditEntry.objects.filter(pk=entry.pk).exists()
        raise RuntimeError("failure after the audit row")

    with (
        mock.patch.object(AuditEntry, "save", save_then_fail),
        pytest.raises(RuntimeError),
    ):
        services.create_api_key(actor=SYSTEM, name="k", scopes=["units:read"])
    assert AuditEntry.objects.count() == before
    assert not ApiKey.objects.filter(name="k").exists()


def test_an_audit_failure_rolls_back_the_change() -> None:
    with (
        mock.patch("cityhall.core.audit.AuditEntry.save", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        make_user("ghost")
    assert not User.objects.filter(username="ghost").exists()


def test_update_and_revoke_api_key_are_audited_only_when_something_changes() -> None:
    key, _raw = services.create_api_key(actor=SYSTEM, name="partner", scopes=["units:read"])
    services.update_api_key(actor=SYSTEM, key=key, scopes=["units:read"])
    assert not AuditEntry.objects.filter(action="api_key.update").exists()
    services.revoke_api_key(actor=SYSTEM, key=key)
    entry = AuditEntry.objects.get(action="api_key.update")
    assert entry.changes == {"is_active": [True, False]}


def test_it_rejects_unknown_scopes() -> None:
    with pytest.raises(ValidationError):
        services.create_api_key(actor=SYSTEM, name="p", scopes=["everything"])


def test_the_actor_of_a_change_is_recorded() -> None:
    actor = make_user("boss", is_superuser=True)
    user = make_user("someone")
    services.set_language(actor=actor, user=user, language="en")
    entry = AuditEntry.objects.get(action="user.set_language")
    assert entry.actor_user == actor
    assert entry.changes == {"language": ["vi", "en"]}


def test_every_change_of_a_membership_is_audited_with_its_unit() -> None:
    ward, other = unit_named(SAIGON), unit_named(THUDUC)
    user = make_user("career")
    m = services.grant_membership(actor=SYSTEM, user=user, unit=ward, role=Role.OFFICER,
                                  valid_from=dt.date(2025, 7, 1))
    services.change_membership(actor=SYSTEM, membership=m, role=Role.LEADER, unit=other)
    services.end_membership(actor=SYSTEM, membership=m, on=dt.date(2025, 12, 31))
    services.delete_membership(actor=SYSTEM, membership=m)
    trail = list(AuditEntry.objects.filter(object_type="accounts.membership")
                 .order_by("pk").values_list("action", "unit__code", "changes"))
    assert [(action, unit) for action, unit, _changes in trail] == [
        ("membership.grant", ward.code), ("membership.change", other.code),
        ("membership.end", other.code), ("membership.delete", other.code),
    ]
    assert trail[1][2] == {"role": ["officer", "leader"], "unit": [ward.code, other.code]}
    assert trail[3][2]["valid_to"] == ["2025-12-31", None]


def test_a_membership_change_takes_the_scope_away_at_once() -> None:
    ward, other = unit_named(SAIGON), unit_named(THUDUC)
    user = make_staff("moving", ward, Role.OFFICER)
    assert scope_of(user).covers(ward)
    m = Membership.objects.get(user=user)
    m.user = user  # the object the request holds
    services.change_membership(actor=SYSTEM, membership=m, unit=other)
    assert not scope_of(user).covers(ward) and scope_of(user).covers(other)


def test_change_membership_refuses_what_grant_refuses_and_changes_nothing() -> None:
    user = make_staff("steady", unit_named(SAIGON), Role.OFFICER)
    m = Membership.objects.get(user=user)
    for changes in ({"role": "mayor"}, {"valid_to": dt.date(2025, 6, 1)}, {"user": user}):
        with pytest.raises(ValidationError):
            services.change_membership(actor=SYSTEM, membership=Membership.objects.get(pk=m.pk),
                                       **changes)
    m.refresh_from_db()
    assert (m.role, m.valid_to) == (Role.OFFICER, None)
    assert not AuditEntry.objects.filter(action="membership.change").exists()


def test_making_someone_superuser_is_audited_and_gives_the_admin_site() -> None:
    user = make_user("promoted", phone="0909000111")
    services.update_user(actor=SYSTEM, user=user, is_superuser=True, phone="0909000222")
    user.refresh_from_db()
    assert user.is_superuser and user.is_staff
    entry = AuditEntry.objects.get(action="user.change", object_id=str(user.pk))
    assert entry.changes == {"is_superuser": [False, True], "is_staff": [False, True],
                             "phone": ["***", "***"]}


def test_update_user_refuses_unknown_fields_and_a_business_without_tax_code() -> None:
    user = make_user("plain")
    with pytest.raises(ValidationError):
        services.update_user(actor=SYSTEM, user=user, password="x")
    with pytest.raises(ValidationError):
        services.update_user(actor=SYSTEM, user=User.objects.get(pk=user.pk),
                             kind=UserKind.BUSINESS)
    assert User.objects.get(pk=user.pk).kind == UserKind.RESIDENT
    assert not AuditEntry.objects.filter(action="user.change").exists()


def test_set_password_refuses_a_weak_password_and_never_records_one() -> None:
    user = make_user("pw", password="Mat-khau-cu-2024")
    with pytest.raises(ValidationError):
        services.set_password(actor=SYSTEM, user=user, password="123")
    assert User.objects.get(pk=user.pk).check_password("Mat-khau-cu-2024")
    services.set_password(actor=SYSTEM, user=user, password=None)
    assert not User.objects.get(pk=user.pk).has_usable_password()
    entry = AuditEntry.objects.get(action="user.set_password")
    assert entry.changes == {"usable_password": [True, False]}
