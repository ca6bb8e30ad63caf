"""Helpers for the documents tests: drafts and incoming documents made through the services."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any

from openpyxl import load_workbook

from cityhall.accounts.models import User
from cityhall.documents import services
from cityhall.documents.models import Document
from cityhall.orgunits.models import Unit


def decision(**kw: object) -> services.DraftIn:
    """A Quyết định of a ward's People's Committee, signed by its chairman."""
    values: dict[str, object] = {
        "doc_type": "quyet_dinh",
        "summary": "Về việc thành lập Tổ công tác chuyển đổi số phường",
        "content": "Căn cứ Luật Tổ chức chính quyền địa phương;\n\nĐiều 1. Thành lập Tổ "
                   "công tác chuyển đổi số của phường.\n\nĐiều 2. Quyết định này có hiệu "
                   "lực kể từ ngày ký.",
        "signer_name": "Nguyễn Văn Chủ", "signer_title": "Chủ tịch",
        "authority": "TM.", "authority_for": "Ủy ban nhân dân",
        "recipients": ["Như Điều 2", "UBND Thành phố (để b/c)"], "file_copy_unit": "VP",
    }
    values.update(kw)
    return services.DraftIn(**values)  # type: ignore[arg-type]


def issued(unit: Unit, drafter: User, leader: User, clerk: User, *,
           now: dt.datetime | None = None, **kw: object) -> Document:
    """An outgoing document taken through review, signature and issue."""
    document = services.draft_document(actor=drafter, unit=unit, draft=decision(**kw), now=now)
    for actor, action in ((drafter, "review"), (leader, "sign"), (clerk, "issue")):
        services.act_on_document(actor=actor, document=document, action=action, now=now)
    return document


def issued_on_paper(unit: Unit, drafter: User, leader: User, clerk: User, *,
                    reason: str = "Văn bản có nội dung mật: ban hành bản giấy.",
                    **kw: object) -> Document:
    """An outgoing document signed by hand and issued on paper, saying why (not signed)."""
    document = services.draft_document(actor=drafter, unit=unit, draft=decision(**kw))
    services.act_on_document(actor=drafter, document=document, action="review")
    for actor, action in ((leader, "sign"), (clerk, "issue")):
        services.act_on_document(actor=actor, document=document, action=action,
                                 paper_reason=reason)
    return document


def arrived(unit: Unit, clerk: User, *, day: dt.date, **kw: object) -> Document:
    """An incoming Công văn from the city's Department of Construction."""
    values: dict[str, object] = {
        "doc_type": "cong_van", "author": "Sở Xây dựng", "notation": "1234/SXD-QLN",
        "document_date": day, "summary": "Về việc rà soát nhà ở xuống cấp trên địa bàn",
    }
    values.update(kw)
    return services.register_incoming(actor=clerk, unit=unit,
                                      incoming=services.IncomingIn(**values),  # type: ignore[arg-type]
                                      arrival_date=day)


def rows_of(xlsx: bytes) -> list[tuple[Any, ...]]:
    """The rows of a workbook's first sheet, as values."""
    sheet = load_workbook(BytesIO(xlsx)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))
