"""The admin: partner keys made by the service, secret shown once; the logs read-only."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from cityhall.accounts.models import ApiKey, Role
from cityhall.core.audit import SYSTEM, record
from cityhall.core.models import AuditEntry
from tests.factories import SAIGON, make_staff, make_user, unit_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(make_user("root", is_superuser=True))
    return client


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
    entry = record(actor=SYSTEM, action="probe")
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
