"""The same contract for every accounts endpoint: anonymous, wrong unit, list, get, bad input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


# -- the OpenAPI document: what every operation takes and answers ----------------------------

def _document() -> dict[str, Any]:
    return dict(Client().get("/api/v1/openapi.json").json())


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def _texts(schema: dict[str, Any], doc: dict[str, Any], where: str
           ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every string schema (with where it is) inside `schema`, references followed."""
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _texts(sub, doc, where)
    kind = schema.get("type")
    if kind == "string" and schema.get("format") not in ("binary", "date", "date-time") \
            and "enum" not in schema:
        yield where, schema
    elif kind == "object":
        for name, sub in schema.get("properties", {}).items():
            yield from _texts(sub, doc, f"{where}.{name}")
        for key in ("additionalProperties", "propertyNames"):
            if isinstance(schema.get(key), dict):
                yield from _texts({"type": "string", **schema[key]} if key == "propertyNames"
                                  else schema[key], doc, f"{where}[{key}]")
    elif kind == "array":
        yield from _texts(schema.get("items", {}), doc, f"{where}[]")


def _inputs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every parameter and request body schema of the document, named."""
    for label, operation in _operations(doc):
        for parameter in operation.get("parameters", []):
            yield f"{label} {parameter['in']} {parameter['name']}", parameter["schema"]
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            yield f"{label} body ({media_type})", content["schema"]


def _refuses_nul(pattern: str) -> bool:
    """Whether a text pattern excludes NUL: by name, or by allowing only the characters it
    lists (no negated class, no wildcard: a day, a moment, numbers and commas)."""
    return "\\x00" in pattern or (
        bool(pattern) and re.search(r"\[\^|(?<!\\)\.|\\[SDWs]", pattern) is None)


def test_every_text_the_api_takes_is_bounded_and_refuses_nul() -> None:
    doc = _document()
    texts = [(where, text) for name, schema in _inputs(doc)
             for where, text in _texts(schema, doc, name)]
    assert len(texts) > 50
    # A fixed-shape pattern bounds a text's length as well as a maxLength does.
    assert [where for where, text in texts if "maxLength" not in text
            and not _refuses_nul(text.get("pattern", ""))] == []
    assert [where for where, text in texts if not _refuses_nul(text.get("pattern", ""))] == []


def test_every_json_body_is_an_object_with_its_declared_fields_only() -> None:
    doc = _document()
    loose = []
    for label, operation in _operations(doc):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            schema = content["application/json"]["schema"]
            name = schema["$ref"].rsplit("/", 1)[-1]
            body = doc["components"]["schemas"][name]
            if body.get("type") != "object" or body.get("additionalProperties") is not False:
                loose.append(label)
    assert loose == []


def test_every_operation_lists_the_errors_it_can_answer_with_the_error_schema() -> None:
    doc = _document()
    missing = []
    for label, operation in _operations(doc):
        method = label.split()[0]
        expected = {"400", "413"}
        if operation.get("requestBody") or operation.get("parameters"):
            expected.add("422")
        if operation.get("security"):
            expected.add("401")
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                expected.add("403")
        responses = operation["responses"]
        for status in sorted(expected):
            schema = responses.get(status, {}).get("content", {}).get(
                "application/json", {}).get("schema", {})
            if schema.get("$ref") != "#/components/schemas/ErrorOut":
                missing.append(f"{label} {status}")
    assert missing == []


# -- docs/api.md: every error code the API answers, with its status ---------------------------

ROOT = Path(__file__).resolve().parent.parent
# Where the code names its error codes: ApiError(status, "code"), the reports service's
# ReportError("code"), the middleware's refusals and the API's own mapping in core.api.
_CODE_SITES = [
    re.compile(r'ApiError\(\s*(\d{3}),\s*"([a-z_]+)"'),
    re.compile(r'_Refusal\(\s*(\d{3}),\s*"([a-z_]+)"'),
    re.compile(r'_error\(\s*api,\s*request,\s*(\d{3}),\s*"([a-z_]+)"'),
    re.compile(r'ReportError\(\s*()"([a-z_]+)"'),
    re.compile(r'^\s*(\d{3}): "([a-z_]+)",?$', re.MULTILINE),  # core.api's _HTTP_CODES
]


def _codes_in_the_code() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for source in (ROOT / "cityhall").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for site in _CODE_SITES:
            for status, code in site.findall(text):
                found.setdefault(code, set()).add(status)
    return found


def _documented_codes() -> dict[str, set[str]]:
    """Code -> the statuses of the rows of docs/api.md's error table that name it."""
    documented: dict[str, set[str]] = {}
    for line in (ROOT / "docs" / "api.md").read_text(encoding="utf-8").splitlines():
        row = re.match(r"\| (\d{3}) \| (.*?) \|", line)
        if row:
            for code in re.findall(r"`([a-z_]+)`", row.group(2)):
                documented.setdefault(code, set()).add(row.group(1))
    return documented


def test_the_docs_list_every_error_code_the_api_answers_with_its_status() -> None:
    documented = _documented_codes()
    in_code = _codes_in_the_code()
    assert {"too_large", "invalid_text", "null_character", "csrf_failed"} <= set(in_code)
    undocumented = sorted(set(in_code) - set(documented))
    assert undocumented == [], "add a row to docs/api.md's table of error codes"
    wrong_status = sorted(code for code, statuses in in_code.items()
                          if statuses - {""} - documented[code])
    assert wrong_status == []
    shared = {"bad_request": "400", "csrf_failed": "403", "not_found": "404",
              "method_not_allowed": "405", "invalid": "422", "not_authenticated": "401",
              "permission_denied": "403", "server_error": "500"}
    assert all(status in documented.get(code, set()) for code, status in shared.items())
