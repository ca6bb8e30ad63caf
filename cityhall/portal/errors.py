"""The error pages: 400, 403, 404, 429 and 500 in the shell and the reader's language.

Under the machine interfaces (`/api/`, `/open311/`) the same errors answer as JSON in the
API's shape, never as an HTML page. The 500 page needs no database, no session and no
context processor: whatever broke may be one of them.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from cityhall.core.errors import Common

logger = logging.getLogger(__name__)

#: Paths whose callers are programs: they get `{"detail", "code"}`, not a page.
MACHINE_PREFIXES = ("/api/", "/open311/")


def _for_machines(request: HttpRequest) -> bool:
    return request.path.startswith(MACHINE_PREFIXES)


def _json(code: Common, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=code.status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400: the request could not be read."""
    if _for_machines(request):
        return _json(Common.BAD_REQUEST, _("The request could not be understood."))
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: the page exists, but not for this reader."""
    if _for_machines(request):
        return _json(Common.PERMISSION_DENIED, _("You may not do this."))
    return render(request, "403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 for a form whose CSRF check failed (CSRF_FAILURE_VIEW): the same page, not
    Django's English one; the reason is for the log only."""
    logger.info("CSRF check failed: %s", reason)
    if _for_machines(request):
        return _json(Common.CSRF_FAILED, _("Send the CSRF token with the request."))
    return permission_denied(request)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: no page at this address (the exception's text is for developers: not shown)."""
    if _for_machines(request):
        return _json(Common.NOT_FOUND, _("Not found."))
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: the page without the request's context, and plain words if even that fails."""
    if _for_machines(request):
        return _json(Common.SERVER_ERROR, _("Something went wrong on our side."))
    context: dict[str, Any] = {
        "portal_name": settings.CITYHALL_SITE_NAME, "LANGUAGE_CODE": get_language() or "vi",
    }
    try:
        body = loader.get_template("500.html").render(context)
    except Exception:  # a missing static manifest, a broken template: still answer
        logger.exception("the 500 page could not be rendered")
        body = "<!doctype html><title>500</title><h1>500</h1>"
    return HttpResponseServerError(body)
