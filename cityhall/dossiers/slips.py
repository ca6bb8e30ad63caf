"""The one-stop forms' content (form 01, the receipt and appointment slip), built once for
the screen (HTML) and the printer (PDF). The wording is the form's, in Vietnamese, as the
official form is; only the page around it follows the reader's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from cityhall.core.pdf import MOTTO, NATIONAL_TITLE
from cityhall.dossiers.models import Channel, Dossier
from cityhall.dossiers.payments import fee_qr

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
    fee_vnd: int = 0
    #: The VietQR text for the fee (drawn as a QR code on the PDF), when there is one.
    payment_qr: str | None = None

    title = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"


def moment_words(value: dt.datetime) -> str:
    """`09 giờ 30 phút, ngày 02 tháng 03 năm 2026` in the city's time."""
    local = timezone.localtime(value)
    return (f"{local:%H} giờ {local:%M} phút, ngày {local:%d} tháng {local:%m} "
            f"năm {local:%Y}")


def day_words(value: dt.datetime) -> str:
    """`ngày 02 tháng 03 năm 2026` in the city's time."""
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
        place_and_date=f"{place}, {day_words(dossier.received_at)}",
        applicant=dossier.applicant_name, address=dossier.applicant_address or "—",
        phone=dossier.applicant_phone or "—", email=dossier.applicant_email or "—",
        request=dossier.procedure.name, components=tuple(lines),
        processing_days=dossier.procedure.processing_days,
        received=moment_words(dossier.received_at),
        appointment=moment_words(dossier.appointment_at),
        result_at=receiving.name, channel=_CHANNELS.get(dossier.channel, dossier.channel),
        fee_vnd=dossier.fee_vnd, payment_qr=fee_qr(dossier),
    )


def money(vnd: int) -> str:
    """An amount as Vietnamese write it: `100.000 đồng`."""
    return f"{vnd:,}".replace(",", ".") + " đồng"


#: The one-stop forms by number, their titles as the official templates name them.
FORM_TITLES: dict[str, str] = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "05": "Phiếu thông báo dừng xử lý hồ sơ",
    "06": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
}


def forms_of(dossier: Dossier) -> list[tuple[str, str]]:
    """The forms this dossier has now (number, title): 01 and 06 always; 02 once a
    supplement was requested; 03 when refused; 04 when late or given a new appointment;
    05 when stopped or withdrawn."""
    from cityhall.dossiers.filters import late_q
    from cityhall.workflow import engine

    done = set(engine.history(dossier).values_list("action", flat=True))
    numbers = ["01"]
    if "request_supplement" in done:
        numbers.append("02")
    if dossier.state == "refused":
        numbers.append("03")
    if "reschedule" in done or Dossier.objects.filter(
            late_q(timezone.now()), pk=dossier.pk).exists():
        numbers.append("04")
    if dossier.state in ("stopped", "withdrawn"):
        numbers.append("05")
    numbers.append("06")
    return [(n, FORM_TITLES[n]) for n in numbers]
