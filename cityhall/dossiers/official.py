"""The content of the one-stop forms 02 to 06, built once for the screen and the printer.

Each form is an `OfficialForm`: the heading of Decree 30 (agency, office, number left for
the register, national title, place and date), a title, the body as paragraphs and tables,
the signatures and the recipients. The wording follows the templates of the one-stop
mechanism (Circular 01/2018/TT-VPCP, as DOMAIN.md numbers them: 02 request to supplement,
03 refusal at receipt, 04 apology and new appointment, 05 stop of processing, 06 process
control slip), in Vietnamese, as the official forms are. What the system does not know
(a document number, a signature) is left as dotted lines for the clerk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TypedDict

from django.utils import timezone

from cityhall.dossiers.models import Dossier
from cityhall.dossiers.slips import FORM_TITLES, day_words, moment_words
from cityhall.orgunits.models import Unit
from cityhall.workflow import engine
from cityhall.workflow.models import Transition

DOTS = "……………………"


@dataclass(frozen=True)
class Block:
    """A paragraph (`text`, in a `style`), or a table (`rows`, the first one the heading)."""

    text: str = ""
    style: str = "body"  # body | bold | italic | centre
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[int, ...] = ()  # in millimetres, for the PDF


@dataclass(frozen=True)
class Signature:
    title: str
    note: str = "(Ký và ghi rõ họ tên)"
    name: str = ""


@dataclass(frozen=True)
class OfficialForm:
    """One of the forms 02-06 of a dossier."""

    number: str
    agency: str
    office: str
    notation: str
    place_and_date: str
    title: str
    code: str
    body: tuple[Block, ...]
    signatures: tuple[Signature, ...] = ()
    recipients: tuple[str, ...] = field(default_factory=tuple)


def _agency(unit: Unit) -> str:
    if unit.kind == "province":
        return "ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH"
    if unit.kind == "department":
        return unit.name.upper()
    return f"UBND {unit.name}".upper()


def _last(dossier: Dossier, action: str) -> Transition | None:
    return engine.history(dossier).filter(action=action).order_by("-seq").first()


class _Heading(TypedDict):
    number: str
    agency: str
    office: str
    notation: str
    place_and_date: str
    title: str
    code: str


def _heading(dossier: Dossier, number: str, unit: Unit, when: dt.datetime, *,
             office: str = "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ") -> _Heading:
    place = unit.short_name or unit.name
    return {"number": number, "agency": _agency(unit), "office": office,
            "notation": f"Số: {DOTS[:8]}/{DOTS[:5]}",
            "place_and_date": f"{place}, {day_words(when)}",
            "title": FORM_TITLES[number].upper(), "code": dossier.code}


def _who(dossier: Dossier) -> list[Block]:
    return [
        Block(f"Hồ sơ của: {dossier.applicant_name}"),
        Block(f"Mã hồ sơ: {dossier.code}"),
        Block(f"Nội dung yêu cầu giải quyết: {dossier.procedure.name}"),
        Block(f"Địa chỉ: {dossier.applicant_address or DOTS}"),
        Block(f"Số điện thoại: {dossier.applicant_phone or DOTS}    "
              f"Thư điện tử: {dossier.applicant_email or DOTS}"),
    ]


def _lines(text: str) -> list[Block]:
    """A staff member's text, one paragraph per line, numbered when there are several."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) <= 1:
        return [Block(lines[0] if lines else DOTS)]
    return [Block(f"{n}. {line}") for n, line in enumerate(lines, start=1)]


def form_02(dossier: Dossier) -> OfficialForm:
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: what the last request asked."""
    step = _last(dossier, "request_supplement")
    when = step.at if step else timezone.now()
    receiving = dossier.receiving_unit
    return OfficialForm(**_heading(dossier, "02", receiving, when), body=(
        *_who(dossier),
        Block("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:", style="bold"),
        *_lines(step.comment if step else ""),
        Block("Thời gian giải quyết hồ sơ tạm dừng kể từ khi nhận Phiếu này và được tính "
              "tiếp khi nhận đủ hồ sơ bổ sung."),
        Block("Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ "
              f"{receiving.name} để được hướng dẫn."),
    ), signatures=(Signature("NGƯỜI HƯỚNG DẪN", name=step.actor_label if step else ""),))


def form_03(dossier: Dossier) -> OfficialForm:
    """Phiếu từ chối tiếp nhận giải quyết hồ sơ, with the reasons of the refusal."""
    step = _last(dossier, "refuse")
    when = step.at if step else timezone.now()
    receiving = dossier.receiving_unit
    return OfficialForm(**_heading(dossier, "03", receiving, when), body=(
        Block(f"Bộ phận tiếp nhận và trả kết quả {receiving.name} tiếp nhận hồ sơ của: "
              f"{dossier.applicant_name}"),
        Block(f"Mã hồ sơ: {dossier.code}"),
        Block(f"Nội dung yêu cầu giải quyết: {dossier.procedure.name}"),
        Block("Sau khi xem xét, đối chiếu thành phần hồ sơ, Bộ phận tiếp nhận và trả kết quả "
              "từ chối tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:"),
        *_lines(step.comment if step else ""),
        Block("Xin thông báo cho Ông/Bà được biết và thực hiện./."),
    ), signatures=(Signature("NGƯỜI TIẾP NHẬN HỒ SƠ", name=step.actor_label if step else ""),))


def form_04(dossier: Dossier) -> OfficialForm:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả, drafted for the clerk to sign.

    With a new appointment given (`reschedule`), the letter carries it and its reasons;
    before that, the date and the reasons are dotted lines for the clerk.
    """
    step = _last(dossier, "reschedule")
    unit = dossier.unit
    # The appointment the applicant was given at receipt: the case deadline at the start.
    start = _last(dossier, "start")
    promised = start.due_at if start and start.due_at else dossier.appointment_at
    new = moment_words(step.due_at) if step and step.due_at else \
        f"{DOTS} giờ, ngày {DOTS[:6]} tháng {DOTS[:6]} năm {DOTS[:8]}"
    return OfficialForm(**_heading(dossier, "04", unit, step.at if step else timezone.now(),
                                   office=""), body=(
        Block(f"Kính gửi: {dossier.applicant_name}", style="centre"),
        Block(f"Ngày {timezone.localtime(dossier.received_at):%d/%m/%Y}, "
              f"{dossier.receiving_unit.name} tiếp nhận hồ sơ của Ông/Bà đề nghị giải quyết "
              f"thủ tục {dossier.procedure.name}."),
        Block(f"Mã hồ sơ: {dossier.code}."),
        Block(f"Thời hẹn trả kết quả giải quyết hồ sơ: {moment_words(promised)}."),
        Block(f"Tuy nhiên đến nay, {unit.name} chưa trả kết quả giải quyết hồ sơ của Ông/Bà "
              "đúng hạn ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả."),
        Block("Lý do:", style="bold"),
        *_lines(step.comment if step else ""),
        Block(f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {unit.name} xin lỗi Ông/Bà và "
              f"sẽ trả kết quả giải quyết hồ sơ cho Ông/Bà vào {new}."),
        Block("Xin trân trọng cảm ơn sự hợp tác của Ông/Bà./."),
    ), signatures=(Signature("THỦ TRƯỞNG CƠ QUAN", "(Ký, ghi rõ họ tên và đóng dấu)"),),
        recipients=("- Như trên;", "- Bộ phận tiếp nhận và trả kết quả;", "- Lưu: VT."))


def form_05(dossier: Dossier) -> OfficialForm:
    """Thông báo dừng xử lý hồ sơ: stopped by the unit (its reason), withdrawn by the
    applicant, or left unsupplemented past the time allowed."""
    step = _last(dossier, "stop") or _last(dossier, "withdraw") or _last(dossier, "abandon")
    unit = dossier.unit
    if step is not None and step.action == "withdraw":
        why = [Block("Ông/Bà đã có yêu cầu rút hồ sơ."), *_lines(step.comment)]
    elif step is not None and step.action == "abandon":
        why = [Block("Quá thời hạn mà Ông/Bà không bổ sung, hoàn thiện hồ sơ theo Phiếu yêu "
                     "cầu bổ sung, hoàn thiện hồ sơ.")]
    else:
        why = _lines(step.comment if step else "")
    return OfficialForm(**_heading(dossier, "05", unit, step.at if step else timezone.now(),
                                   office=""), body=(
        Block(f"Kính gửi: {dossier.applicant_name}", style="centre"),
        Block(f"Ngày {timezone.localtime(dossier.received_at):%d/%m/%Y}, "
              f"{dossier.receiving_unit.name} tiếp nhận hồ sơ của Ông/Bà đề nghị giải quyết "
              f"thủ tục {dossier.procedure.name}, mã hồ sơ {dossier.code}."),
        Block(f"{unit.name} thông báo dừng xử lý hồ sơ nêu trên với lý do:"),
        *why,
        Block("Hồ sơ (nếu có bản giấy) được trả lại Ông/Bà tại Bộ phận tiếp nhận và trả kết "
              "quả nơi đã nộp./."),
    ), signatures=(Signature("THỦ TRƯỞNG CƠ QUAN", "(Ký, ghi rõ họ tên và đóng dấu)"),),
        recipients=("- Như trên;", "- Lưu: VT."))


def _timing(step: Transition, deadline: dt.datetime | None) -> str:
    """Whether a step came before, on or after the deadline in force when it was taken."""
    if deadline is None:
        return ""
    if step.at > deadline:
        return "Quá hạn"
    if timezone.localdate(step.at) < timezone.localdate(deadline):
        return "Trước hạn"
    return "Đúng hạn"


#: The steps of the history as the control slip names them.
STEP_WORDS = {
    "start": "Tiếp nhận hồ sơ", "accept": "Chuyển xử lý", "request_supplement":
    "Yêu cầu bổ sung hồ sơ", "supplement": "Nhận hồ sơ bổ sung", "refuse":
    "Từ chối tiếp nhận", "assign": "Giao xử lý", "transfer": "Chuyển cơ quan phối hợp",
    "reschedule": "Hẹn lại ngày trả kết quả", "issue_result": "Có kết quả giải quyết",
    "return_result": "Trả kết quả", "withdraw": "Rút hồ sơ", "stop": "Dừng xử lý",
    "abandon": "Dừng xử lý (quá hạn bổ sung)", "set_deadline": "Điều chỉnh thời hạn",
}


def form_06(dossier: Dossier) -> OfficialForm:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ: the dossier's history, step by step."""
    rows: list[tuple[str, ...]] = [(
        "TT", "Bước xử lý", "Người thực hiện", "Thời gian", "Kết quả (trước hạn / đúng hạn "
        "/ quá hạn)", "Ghi chú")]
    deadline: dt.datetime | None = None
    for n, step in enumerate(engine.history(dossier), start=1):
        rows.append((str(n), STEP_WORDS.get(step.action, step.action), step.actor_label,
                     moment_words(step.at), _timing(step, deadline), step.comment))
        # The deadline each step leaves is the one the next step is measured against.
        deadline = step.due_at
    transfers = [s.comment for s in engine.history(dossier).filter(action="transfer")]
    return OfficialForm(**_heading(dossier, "06", dossier.receiving_unit, timezone.now()), body=(
        Block("(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả)", style="italic"),
        Block(f"Mã hồ sơ: {dossier.code}"),
        Block(f"Nội dung yêu cầu giải quyết: {dossier.procedure.name}"),
        Block(f"Cơ quan, đơn vị giải quyết hồ sơ: {dossier.unit.name}"),
        Block(f"Cơ quan phối hợp giải quyết hồ sơ: {'; '.join(transfers) or 'không'}"),
        Block(f"Thời hạn trả kết quả: {moment_words(dossier.appointment_at)}"),
        Block(rows=tuple(rows), widths=(9, 33, 30, 33, 24, 36)),
    ))


BUILDERS = {"02": form_02, "03": form_03, "04": form_04, "05": form_05, "06": form_06}
