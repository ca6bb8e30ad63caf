"""Personal bearer tokens and partner API keys."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory
from django.utils import timezone
from ninja.errors import AuthenticationError

from cityhall.accounts import services
from cityhall.accounts.api_auth import auth_user, optional_user
from cityhall.accounts.auth import authenticate_api_key
from cityhall.accounts.models import ApiKey, ApiToken
from cityhall.core.api import ApiError
from cityhall.core.audit import SYSTEM
from tests.factories import SAIGON, bearer, make_staff, make_user, unit_named

pytestmark = pytest.mark.django_db


def test_a_bearer_token_signs_in() -> None:
    user = make_staff("tok", unit_named(SAIGON))
    response = Client().get("/api/v1/me", headers=bearer(user))
    assert response.status_code == 200
    assert response.json()["username"] == "tok"


def test_a_revoked_or_unknown_token_is_refused_with_401() -> None:
    user = make_user("tok")
    token, raw = services.issue_token(actor=SYSTEM, user=user)
    services.revoke_token(actor=SYSTEM, token=token)
    for header in (f"Bearer {raw}", "Bearer cht_nonsense", "Bearer "):
        response = Client().get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_a_token_of_a_deactivated_user_is_refused() -> None:
    user = make_user("gone")
    headers = bearer(user)
    user.is_active = False
    user.save()
    assert Client().get("/api/v1/me", headers=headers).status_code == 401


def test_only_the_hash_of_a_token_is_stored() -> None:
    user = make_user("tok")
    token, raw = services.issue_token(actor=SYSTEM, user=user)
    assert raw not in token.key_hash
    assert ApiToken.find(raw) == token


def test_create_token_command_prints_a_working_token() -> None:
    make_user("cli-user")
    out = io.StringIO()
    call_command("create_token", "cli-user", "--name", "laptop", stdout=out)
    raw = out.getvalue().strip()
    token = ApiToken.find(raw)
    assert token is not None and token.name == "laptop"


def test_create_token_command_rejects_an_unknown_user() -> None:
    with pytest.raises(CommandError):
        call_command("create_token", "nobody", stdout=io.StringIO())


def test_create_api_key_command_prints_a_key_with_scopes_and_unit() -> None:
    out = io.StringIO()
    call_command("create_api_key", "partner", "--scopes", "open311:write,units:read",
                 "--unit", "79-SXD", stdout=out)
    key = ApiKey.find(out.getvalue().strip())
    assert key is not None
    assert key.scopes == ["open311:write", "units:read"]
    assert key.owner_unit is not None and key.owner_unit.code == "79-SXD"


def test_create_api_key_command_rejects_unknown_scope_or_unit() -> None:
    with pytest.raises(CommandError):
        call_command("create_api_key", "p1", "--scopes", "root", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("create_api_key", "p2", "--scopes", "units:read", "--unit", "nope",
                     stdout=io.StringIO())
    assert not ApiKey.objects.exists()


def test_an_api_key_with_the_scope_is_accepted_and_touched() -> None:
    key, raw = services.create_api_key(actor=SYSTEM, name="p", scopes=["open311:write"])
    assert authenticate_api_key(raw, "open311:write") == key
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_last_used_at_is_written_at_most_once_a_minute() -> None:
    key, raw = services.create_api_key(actor=SYSTEM, name="p", scopes=["units:read"])
    recent = timezone.now() - dt.timedelta(seconds=20)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=recent)
    authenticate_api_key(raw, "units:read")
    key.refresh_from_db()
    assert key.last_used_at == recent
    old = timezone.now() - dt.timedelta(minutes=5)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=old)
    authenticate_api_key(raw, "units:read")
    key.refresh_from_db()
    assert key.last_used_at > old


@pytest.mark.parametrize("case", ["missing", "wrong", "inactive", "scope"])
def test_it_refuses_a_bad_api_key_with_403(case: str) -> None:
    key, raw = services.create_api_key(actor=SYSTEM, name="p", scopes=["units:read"])
    if case == "inactive":
        services.revoke_api_key(actor=SYSTEM, key=key)
    presented = {"missing": "", "wrong": raw + "x"}.get(case, raw)
    with pytest.raises(ApiError) as caught:
        authenticate_api_key(presented, "open311:write" if case == "scope" else "units:read")
    assert caught.value.status == 403
    assert caught.value.code == ("missing_scope" if case == "scope" else "invalid_api_key")


def test_a_partner_sends_its_key_in_the_header_or_as_a_parameter() -> None:
    from django.test import RequestFactory

    from cityhall.accounts.auth import api_key_from_request

    factory = RequestFactory()
    assert api_key_from_request(factory.get("/", headers={"X-API-Key": "chk_a"})) == "chk_a"
    assert api_key_from_request(factory.get("/?api_key=chk_b")) == "chk_b"
    assert api_key_from_request(factory.post("/", {"api_key": "chk_c"})) == "chk_c"
    assert api_key_from_request(factory.get("/")) == ""


def test_optional_user_is_the_token_holder_anonymous_or_a_401() -> None:
    user = make_user("holder")
    factory = RequestFactory()
    with_token = factory.get("/", headers=bearer(user))
    assert optional_user(with_token) == user
    assert with_token.user == user
    assert isinstance(optional_user(factory.get("/")), AnonymousUser)
    with pytest.raises(ApiError) as err:
        optional_user(factory.get("/", headers={"Authorization": "Bearer cht_nothing"}))
    assert (err.value.status, err.value.code) == (401, "invalid_token")


def test_auth_user_refuses_a_request_no_authenticator_let_in() -> None:
    request = RequestFactory().get("/")
    with pytest.raises(AuthenticationError):
        auth_user(request)
    request.auth = make_user("let.in")  # type: ignore[attr-defined]  # as django-ninja sets it
    assert auth_user(request).username == "let.in"
