"""The page where the owner of a phone number or e-mail address confirms or refuses messages."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cityhall.notifications import caps


@require_http_methods(["GET", "POST"])
def contact_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners follow links, so nothing changes); POST records the answer."""
    point = caps.point_from_token(token)
    if point is None:
        raise Http404(_("This link is not valid, or it has expired."))
    answer, status = "", 200
    if request.method == "POST":
        answer = request.POST.get("answer", "")
        if answer == "confirm":
            caps.confirm(actor=caps.ADDRESS_OWNER, point=point)
        elif answer == "refuse":
            caps.refuse(actor=caps.ADDRESS_OWNER, point=point)
        else:
            answer, status = "", 400
        point.refresh_from_db()
    return render(request, "notifications/contact_confirm.html",
                  {"point": point, "answer": answer}, status=status)
