"""The same contract for every accounts endpoint: anonymous, wrong unit, list, get, bad input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from cityhall.core.audit import SYSTEM, record
from tests.factories import Personas, bearer, personas

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    """One endpoint under contract: its URL, whether it is a list, and whether it is scoped."""

    url: str
    is_list: bool
    scoped: bool


ENDPOINTS = {
    "me": Endpoint("/api/v1/me", is_list=False, scoped=False),
    "memberships": Endpoint("/api/v1/memberships", is_list=True, scoped=True),
    "audit": Endpoint("/api/v1/audit", is_list=True, scoped=True),
    "person": Endpoint("/api/v1/people/p.officer", is_list=False, scoped=True),
    "personal_data_reads": Endpoint("/api/v1/me/personal-data-reads", is_list=True, scoped=False),
}


@pytest.fixture
def p() -> Personas:
    people = personas()
    record(actor=SYSTEM, action="contract.probe", unit=people.ward)
    Client().get("/api/v1/people/p.officer", headers=bearer(people.leader))
    return people


def _is_error(response: Response, status: int) -> bool:
    body = response.json()
    return (
        response.status_code == status
        and response["Content-Type"].startswith("application/json")
        and set(body) == {"detail", "code"}
    )


@pytest.mark.parametrize("name", ENDPOINTS)
def test_anonymous_gets_a_json_401(p: Personas, name: str) -> None:
    response = Client().get(ENDPOINTS[name].url)
    assert _is_error(response, 401)
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_bad_token_gets_a_json_401(p: Personas, name: str) -> None:
    response = Client().get(ENDPOINTS[name].url, headers={"Authorization": "Bearer nope"})
    assert _is_error(response, 401)


@pytest.mark.parametrize("name", [n for n, e in ENDPOINTS.items() if e.scoped])
def test_the_wrong_unit_sees_nothing_of_the_ward(p: Personas, name: str) -> None:
    endpoint = ENDPOINTS[name]
    response = Client().get(endpoint.url, headers=bearer(p.outsider))
    if endpoint.is_list:
        assert response.status_code == 200
        units = {row.get("unit_code") for row in response.json()["items"]}
        assert p.ward.code not in units
    else:
        assert _is_error(response, 404)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_the_right_person_gets_the_data(p: Personas, name: str) -> None:
    endpoint = ENDPOINTS[name]
    user = p.officer if name == "personal_data_reads" else p.leader
    response = Client().get(endpoint.url, headers=bearer(user))
    assert response.status_code == 200
    body = response.json()
    if endpoint.is_list:
        assert set(body) == {"count", "items"}
        assert body["count"] >= 1 and len(body["items"]) >= 1


@pytest.mark.parametrize("name", [n for n, e in ENDPOINTS.items() if e.is_list])
@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=abc", "offset=-1",
                                   # Past 64 bits SQLite refused it with a 500.
                                   "offset=1490628011081660933079040"])
def test_bad_paging_gets_a_json_422(p: Personas, name: str, query: str) -> None:
    response = Client().get(f"{ENDPOINTS[name].url}?{query}", headers=bearer(p.leader))
    assert _is_error(response, 422)
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("name", [n for n, e in ENDPOINTS.items() if e.is_list])
def test_an_offset_past_the_end_gives_an_empty_page(p: Personas, name: str) -> None:
    response = Client().get(f"{ENDPOINTS[name].url}?offset=100000", headers=bearer(p.leader))
    body = response.json()
    assert response.status_code == 200 and body["items"] == []


def test_an_unknown_address_under_the_api_is_a_json_404() -> None:
    response = Client().get("/api/v1/no/such/thing")
    assert _is_error(response, 404)


def test_a_malformed_json_body_is_a_json_400(p: Personas) -> None:
    response = Client().patch("/api/v1/me", "{not json", content_type="application/json",
                              headers=bearer(p.officer))
    assert _is_error(response, 400)
    assert response.json()["code"] == "bad_request"


def test_a_body_of_the_wrong_shape_is_a_json_422(p: Personas) -> None:
    response = Client().patch("/api/v1/me", {"language": 3}, content_type="application/json",
                              headers=bearer(p.officer))
    assert _is_error(response, 422)
