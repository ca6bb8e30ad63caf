"""The registry in the Django admin: search, filters and an audited save."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cityhall.core.models import AuditEntry
from cityhall.orgunits.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    user = get_user_model().objects.create_superuser("registry.admin", "a@example.org", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_the_unit_list_searches_by_name_without_diacritics_and_by_code(
    admin_client: Client,
) -> None:
    response = admin_client.get("/admin/orgunits/unit/", {"q": "sai gon"})
    assert response.status_code == 200
    assert "Phường Sài Gòn" in response.content.decode()
    response = admin_client.get("/admin/orgunits/unit/", {"q": "26740"})
    body = response.content.decode()
    assert "Phường Sài Gòn" in body and "Phường Bến Nghé" in body


def test_the_unit_list_filters_by_kind_and_by_end(admin_client: Client) -> None:
    response = admin_client.get("/admin/orgunits/unit/", {"kind__exact": "district",
                                                          "ended": "yes"})
    assert response.status_code == 200
    assert "Quận 1" in response.content.decode()
    assert "Phường Sài Gòn" not in response.content.decode()


def test_an_admin_edit_is_audited(admin_client: Client) -> None:
    unit = Unit.objects.get(code="79-SXD")
    response = admin_client.get(f"/admin/orgunits/unit/{unit.pk}/change/")
    assert response.status_code == 200
    data = {
        "code": unit.code, "kind": unit.kind, "name": unit.name, "short_name": "SXD",
        "name_en": unit.name_en, "parent": unit.parent_id, "electronic_id": "",
        "valid_from": "2025-07-01", "valid_to": "", "latitude": "", "longitude": "",
        "area_km2": "", "boundary": "null",
        "successions-TOTAL_FORMS": "0",
        "successions-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/orgunits/unit/{unit.pk}/change/", data)
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.short_name == "SXD"
    entry = AuditEntry.objects.filter(action="orgunits.update_unit").latest("pk")
    assert entry.actor_label == "registry.admin"
    assert entry.changes == {"short_name": ["Xây dựng", "SXD"]}


def test_the_succession_list_renders(admin_client: Client) -> None:
    response = admin_client.get("/admin/orgunits/unitsuccession/", {"q": "Bến Nghé"})
    assert response.status_code == 200
    assert "Phường Sài Gòn" in response.content.decode()
