"""The workflow admin: calendar days written by the services and audited; the rest read-only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.workflow import services
from cityhall.workflow.calendar_data import clear_cache, current_calendar
from cityhall.workflow.definitions import load_all
from cityhall.workflow.models import CalendarException, WorkflowDefinition
from tests import admin_support

pytestmark = pytest.mark.django_db

# A Monday with nothing special about it, and a Saturday.
MONDAY = dt.date(2026, 6, 15)
SATURDAY = dt.date(2026, 6, 20)


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def admin_client() -> Client:
    return admin_support.admin_client()


def _saved(response: object) -> None:
    assert getattr(response, "status_code", None) == 302


def test_a_day_off_added_in_the_admin_is_audited_and_counts_for_deadlines(
    admin_client: Client,
) -> None:
    assert current_calendar().is_working_day(MONDAY)
    _saved(admin_client.post("/admin/workflow/calendarexception/add/", {
        "date": MONDAY.isoformat(), "kind": "day_off", "name": "Nghỉ bù",
    }))
    day = CalendarException.objects.get(date=MONDAY)
    entry = AuditEntry.objects.get(action="calendar.add_day", object_id=str(day.pk))
    assert entry.actor_label == "root"
    assert entry.changes == {"date": [None, "2026-06-15"], "kind": [None, "day_off"],
                             "name": [None, "Nghỉ bù"]}
    assert not current_calendar().is_working_day(MONDAY)


def test_a_day_changed_in_the_admin_is_audited_before_and_after(admin_client: Client) -> None:
    day = services.add_calendar_day(actor=SYSTEM, date=SATURDAY, kind="day_off", name="Lỗi")
    _saved(admin_client.post(f"/admin/workflow/calendarexception/{day.pk}/change/", {
        "date": SATURDAY.isoformat(), "kind": "working_day", "name": "Làm bù",
    }))
    entry = AuditEntry.objects.get(action="calendar.change_day")
    assert entry.changes == {"kind": ["day_off", "working_day"], "name": ["Lỗi", "Làm bù"]}
    assert current_calendar().is_working_day(SATURDAY)


def test_a_day_deleted_in_the_admin_is_audited_and_the_calendar_forgets_it(
    admin_client: Client,
) -> None:
    day = services.add_calendar_day(actor=SYSTEM, date=MONDAY, kind="day_off", name="Nghỉ")
    assert not current_calendar().is_working_day(MONDAY)
    _saved(admin_client.post(f"/admin/workflow/calendarexception/{day.pk}/delete/",
                             {"post": "yes"}))
    assert not CalendarException.objects.exists()
    entry = AuditEntry.objects.get(action="calendar.remove_day")
    assert (entry.actor_label, entry.object_id) == ("root", str(day.pk))
    assert entry.changes["date"] == ["2026-06-15", None]
    assert current_calendar().is_working_day(MONDAY)


def test_the_bulk_delete_of_days_removes_each_through_the_service(admin_client: Client) -> None:
    days = [services.add_calendar_day(actor=SYSTEM, date=d, kind="day_off", name="Nghỉ")
            for d in (MONDAY, MONDAY + dt.timedelta(days=1))]
    admin_client.post("/admin/workflow/calendarexception/", {
        "action": "delete_selected", "_selected_action": [str(d.pk) for d in days],
        "post": "yes",
    })
    assert not CalendarException.objects.exists()
    assert AuditEntry.objects.filter(action="calendar.remove_day").count() == 2


def test_the_admin_refuses_a_second_exception_on_the_same_day(admin_client: Client) -> None:
    services.add_calendar_day(actor=SYSTEM, date=MONDAY, kind="day_off", name="Nghỉ")
    response = admin_client.post("/admin/workflow/calendarexception/add/", {
        "date": MONDAY.isoformat(), "kind": "working_day", "name": "Làm bù",
    })
    assert response.status_code == 200
    assert CalendarException.objects.count() == 1
    with pytest.raises(ValidationError):
        services.add_calendar_day(actor=SYSTEM, date=MONDAY, kind="working_day", name="x")
    with pytest.raises(ValidationError):
        services.add_calendar_day(actor=SYSTEM, date=SATURDAY, kind="holiday", name="x")
    assert AuditEntry.objects.filter(action="calendar.add_day").count() == 1


def test_the_calendar_cache_is_emptied_again_after_commit(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.add_calendar_day(actor=SYSTEM, date=MONDAY, kind="day_off", name="Nghỉ")
    assert clear_cache in callbacks


def test_workflow_definitions_and_transitions_are_read_only(admin_client: Client) -> None:
    load_all()
    definition = WorkflowDefinition.objects.first()
    assert definition is not None
    page = f"/admin/workflow/workflowdefinition/{definition.pk}/"
    assert admin_client.get(f"{page}change/").status_code == 200
    assert admin_client.post(f"{page}change/", {"title": "x"}).status_code == 403
    assert admin_client.post(f"{page}delete/", {"post": "yes"}).status_code == 403
    assert WorkflowDefinition.objects.filter(pk=definition.pk).exists()
    assert admin_client.get("/admin/workflow/transition/add/").status_code == 403
