"""The catalogue's JSON API at /api/v1/procedures: public reads."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema

from cityhall.core.api import MAX_OFFSET, MAX_PAGE, NO_NUL, ApiError, ErrorOut, Page, paginate
from cityhall.core.errors import Common
from cityhall.procedures.filters import ProcedureFilter
from cityhall.procedures.models import Procedure, ProcedureComponent

router = Router(tags=["procedures"])


class ProcedureItem(Schema):
    """A procedure in a list."""

    code: str
    name: str
    name_en: str
    sector: str
    level: str
    decided_by: str
    processing_days: int
    fee_vnd: int
    online: str


class ProcedureComponentOut(Schema):
    """A paper or file the applicant supplies."""

    name: str
    copies: int
    form_file: str
    replaceable_by: str | None


class ProcedureOut(ProcedureItem):
    """A procedure with everything an applicant needs to know."""

    sector_en: str
    time_note: str
    fee_note: str
    result: str
    result_electronic: bool
    legal_basis: str
    workflow: str
    unverified: list[str]
    components: list[ProcedureComponentOut]


def _component_out(component: ProcedureComponent) -> dict[str, Any]:
    return {"name": component.name, "copies": component.copies,
            "form_file": component.form_file, "replaceable_by": component.data_source or None}


_ITEM_FIELDS = ("code", "name", "name_en", "sector", "level", "decided_by", "processing_days",
                "fee_vnd", "online")


@router.get("", response={200: Page[ProcedureItem], 422: ErrorOut}, auth=None)
def procedures(
    request: HttpRequest,
    filters: Query[ProcedureFilter],
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """The catalogue, searched: `q` without diacritics finds names with them."""
    rows = filters.apply(Procedure.objects.active()).only(*_ITEM_FIELDS).order_by("sector", "name",
                                                                                    "code")
    return paginate(rows, limit=limit, offset=offset)


@router.get("/{code}", response={200: ProcedureOut, 404: ErrorOut, 422: ErrorOut}, auth=None)
def procedure(
    request: HttpRequest,
    code: str = Path(..., max_length=40, pattern=NO_NUL,
                     description="The procedure's code, e.g. 1.001193.000.00.00.H29."),
) -> dict[str, Any]:
    """One procedure: components, fees, time, result, legal basis."""
    found = (Procedure.objects.active().filter(code=code)
             .prefetch_related(Prefetch("components",
                                        queryset=ProcedureComponent.objects.order_by("order")))
             .first())
    if found is None:
        raise ApiError(Common.NOT_FOUND, _("No such procedure."))
    out = {name: getattr(found, name) for name in (*_ITEM_FIELDS, "sector_en", "time_note",
                                                   "fee_note", "result", "result_electronic",
                                                   "legal_basis", "workflow")}
    out["unverified"] = list(found.unverified)
    out["components"] = [_component_out(c) for c in found.components.all()]
    return out
