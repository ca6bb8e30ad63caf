"""The Gantt chart in a real Chromium: the plan's leader drags a task's end date and it is
saved through the API; a ward officer sees it read-only and the API refuses their change."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from pytest_django import Settings

from cityhall.core.models import AuditEntry
from cityhall.plans.demo import TITLE, TITLE_57
from cityhall.plans.models import Plan, Task
from tests.browser_support import BROWSER_TESTS, DESKTOP, Page, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS

ASSESSMENT = "Đánh giá mức độ chuyển đổi số của các phường, xã, đặc khu năm 2025"


@pytest.fixture
def site(committed_registry: None, live_server: LiveServer, settings: Settings) -> str:
    """The live server with the demo people and the demo plan."""
    return serve(live_server, settings, None, "load_workflows", "load_demo", "load_demo_plans",
                 translated=True)


def _chart(tab: Page, site: str, plan: Plan) -> None:
    tab.page.goto(f"{site}/ke-hoach/{plan.pk}/")
    tab.page.wait_for_selector("#gantt[data-ready='1']")


def test_the_leader_drags_an_end_date_and_it_is_saved(browser: Browser, site: str) -> None:
    plan = Plan.objects.get(title=TITLE)
    task = Task.objects.get(title=ASSESSMENT)
    tab = Page(browser, site, DESKTOP)
    tab.sign_in("city.leader")
    _chart(tab, site, plan)
    page = tab.page
    bars = page.locator("#gantt .bar-wrapper")
    assert bars.count() == Task.objects.filter(plan=plan).count() + plan.phases.count()
    assert page.locator("#gantt .bar-wrapper.milestone").count() == 2
    assert page.locator("#gantt .bar-wrapper[class*='--critical']").count() >= 3
    assert page.locator("#gantt .bar-wrapper[class*='s-overdue']").count() >= 2
    assert page.locator("#gantt .arrow path, #gantt path.arrow").count() >= 10
    assert not tab.errors and not tab.outside
    if shots := os.environ.get("CITYHALL_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/plan-gantt-week.png", full_page=True)
    bar = page.locator(f"#gantt .bar-wrapper[data-id='{task.pk}']")
    bar.scroll_into_view_if_needed()
    box = bar.locator(".bar").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    handle = bar.locator(".handle.right").bounding_box()
    assert handle is not None
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    # Week view: a column is `step` days wide; three days' width right is three days later.
    per_day = float(page.evaluate(
        "window.cityhallGantt.config.column_width / window.cityhallGantt.config.step"))
    page.mouse.move(x + per_day * 3, y, steps=8)
    page.mouse.up()
    page.wait_for_timeout(1000)
    task.refresh_from_db()
    assert task.due.isoformat() == "2026-01-03"
    assert AuditEntry.objects.filter(action="plans.task_reschedule").count() == 1
    if shots:
        page.click(".gantt-modes [data-mode='Month']")
        page.wait_for_timeout(300)
        page.screenshot(path=f"{shots}/plan-gantt-month.png", full_page=True)
    tab.close()


def test_a_ward_officer_sees_the_chart_read_only_and_is_refused(
        browser: Browser, site: str) -> None:
    plan = Plan.objects.get(title=TITLE)
    task = Task.objects.get(title="Tập huấn tại Phường Sài Gòn")
    before = (task.start, task.due)
    tab = Page(browser, site, DESKTOP)
    tab.sign_in("officer.saigon")
    _chart(tab, site, plan)
    page = tab.page
    assert page.locator("#gantt .bar-wrapper").count() == 2 + 2  # the ward's two, two phases
    assert page.locator("#gantt .handle.right").count() == 0  # nothing to drag
    bar = page.locator(f"#gantt .bar-wrapper[data-id='{task.pk}'] .bar")
    box = bar.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 5, steps=8)
    page.mouse.up()
    # Even a hand-made request is refused by the API.
    status = page.evaluate(
        """([id, token]) => fetch('/api/v1/tasks/' + id + '/schedule', {method: 'PUT',
             credentials: 'same-origin', headers: {'Content-Type': 'application/json',
             'X-CSRFToken': token}, body: JSON.stringify({start: '2025-07-08',
             end: '2025-07-30'})}).then(r => r.status)""",
        [task.pk, page.evaluate(
            "JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")])
    assert status == 403
    task.refresh_from_db()
    assert (task.start, task.due) == before
    if shots := os.environ.get("CITYHALL_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/plan-gantt-officer.png", full_page=True)
    assert not tab.errors
    tab.close()


def test_a_large_chart_is_drawn_in_slices_and_shows_targets(browser: Browser, site: str) -> None:
    plan = Plan.objects.get(title=TITLE_57)
    first = Task.objects.filter(plan=plan).order_by("start", "pk").first()
    assert first is not None
    Task.objects.bulk_create(
        Task(plan=plan, owner_unit=plan.owner_unit, lead_unit=first.lead_unit,
             title=f"Nhiệm vụ bổ sung {i}", start=first.start, due=first.due)
        for i in range(300))
    tab = Page(browser, site, DESKTOP)
    tab.sign_in("city.leader")
    _chart(tab, site, plan)
    page = tab.page
    rows = Task.objects.filter(plan=plan).count() + plan.phases.count()
    assert page.locator("#gantt .bar-wrapper").count() == 250
    picker = page.locator(".gantt-slice-pick select")
    assert picker.is_visible() and picker.locator("option").count() == 2
    disburse = Task.objects.get(plan=plan, title__startswith="Giải ngân vốn đầu tư công cho "
                                "các dự án chuyển đổi số năm 2025")
    label = page.locator(f"#gantt .bar-wrapper[data-id='{disburse.pk}'] .bar-label")
    assert "1.014.000.000.000 / 1.200.000.000.000 VND" in (label.text_content() or "")
    picker.select_option("1")
    page.wait_for_function("document.getElementById('gantt').dataset.slice === '1'")
    assert page.locator("#gantt .bar-wrapper").count() == rows - 250
    assert not tab.errors and not tab.outside
    if shots := os.environ.get("CITYHALL_SCREENSHOTS"):
        picker.select_option("0")
        page.screenshot(path=f"{shots}/plan-gantt-r57.png", full_page=False)
    tab.close()
