"""Demo plans for `make run`: the city's digital-transformation plan in its two phases, and
its plan for Resolution 57 on science, technology, innovation and digital transformation.

The plan follows the published Plan 02-KH/BCĐTW of the Central Steering Committee (19 June
2025) as the city carries it out: an urgent phase until 30 June 2025, around the merger of
the three provinces and the new two-level local government from 1 July 2025, and a
breakthrough phase until 31 December 2025. Tasks, units and dates are demo data written to
tell that story; progress and extensions are reported through the real services, dated.

Resolution 57-NQ/TW of the Politburo (22 December 2024) asks for breakthroughs in science,
technology, innovation and national digital transformation: at least 3 % of the budget for
them, full online public services, a shared data centre, 5G everywhere, digital skills for
everyone ("Bình dân học vụ số"), start-ups and research with enterprises. The city's plan
below carries those themes in 2025 and 2026, with numeric targets (disbursement in VND,
shares in %, people trained) and the values reported against them. Demo data, not records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
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
    # (value, measure, by): a numeric target, and (day, running total) values reported.
    target: tuple[Decimal, str, dt.date] | None = None
    values: tuple[tuple[dt.date, Decimal], ...] = ()


@dataclass(frozen=True)
class DemoPlan:
    title: str
    number: str
    date: str
    fields: tuple[str, ...]
    phases: tuple[tuple[str, dt.date], ...]
    tasks: tuple[DemoTask, ...]


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


TITLE_57 = ("Kế hoạch thực hiện Nghị quyết số 57-NQ/TW của Bộ Chính trị về đột phá phát triển "
            "khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia")
BILLION = Decimal(10) ** 9  # "tỷ đồng"

TASKS_57 = (
    DemoTask("budget", "Bố trí tối thiểu 3% tổng chi ngân sách Thành phố cho khoa học, công nghệ, "
             "đổi mới sáng tạo và chuyển đổi số", "79-STC", D(2025, 3, 3), D(2025, 12, 31), 0,
             helping=("79-SKHCN",), progress=((D(2025, 7, 15), 60), (D(2025, 12, 26), 100)),
             target=(Decimal(3), "%", D(2025, 12, 31)),
             values=((D(2025, 7, 15), Decimal("2.1")), (D(2025, 12, 26), Decimal("3.2")))),
    DemoTask("disburse", "Giải ngân vốn đầu tư công cho các dự án chuyển đổi số năm 2025",
             "79-TTCDS", D(2025, 2, 3), D(2025, 12, 31), 0, helping=("79-STC",),
             progress=((D(2025, 6, 30), 35), (D(2025, 9, 30), 60), (D(2025, 12, 31), 85)),
             target=(1200 * BILLION, "VND", D(2025, 12, 31)),
             values=((D(2025, 6, 30), 310 * BILLION), (D(2025, 9, 30), 655 * BILLION),
                     (D(2025, 12, 31), 1014 * BILLION)),
             description="Các dự án: trung tâm dữ liệu, nền tảng tích hợp, ứng dụng công dân số."),
    DemoTask("datacentre", "Đầu tư xây dựng Trung tâm dữ liệu tập trung của Thành phố",
             "79-TTCDS", D(2025, 4, 1), D(2026, 9, 30), 1, helping=("79-SKHCN", "79-SXD"),
             after=(("budget", 0),), progress=((D(2025, 12, 1), 40), (D(2026, 6, 1), 75))),
    DemoTask("online", "Cung cấp 100% dịch vụ công trực tuyến toàn trình đối với thủ tục đủ "
             "điều kiện", "79-VP", D(2025, 3, 3), D(2025, 12, 31), 0, helping=("79-TTCDS",),
             progress=((D(2025, 12, 20), 100),), target=(Decimal(100), "%", D(2025, 12, 31)),
             values=((D(2025, 6, 30), Decimal(82)), (D(2025, 12, 20), Decimal(100)))),
    DemoTask("5g", "Phủ sóng 5G toàn bộ khu dân cư, khu công nghiệp, khu công nghệ cao",
             "79-SKHCN", D(2025, 4, 1), D(2026, 6, 30), 1, helping=("79-SXD",),
             progress=((D(2025, 12, 31), 70), (D(2026, 6, 30), 90)),
             target=(Decimal(100), "%", D(2026, 6, 30)),
             values=((D(2025, 12, 31), Decimal(78)), (D(2026, 6, 30), Decimal(93)))),
    DemoTask("fund", "Thành lập Quỹ đầu tư mạo hiểm cho khởi nghiệp đổi mới sáng tạo của "
             "Thành phố", "79-STC", D(2025, 5, 5), D(2025, 11, 28), 0, helping=("79-SKHCN",),
             progress=((D(2025, 9, 15), 50), (D(2025, 12, 19), 100))),
    DemoTask("startups", "Hỗ trợ doanh nghiệp khởi nghiệp sáng tạo ươm tạo tại các trung tâm "
             "đổi mới sáng tạo", "79-SKHCN", D(2026, 1, 5), D(2026, 12, 31), 1,
             after=(("fund", 5),), progress=((D(2026, 6, 30), 45),),
             target=(Decimal(150), "doanh nghiệp", D(2026, 12, 31)),
             values=((D(2026, 3, 31), Decimal(31)), (D(2026, 6, 30), Decimal(64)))),
    DemoTask("research", "Đặt hàng nhiệm vụ khoa học và công nghệ giải quyết bài toán giao "
             "thông, ngập nước, ô nhiễm của Thành phố", "79-SKHCN", D(2025, 6, 2),
             D(2026, 3, 31), 1, helping=("79-SXD", "79-SNNMT"),
             progress=((D(2025, 10, 1), 30), (D(2026, 3, 31), 80))),
    DemoTask("skills", "Phong trào \"Bình dân học vụ số\": phổ cập kỹ năng số cho người dân",
             "79-SNV", D(2025, 4, 1), D(2025, 12, 31), 0, person="leader.snv",
             helping=("79-SGDDT",), target=(Decimal(30000), "người", D(2025, 12, 31)),
             values=((D(2025, 9, 30), Decimal(18500)), (D(2025, 12, 31), Decimal(26400))),
             progress=((D(2025, 12, 31), 100),)),
    DemoTask("skills-saigon", "Bình dân học vụ số tại Phường Sài Gòn", "Phường Sài Gòn",
             D(2025, 7, 1), D(2025, 12, 15), 0, parent="skills", person="officer.saigon",
             target=(Decimal(10000), "người", D(2025, 12, 15)),
             values=((D(2025, 9, 30), Decimal(6200)), (D(2025, 12, 10), Decimal(10350))),
             progress=((D(2025, 12, 10), 100),)),
    DemoTask("skills-thuduc", "Bình dân học vụ số tại Phường Thủ Đức", "Phường Thủ Đức",
             D(2025, 7, 1), D(2025, 12, 15), 0, parent="skills", person="officer.thuduc",
             target=(Decimal(10000), "người", D(2025, 12, 15)),
             values=((D(2025, 9, 30), Decimal(7100)), (D(2025, 12, 15), Decimal(9300))),
             progress=((D(2025, 12, 22), 100),)),
    DemoTask("skills-ankhanh", "Bình dân học vụ số tại Phường An Khánh", "Phường An Khánh",
             D(2025, 7, 1), D(2025, 12, 15), 0, parent="skills", person="officer.ankhanh",
             target=(Decimal(10000), "người", D(2025, 12, 15)),
             values=((D(2025, 9, 30), Decimal(5200)), (D(2025, 12, 15), Decimal(6750))),
             progress=((D(2025, 12, 15), 70),)),
    DemoTask("disburse-2026", "Giải ngân vốn đầu tư công cho các dự án chuyển đổi số năm 2026",
             "79-TTCDS", D(2026, 1, 5), D(2026, 12, 31), 1, helping=("79-STC",),
             after=(("disburse", 0),), progress=((D(2026, 6, 30), 40), (D(2026, 9, 30), 55)),
             target=(Decimal(1500) * BILLION, "VND", D(2026, 12, 31)),
             values=((D(2026, 6, 30), 420 * BILLION), (D(2026, 9, 30), 780 * BILLION))),
    DemoTask("index", "Đánh giá, xếp hạng chỉ số đổi mới sáng tạo và chuyển đổi số của các "
             "sở, ngành, phường, xã năm 2026", "79-SNV", D(2026, 10, 1), D(2026, 11, 20), 1,
             person="leader.snv", helping=("79-SKHCN",), after=(("datacentre", 0),)),
)

PLANS = (
    DemoPlan(TITLE, "02-KH/BCĐTW", "19/6/2025",
             (Field.DIGITAL_TRANSFORMATION, Field.ADMINISTRATIVE_REFORM),
             (("Giai đoạn cao điểm", D(2025, 6, 30)), ("Giai đoạn bứt phá", D(2025, 12, 31))),
             TASKS),
    DemoPlan(TITLE_57, "57-NQ/TW", "22/12/2024",
             (Field.SCIENCE_TECHNOLOGY, Field.INNOVATION, Field.DIGITAL_TRANSFORMATION,
              Field.PUBLIC_INVESTMENT),
             (("Năm 2025", D(2025, 12, 31)), ("Năm 2026", D(2026, 12, 31))), TASKS_57),
)

def _unit(ref: str) -> Unit:
    if ref.startswith("79"):
        return Unit.objects.active_on().get(code=ref)
    return Unit.objects.active_on().get(name=ref, kind__in=[UnitKind.WARD, UnitKind.COMMUNE])


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(16), tzinfo=HCM)


def load_demo_plans() -> int:
    """Create the demo plans with their tasks, links, progress, extensions and targets,
    each unless it exists; the number of plans and tasks made."""
    leader = User.objects.get(username="city.leader")
    city = leader.memberships.active_on().get().unit
    return sum(_load(spec, leader, city) for spec in PLANS)


def _load(spec: DemoPlan, leader: User, city: Unit) -> int:
    if Plan.objects.filter(title=spec.title, owner_unit=city).exists():
        return 0
    plan = services.create_plan(
        actor=leader, title=spec.title, owner_unit=city, document_number=spec.number,
        document_date=spec.date, fields=list(spec.fields),
        phases=[services.PhaseIn(name, day) for name, day in spec.phases])
    phases = list(plan.phases.order_by("deadline"))
    made: dict[str, Task] = {}
    people = {u.username: u for u in User.objects.filter(
        username__in={t.person for t in spec.tasks if t.person})}
    for row in spec.tasks:
        made[row.key] = services.create_task(
            actor=leader, plan=plan, title=row.title, lead_unit=_unit(row.lead),
            start=row.start, due=row.due, phase=phases[row.phase],
            description=row.description, weight=row.weight,
            coordinating_units=[_unit(code) for code in row.helping],
            person_in_charge=people.get(row.person), parent=made.get(row.parent),
            depends_on=[(made[key], lag) for key, lag in row.after])
    for row in spec.tasks:
        task = made[row.key]
        reporter = people.get(row.person) or leader
        if row.target:
            value, measure, by = row.target
            services.set_target(actor=leader, task=task, value=value, measure=measure, by=by)
            for day, reached in row.values:
                services.report_target_value(actor=reporter, task=task, value=reached, on=day)
        if row.extension:
            asked_on, new_due, reason, approved = row.extension
            request = services.request_extension(actor=reporter, task=task, new_due=new_due,
                                                  reason=reason, now=_at(asked_on), tell=False)
            services.decide_extension(actor=leader, request=request, approve=approved,
                                      now=_at(asked_on + dt.timedelta(days=3)), tell=False)
            task.refresh_from_db()
        for day, percent in row.progress:
            services.report_progress(actor=reporter, task=task, percent=percent, now=_at(day))
    return 1 + len(made)
