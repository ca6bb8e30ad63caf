"""The one-stop forms' content (form 01, the receipt and appointment slip), built once for
the screen (HTML) and the printer (PDF). The wording is the form's, in Vietnamese, as the
official form is; only the page around it follows the reader's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from cityhall.core.pdf import MOTTO, NATIONAL_TITLE
from cityhall.dossiers.models import Channel, Dossier

__all__ = ["MOTTO", "NATIONAL_TITLE", "ReceiptSlip", "receipt_slip"]


@dataclass(frozen=True)
class ComponentLine:
    number: int
    name: str
    form: str
    copies: int


@dataclass(frozen=True)
class ReceiptSlip:
    """Form 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả."""

    agency: str
    office: str
    receiving: str
    code: str
    place_and_date: str
    applicant: str
    address: str
    phone: str
    email: str
    request: str
    components: tuple[ComponentLine, ...]
    processing_days: int
    received: str
    appointment: str
    result_at: str
    channel: str

    title = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"


def _moment(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return (f"{local:%H} giờ {local:%M} phút, ngày {local:%d} tháng {local:%m} "
            f"năm {local:%Y}")


def _day(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return f"ngày {local:%d} tháng {local:%m} năm {local:%Y}"


_CHANNELS: dict[str, str] = {
    Channel.ONLINE: "trực tuyến", Channel.COUNTER: "trực tiếp tại Bộ phận Một cửa",
    Channel.POST: "qua dịch vụ bưu chính"}


def receipt_slip(dossier: Dossier) -> ReceiptSlip:
    """Form 01 of a dossier, in the words of the official form."""
    receiving = dossier.receiving_unit
    place = receiving.short_name or receiving.name
    lines: list[ComponentLine] = []
    given = {c.procedure_component_id: c for c in dossier.components.all()}
    for number, part in enumerate(dossier.procedure.components.order_by("order"), start=1):
        supplied = given.get(part.pk)
        form = ("Khai thác dữ liệu sẵn có" if supplied and supplied.data_source
                else ("Bản điện tử" if dossier.channel == Channel.ONLINE else "Bản giấy"))
        lines.append(ComponentLine(number=number, name=part.name, form=form,
                                   copies=part.copies))
    return ReceiptSlip(
        agency=f"UBND {receiving.name}".upper() if receiving.kind != "province"
        else "ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH",
        office="BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", receiving=receiving.name,
        code=dossier.code,
        place_and_date=f"{place}, {_day(dossier.received_at)}",
        applicant=dossier.applicant_name, address=dossier.applicant_address or "—",
        phone=dossier.applicant_phone or "—", email=dossier.applicant_email or "—",
        request=dossier.procedure.name, components=tuple(lines),
        processing_days=dossier.procedure.processing_days,
        received=_moment(dossier.received_at), appointment=_moment(dossier.appointment_at),
        result_at=receiving.name, channel=_CHANNELS.get(dossier.channel, dossier.channel),
    )
