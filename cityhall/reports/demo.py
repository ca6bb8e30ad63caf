"""Demo reports for `make run`: filed and handled in the demo wards through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from cityhall.orgunits.models import Unit
from cityhall.reports import services

#: The demo accounts (created by `cityhall load_demo`) that file and handle these reports.
RESIDENT, BUSINESS = "resident", "business"


@dataclass(frozen=True)
class DemoReport:
    """One demo report: what is filed, by whom, and how far it is handled."""

    key: str
    category: str
    description: str
    ward: str = ""  # a point at this ward's centre; or else `address`
    address: str = ""
    sender: str = ""  # a demo username; "" files anonymously with a contact
    attributes: dict[str, Any] = field(default_factory=dict)
    handle_in: str = ""  # ward slug whose clerk assigns to its officer
    steps: tuple[str, ...] = ()  # "start", "resolve", "rate"


DEMO_REPORTS = (
    DemoReport("demo-1", "ngap-ha-tang",
               "Nước ngập sâu khoảng 40 cm sau cơn mưa chiều, xe máy chết máy.",
               ward="Phường Thủ Đức", sender=RESIDENT,
               attributes={"kind": "flooding", "water_depth_cm": "40"},
               handle_in="thuduc", steps=("start", "resolve", "rate")),
    DemoReport("demo-2", "ngap-ha-tang",
               "Nắp cống bị mất trên vỉa hè, rất nguy hiểm cho người đi bộ.",
               ward="Phường Thủ Đức", attributes={"kind": "manhole"},
               handle_in="thuduc", steps=("start",)),
    DemoReport("demo-3", "moi-truong-rac",
               "Rác thải tập kết trái phép ở đầu hẻm nhiều ngày chưa được thu gom.",
               address="Phường Thảo Điền, Quận 2, TP.HCM", sender=RESIDENT,
               handle_in="ankhanh", steps=("start", "resolve")),
    DemoReport("demo-4", "tieng-on",
               "Karaoke mở loa lớn sau 22 giờ mỗi tối.",
               address="Phường Bến Nghé, Quận 1, TP.HCM", attributes={"source": "karaoke"},
               handle_in="saigon"),
    DemoReport("demo-5", "giao-thong-via-he",
               "Vỉa hè bị lấn chiếm làm bãi giữ xe, người đi bộ phải xuống lòng đường.",
               ward="Phường Sài Gòn"),
    DemoReport("demo-6", "xe-buyt",
               "Xe buýt thường xuyên bỏ trạm, không dừng đón khách.",
               ward="Phường Sài Gòn", sender=RESIDENT, attributes={"route": "19"}),
    DemoReport("demo-7", "dn-thue-phi",
               "Doanh nghiệp chưa nhận được phản hồi về hồ sơ hoàn thuế đã nộp 45 ngày.",
               ward="Phường Sài Gòn", sender=BUSINESS),
)


def _staff(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def load_demo_reports() -> int:
    """File the demo reports not filed yet, each by its demo sender, and handle them as described.

    Returns how many were filed. Every step is taken by a demo person, so the audit trail
    shows who did what as it would for real work.
    """
    users = get_user_model().objects
    created = 0
    for demo in DEMO_REPORTS:
        sender = users.get(username=demo.sender) if demo.sender else services.ANONYMOUS
        place: dict[str, Any] = {"address": demo.address}
        if demo.ward:
            unit = Unit.objects.active_on().commune_level().get(name=demo.ward)
            place = {"latitude": unit.latitude, "longitude": unit.longitude}
        submission = services.submit_report(
            actor=sender, category=demo.category, description=demo.description, channel="web",
            attributes=demo.attributes, idempotency_key=demo.key,
            contact=None if demo.sender else services.Contact(name="Trần Văn Demo",
                                                               phone="0901000000"),
            **place,
        )
        if not submission.created:
            continue
        created += 1
        report = submission.report
        if not demo.handle_in:
            continue
        officer = _staff(f"officer.{demo.handle_in}")
        report = services.assign_report(actor=_staff(f"clerk.{demo.handle_in}"), report=report,
                                        assignee=officer).report
        if "start" in demo.steps:
            report = services.start_work(actor=officer, report=report)
        if "resolve" in demo.steps:
            report = services.resolve_report(
                actor=officer, report=report,
                reply="Phường đã cử tổ công tác đến hiện trường và xử lý xong. "
                "Cảm ơn Anh/Chị đã phản ánh.",
            )
        if "rate" in demo.steps:
            services.rate_report(actor=sender, report=report, rating=5, comment="Xử lý nhanh.")
    return created
