"""The admin of people and access: every write goes through the account services, audited.

People, their passwords, their memberships (inline), partner keys and tokens; the audit
trail and the personal-data read log are read-only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import Client

from cityhall.accounts import services
from cityhall.accounts.models import ApiKey, Membership, Role, User, UserKind
from cityhall.accounts.scope import scope_of
from cityhall.core.audit import SYSTEM, record
from cityhall.core.models import AuditEntry
from tests import admin_support
from tests.factories import SAIGON, START, THUDUC, Probe, make_staff, make_user, unit_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    return admin_support.admin_client()


def _user_page(client: Client, user: User) -> dict[str, Any]:
    page = client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    return admin_support.form_data(page)


def _save_user(client: Client, user: User, data: dict[str, Any]) -> None:
    response = client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context and (
        response.context["adminform"].form.errors,
        [f.errors for f in response.context["inline_admin_formsets"][0].formset.forms],
    )


def _audit(action: str, obj: Any) -> AuditEntry:
    return AuditEntry.objects.get(action=action, object_id=str(obj.pk))


def test_a_person_added_in_the_admin_is_created_by_the_service(admin_client: Client) -> None:
    response = admin_client.post("/admin/accounts/user/add/", {
        "username": "new.officer", "usable_password": "true",
        "password1": "Thanh-pho-2025!", "password2": "Thanh-pho-2025!",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302
    user = User.objects.get(username="new.officer")
    assert user.check_password("Thanh-pho-2025!")
    entry = _audit("user.create", user)
    assert entry.actor_label == "root"
    assert entry.changes["username"] == [None, "new.officer"]


def test_a_change_in_the_admin_is_audited_with_personal_values_masked(
    admin_client: Client,
) -> None:
    user = make_user("someone", phone="0909000111")
    data = _user_page(admin_client, user)
    data.update(phone="0909000222", is_superuser="on", full_name="Lê Thị Hai")
    _save_user(admin_client, user, data)
    user.refresh_from_db()
    assert (user.phone, user.is_superuser, user.is_staff) == ("0909000222", True, True)
    entry = _audit("user.change", user)
    assert entry.actor_label == "root"
    assert entry.changes == {"phone": ["***", "***"], "full_name": ["", "***"],
                             "is_superuser": [False, True], "is_staff": [False, True]}
    assert "0909000222" not in str(entry.changes)


def test_saving_a_person_unchanged_writes_no_audit_entry(admin_client: Client) -> None:
    user = make_user("same.as.before")
    before = AuditEntry.objects.count()
    _save_user(admin_client, user, _user_page(admin_client, user))
    assert AuditEntry.objects.count() == before


def test_the_admin_refuses_a_business_account_without_a_tax_code(admin_client: Client) -> None:
    user = make_user("not.yet.a.business")
    data = _user_page(admin_client, user)
    data["kind"] = UserKind.BUSINESS
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    user.refresh_from_db()
    assert user.kind == UserKind.RESIDENT
    assert not AuditEntry.objects.filter(action="user.change").exists()


def test_a_password_set_in_the_admin_is_audited_without_the_password(
    admin_client: Client,
) -> None:
    user = make_user("forgetful", password="Old-password-2024")
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/password/", {
        "usable_password": "true", "password1": "Moi-mat-khau-2025", "password2":
        "Moi-mat-khau-2025",
    })
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Moi-mat-khau-2025")
    entry = _audit("user.set_password", user)
    assert (entry.actor_label, entry.changes) == ("root", {"password": [None, "***"]})


def test_a_membership_added_inline_is_granted_by_the_service(admin_client: Client) -> None:
    user = make_user("joining")
    ward = unit_named(SAIGON)
    data = _user_page(admin_client, user)
    data.update({
        "memberships-TOTAL_FORMS": "1", "memberships-0-unit": str(ward.pk),
        "memberships-0-role": Role.OFFICER, "memberships-0-title": "Chuyên viên",
        "memberships-0-valid_from": "2025-07-01", "memberships-0-valid_to": "",
        "memberships-0-user": str(user.pk), "memberships-0-id": "",
    })
    _save_user(admin_client, user, data)
    held = Membership.objects.get(user=user)
    entry = _audit("membership.grant", held)
    assert (entry.actor_label, entry.unit) == ("root", ward)
    assert entry.changes["role"] == [None, "officer"]
    # What the service does beside the row: the person becomes staff and sees the ward.
    user.refresh_from_db()
    assert user.kind == UserKind.STAFF and scope_of(user).covers(ward)


def test_an_end_date_set_inline_ends_the_membership(admin_client: Client) -> None:
    user = make_staff("leaving", unit_named(SAIGON), Role.LEADER)
    assert scope_of(user).covers(unit_named(SAIGON))
    data = _user_page(admin_client, user)
    data["memberships-0-valid_to"] = "2025-07-31"
    _save_user(admin_client, user, data)
    held = Membership.objects.get(user=user)
    assert held.valid_to == dt.date(2025, 7, 31)
    assert _audit("membership.end", held).changes == {"valid_to": [None, "2025-07-31"]}
    assert scope_of(User.objects.get(pk=user.pk)).is_empty


def test_a_role_or_unit_corrected_inline_is_audited_before_and_after(
    admin_client: Client,
) -> None:
    user = make_staff("moved", unit_named(SAIGON), Role.OFFICER)
    other = unit_named(THUDUC)
    data = _user_page(admin_client, user)
    data.update({"memberships-0-role": Role.LEADER, "memberships-0-unit": str(other.pk)})
    _save_user(admin_client, user, data)
    held = Membership.objects.get(user=user)
    entry = _audit("membership.change", held)
    assert entry.unit == other
    assert entry.changes == {"role": ["officer", "leader"],
                             "unit": [unit_named(SAIGON).code, other.code]}
    assert scope_of(User.objects.get(pk=user.pk)).covers(other)


def test_a_membership_deleted_inline_is_removed_by_the_service(admin_client: Client) -> None:
    user = make_staff("mistake", unit_named(SAIGON), Role.CLERK)
    held = Membership.objects.get(user=user)
    data = _user_page(admin_client, user)
    data["memberships-0-DELETE"] = "on"
    _save_user(admin_client, user, data)
    assert not Membership.objects.filter(user=user).exists()
    entry = _audit("membership.delete", held)
    assert entry.unit == unit_named(SAIGON)
    assert entry.changes["role"] == ["clerk", None]
    assert entry.changes["valid_from"] == [START.isoformat(), None]


def test_people_keys_and_tokens_are_not_deleted_in_the_admin(admin_client: Client) -> None:
    user = make_user("stays")
    key, _raw = services.create_api_key(actor=SYSTEM, name="partner", scopes=["units:read"])
    token, _raw = services.issue_token(actor=SYSTEM, user=user)
    for url in (f"/admin/accounts/user/{user.pk}/delete/",
                f"/admin/accounts/apikey/{key.pk}/delete/",
                f"/admin/accounts/apitoken/{token.pk}/delete/"):
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=user.pk).exists()
    assert ApiKey.objects.filter(pk=key.pk).exists()


def test_djangos_groups_are_not_offered_beside_the_memberships(admin_client: Client) -> None:
    assert admin_client.get("/admin/auth/group/").status_code == 404


def test_the_revoke_actions_go_through_the_services(admin_client: Client) -> None:
    user = make_user("token.holder")
    key, _raw = services.create_api_key(actor=SYSTEM, name="partner", scopes=["units:read"])
    token, _raw = services.issue_token(actor=SYSTEM, user=user)
    admin_client.post("/admin/accounts/apikey/", {"action": "revoke",
                                                  "_selected_action": [str(key.pk)]})
    admin_client.post("/admin/accounts/apitoken/", {"action": "revoke",
                                                    "_selected_action": [str(token.pk)]})
    key.refresh_from_db()
    token.refresh_from_db()
    assert not key.is_active and token.revoked_at is not None
    assert _audit("api_key.update", key).actor_label == "root"
    assert _audit("token.revoke", token).actor_label == "root"


def test_a_superuser_made_by_createsuperuser_is_audited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Quan-tri-2025!")
    call_command("createsuperuser", "--noinput", username="first.admin",
                 email="admin@example.org", verbosity=0)
    user = User.objects.get(username="first.admin")
    entry = _audit("user.create", user)
    assert entry.actor_label == "createsuperuser"
    assert entry.changes["is_superuser"] == [None, True]


def test_a_key_made_in_the_admin_shows_its_secret_once(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/accounts/apikey/add/",
        {"name": "Cổng DVC quốc gia", "scopes": '["open311:write"]', "is_active": "on"},
    )
    assert response.status_code == 302, response.content[:2000]
    key = ApiKey.objects.get(name="Cổng DVC quốc gia")
    [secret_message] = [str(m) for m in get_messages(response.wsgi_request) if "chk_" in str(m)]
    raw = secret_message.split()[-1]
    assert ApiKey.find(raw) == key
    entry = AuditEntry.objects.get(action="api_key.create")
    assert entry.actor_user is not None and entry.actor_user.username == "root"
    # The secret is shown once: on the page after saving, and never again.
    page = f"/admin/accounts/apikey/{key.pk}/change/"
    assert raw in admin_client.get(page).content.decode()
    assert raw not in admin_client.get(page).content.decode()


def test_the_admin_refuses_an_unknown_scope(admin_client: Client) -> None:
    for scopes in ('["root"]', '"open311:write"'):
        response = admin_client.post("/admin/accounts/apikey/add/",
                                     {"name": "x", "scopes": scopes, "is_active": "on"})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["scopes"]
    assert not ApiKey.objects.exists()


def test_audit_entries_and_reads_are_read_only(admin_client: Client) -> None:
    entry = record(actor=SYSTEM, action=Probe.PROBE)
    assert admin_client.get("/admin/core/auditentry/").status_code == 200
    assert admin_client.get("/admin/core/auditentry/add/").status_code == 403
    assert admin_client.post(f"/admin/core/auditentry/{entry.pk}/delete/",
                             {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert admin_client.get("/admin/core/personaldataread/").status_code == 200


def test_the_user_page_lists_memberships_inline(admin_client: Client) -> None:
    user = make_staff("inline", unit_named(SAIGON), Role.OFFICER)
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    assert "Phường Sài Gòn" in page.content.decode()
