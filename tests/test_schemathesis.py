"""A bounded, deterministic schemathesis run over the whole API: no 5xx, no schema break."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from cityhall.wsgi import application
from tests.factories import Personas, bearer

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

# The OpenAPI document the API serves, driven through the WSGI app in-process.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """Do what Django's test client does: keep the request signals off the connection.

    Called as a bare WSGI app, Django closes a connection that is not in autocommit at the
    end of each request, which on PostgreSQL ends the test's transaction.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token_headers(people: Personas) -> Iterator[dict[str, str]]:
    """The ward leader persona signed in with a bearer token, so scoped endpoints return data."""
    yield bearer(people.leader)


@schema.parametrize()
@FUZZ
@pytest.mark.django_db
def test_api_anonymous(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@FUZZ
@pytest.mark.django_db
def test_api_signed_in(case: Any, token_headers: dict[str, str]) -> None:
    case.call_and_validate(checks=CHECKS, headers=token_headers)

