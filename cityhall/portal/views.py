"""Thin views of the public portal, the staff shell and the registry browser."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cityhall.accounts.web import is_staff_member, signed_in_user
from cityhall.core import shell
from cityhall.orgunits.models import Unit, UnitKind
from cityhall.portal import registry
from cityhall.portal.signin import landing_url


def _is_htmx_partial(request: HttpRequest) -> bool:
    """Whether htmx asked for a fragment (a history restore needs the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The public home page: the services the apps register first, then the city's
    channels, the registry and the open data (cards of their own, `home_panels`)."""
    panels = [render_to_string(panel.template, panel.context(request.user), request=request)
              for panel in shell.home_panels()]
    return render(request, "portal/home.html", {"panels": panels})


def registry_card(user: object) -> dict[str, int]:
    """The home page's card of the registry: units counted from it."""
    active = Unit.objects.active_on()
    return {
        "commune_level_count": active.commune_level().count(),
        "department_count": active.filter(kind=UnitKind.DEPARTMENT).count(),
    }


def channels_card(user: object) -> dict[str, str]:
    """The home page's card of the city's other channels (settings)."""
    return {"hotline": settings.CITYHALL_HOTLINE, "hotline_email": settings.CITYHALL_HOTLINE_EMAIL,
            "zalo_url": settings.CITYHALL_ZALO_URL}


@login_required
@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's roles in units and each domain's panel of their work."""
    user = signed_in_user(request)
    if not is_staff_member(user):
        # Residents and businesses have a home of their own; staff pages are not theirs.
        return redirect(landing_url(user))
    memberships = (
        user.memberships.active_on()
        .select_related("unit", "unit__parent")
        .order_by("unit__path", "role")
    )
    panels = [render_to_string(panel.template, panel.context(user), request=request)
              for panel in shell.panels()]
    context = {"memberships": list(memberships), "panels": panels}
    return render(request, "portal/staff_home.html", context)


@require_GET
def unit_list(request: HttpRequest) -> HttpResponse:
    """The registry: a tree of units by kind, or the units matching a search."""
    q = request.GET.get("q", "").strip()[:100]
    include_ended = request.GET.get("ended") == "1"
    context: dict[str, object] = {"q": q, "include_ended": include_ended}
    if q:
        results, total = registry.search_units(q, include_ended=include_ended)
        context.update(results=results, total=total, limit=registry.SEARCH_LIMIT)
    else:
        units = registry.tree_units(include_ended=include_ended)
        roots = [u for u in units if u.parent_id is None]
        rest = [u for u in units if u.parent_id is not None]
        context.update(roots=roots, groups=registry.group_by_kind(rest))
    partial = _is_htmx_partial(request)
    # A fragment also refreshes the screen-reader summary outside the swapped region.
    context["hx_oob_summary"] = partial
    template = "portal/_unit_results.html" if partial else "portal/units.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One unit: names, codes, place in the tree, staff, predecessors and successors."""
    on: dt.date | None = None
    if request.GET.get("on"):
        try:
            on = dt.date.fromisoformat(request.GET["on"])
        except ValueError as exc:
            raise Http404(_("That date is not valid.")) from exc
    unit = registry.find_unit(code, on)
    if unit is None:
        raise Http404(_("No unit has this code."))
    predecessors, successors = registry.successions_of(unit)
    is_active = unit.is_active_on()
    # Only a unit in service has staff; only staff see who they are.
    show_staff = is_active and registry.is_staff_member(request.user)
    context = {
        "unit": unit,
        "is_active": is_active,
        "children_groups": registry.children_of(unit),
        "predecessors": predecessors,
        "successors": successors,
        "show_staff": show_staff,
        "staff": registry.staff_of(unit) if show_staff else [],
    }
    return render(request, "portal/unit_detail.html", context)
