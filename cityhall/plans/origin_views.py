""""Assign now" from anywhere, and tasks from a directive: the pages other apps link to.

A report's or a document's page links here with its kind and reference (`?kind=request&
ref=PA-...`); `core.origins` tells what it is (label, page, a title and unit to suggest), so
plans never imports the app it comes from. After the task is given, the leader goes back
to the origin's page. The origin's page also loads `origin_tasks`, a fragment listing the
tasks given from it that the reader may see, with the buttons for those who may give more.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.forms import formset_factory
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from cityhall.accounts.models import User
from cityhall.accounts.web import staff_required
from cityhall.core import origins
from cityhall.orgunits.models import Unit
from cityhall.plans import policy, services
from cityhall.plans.api import TaskFilters, filtered_tasks
from cityhall.plans.errors import PlanError
from cityhall.plans.forms import AssignNowForm, DirectiveForm, DirectiveRowForm, unit_choices
from cityhall.plans.models import OriginKind, Plan
from cityhall.plans.origins import NONE, Origin, local_path
from cityhall.plans.status import Status
from cityhall.plans.views import _refusal_text, _staff

#: Rows of the directive's form: enough for most directives; more after a first save.
DIRECTIVE_ROWS = 6


def _origin(query: QueryDict, user: User) -> tuple[Origin, origins.Described | None]:
    """The origin named by `kind` and `ref` (a kind an app describes), as the user sees it."""
    kind = query.get("kind", query.get("origin_kind", ""))[:16]
    ref = query.get("ref", query.get("origin_ref", ""))[:64].strip()
    if kind not in OriginKind.values or kind == OriginKind.NONE or not ref:
        return NONE, None
    found = origins.describe(kind, ref, user)
    # Unknown or hidden: the service refuses it (`unknown_task_origin`) rather than give the
    # task without it.
    return Origin(kind=kind, ref=ref, label=found.label if found else "",
                  url=found.url if found else ""), found


def _unit(code: str) -> Unit | None:
    return Unit.objects.active_on().filter(code=code[:32]).first() if code else None


def _back(next_url: str, origin: Origin) -> str:
    """Where to go after giving the task: the page asked for, the origin's, or the queue."""
    for url in (next_url, origin.url):
        if url and local_path(url):
            return url
    return reverse("plans:tasks")


def _queue(request: HttpRequest, form: AssignNowForm) -> HttpResponse:
    rows = filtered_tasks(request.user, TaskFilters.model_validate({}), timezone.localdate())
    return render(request, "plans/tasks.html", {
        "tasks": rows[:200], "count": rows.count(), "status": "", "mine": False,
        "statuses": [(s.value, s.label) for s in Status], "form": form}, status=400)


@require_http_methods(["GET", "POST"])
@staff_required
def assign_now(request: HttpRequest) -> HttpResponse:
    """"Assign now": the form (GET, prefilled from an origin), then the task given (POST).

    The task queue posts its own form here too; an error goes back to the page it came from.
    """
    leader = _staff(request)
    source = request.POST if request.method == "POST" else request.GET
    origin, described = _origin(source, leader)
    suggested = _unit(described.unit_code) if described else None
    if request.method == "GET":
        initial = {"title": request.GET.get("title", "")[:500] or (described.title if described
                                                                    else ""),
                   "unit": (suggested.code if suggested else request.GET.get("unit", "")[:32]),
                   "origin_kind": origin.kind if described else "",
                   "origin_ref": origin.ref, "next": request.GET.get("next", "")[:500]}
        form = AssignNowForm(initial=initial, user=leader, suggested=suggested)
        return render(request, "plans/assign.html", {"form": form, "origin": described,
                                                     "suggested": suggested})
    form = AssignNowForm(request.POST, user=leader, suggested=suggested)
    standalone = request.POST.get("page") == "assign"
    if form.is_valid():
        data = form.cleaned_data
        person = None
        if data["person"]:
            person = User.objects.filter(username=data["person"].strip(), is_active=True).first()
            if person is None:
                form.add_error("person", _("No such member of staff."))
        if not form.errors:
            try:
                made = services.assign_now(
                    actor=leader, title=data["title"], unit=_unit(data["unit"]), person=person,
                    working_days=data["working_days"], description=data["description"],
                    origin=origin, idempotency_key=data["idempotency_key"])
            except PlanError as refusal:
                form.add_error(None, _refusal_text(refusal))
            else:
                messages.success(request, _("Task given to %(unit)s: %(title)s, due %(due)s.") % {
                    "unit": made.task.lead_unit.name, "title": made.task.title,
                    "due": formats.date_format(made.task.due)})
                return HttpResponseRedirect(_back(data.get("next", ""), origin))
    if not standalone:
        return _queue(request, form)
    return render(request, "plans/assign.html", {"form": form, "origin": described,
                                                 "suggested": suggested}, status=400)


@require_GET
@staff_required
def origin_tasks(request: HttpRequest) -> HttpResponse:
    """A fragment for an origin's page: the tasks given from it that the reader may see, and
    "Assign now" (and, for a directive, "Create tasks") for those who may give them."""
    user = _staff(request)
    kind = request.GET.get("kind", "")[:16]
    ref = request.GET.get("ref", "")[:64].strip()
    valid = kind in OriginKind.values and kind != OriginKind.NONE and bool(ref)
    rows = (filtered_tasks(user, TaskFilters.model_validate(
        {"origin_kind": kind, "origin_ref": ref}), timezone.localdate())[:50]
        if valid else [])
    described = origins.describe(kind, ref, user) if valid else None
    suggested = _unit(described.unit_code) if described else None
    may_assign = described is not None and bool(unit_choices(user, suggested))
    query = urlencode({"kind": kind, "ref": ref})
    return render(request, "plans/_origin_tasks.html", {
        "tasks": rows, "may_assign": may_assign, "many": bool(described and described.many),
        "query": query, "statuses": {s.value: s.label for s in Status}})


def _directive_page(request: HttpRequest, *, origin: Origin, described: origins.Described,
                    form: DirectiveForm, rows: Any, status: int = 200) -> HttpResponse:
    return render(request, "plans/directive.html", {
        "origin": described, "kind": origin.kind, "ref": origin.ref, "form": form,
        "rows": rows}, status=status)


def _steered_plans(user: User) -> list[tuple[int, str]]:
    plans = Plan.objects.visible_to(user).filter(status="active").select_related("owner_unit")
    return [(p.pk, p.title) for p in plans if policy.may_steer(user, p.owner_unit)]


@require_http_methods(["GET", "POST"])
@staff_required
def directive(request: HttpRequest) -> HttpResponse:
    """Tasks from a directive: one row a task (title, unit or person, working days), given
    at once through `services.tasks_from_directive`, all or none."""
    leader = _staff(request)
    source = request.POST if request.method == "POST" else request.GET
    origin, described = _origin(source, leader)
    if described is None:
        messages.error(request, _("Open the directive first: this page gives tasks from it."))
        return HttpResponseRedirect(reverse("plans:tasks"))
    suggested = _unit(described.unit_code)
    units = unit_choices(leader, suggested)
    Rows = formset_factory(DirectiveRowForm, extra=DIRECTIVE_ROWS, max_num=services
                           .MAX_DIRECTIVE_ITEMS, validate_max=True)
    plans = _steered_plans(leader)
    if request.method == "GET":
        first = {"title": described.title, "unit": suggested.code if suggested else "",
                 "working_days": 10}
        return _directive_page(request, origin=origin, described=described,
                               form=DirectiveForm(plans=plans),
                               rows=Rows(initial=[first], form_kwargs={"units": units}))
    form = DirectiveForm(request.POST, plans=plans)
    rows = Rows(request.POST, form_kwargs={"units": units})
    if form.is_valid() and rows.is_valid():
        filled = [r for r in rows.forms if not r.blank]
        items = []
        for row in filled:
            data = row.cleaned_data
            person = None
            if data["person"]:
                person = User.objects.filter(username=data["person"].strip(),
                                             is_active=True).first()
                if person is None:
                    row.add_error("person", _("No such member of staff."))
            items.append(services.DirectiveItem(
                title=data["title"], working_days=data["working_days"] or 0,
                unit=_unit(data["unit"]), person=person))
        plan = (Plan.objects.filter(pk=form.cleaned_data["plan"]).first()
                if form.cleaned_data["plan"] else None)
        if not filled:
            form.add_error(None, _("Fill in at least one task."))
        elif not any(r.errors for r in filled):
            try:
                made = services.tasks_from_directive(
                    actor=leader, origin=origin, items=items, plan=plan,
                    idempotency_key=form.cleaned_data["idempotency_key"])
            except PlanError as refusal:
                _place_errors(refusal, form, filled)
            else:
                messages.success(request, ngettext(
                    "%(n)d task given from %(what)s.", "%(n)d tasks given from %(what)s.",
                    len(made.tasks)) % {"n": len(made.tasks), "what": described.label})
                return HttpResponseRedirect(_back("", origin))
    return _directive_page(request, origin=origin, described=described, form=form, rows=rows,
                           status=400)


def _place_errors(refusal: PlanError, form: DirectiveForm, filled: list[Any]) -> None:
    """Put a refusal's `items.N` messages on their rows, anything else on the form."""
    detail = refusal.detail
    if not isinstance(detail, dict):
        form.add_error(None, str(detail))
        return
    for key, message in detail.items():
        _, _dot, n = key.partition(".")
        if key.startswith("items.") and n.isdigit() and int(n) < len(filled):
            filled[int(n)].add_error(None, str(message))
        else:
            form.add_error(None, str(message))
