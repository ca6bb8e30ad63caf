"""Demo documents for `make run`: for two wards and a department, this year's issued
documents, drafts at each step, and incoming documents in every handling state.

Idempotent: a unit that already has documents is left as it is. Dates are spread over the
weeks before today, in order, so that the registers read as a real year's would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from cityhall.accounts.models import Membership, Role, User
from cityhall.documents import exchange, receiving, services, signatures
from cityhall.documents.models import Arrival, Dispatch, Document
from cityhall.orgunits.models import Unit


@dataclass(frozen=True)
class Office:
    """Who keeps a unit's documents in the demo."""

    unit: Unit
    officer: User
    leader: User
    clerk: User
    signer_title: str
    authority: str = ""
    authority_for: str = ""


def _office(slug: str, title: str, *, clerk: bool = True, authority: str = "",
            authority_for: str = "") -> Office | None:
    """The demo staff `leader.<slug>`, `officer.<slug>` (and `clerk.<slug>`) and their unit."""
    people = {u.username: u for u in User.objects.filter(
        username__in=[f"officer.{slug}", f"leader.{slug}", f"clerk.{slug}"])}
    officer, leader = people.get(f"officer.{slug}"), people.get(f"leader.{slug}")
    held = Membership.objects.active_on().filter(user=leader, role=Role.LEADER).first()
    unit = held.unit if held is not None else None
    if unit is None or officer is None or leader is None:
        return None
    return Office(unit, officer, leader, people.get(f"clerk.{slug}", leader) if clerk
                  else leader, title, authority, authority_for)


OUTGOING = [
    ("ke_hoach", "", "Triển khai Ngày hội chuyển đổi số năm {year}"),
    ("quyet_dinh", "", "Về việc thành lập Tổ công nghệ số cộng đồng"),
    ("cong_van", "VX", "Về việc rà soát hộ nghèo, hộ cận nghèo"),
    ("thong_bao", "", "Kết luận của Chủ tịch tại cuộc họp giao ban tháng"),
    ("bao_cao", "", "Tình hình thực hiện thủ tục hành chính quý"),
    ("cong_van", "VP", "Về việc góp ý dự thảo quy chế làm việc"),
    ("giay_moi", "", "Dự họp sơ kết công tác cải cách hành chính"),
]
INCOMING = [
    ("cong_van", "Sở Xây dựng", "1432/SXD-QLN", "Về việc rà soát nhà ở xuống cấp"),
    ("ke_hoach", "Ủy ban nhân dân Thành phố Hồ Chí Minh", "215/KH-UBND",
     "Thực hiện Đề án 06 năm {year}"),
    ("cong_van", "Sở Nội vụ", "880/SNV-CCVC", "Về việc báo cáo số lượng cán bộ, công chức"),
    ("thong_bao", "Văn phòng UBND Thành phố", "612/TB-VP", "Lịch tiếp công dân của lãnh đạo"),
    ("cong_van", "Công an Thành phố", "1250/CAT-PV01", "Về việc cập nhật dữ liệu dân cư"),
]


def _paper(action: str) -> str:
    """Without the DEMO keys (and no key registered for the demo people), the demo signs
    and issues on paper, saying so; with them (`make run`), digitally."""
    if action not in ("sign", "issue") or signatures.demo_keys():
        return ""
    return "Bản trình diễn: không có khóa ký số (CITYHALL_DOCUMENTS_DEMO_KEYS tắt)."


def _issue_year(office: Office, today: dt.date) -> int:
    made = 0
    start = timezone.now() - dt.timedelta(days=40)
    for n, (kind, drafting, summary) in enumerate(OUTGOING):
        at = start + dt.timedelta(days=5 * n)
        document = services.draft_document(
            actor=office.officer, unit=office.unit, now=at, draft=services.DraftIn(
                doc_type=kind, summary=summary.format(year=today.year), drafting_unit=drafting,
                content=("Căn cứ Luật Tổ chức chính quyền địa phương;\n\n"
                         "Nội dung do cán bộ soạn thảo, đã được kiểm tra.\n\n"
                         "Các đơn vị liên quan thực hiện./."),
                signer_name=office.leader.display_name, signer_title=office.signer_title,
                # A ward's chairman signs for the People's Committee; a director in own name.
                authority=office.authority, authority_for=office.authority_for,
                recipients=["Như trên", "Thường trực Đảng ủy"], file_copy_unit="VP"))
        steps = [(office.officer, "review"), (office.leader, "sign"), (office.clerk, "issue"),
                 (office.clerk, "send")]
        # The last two stay in the workflow: one waits to be signed, one to be reviewed.
        keep = {len(OUTGOING) - 1: 1, len(OUTGOING) - 2: 2}.get(n, len(steps))
        for actor, action in steps[:keep]:
            services.act_on_document(actor=actor, document=document, action=action, now=at,
                                     paper_reason=_paper(action))
        made += 1
    return made


def _receive(office: Office, today: dt.date) -> int:
    start = timezone.now() - dt.timedelta(days=30)
    for n, (kind, author, notation, summary) in enumerate(INCOMING):
        at = start + dt.timedelta(days=6 * n)
        day = timezone.localdate(at)
        document = services.register_incoming(
            actor=office.clerk, unit=office.unit, now=at, arrival_date=day,
            incoming=services.IncomingIn(
                doc_type=kind, author=author, notation=notation,
                document_date=day - dt.timedelta(days=2),
                summary=summary.format(year=today.year)))
        if n == len(INCOMING) - 1:
            continue  # arrived today-ish, not yet given to anyone
        handling = services.assign_handling(
            actor=office.leader, document=document, assignee=office.officer,
            working_days=5, instructions="Đề nghị xử lý, báo cáo kết quả.", now=at)
        if n in (0, 1):
            services.act_on_handling(actor=office.officer, handling=handling,
                                     action="complete", now=at + dt.timedelta(days=3),
                                     comment="Đã xử lý, có văn bản báo cáo kèm theo.")
        # n == 2 is overdue (five working days from a month ago); n == 3 is in time or not,
        # by today's date: the queue shows either honestly.
    return len(INCOMING)


def load_demo_documents() -> int:
    """Make the demo documents of units that have none yet; how many were made."""
    today = timezone.localdate()
    offices = [
        _office("saigon", "Chủ tịch", authority="TM.", authority_for="Ủy ban nhân dân"),
        _office("thuduc", "Chủ tịch", authority="TM.", authority_for="Ủy ban nhân dân"),
        _office("sxd", "Giám đốc", clerk=False),
    ]
    made = 0
    for office in offices:
        if office is None or Document.objects.filter(unit=office.unit).exists():
            continue
        made += _issue_year(office, today) + _receive(office, today)
    if offices[0] is not None and offices[1] is not None:
        made += _exchange(offices[0], offices[1])
    return made


EXCHANGED = [
    ("cong_van", "VP", "Về việc phối hợp tổ chức Ngày hội chuyển đổi số liên phường"),
    ("thong_bao", "", "Lịch tiếp nhận hồ sơ liên thông giữa hai phường"),
    ("cong_van", "VX", "Về việc trao đổi dữ liệu hộ nghèo chuyển nơi cư trú"),
]


def _exchange(sender: Office, receiver: Office) -> int:
    """A few documents the first ward sends the second by edXML (in this instance, through
    the outbox): one accepted and its handling completed, one accepted and assigned, one
    waiting for the clerk; each status back on the sender's document page."""
    if Dispatch.objects.filter(document__unit=sender.unit).exists():
        return 0
    code = exchange.org_code(receiver.unit)
    for kind, drafting, summary in EXCHANGED:
        document = services.draft_document(
            actor=sender.officer, unit=sender.unit, draft=services.DraftIn(
                doc_type=kind, summary=summary, drafting_unit=drafting,
                content="Đề nghị Ủy ban nhân dân phường phối hợp thực hiện./.",
                signer_name=sender.leader.display_name, signer_title=sender.signer_title,
                authority=sender.authority, authority_for=sender.authority_for,
                recipients=[receiver.unit.name], file_copy_unit="VP"))
        for actor, action in ((sender.officer, "review"), (sender.leader, "sign"),
                              (sender.clerk, "issue")):
            services.act_on_document(actor=actor, document=document, action=action,
                                     paper_reason=_paper(action))
        services.act_on_document(actor=sender.clerk, document=document, action="send",
                                 to=[code])
    exchange.deliver_all()
    waiting = list(Arrival.objects.filter(unit=receiver.unit, state=Arrival.State.WAITING)
                   .order_by("pk"))
    for n, arrival in enumerate(waiting[:2]):
        # Without the DEMO keys (CITYHALL_DOCUMENTS_DEMO_KEYS off) the sender issued on
        # paper: the clerk registers the unsigned files anyway, saying why, as the page lets.
        reason = "" if arrival.signatures_valid else "Bản trình diễn: văn bản chưa ký số."
        incoming = receiving.accept(actor=receiver.clerk, arrival=arrival,
                                    override_reason=reason)
        handling = services.assign_handling(
            actor=receiver.leader, document=incoming, assignee=receiver.officer,
            working_days=5, instructions="Đề nghị phối hợp, báo cáo kết quả.")
        if n == 0:
            services.act_on_handling(actor=receiver.officer, handling=handling,
                                     action="complete", comment="Đã phối hợp thực hiện.")
    exchange.deliver_all()
    return len(EXCHANGED)
