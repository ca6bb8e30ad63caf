"""Pages of the notifications app: the signed-in user's notices; confirming an address."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityhall.accounts.web import signed_in_user
from cityhall.notifications import caps
from cityhall.notifications.links import links_for
from cityhall.notifications.models import Notification
from cityhall.notifications.services import mark_read

NOTICES_PAGE = 30


@login_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    """The user's notices, newest first (only the unread with `?unread=1`), to read and mark."""
    everything = Notification.objects.for_user(request.user)
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(everything.unread() if unread_only else everything, NOTICES_PAGE).get_page(
        request.GET.get("page"))
    links = links_for(request.user, page.object_list)
    context = {
        "page": page, "unread_only": unread_only,
        "items": [(n, links.get(n.pk, "")) for n in page.object_list],
        "query": "unread=1" if unread_only else "",
    }
    return render(request, "notifications/notice_list.html", context)


def _back(request: HttpRequest) -> str:
    """Where to go after marking: the page the form came from, if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return "notifications:notice_list"


@login_required
@require_POST
def notice_read(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Mark one of the user's notices read; with `open`, then go to what it is about."""
    notice = Notification.objects.for_user(request.user).filter(pk=notice_id).first()
    if notice is None:
        raise Http404(_("No such notice."))
    mark_read(actor=signed_in_user(request), ids=[notice.pk])
    if request.POST.get("open"):
        target = links_for(request.user, [notice]).get(notice.pk, "")
        if target and url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            return redirect(target)
    return redirect(_back(request))


@login_required
@require_POST
def notices_read_all(request: HttpRequest) -> HttpResponse:
    """Mark every notice of the user read."""
    marked = mark_read(actor=signed_in_user(request))
    if marked:
        messages.success(request, ngettext(
            "%(n)s notice marked as read.", "%(n)s notices marked as read.", marked) % {
            "n": marked})
    return redirect(_back(request))


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
