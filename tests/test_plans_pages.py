"""The plans' demo data and pages: the chart, the printable table, the queue, the list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client

from cityhall.accounts.models import User
from cityhall.notifications.links import links_for
from cityhall.notifications.models import Notification
from cityhall.plans import services
from cityhall.plans.demo import TITLE
from cityhall.plans.gantt import gantt_data
from cityhall.plans.models import Plan, Task


@pytest.fixture
def demo(db: None) -> Plan:
    call_command("load_demo", verbosity=0)
    call_command("load_demo_plans", verbosity=0)
    return Plan.objects.get(title=TITLE)


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_the_demo_plan_tells_who_is_late(demo: Plan) -> None:
    assert demo.phases.count() == 2
    data = gantt_data(demo, User.objects.get(username="city.leader"), dt.date(2026, 11, 30))
    status = {t["title"]: t["status"] for t in data["tasks"]}
    assert status["Hội nghị truyền hình trực tuyến đến tất cả các đơn vị"] == "done_on_time"
    assert status["Triển khai hệ thống quản lý văn bản và điều hành đến cấp xã"] == "done_late"
    assert status["Tập huấn tại Phường An Khánh"] == "overdue"
    assert status["Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính tại Phường Thủ Đức"] \
        == "in_progress"  # extended to the end of 2026
    training = next(t for t in data["tasks"] if t["title"].startswith("Tập huấn cán bộ"))
    assert training["progress"] == 90.0  # (100 + 2 x 100 + 60) / 4
    assert any(t["critical"] for t in data["tasks"])
    # Running it again adds nothing.
    call_command("load_demo_plans", verbosity=0)
    assert Plan.objects.count() == 2


def test_the_chart_page_is_editable_for_the_plans_leader_only(demo: Plan) -> None:
    url = f"/ke-hoach/{demo.pk}/"
    page = signed_in("city.leader").get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "vendor/frappe-gantt/frappe-gantt.umd.js" in text
    assert '"editable": true' in text
    ward = signed_in("officer.saigon").get(url).content.decode()
    assert '"editable": false' in ward
    assert "Phường Thủ Đức" not in ward.split('id="gantt-data"')[1]  # only the ward's tasks
    assert signed_in("officer.sxd").get(url).status_code == 404  # no task of theirs
    assert Client().get(url).status_code == 302


def test_the_printable_table_and_the_list(demo: Plan) -> None:
    table = signed_in("city.leader").get(f"/ke-hoach/{demo.pk}/bang/").content.decode()
    assert table.count('<tr id="task-') == Task.objects.filter(plan=demo).count()
    assert "Giai đoạn bứt phá" in table
    listing = signed_in("city.leader").get("/ke-hoach/").content.decode()
    assert TITLE in listing
    assert TITLE not in signed_in("officer.sxd").get("/ke-hoach/").content.decode()


def test_a_task_given_now_reaches_the_ward_officers_queue_and_bell(demo: Plan) -> None:
    leader = User.objects.get(username="city.leader")
    officer = User.objects.get(username="officer.ankhanh")
    made = services.assign_now(actor=leader, title="Báo cáo tiến độ số hóa ngay",
                               working_days=3, person=officer)
    queue = signed_in("officer.ankhanh").get("/nhiem-vu/?mine=1").content.decode()
    assert "Báo cáo tiến độ số hóa ngay" in queue
    notice = Notification.objects.get(recipient=officer)
    assert links_for(officer, [notice]) == {notice.pk: "/nhiem-vu/"}
    assert made.task.owner_unit.code == "79"


def test_a_leader_assigns_now_from_the_queue_and_the_officer_sees_it(demo: Plan) -> None:
    leader = signed_in("leader.ankhanh")
    page = leader.get("/nhiem-vu/").content.decode()
    assert "Giao việc ngay" in page and 'name="working_days"' in page
    form = {"title": "Báo cáo nhanh tình hình số hóa", "unit": Task.objects.filter(
        title="Tập huấn tại Phường An Khánh").get().lead_unit.code, "person": "officer.ankhanh",
        "working_days": "2", "description": "", "idempotency_key": "form-1"}
    answer = leader.post("/nhiem-vu/giao-ngay/", form)
    assert answer.status_code == 302
    assert leader.post("/nhiem-vu/giao-ngay/", form).status_code == 302  # a double click
    assert Task.objects.filter(title="Báo cáo nhanh tình hình số hóa").count() == 1
    queue = signed_in("officer.ankhanh").get("/nhiem-vu/?mine=1").content.decode()
    assert "Báo cáo nhanh tình hình số hóa" in queue
    assert "Giao việc ngay" not in queue  # an officer leads nothing
    refused = leader.post("/nhiem-vu/giao-ngay/", {**form, "idempotency_key": "form-2",
                                                   "person": "officer.saigon"})
    assert refused.status_code == 400
    assert "không công tác tại" in refused.content.decode()
    assert Task.objects.filter(title="Báo cáo nhanh tình hình số hóa").count() == 1
