"""A task's follow-up in a real Chromium: the chart opens on the task overdue the longest and
filters to the late tasks; a ward officer uploads evidence and asks for an extension, the
plan's leader approves it from the list of requests, and the chart follows the new date."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone
from pytest_django import Settings

from cityhall.plans.demo import TITLE, TITLE_57
from cityhall.plans.models import Decision, Evidence, ExtensionRequest, Plan, Task
from tests.browser_support import BROWSER_TESTS, DESKTOP, Page, serve
from tests.files_support import pdf

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS

AN_KHANH_TRAINING = "Tập huấn tại Phường An Khánh"


@pytest.fixture
def site(committed_registry: None, live_server: LiveServer, settings: Settings,
         tmp_path: Path) -> str:
    """The live server with the demo people and plans; files kept in the test's folder."""
    return serve(live_server, settings, tmp_path, "load_workflows", "load_demo",
                 "load_demo_plans", translated=True)


def _chart(tab: Page, site: str, plan: Plan, query: str = "") -> None:
    tab.page.goto(f"{site}/ke-hoach/{plan.pk}/{query}")
    tab.page.wait_for_selector("#gantt[data-ready='1']")


def _longest_overdue(plan: Plan) -> Task:
    today = timezone.localdate()
    late = [t for t in Task.objects.filter(plan=plan) if t.status_on(today) == "overdue"]
    return min(late, key=lambda t: (t.due, t.start, t.pk))


def _in_sight(tab: Page, task_id: int) -> bool:
    """Whether the task's bar starts or carries its name within the chart's visible width."""
    return bool(tab.page.evaluate("""(id) => {
      const box = window.cityhallGantt.$container, bar = document.querySelector(
        '#gantt .bar-wrapper[data-id="' + id + '"]');
      const left = box.scrollLeft, right = left + box.clientWidth;
      const x = Number(bar.querySelector('.bar').getAttribute('x'));
      const label = bar.querySelector('.bar-label').getBBox();
      return (x >= left && x < right) || (label.x >= left && label.x + label.width <= right);
    }""", task_id))


def test_the_chart_opens_on_the_task_overdue_the_longest_and_filters_the_late(
        browser: Browser, site: str, shots: Path) -> None:
    tab = Page(browser, site, DESKTOP)
    tab.sign_in("city.leader")
    page = tab.page
    for title, mode in ((TITLE_57, "Month"), (TITLE, "Week")):
        plan = Plan.objects.get(title=title)
        focus = _longest_overdue(plan)
        _chart(tab, site, plan)
        page.wait_for_timeout(300)
        assert page.get_attribute("#gantt", "data-focus") == str(focus.pk)
        assert page.locator(f'#gantt .bar-wrapper.gantt-focus[data-id="{focus.pk}"]').count() == 1
        assert _in_sight(tab, focus.pk), title
        note = page.locator(".gantt-focus-note")
        assert note.is_visible() and focus.title in note.inner_text()
        # A plan of year-long programmes opens by month, one of weeks-long tasks by week.
        assert page.get_attribute(f".gantt-modes [data-mode='{mode}']", "aria-pressed") == "true"
        page.screenshot(path=str(shots / f"plan-{plan.pk}-opening.png"))
        # Late only: every bar drawn is overdue or done late; fewer than the whole plan.
        page.click(".gantt-late-toggle")
        page.wait_for_selector("#gantt[data-ready='1']")
        bars = page.locator("#gantt .bar-wrapper:not(.milestone)")
        late = page.locator("#gantt .bar-wrapper[class*='s-overdue'], "
                            "#gantt .bar-wrapper[class*='s-done_late']")
        assert 0 < bars.count() == late.count() < Task.objects.filter(plan=plan).count()
        assert page.get_attribute(".gantt-late-toggle", "aria-pressed") == "true"
        page.screenshot(path=str(shots / f"plan-{plan.pk}-late.png"))
    assert not tab.errors and not tab.outside


def test_the_officer_uploads_evidence_asks_an_extension_and_the_leader_approves_it(
        browser: Browser, site: str, shots: Path, tmp_path: Path) -> None:
    task = Task.objects.get(title=AN_KHANH_TRAINING)
    plan = task.plan
    assert plan is not None and task.status_on(timezone.localdate()) == "overdue"
    officer = Page(browser, site, DESKTOP)
    officer.sign_in("officer.ankhanh")
    page = officer.page
    page.goto(f"{site}/nhiem-vu/{task.pk}/")
    report = tmp_path / "bien-ban-tap-huan.pdf"
    report.write_bytes(pdf(2))
    page.set_input_files(".evidence-file-form input[type=file]", str(report))
    page.fill(".evidence-file-form textarea", "Biên bản tập huấn đợt 1")
    page.click(".evidence-file-form button[type=submit]")
    page.wait_for_selector(".evidence-item[data-kind='file']")
    assert "bien-ban-tap-huan.pdf" in page.inner_text(".evidence-list")
    with page.expect_download() as download:
        page.click(".evidence-item[data-kind='file'] a")
    assert Path(download.value.path()).read_bytes() == pdf(2)
    page.click(".extension-form summary")
    new_due = timezone.localdate() + dt.timedelta(days=60)
    page.fill("#id_due", new_due.isoformat())
    page.fill("#id_reason", "Chờ bố trí phòng máy cho đợt 2")
    page.click(".extension-form button[type=submit]")
    page.wait_for_selector(".extension-waiting")
    page.screenshot(path=str(shots / "task-evidence-extension-asked.png"), full_page=True)
    assert Evidence.objects.filter(task=task).count() == 1

    leader = Page(browser, site, DESKTOP)
    leader.sign_in("city.leader")
    lpage = leader.page
    _chart(leader, site, plan)
    lpage.click(".gantt-extensions")
    lpage.wait_for_url("**/ke-hoach/gia-han/")
    assert task.title in lpage.inner_text(".extension-queue")
    lpage.fill(".extension-queue textarea", "Đồng ý, hoàn thành trước hạn mới")
    lpage.click(".extension-queue button[value=approve]")
    lpage.wait_for_selector(".empty")
    asked = ExtensionRequest.objects.get(task=task, decision=Decision.APPROVED)
    assert asked.asked_due == new_due and asked.decided_by is not None
    # The chart follows the approved date: the bar is no longer overdue.
    _chart(leader, site, plan)
    bar = lpage.locator(f'#gantt .bar-wrapper[data-id="{task.pk}"]')
    assert "s-in_progress" in (bar.get_attribute("class") or "")
    lpage.goto(f"{site}/nhiem-vu/{task.pk}/#extensions")
    assert lpage.locator(".extension-history tr[data-decision='approved']").count() == 1
    lpage.screenshot(path=str(shots / "task-extension-approved.png"), full_page=True)
    assert not officer.errors and not leader.errors
    assert not officer.outside and not leader.outside
    if os.environ.get("CITYHALL_SCREENSHOTS"):
        print("screenshots in", shots)


def test_a_large_chart_opens_on_the_slice_that_holds_the_late_task(
        browser: Browser, site: str) -> None:
    plan = Plan.objects.get(title=TITLE)
    first_phase = plan.phases.order_by("deadline").first()
    assert first_phase is not None
    later = timezone.localdate() + dt.timedelta(days=30)
    # 300 tasks not started, in the first phase: the overdue ones of the second phase are
    # drawn from row 307 on, in the second slice of 250 rows.
    Task.objects.bulk_create(
        Task(plan=plan, owner_unit=plan.owner_unit, lead_unit=plan.owner_unit,
             phase=first_phase, title=f"Việc chưa bắt đầu {i}", start=later,
             due=later + dt.timedelta(days=10))
        for i in range(300))
    focus = _longest_overdue(plan)
    tab = Page(browser, site, DESKTOP)
    tab.sign_in("city.leader")
    _chart(tab, site, plan)
    page = tab.page
    assert page.get_attribute("#gantt", "data-slice") == "1"
    assert page.input_value(".gantt-slice-pick select") == "1"
    assert page.locator(f'#gantt .bar-wrapper.gantt-focus[data-id="{focus.pk}"]').count() == 1
    assert _in_sight(tab, focus.pk)
    # Its row is in sight too: the chart scrolled down to it inside its box.
    assert page.evaluate("""(id) => {
      const holder = document.getElementById('gantt').getBoundingClientRect();
      const bar = document.querySelector('#gantt .bar-wrapper[data-id="' + id + '"]')
        .getBoundingClientRect();
      return bar.top >= holder.top && bar.bottom <= holder.bottom;
    }""", focus.pk)
    assert not tab.errors and not tab.outside
