"""The public catalogue pages: search the procedures, read what one needs."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from pydantic import ValidationError

from cityhall.procedures.filters import ProcedureFilter
from cityhall.procedures.models import Level, OnlineLevel, Procedure, ProcedureComponent

PAGE_SIZE = 20


def _filters(request: HttpRequest) -> tuple[ProcedureFilter, dict[str, str], bool]:
    chosen = {key: request.GET.get(key, "") for key in ("q", "sector", "level", "online")}
    try:
        return ProcedureFilter.model_validate(chosen), chosen, True
    except ValidationError:
        # A hand-made address with an unknown level: show the whole catalogue and say so.
        return ProcedureFilter.model_validate({"q": chosen["q"][:200]}), chosen, False


@require_GET
def procedure_list(request: HttpRequest) -> HttpResponse:
    """The catalogue, searched by words (diacritics optional), sector, level, online level."""
    filters, chosen, valid = _filters(request)
    rows = filters.apply(Procedure.objects.active()).order_by("sector", "name", "code")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    sectors = (Procedure.objects.active().order_by("sector")
               .values_list("sector", "sector_en").distinct())
    return render(request, "procedures/list.html", {
        "page": page, "chosen": chosen, "valid": valid,
        "query": urlencode({k: v for k, v in chosen.items() if v}),
        "sectors": list(sectors), "levels": Level.choices, "online_levels": OnlineLevel.choices,
    })


@require_GET
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One procedure: what to bring, how long, what it costs, what comes out, on what basis."""
    found = (Procedure.objects.active().filter(code=code[:40])
             .prefetch_related(Prefetch("components",
                                        queryset=ProcedureComponent.objects.order_by("order")))
             .first())
    if found is None:
        raise Http404(_("No such procedure."))
    return render(request, "procedures/detail.html", {"procedure": found})
