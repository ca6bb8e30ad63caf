"""Demo plans for `make run`: the city's digital-transformation plan in its two phases.

The plan follows the published Plan 02-KH/BCĐTW of the Central Steering Committee (19 June
2025) as the city carries it out: an urgent phase until 30 June 2025, around the merger of
the three provinces and the new two-level local government from 1 July 2025, and a
breakthrough phase until 31 December 2025. Tasks, units and dates are demo data written to
tell that story; progress and extensions are reported through the real services, dated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from cityhall.accounts.models import User
from cityhall.orgunits.models import Unit, UnitKind
from cityhall.plans import services
from cityhall.plans.models import Field, Plan, Task

TITLE = ("Kế hoạch thúc đẩy chuyển đổi số liên thông, đồng bộ, nhanh, hiệu quả đáp ứng yêu cầu "
         "sắp xếp tổ chức bộ máy của hệ thống chính trị Thành phố")
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.date


@dataclass(frozen=True)
class DemoTask:
    key: str
    title: str
    lead: str  # a unit code, or a ward's name
    start: dt.date
    due: dt.date
    phase: int  # 0: urgent, 1: breakthrough
    person: str = ""
    helping: tuple[str, ...] = ()
    after: tuple[tuple[str, int], ...] = ()
    parent: str = ""
    weight: int = 1
    # (day, percent): progress reported on that day (100: done on that day).
    progress: tuple[tuple[dt.date, int], ...] = ()
    # (asked on, new due, reason, approved)
    extension: tuple[dt.date, dt.date, str, bool] | None = None
    description: str = ""
    cancelled: bool = field(default=False)


TASKS = (
    DemoTask("network", "Kết nối mạng truyền số liệu chuyên dùng đến 168 phường, xã, đặc khu mới",
             "79-TTCDS", D(2025, 6, 2), D(2025, 6, 25), 0, helping=("79-SKHCN",),
             progress=((D(2025, 6, 12), 60), (D(2025, 6, 24), 100))),
    DemoTask("codes", "Cấp mã định danh điện tử cho các cơ quan, đơn vị mới",
             "79-SKHCN", D(2025, 6, 9), D(2025, 6, 20), 0, helping=("79-SNV",),
             progress=((D(2025, 6, 19), 100),)),
    DemoTask("procedures", "Rà soát, chuẩn hóa thủ tục hành chính theo mô hình chính quyền hai cấp",
             "79-VP", D(2025, 6, 2), D(2025, 6, 27), 0, helping=("79-STP",),
             progress=((D(2025, 6, 16), 50), (D(2025, 6, 27), 100))),
    DemoTask("portal", "Hợp nhất cổng dịch vụ công và hệ thống thông tin giải quyết thủ tục "
             "hành chính của ba tỉnh, thành", "79-TTCDS", D(2025, 6, 16), D(2025, 6, 30), 0,
             after=(("codes", 0), ("procedures", 0)), helping=("79-VP",),
             progress=((D(2025, 6, 30), 100),)),
    DemoTask("documents", "Triển khai hệ thống quản lý văn bản và điều hành đến cấp xã",
             "79-SKHCN", D(2025, 6, 23), D(2025, 6, 30), 0, after=(("network", 0),),
             progress=((D(2025, 6, 30), 80), (D(2025, 7, 4), 100))),
    DemoTask("video", "Hội nghị truyền hình trực tuyến đến tất cả các đơn vị",
             "79-TTCDS", D(2025, 6, 26), D(2025, 6, 30), 0, after=(("network", 0),),
             progress=((D(2025, 6, 30), 100),)),
    DemoTask("training", "Tập huấn cán bộ phường sử dụng các hệ thống dùng chung",
             "79-SNV", D(2025, 7, 7), D(2025, 8, 29), 1, person="leader.snv",
             after=(("documents", 3),)),
    DemoTask("training-saigon", "Tập huấn tại Phường Sài Gòn", "Phường Sài Gòn",
             D(2025, 7, 7), D(2025, 7, 25), 1, parent="training", person="officer.saigon",
             progress=((D(2025, 7, 24), 100),)),
    DemoTask("training-thuduc", "Tập huấn tại Phường Thủ Đức", "Phường Thủ Đức",
             D(2025, 7, 14), D(2025, 8, 8), 1, parent="training", weight=2,
             person="officer.thuduc", progress=((D(2025, 8, 15), 100),)),
    DemoTask("training-ankhanh", "Tập huấn tại Phường An Khánh", "Phường An Khánh",
             D(2025, 7, 21), D(2025, 8, 29), 1, parent="training", person="officer.ankhanh",
             progress=((D(2025, 8, 20), 60),)),
    DemoTask("data", "Xây dựng kho dữ liệu dùng chung của Thành phố", "79-SKHCN",
             D(2025, 7, 7), D(2025, 10, 31), 1, after=(("portal", 5),), helping=("79-TTCDS",),
             progress=((D(2025, 9, 1), 40), (D(2025, 10, 31), 100))),
    DemoTask("digitise-saigon", "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính tại "
             "Phường Sài Gòn", "Phường Sài Gòn", D(2025, 7, 14), D(2025, 12, 15), 1,
             person="officer.saigon", after=(("training-saigon", 0),),
             progress=((D(2025, 10, 1), 50), (D(2025, 12, 10), 100))),
    DemoTask("digitise-thuduc", "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính tại "
             "Phường Thủ Đức", "Phường Thủ Đức", D(2025, 8, 11), D(2025, 12, 15), 1,
             person="officer.thuduc", after=(("training-thuduc", 0),),
             progress=((D(2025, 11, 3), 35), (D(2026, 6, 1), 70)),
             extension=(D(2025, 12, 1), D(2026, 12, 31), "Khối lượng hồ sơ tồn đọng của "
                        "ba phường cũ lớn hơn dự kiến", True)),
    DemoTask("digitise-ankhanh", "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính tại "
             "Phường An Khánh", "Phường An Khánh", D(2025, 9, 1), D(2025, 12, 15), 1,
             person="officer.ankhanh", after=(("training-ankhanh", 0),),
             progress=((D(2025, 11, 20), 45),),
             extension=(D(2025, 12, 5), D(2026, 6, 30), "Thiếu máy quét", False)),
    DemoTask("app", "Ứng dụng công dân số của Thành phố: tích hợp dịch vụ công và phản ánh "
             "hiện trường", "79-TTCDS", D(2025, 11, 3), D(2025, 12, 31), 1,
             after=(("data", 0),), progress=((D(2025, 12, 20), 60),),
             extension=(D(2025, 12, 22), D(2027, 3, 31), "Chờ kết nối Cơ sở dữ liệu quốc gia "
                        "về dân cư", True)),
    DemoTask("assessment", "Đánh giá mức độ chuyển đổi số của các phường, xã, đặc khu năm 2025",
             "79-SNV", D(2025, 12, 1), D(2025, 12, 31), 1, person="leader.snv",
             after=(("digitise-saigon", 0),), helping=("79-SKHCN",)),
)


def _unit(ref: str) -> Unit:
    if ref.startswith("79"):
        return Unit.objects.active_on().get(code=ref)
    return Unit.objects.active_on().get(name=ref, kind__in=[UnitKind.WARD, UnitKind.COMMUNE])


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(16), tzinfo=HCM)


def load_demo_plans() -> int:
    """Create the demo plan with its tasks, links, progress and extensions, unless it exists."""
    leader = User.objects.get(username="city.leader")
    city = leader.memberships.active_on().get().unit
    if Plan.objects.filter(title=TITLE, owner_unit=city).exists():
        return 0
    plan = services.create_plan(
        actor=leader, title=TITLE, owner_unit=city, document_number="02-KH/BCĐTW",
        document_date="19/6/2025",
        fields=[Field.DIGITAL_TRANSFORMATION, Field.ADMINISTRATIVE_REFORM],
        phases=[services.PhaseIn("Giai đoạn cao điểm", D(2025, 6, 30)),
                services.PhaseIn("Giai đoạn bứt phá", D(2025, 12, 31))])
    phases = list(plan.phases.order_by("deadline"))
    made: dict[str, Task] = {}
    people = {u.username: u for u in User.objects.filter(
        username__in={t.person for t in TASKS if t.person})}
    for spec in TASKS:
        made[spec.key] = services.create_task(
            actor=leader, plan=plan, title=spec.title, lead_unit=_unit(spec.lead),
            start=spec.start, due=spec.due, phase=phases[spec.phase],
            description=spec.description, weight=spec.weight,
            coordinating_units=[_unit(code) for code in spec.helping],
            person_in_charge=people.get(spec.person), parent=made.get(spec.parent),
            depends_on=[(made[key], lag) for key, lag in spec.after])
    for spec in TASKS:
        task = made[spec.key]
        reporter = people.get(spec.person) or leader
        if spec.extension:
            asked_on, new_due, reason, approved = spec.extension
            request = services.request_extension(actor=reporter, task=task, new_due=new_due,
                                                  reason=reason, now=_at(asked_on))
            services.decide_extension(actor=leader, request=request, approve=approved,
                                      now=_at(asked_on + dt.timedelta(days=3)))
            task.refresh_from_db()
        for day, percent in spec.progress:
            services.report_progress(actor=reporter, task=task, percent=percent, now=_at(day))
    return 1 + len(made)
