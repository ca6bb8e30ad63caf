"""The public registry API: /api/v1/units, /api/v1/units/resolve, /api/v1/units/{code}."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = pytest.mark.django_db

URL = "/api/v1/units"
NEW_YEAR = "2026-01-01"


@pytest.fixture
def client() -> Client:
    return Client()


def _get(client: Client, path: str, **params: Any) -> Response:
    response = client.get(path, params)
    assert response["Content-Type"].startswith("application/json")
    return response


def test_it_lists_the_168_commune_level_units_by_kind(client: Client) -> None:
    counts = {}
    for kind in ("ward", "commune", "special_zone"):
        body = _get(client, URL, kind=kind, active_on=NEW_YEAR, limit=500).json()
        assert len(body["items"]) == body["count"]
        assert {item["kind"] for item in body["items"]} == {kind}
        counts[kind] = body["count"]
    assert counts == {"ward": 113, "commune": 54, "special_zone": 1}


def test_each_item_has_the_documented_fields(client: Client) -> None:
    body = _get(client, URL, q="Sài Gòn", kind="ward", active_on=NEW_YEAR).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["name"] == "Phường Sài Gòn"
    assert item["short_name"] == "Sài Gòn"
    assert item["parent"] == "79"
    assert item["electronic_id"] is None
    assert item["valid_from"] == "2025-07-01"
    assert item["valid_to"] is None
    city = _get(client, URL, kind="province", active_on=NEW_YEAR).json()["items"]
    assert [(c["code"], c["electronic_id"], c["parent"]) for c in city] == [
        ("79", "000.00.00.H29", None)
    ]


@pytest.mark.parametrize("q", ["sai gon", "SAI GÒN", "phuong sai gon"])
def test_search_ignores_case_and_diacritics(client: Client, q: str) -> None:
    body = _get(client, URL, q=q, active_on=NEW_YEAR).json()
    assert "Phường Sài Gòn" in [item["name"] for item in body["items"]]


def test_it_filters_by_parent_and_by_day(client: Client) -> None:
    departments = _get(client, URL, parent="79", kind="department", active_on=NEW_YEAR).json()
    assert departments["count"] == 13
    old = _get(client, URL, parent="760", active_on="2025-06-30", limit=500).json()
    assert old["count"] == 10
    assert "Phường Bến Nghé" in [item["name"] for item in old["items"]]
    assert {item["valid_to"] for item in old["items"]} == {"2025-06-30"}
    assert _get(client, URL, parent="760", active_on=NEW_YEAR).json()["count"] == 0
    districts = _get(client, URL, kind="district", active_on="2025-06-30", limit=500).json()
    assert districts["count"] == 38


def test_pagination_pages_through_every_unit_once(client: Client) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        body = _get(client, URL, kind="ward", active_on=NEW_YEAR, limit=50,
                    offset=offset).json()
        assert body["count"] == 113
        if not body["items"]:
            break
        seen += [item["code"] for item in body["items"]]
        offset += 50
    assert len(seen) == len(set(seen)) == 113


@pytest.mark.parametrize("limit", [1, 50, 500])
def test_the_list_runs_a_fixed_number_of_queries(client: Client, limit: int) -> None:
    query: dict[str, int | str] = {"limit": limit, "active_on": NEW_YEAR}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, query)
    assert response.status_code == 200
    assert len(response.json()["items"]) == min(limit, 182)
    assert len(queries.captured_queries) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "district-ish"},
        {"active_on": "2025-13-01"},
        {"active_on": "yesterday"},
        {"limit": 0},
        {"limit": 501},
        {"limit": "ten"},
        {"offset": -1},
    ],
)
def test_bad_list_parameters_get_a_422_json_error(client: Client, params: dict[str, Any]) -> None:
    response = _get(client, URL, **params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_resolve_answers_a_legacy_address(client: Client) -> None:
    response = _get(client, f"{URL}/resolve", address="Phường Thảo Điền, Quận 2",
                    active_on=NEW_YEAR)
    assert response.status_code == 200
    body = response.json()
    assert body["unit"]["name"] == "Phường An Khánh"
    assert body["unit"]["code"] == "27118"
    assert body["method"] == "legacy_address"
    assert "Phường Thảo Điền" in body["reason"]


def test_resolve_answers_a_point(client: Client) -> None:
    body = _get(client, f"{URL}/resolve", lat=10.8494, lon=106.7537, active_on=NEW_YEAR).json()
    assert body["unit"]["name"] == "Phường Thủ Đức"
    assert body["method"] == "nearest_centre"
    assert body["split"] is False


def test_resolve_never_reaches_the_network(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network connection attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    response = _get(client, f"{URL}/resolve",
                    address="5 Đường số 3, Xã An Phú Tây, Huyện Bình Chánh, TP.HCM")
    assert response.status_code == 200
    assert response.json()["split"] is True
    assert [u["name"] for u in response.json()["alternatives"]] == ["Xã Bình Chánh"]


@pytest.mark.parametrize(
    "params", [{"address": "Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội"}, {"address": "zzz"},
               {"lat": 21.0285, "lon": 105.8542}],
)
def test_resolve_gives_404_for_unknown_places(client: Client, params: dict[str, Any]) -> None:
    response = _get(client, f"{URL}/resolve", **params)
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_place"


@pytest.mark.parametrize(
    ("params", "status"),
    [({}, 400), ({"lat": 10.8}, 400), ({"address": "  "}, 400), ({"lat": "north"}, 422),
     ({"lat": 95, "lon": 106}, 422), ({"lat": 10.8, "lon": 200}, 422),
     ({"address": "x" * 501}, 422), ({"address": "Sài Gòn", "active_on": "2025-02-30"}, 422)],
)
def test_resolve_rejects_missing_or_malformed_parameters(
    client: Client, params: dict[str, Any], status: int
) -> None:
    response = _get(client, f"{URL}/resolve", **params)
    assert response.status_code == status
    assert response.json()["code"] in {"missing_parameter", "invalid"}


def test_one_unit_comes_with_its_children_and_history(client: Client) -> None:
    body = _get(client, f"{URL}/26740", active_on=NEW_YEAR).json()
    assert body["name"] == "Phường Sài Gòn"
    assert body["children_count"] == 0
    predecessors = {p["name"]: p for p in body["predecessors"]}
    assert predecessors["Phường Bến Nghé"]["effective_on"] == "2025-07-01"
    assert predecessors["Phường Bến Nghé"]["is_primary"] is True
    assert "Quận 1" in predecessors
    assert body["successors"] == []
    assert body["latitude"] and body["area_km2"]


def test_a_code_reused_by_an_old_unit_answers_by_day(client: Client) -> None:
    old = _get(client, f"{URL}/26740", active_on="2025-06-30").json()
    assert old["name"] == "Phường Bến Nghé"
    assert [s["name"] for s in old["successors"]] == ["Phường Sài Gòn"]


def test_an_ended_code_falls_back_to_the_latest_unit_with_it(client: Client) -> None:
    body = _get(client, f"{URL}/760", active_on=NEW_YEAR).json()
    assert body["name"] == "Quận 1"
    assert body["valid_to"] == "2025-06-30"
    assert body["children_count"] == 10
    primary = [s["name"] for s in body["successors"] if s["is_primary"]]
    assert primary == ["Phường Sài Gòn"]


def test_the_city_counts_its_departments_and_units(client: Client) -> None:
    body = _get(client, f"{URL}/79", active_on=NEW_YEAR).json()
    assert body["children_count"] == 168 + 13
    assert {p["code"] for p in body["predecessors"]} == {"74", "77"}


def test_the_detail_runs_a_fixed_number_of_queries(client: Client) -> None:
    with CaptureQueriesContext(connection) as small:
        client.get(f"{URL}/26740", {"active_on": NEW_YEAR})
    with CaptureQueriesContext(connection) as large:
        client.get(f"{URL}/79", {"active_on": NEW_YEAR})
    assert len(small.captured_queries) == len(large.captured_queries) <= 4


@pytest.mark.parametrize("path", ["/nope", "/99999", "/%20"])
def test_unknown_codes_get_a_404_json_error(client: Client, path: str) -> None:
    response = _get(client, f"{URL}{path}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_bad_date_on_the_detail_gets_a_422(client: Client) -> None:
    response = _get(client, f"{URL}/79", active_on="not-a-date")
    assert response.status_code == 422


def test_the_openapi_document_lists_the_registry_routes(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/units", "/api/v1/units/resolve", "/api/v1/units/{code}"} <= set(paths)
