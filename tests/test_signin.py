"""Signing in: every success, failure, lockout and sign-out is audited; repeated failures lock
one account out from one address, on the portal and the admin alike, and say until when."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from pytest_django import Settings

from cityhall.accounts.models import User
from cityhall.core.models import AuditEntry
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-secret-9"
ALICE, BOB = "203.0.113.7", "198.51.100.9"


@pytest.fixture
def person(settings: Settings) -> User:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    return make_user("ba.tu", password=PASSWORD)


def _sign_in(client: Client, password: str, address: str = ALICE, path: str = "/login/",
             username: str = "ba.tu", **extra: Any) -> Any:
    return client.post(path, {"username": username, "password": password},
                       REMOTE_ADDR=address, **extra)


def _actions() -> list[str]:
    return list(AuditEntry.objects.filter(action__startswith="accounts.")
                .order_by("pk").values_list("action", flat=True))


def test_a_sign_in_and_a_sign_out_are_audited_with_the_address(person: User) -> None:
    client = Client()
    assert _sign_in(client, PASSWORD).status_code == 302
    client.post("/logout/", REMOTE_ADDR=ALICE)
    signed_in, signed_out = AuditEntry.objects.filter(
        action__in=["accounts.sign_in", "accounts.sign_out"]).order_by("pk")
    assert signed_in.action == "accounts.sign_in" and signed_in.actor_user == person
    assert signed_in.ip == ALICE
    assert signed_out.action == "accounts.sign_out" and signed_out.actor_user == person


def test_a_failed_sign_in_is_audited_with_the_name_typed_and_never_the_password(
    person: User,
) -> None:
    answer = _sign_in(Client(), "wrong-password")
    assert answer.status_code == 200  # the form again, with Django's message
    entry = AuditEntry.objects.get(action="accounts.sign_in_failed")
    assert entry.changes["username"] == "ba.tu" and entry.ip == ALICE
    assert entry.actor_label == "anonymous"
    assert "wrong-password" not in str(entry.changes)


def test_repeated_failures_lock_the_account_out_from_that_address(person: User) -> None:
    client = Client()
    assert [_sign_in(client, "nope").status_code for _ in range(2)] == [200, 200]
    locked = _sign_in(client, "nope", HTTP_ACCEPT_LANGUAGE="vi")
    assert locked.status_code == 429
    assert 14 * 60 <= int(locked["Retry-After"]) <= 15 * 60
    page = locked.content.decode()
    assert 'id="lockout-message"' in page and "Vui lòng thử lại sau" in page
    # Even the right password waits now, and the page says until when, in English too.
    again = _sign_in(client, PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 429
    assert "Please try again after" in again.content.decode()
    assert "_auth_user_id" not in client.session
    # Three checked failures; the lockout begins at the third and is met again at the fourth.
    assert sorted(_actions()) == ["accounts.locked_out"] * 2 + ["accounts.sign_in_failed"] * 3
    lockout = AuditEntry.objects.filter(action="accounts.locked_out").first()
    assert lockout is not None and lockout.changes["username"] == "ba.tu"
    assert lockout.ip == ALICE and lockout.changes["until"]


def test_the_lockout_holds_one_address_only(person: User) -> None:
    for _ in range(3):
        _sign_in(Client(), "nope", address=ALICE)
    assert _sign_in(Client(), PASSWORD, address=BOB).status_code == 302


def test_the_lockout_ends_after_the_wait(person: User) -> None:
    client = Client()
    for _ in range(3):
        _sign_in(client, "nope")
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time
                                 - dt.timedelta(minutes=16))
    assert _sign_in(client, PASSWORD).status_code == 302


def test_the_admin_sign_in_locks_out_too(person: User) -> None:
    person.is_staff = True
    person.save(update_fields=["is_staff"])
    client = Client()
    for _ in range(2):
        assert _sign_in(client, "nope", path="/admin/login/").status_code == 200
    locked = _sign_in(client, "nope", path="/admin/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert locked.status_code == 429 and "Please try again after" in locked.content.decode()
    assert 'value="/admin/"' in locked.content.decode()
    assert _sign_in(client, PASSWORD, path="/admin/login/").status_code == 429


def test_a_json_client_is_answered_in_json(person: User) -> None:
    client = Client()
    for _ in range(2):
        _sign_in(client, "nope")
    locked = _sign_in(client, "nope", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert locked.json()["code"] == "locked_out" and locked.json()["detail"]


def test_unknown_names_are_counted_and_audited_as_typed(person: User) -> None:
    client = Client()
    for _ in range(3):
        _sign_in(client, "nope", username="nobody")
    assert _sign_in(client, "nope", username="nobody").status_code == 429
    assert _sign_in(client, PASSWORD).status_code == 302  # another name is not locked
    assert {e.changes["username"] for e in AuditEntry.objects.filter(
        action__in=["accounts.sign_in_failed", "accounts.locked_out"])} == {"nobody"}


def test_failures_over_many_names_from_one_address_make_that_address_wait(
    person: User, settings: Settings
) -> None:
    settings.CITYHALL_SIGN_IN_FAILURES_PER_ADDRESS = "4/h"
    # A spray: each name fails once, so no account is locked out on its own.
    for name in ("an", "binh", "chi", "dung"):
        assert _sign_in(Client(), "nope", username=name).status_code == 200
    refused = _sign_in(Client(), PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many failed sign-ins from your address" in refused.content.decode()
    in_vietnamese = _sign_in(Client(), PASSWORD, HTTP_ACCEPT_LANGUAGE="vi")
    assert "Đăng nhập sai quá nhiều lần từ địa chỉ của bạn" in in_vietnamese.content.decode()
    assert _sign_in(Client(), PASSWORD, address=BOB).status_code == 302
    lockout = AuditEntry.objects.filter(action="accounts.locked_out").first()
    assert lockout is not None
    assert lockout.changes["by"] == "address" and lockout.ip == ALICE
