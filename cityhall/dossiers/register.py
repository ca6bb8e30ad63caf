"""Form 07, the dossier register (sổ theo dõi hồ sơ): a unit's dossiers over a period, as XLSX.

One row per dossier received at the unit or decided by it, with the columns of the
register's template (code, procedure, copies, applicant, address and phone, deciding unit,
received, appointment, passed on, result, returned, notes) and the state.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from cityhall.dossiers.filters import DossierFilter
from cityhall.dossiers.models import Dossier
from cityhall.dossiers.states import state_label
from cityhall.orgunits.models import Unit
from cityhall.workflow.models import Transition

#: The longest period one export covers.
MAX_DAYS = 366
HEADINGS = (
    "STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Số lượng hồ sơ (bộ)",
    "Tên cá nhân, tổ chức", "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết",
    "Nhận hồ sơ", "Hẹn trả kết quả", "Chuyển hồ sơ đến cơ quan giải quyết",
    "Nhận kết quả từ cơ quan giải quyết", "Trả kết quả cho cá nhân, tổ chức",
    "Trạng thái", "Ghi chú",
)
WIDTHS = (6, 28, 50, 10, 28, 40, 30, 18, 18, 18, 18, 18, 24, 30)


def register_rows(rows: QuerySet[Dossier], unit: Unit, start: dt.date, end: dt.date
                  ) -> QuerySet[Dossier]:
    """The unit's dossiers received from `start` to `end` (days, inclusive), oldest first."""
    period = DossierFilter(state="all", received_from=start, received_to=end)
    return (period.apply(rows).filter(Q(unit=unit) | Q(receiving_unit=unit))
            .select_related("procedure", "unit").order_by("received_at", "pk"))


def _at(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else ""


def _steps(dossiers: list[Dossier]) -> dict[int, dict[str, Transition]]:
    """The first step of each kind the register shows, per dossier (one query)."""
    found: dict[int, dict[str, Transition]] = {}
    steps = Transition.objects.filter(
        case_type=Dossier._meta.label_lower, case_id__in=[d.pk for d in dossiers],
        action__in=["accept", "transfer", "issue_result", "return_result", "refuse",
                    "withdraw", "stop", "abandon"]).order_by("seq")
    for step in steps:
        found.setdefault(step.case_id, {}).setdefault(step.action, step)
    return found


def register_xlsx(dossiers: Iterable[Dossier], unit: Unit, start: dt.date, end: dt.date
                  ) -> bytes:
    """The register as an XLSX workbook: a title, the period, then one row per dossier."""
    from openpyxl import Workbook  # a heavy import, needed only here
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    listed = list(dossiers)
    steps = _steps(listed)
    book = Workbook(write_only=False)
    sheet = book.create_sheet(index=0)
    for other in book.worksheets[1:]:
        book.remove(other)
    sheet.title = "So theo doi ho so"
    sheet.append([f"SỔ THEO DÕI HỒ SƠ — {unit.name}"])
    sheet.append([f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"])
    sheet.append(list(HEADINGS))
    for cell in sheet[1] + sheet[3]:
        cell.font = Font(bold=True)
    for n, d in enumerate(listed, start=1):
        done = steps.get(d.pk, {})
        closing = next((done[a] for a in ("refuse", "withdraw", "stop", "abandon")
                        if a in done), None)
        sheet.append([
            n, d.code, d.procedure.name, 1, d.applicant_name,
            ", ".join(filter(None, [d.applicant_address, d.applicant_phone])),
            d.unit.name, _at(d.received_at), _at(d.appointment_at),
            _at(done["accept"].at) if "accept" in done else "",
            _at(done["issue_result"].at) if "issue_result" in done else "",
            _at(done["return_result"].at) if "return_result" in done else "",
            str(state_label(d.state)),
            closing.comment if closing else "",
        ])
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()



