"""`GET /healthz` (liveness) and `GET /readyz` (readiness): 200, or 503 saying what failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings
from pytest_django import Settings

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


#: The storage production uses (settings.py with DEBUG=0); the tests run with DEBUG=1.
PRODUCTION_STORAGES = {
    **django_settings.STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def production_static(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A STATIC_ROOT built by `collectstatic` with the production storage, once per module."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STORAGES=PRODUCTION_STORAGES, STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
    yield root


def production(settings: Settings, static_root: Path) -> None:
    """Serve static files as production does, from `static_root`."""
    settings.STORAGES = PRODUCTION_STORAGES
    settings.STATIC_ROOT = static_root


def test_it_is_ready_with_the_production_static_build(
    settings: Settings, production_static: Path
) -> None:
    production(settings, production_static)
    response = Client().get("/readyz")
    assert response.json() == {
        "status": "ok", "failed": [], "detail": {},
        "checks": {"database": "ok", "migrations": "ok", "static": "ok"},
    }
    assert response.status_code == 200
    assert "max-age=0" in response["Cache-Control"]
    # The manifest storage renders the pages' assets (it raised on a missing entry, issue #8).
    assert Client().get("/").status_code == 200


def test_it_is_not_ready_without_a_static_manifest(
    settings: Settings, tmp_path: Path
) -> None:
    production(settings, tmp_path)  # collectstatic never ran (or failed) here
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["static"]
    assert response.json()["checks"]["static"] == "manifest_missing"
    assert "collectstatic" in response.json()["detail"]["static"]


def test_it_is_not_ready_when_a_static_file_is_missing_from_the_manifest(
    settings: Settings, production_static: Path, tmp_path: Path
) -> None:
    # A release brings a new static file, but collectstatic was not run again.
    (tmp_path / "cityhall").mkdir()
    (tmp_path / "cityhall" / "added-later.css").write_text("body { color: black; }\n")
    production(settings, production_static)
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, tmp_path]
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["static"] == "manifest_incomplete"
    assert "cityhall/added-later.css" in response.json()["detail"]["static"]


def test_it_is_not_ready_while_a_migration_is_unapplied() -> None:
    recorder = MigrationRecorder(connection)
    last = recorder.migration_qs.filter(app="reports").order_by("-id").first()
    assert last is not None
    last.delete()  # as if the release's newest migration had not been run yet
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["migrations"]
    assert response.json()["checks"] == {
        "database": "ok", "migrations": "unapplied", "static": "ok"}
    assert f"reports.{last.name}" in response.json()["detail"]["migrations"]


def test_it_is_not_ready_when_the_database_fails() -> None:
    with mock.patch("cityhall.core.views.connection.cursor",
                    side_effect=OperationalError("connection refused")):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database", "migrations"]
    assert response.json()["checks"] == {
        "database": "unreachable", "migrations": "unchecked", "static": "ok"}


def test_readiness_refuses_other_methods() -> None:
    assert Client().post("/readyz").status_code == 405
