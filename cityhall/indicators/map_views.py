"""The dashboard's map: the boundaries layer it fetches (one request, cached by ETag) and
what the page adds for the map panel and the units table's red cells."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from cityhall.accounts.web import signed_in_user, staff_required
from cityhall.indicators import scope, unitmap
from cityhall.indicators.dashboard import Dashboard
from cityhall.indicators.errors import IndicatorError
from cityhall.orgunits.maps import children_layer
from cityhall.plans import policy as plans_policy


@staff_required
@require_GET
def map_layer(request: HttpRequest) -> HttpResponse:
    """The light boundaries of the unit asked for and of its units below (GeoJSON), for the
    dashboard's map; 404 outside the reader's scope. Revalidated by ETag on every use, so
    a boundary loaded since shows at once and an unchanged layer costs a 304."""
    try:
        unit = scope.unit_for(signed_in_user(request), request.GET.get("unit"))
    except IndicatorError as exc:
        raise Http404(str(exc.detail)) from None
    layer = children_layer(unit)
    if layer.etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(layer.body, content_type="application/geo+json")
    response["ETag"] = layer.etag
    # The boundaries are public, but the layer is asked for by a signed-in reader in scope.
    response["Cache-Control"] = "private, no-cache"
    return response


def context(request: HttpRequest, board: Dashboard) -> dict[str, Any]:
    """The map panel (coloured by `?map=`, else the ranking's indicator) and the units
    table with its red cells, each with "assign now" for a reader who leads that unit."""
    user = signed_in_user(request)
    indicator = unitmap.chosen(board, request.GET.get("map"))
    return {
        "unit_map": unitmap.unit_map(board, indicator),
        "map_choices": unitmap.choices([r.indicator for r in board.rows]),
        "unit_cells": unitmap.table(board, lambda unit: plans_policy.may_steer(user, unit)),
    }
