"""`GET /healthz`: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_reports_ok_when_the_database_answers() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_it_reports_503_when_the_database_fails() -> None:
    with mock.patch("cityhall.core.views.connection.cursor",
                    side_effect=OperationalError("connection refused")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_it_refuses_other_methods() -> None:
    assert Client().post("/healthz").status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/api/v1/units?q=sai%00gon", {}),
        ("get", "/api/v1/units/26740%00", {}),
        ("patch", "/api/v1/me", {"data": '{"language": "v\\u0000i"}',
                                 "content_type": "application/json"}),
    ],
)
def test_it_refuses_nul_characters_with_a_json_400(
    client: Client, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 400
    assert response.json()["code"] == "null_character"


@pytest.mark.django_db
def test_a_json_body_that_merely_mentions_backslash_u0000_passes(client: Client) -> None:
    # An escaped backslash followed by "u0000" is ordinary text, not a NUL character: the
    # request reaches the API, which answers for itself (here: not signed in).
    response = client.patch(
        "/api/v1/me", data='{"language": "\\\\u0000"}', content_type="application/json"
    )
    assert response.json()["code"] != "null_character"
