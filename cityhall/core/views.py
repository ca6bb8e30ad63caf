"""Views every deployment needs: the health check."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown addresses under /api/ answer in the API's error shape, not an HTML page."""
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
