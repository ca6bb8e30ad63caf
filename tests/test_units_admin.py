"""The registry in the Django admin: search, filters, and every write through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client

from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.orgunits.models import Unit, UnitKind, UnitSuccession
from cityhall.orgunits.services import create_unit, link_successor
from tests import admin_support
from tests.factories import SAIGON, neighbourhood, unit_named

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


def _unit_page(client: Client, unit: Unit) -> dict[str, Any]:
    page = client.get(f"/admin/orgunits/unit/{unit.pk}/change/")
    assert page.status_code == 200
    return admin_support.form_data(page)


def _post(client: Client, url: str, data: dict[str, Any]) -> None:
    response = client.post(url, data)
    assert response.status_code == 302, response.context and (
        response.context["adminform"].form.errors,
        [[f.errors for f in i.formset.forms] for i in response.context["inline_admin_formsets"]],
    )


def test_a_unit_added_in_the_admin_is_created_by_the_service(admin_client: Client) -> None:
    ward = unit_named(SAIGON)
    _post(admin_client, "/admin/orgunits/unit/add/", {
        "code": "26740-KP09", "kind": UnitKind.NEIGHBOURHOOD, "name": "Khu phố 9",
        "parent": str(ward.pk), "valid_from": "2025-07-01",
        "successions-TOTAL_FORMS": "0", "successions-INITIAL_FORMS": "0",
    })
    unit = Unit.objects.get(code="26740-KP09")
    assert unit.path == f"{ward.path}26740-KP09/"
    entry = AuditEntry.objects.get(action="orgunits.create_unit", object_id=str(unit.pk))
    assert (entry.actor_label, entry.unit) == ("registry.admin", unit)
    assert entry.changes["name"] == [None, "Khu phố 9"]


def test_a_code_changed_in_the_admin_moves_the_paths_below(admin_client: Client) -> None:
    kp = neighbourhood(unit_named(SAIGON))
    group = create_unit(actor=SYSTEM, code="T1", kind=UnitKind.DIVISION, name="Tổ 1", parent=kp)
    data = _unit_page(admin_client, kp)
    data["code"] = "26740-KP99"
    _post(admin_client, f"/admin/orgunits/unit/{kp.pk}/change/", data)
    group.refresh_from_db()
    assert group.path.endswith("/26740-KP99/T1/")
    entry = AuditEntry.objects.get(action="orgunits.update_unit", object_id=str(kp.pk))
    assert entry.changes == {"code": ["26740-KP01", "26740-KP99"]}


def test_units_are_not_deleted_in_the_admin(admin_client: Client) -> None:
    unit = neighbourhood(unit_named(SAIGON))
    assert admin_client.post(f"/admin/orgunits/unit/{unit.pk}/delete/",
                             {"post": "yes"}).status_code == 403
    assert Unit.objects.filter(pk=unit.pk).exists()


def test_making_another_successor_primary_takes_the_mark_from_the_first(
    admin_client: Client,
) -> None:
    district = Unit.objects.get(name="Quận 1", kind=UnitKind.DISTRICT)
    links = UnitSuccession.objects.filter(predecessor=district).select_related("successor")
    [primary] = [link for link in links if link.is_primary]
    other = next(link for link in links if not link.is_primary)
    data = _unit_page(admin_client, district)
    row = next(key[: -len("-id")] for key, value in data.items()
               if key.startswith("successions-") and key.endswith("-id")
               and value == str(other.pk))
    data[f"{row}-is_primary"] = "on"
    _post(admin_client, f"/admin/orgunits/unit/{district.pk}/change/", data)
    assert list(UnitSuccession.objects.filter(predecessor=district, is_primary=True)) == [other]
    entry = AuditEntry.objects.get(action="orgunits.update_succession")
    assert entry.actor_label == "registry.admin"
    assert entry.unit == other.successor
    assert entry.changes == {"is_primary": [False, True],
                             "primary_taken_from": [primary.successor.code]}


def test_a_succession_added_and_removed_in_its_admin_goes_through_the_services(
    admin_client: Client,
) -> None:
    old = Unit.objects.get(name="Phường Bến Nghé")
    kp = neighbourhood(unit_named(SAIGON))
    _post(admin_client, "/admin/orgunits/unitsuccession/add/", {
        "predecessor": str(old.pk), "successor": str(kp.pk), "effective_on": "2025-07-01",
        "note": "một phần",
    })
    link = UnitSuccession.objects.get(predecessor=old, successor=kp)
    added = AuditEntry.objects.get(action="orgunits.link_successor")
    assert (added.actor_label, added.object_id, added.unit) == ("registry.admin", str(link.pk), kp)
    _post(admin_client, f"/admin/orgunits/unitsuccession/{link.pk}/delete/", {"post": "yes"})
    assert not UnitSuccession.objects.filter(pk=link.pk).exists()
    removed = AuditEntry.objects.get(action="orgunits.unlink_successor")
    assert removed.changes["successor"] == [kp.code, None]


def test_the_bulk_delete_of_successions_unlinks_each_through_the_service(
    admin_client: Client,
) -> None:
    old = Unit.objects.get(name="Phường Bến Nghé")
    made = [
        link_successor(actor=SYSTEM, predecessor=old, effective_on=dt.date(2025, 7, 1),
                       successor=neighbourhood(unit_named(SAIGON), n))
        for n in (1, 2)
    ]
    admin_client.post("/admin/orgunits/unitsuccession/", {
        "action": "delete_selected", "_selected_action": [str(link.pk) for link in made],
        "post": "yes",
    })
    assert not UnitSuccession.objects.filter(pk__in=[link.pk for link in made]).exists()
    assert AuditEntry.objects.filter(action="orgunits.unlink_successor").count() == 2


def test_a_unit_cannot_be_its_own_successor() -> None:
    old = Unit.objects.get(name="Phường Bến Nghé")
    with pytest.raises(ValidationError) as err:
        link_successor(actor=SYSTEM, predecessor=old, successor=old,
                       effective_on=dt.date(2025, 7, 1))
    assert "successor" in err.value.message_dict
    assert not UnitSuccession.objects.filter(predecessor=old, successor=old).exists()
