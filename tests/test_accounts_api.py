"""The accounts endpoints: me, memberships, audit, people and the reads of one's data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cityhall.accounts.models import Role, User
from cityhall.core.audit import SYSTEM, record
from cityhall.core.models import AuditEntry, PersonalDataRead
from tests.factories import (
    SAIGON,
    Personas,
    Probe,
    bearer,
    make_staff,
    make_user,
    neighbourhood,
    unit_named,
)

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str, headers: dict[str, str]) -> tuple[int, dict]:
    # A first call touches the token's last_used_at; count a steady-state request.
    client.get(url, headers=headers)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


def test_me_lists_the_memberships_in_force(people: Personas) -> None:
    body = Client().get("/api/v1/me", headers=bearer(people.leader)).json()
    assert body["kind"] == "staff"
    [m] = body["memberships"]
    assert (m["unit_code"], m["unit_name"], m["role"]) == (people.ward.code, SAIGON, "leader")
    assert m["valid_from"] == "2025-07-01"


def test_me_accepts_a_session_too(people: Personas) -> None:
    client = Client()
    client.force_login(people.officer)
    assert client.get("/api/v1/me").json()["username"] == "p.officer"


def test_patch_me_changes_the_language_and_rejects_unknown_ones(people: Personas) -> None:
    client = Client()
    headers = bearer(people.resident)
    ok = client.patch("/api/v1/me", {"language": "en"}, content_type="application/json",
                      headers=headers)
    assert ok.status_code == 200 and ok.json()["language"] == "en"
    bad = client.patch("/api/v1/me", {"language": "fr"}, content_type="application/json",
                       headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    assert User.objects.get(pk=people.resident.pk).language == "en"


def test_memberships_filter_by_unit_and_hide_ended_ones(people: Personas) -> None:
    client = Client()
    headers = bearer(people.city_leader)
    body = client.get(f"/api/v1/memberships?unit={people.kp.code}", headers=headers).json()
    assert [r["username"] for r in body["items"]] == ["p.kp"]
    m = people.officer.memberships.get()
    from cityhall.accounts import services

    services.end_membership(actor=SYSTEM, membership=m, on=m.valid_from)
    current = client.get(f"/api/v1/memberships?unit={people.ward.code}", headers=headers).json()
    assert "p.officer" not in {r["username"] for r in current["items"]}
    everything = client.get(
        f"/api/v1/memberships?unit={people.ward.code}&include_ended=true", headers=headers
    ).json()
    assert "p.officer" in {r["username"] for r in everything["items"]}


def test_memberships_paginate_with_a_fixed_number_of_queries(people: Personas) -> None:
    for i in range(6):
        make_staff(f"extra{i}", people.ward, Role.CLERK)
    client = Client()
    headers = bearer(people.leader)
    small, page1 = _queries(client, "/api/v1/memberships?limit=1", headers)
    large, page_all = _queries(client, "/api/v1/memberships?limit=100", headers)
    assert small == large
    assert page1["count"] == page_all["count"] == len(page_all["items"]) == 9
    assert len(page1["items"]) == 1
    offset = client.get("/api/v1/memberships?limit=2&offset=8", headers=headers).json()
    assert [r["username"] for r in offset["items"]] == [page_all["items"][8]["username"]]


def test_audit_filters_and_paginates_with_a_fixed_number_of_queries(people: Personas) -> None:
    for i in range(5):
        record(actor=people.leader, action=Probe.PROBE, unit=people.ward, changes={"i": [None, i]})
    record(actor=SYSTEM, action=Probe.OTHER, unit=people.ward)
    client = Client()
    headers = bearer(people.leader)
    small, one = _queries(client, "/api/v1/audit?action=probe&limit=1", headers)
    large, every = _queries(client, "/api/v1/audit?action=probe&limit=50", headers)
    assert small == large
    assert one["count"] == every["count"] == 5
    assert {e["actor"] for e in every["items"]} == {"p.leader"}
    assert every["items"][0]["changes"] == {"i": [None, 4]}
    by_object = client.get(
        f"/api/v1/audit?object_type=accounts.membership&object_id={people.officer.memberships.get().pk}",
        headers=headers,
    ).json()
    assert [e["action"] for e in by_object["items"]] == ["membership.grant"]


def test_reading_a_person_is_logged_and_visible_to_them(people: Personas) -> None:
    client = Client()
    response = client.get("/api/v1/people/p.officer?purpose=assign%20work",
                          headers=bearer(people.leader))
    assert response.status_code == 200
    body = response.json()
    assert body["phone"] == "0900000002" and body["national_id"] == "079200000002"
    read = PersonalDataRead.objects.get()
    assert (read.reader, read.subject, read.purpose) == (
        people.leader, people.officer, "assign work")
    assert read.fields == ["email", "full_name", "national_id", "phone"]
    assert (read.reader_unit, read.reader_role) == (people.ward, "leader")

    mine = client.get("/api/v1/me/personal-data-reads", headers=bearer(people.officer)).json()
    assert mine["count"] == 1
    [row] = mine["items"]
    assert row["reader"] == people.leader.display_name
    assert (row["reader_unit"], row["reader_role"]) == (SAIGON, "leader")
    assert row["purpose"] == "assign work"
    assert row["fields"] == ["email", "full_name", "national_id", "phone"]


def test_reading_ones_own_record_is_not_logged(people: Personas) -> None:
    response = Client().get("/api/v1/people/p.resident", headers=bearer(people.resident))
    assert response.status_code == 200
    assert response.json()["full_name"] == "Trần Thị Dân"
    assert not PersonalDataRead.objects.exists()


def test_a_refused_read_is_a_404_and_is_not_logged(people: Personas) -> None:
    for target in ("p.leader", "p.resident", "nobody"):
        response = Client().get(f"/api/v1/people/{target}", headers=bearer(people.officer))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert not PersonalDataRead.objects.exists()


def test_a_ward_leader_reads_the_staff_of_its_neighbourhoods() -> None:
    ward = unit_named(SAIGON)
    leader = make_staff("w.leader", ward, Role.LEADER)
    head = make_staff("kp2.head", neighbourhood(ward, 2), Role.NEIGHBOURHOOD_HEAD)
    response = Client().get(f"/api/v1/people/{head.username}", headers=bearer(leader))
    assert response.status_code == 200


def test_personal_data_reads_paginate_with_a_fixed_number_of_queries(people: Personas) -> None:
    client = Client()
    for _i in range(4):
        client.get("/api/v1/people/p.officer", headers=bearer(people.leader))
    client.get("/api/v1/people/p.officer", headers=bearer(people.city_leader))
    headers = bearer(people.officer)
    small, one = _queries(client, "/api/v1/me/personal-data-reads?limit=1", headers)
    large, every = _queries(client, "/api/v1/me/personal-data-reads?limit=50", headers)
    assert small == large
    assert one["count"] == every["count"] == 5


def test_an_audit_entry_carries_the_request_id(people: Personas) -> None:
    client = Client()
    client.patch("/api/v1/me", {"language": "en"}, content_type="application/json",
                 headers={**bearer(people.officer), "X-Request-ID": "req-123"})
    entry = AuditEntry.objects.get(action="user.set_language")
    assert entry.request_id == "req-123"
    assert entry.actor_user == people.officer


def test_a_resident_without_memberships_sees_empty_lists() -> None:
    resident = make_user("lonely")
    client = Client()
    headers = bearer(resident)
    for url in ("/api/v1/memberships", "/api/v1/audit"):
        assert client.get(url, headers=headers).json() == {"count": 0, "items": []}
