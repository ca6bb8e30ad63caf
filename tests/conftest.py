"""Test setup shared by the whole suite: the real registry loaded once per session, personas."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from django.test.signals import setting_changed
from pytest_django import DjangoDbBlocker, Settings
from pytest_django.plugin import blocking_manager_key

from cityhall.core import localcache
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS
from tests.factories import Personas, WardTeam, personas, ward_team
from tests.reports_support import categories

if TYPE_CHECKING:
    from playwright.sync_api import Browser


#: Set once the session's test database exists and holds the registry.
_DATABASE_READY: list[bool] = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Load the real HCMC registry (168 units, legacy units, departments) into the test DB."""
    with django_db_blocker.unblock():
        call_command("load_units", verbosity=0)
    _DATABASE_READY.append(True)
    yield


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a test that uses the database: the registry is there, loaded again if a flush
    emptied it.

    pytest-django empties every table after a transactional test. In one process it runs
    those tests last; spread over xdist workers (`make test`), a worker may run one before
    another file's tests, which expect the session's registry and the migrations' seed. One
    cheap query per test finds out; the load (outside any test transaction, so it stays)
    happens only after a flush.
    """
    uses_database = ("django_db_setup" in getattr(item, "fixturenames", ())
                     or item.get_closest_marker("django_db") is not None)
    if not _DATABASE_READY or not uses_database:
        return
    from cityhall.orgunits.models import Unit

    with item.config.stash[blocking_manager_key].unblock():
        if not Unit.objects.exists():
            call_command("load_units", verbosity=0)
            _seed_as_the_migrations_do()


def _seed_as_the_migrations_do() -> None:
    """Put back the rows the data migrations seed (the document types of Decree 30), with
    the migrations' own functions, which a flush has emptied too."""
    from django.apps import apps

    document_types = import_module("cityhall.documents.migrations.0002_document_types")
    document_types.seed(apps, None)


@pytest.fixture(scope="session", autouse=True)
def _own_demo_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test process signs with a DEMO PKI of its own: parallel workers making the demo
    CA at the same moment under var/pki would each make one, and sign with keys the other
    CA never issued."""
    with override_settings(CITYHALL_SIGNING_DEMO_DIR=tmp_path_factory.mktemp("pki")):
        yield


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """The .po catalogues compiled once per session, and Django told to reload them.

    Pages and messages are asserted in Vietnamese, and pytest may run without `make`.
    """
    call_command("compile_catalogues")
    setting_changed.send(sender=None, setting="LOCALE_PATHS",
                         value=django_settings.LOCALE_PATHS, enter=True)


@pytest.fixture
def committed_registry(transactional_db: None) -> None:
    """The registry, committed, for a test whose data must be seen by other connections.

    pytest-django empties every table after a transactional test (and runs those tests
    last), so each of them loads the registry itself instead of trusting the session's.
    """
    call_command("load_units", verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_request_counters() -> Iterator[None]:
    """Each test starts with empty request-limit counters (they live in the cache) and
    empty process caches (what they kept may be rows the last test rolled back)."""
    cache.clear()
    localcache.clear_all()
    yield


@pytest.fixture
def people(db: None) -> Personas:
    """The personas of `tests.factories.personas`: leader, officer, outsider and the others.

    A test that also needs `committed_registry` names it first, so the registry the
    personas are placed in is loaded before them.
    """
    return personas()


@pytest.fixture
def reports_ready(db: None, settings: Settings, tmp_path: Path) -> None:
    """The report categories loaded, and uploaded files kept in the test's own folder."""
    settings.MEDIA_ROOT = str(tmp_path)
    categories()


@pytest.fixture
def team(reports_ready: None) -> WardTeam:
    """`tests.factories.ward_team`: Phường Thủ Đức's staff, a neighbour's, a resident and a
    business, with the report categories loaded."""
    return ward_team()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium (Debian's) for a module of browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: CITYHALL_SCREENSHOTS when set (to look at them), else the
    test's own folder."""
    folder = Path(os.environ.get("CITYHALL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
