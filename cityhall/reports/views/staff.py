"""Staff pages of reports: the queue, bulk assignment, one report's handling, hotline entry."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityhall.accounts.models import Membership, User
from cityhall.accounts.scope import scope_of
from cityhall.accounts.web import signed_in_user, staff_required
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitKind
from cityhall.reports import policy, services
from cityhall.reports.filters import ReportFilter
from cityhall.reports.forms import ReportForm, attribute_rows, choice_field, local
from cityhall.reports.labels import ACTION_BUTTONS, REJECT_REASONS, STATE_LABELS, refusal
from cityhall.reports.models import Category, Channel, Report, ReportPhoto
from cityhall.reports.services import ReportError
from cityhall.reports.states import OPEN_STATES
from cityhall.reports.views.public import categories_for, map_context, submit_from_form
from cityhall.workflow import engine
from cityhall.workflow.models import Transition

QUEUE_PAGE = 50
REPLY_TEMPLATES = Path(__file__).parent.parent / "data" / "reply_templates.yaml"


@cache
def _reply_templates_data() -> list[dict[str, str]]:
    return list(yaml.safe_load(REPLY_TEMPLATES.read_text(encoding="utf-8")) or [])


def reply_templates() -> list[dict[str, str]]:
    """The canned replies (data file), with title and text in the page's language."""
    return [{"code": t["code"], "title": local(t, "title"), "text": local(t, "text")}
            for t in _reply_templates_data()]


def queue_counts(user: User) -> dict[str, int]:
    """The user's report queue in numbers: open, overdue, due soon, open and assigned to them."""
    qs = Report.objects.visible_to(user).open().order_by()
    now = timezone.now()
    overdue_q = Q(due_at__lt=now)
    soon_ids = Report.objects.visible_to(user).due_soon(now).values("pk")
    return qs.aggregate(
        open=_count(), overdue=_count(overdue_q), due_soon=_count(Q(pk__in=soon_ids)),
        mine=_count(Q(assignee=user)),
    )


def staff_panel(user: User) -> dict[str, Any]:
    """The staff home's card of reports: the user's queue in numbers."""
    return {"report_counts": queue_counts(user)}


def _count(condition: Q | None = None) -> Count:
    return Count("pk", filter=condition) if condition is not None else Count("pk")


def assignable_staff(user: User) -> list[User]:
    """Staff who may take reports in the user's units (what the assign forms offer)."""
    scope = scope_of(user)
    members = Membership.objects.active_on().filter(scope.q("unit"), role__in=policy.STAFF_ROLES)
    return list(User.objects.filter(is_active=True, memberships__in=members).distinct()
                .only("pk", "username", "full_name", "first_name", "last_name")
                .order_by("full_name", "username"))


class QueueFilters(forms.Form):
    """The queue's filter widgets; what each choice means is `ReportFilter`'s."""

    state = forms.ChoiceField(required=False, label=gettext_lazy("State"))
    category = forms.ChoiceField(required=False, label=gettext_lazy("Category"))
    unit = forms.ChoiceField(required=False, label=gettext_lazy("Unit"))
    assignee = forms.ChoiceField(required=False, label=gettext_lazy("Assignee"))
    channel = forms.ChoiceField(required=False, label=gettext_lazy("Channel"))
    code = forms.CharField(required=False, max_length=32, label=gettext_lazy("Code"),
                           widget=forms.TextInput(attrs={"placeholder": "PA-…"}))
    deadline = forms.ChoiceField(required=False, label=gettext_lazy("Deadline"), choices=[
        ("", gettext_lazy("any")), ("overdue", gettext_lazy("overdue")),
        ("due_soon", gettext_lazy("due soon"))])

    def __init__(self, *args: Any, categories: list[Category], units: list[Unit],
                 staff: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = ("", _("any"))
        choice_field(self, "state").choices = [
            ("", _("open (received, assigned, in progress)")), ("all", _("all")),
            *((k, v) for k, v in STATE_LABELS.items())]
        choice_field(self, "category").choices = [
            anything, *((c.code, local(c)) for c in categories)]
        choice_field(self, "unit").choices = [anything, *((u.code, u.name) for u in units)]
        choice_field(self, "assignee").choices = [
            anything, ("me", _("me")), ("none", _("nobody yet")),
            *((u.username, u.display_name) for u in staff)]
        choice_field(self, "channel").choices = [anything, *Channel.choices]

    def criteria(self) -> ReportFilter:
        """The chosen filters; an unbound or invalid form shows the open reports."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        state = data.get("state", "")
        code = (data.get("code") or "").strip()
        return ReportFilter(
            # Nothing chosen: the reports waiting for work; "all": every state. A code
            # finds its report in whatever state.
            status="open" if not state and not code else None,
            code=[code] if code else [],
            state=state if state not in ("", "all") else None,
            category=[data["category"]] if data.get("category") else [],
            unit=data.get("unit") or None, assignee=data.get("assignee") or None,
            channel=data.get("channel") or None,
            overdue=data.get("deadline") == "overdue",
            due_soon=data.get("deadline") == "due_soon",
        )

    def chosen(self) -> dict[str, str]:
        """The valid choices made, for the links to other pages of the queue."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {k: v for k, v in data.items() if v}


def _queue_rows(user: User, criteria: ReportFilter) -> Any:
    return criteria.apply(Report.objects.visible_to(user), user=user).for_queue().order_by(
        F("due_at").asc(nulls_last=True), "pk")


def _queue_units(user: User) -> list[Unit]:
    """The wards, communes and departments in the user's scope (the unit filter)."""
    return list(Unit.objects.active_on()
                .filter(scope_of(user).q(), kind__in=[*COMMUNE_LEVEL, UnitKind.DEPARTMENT])
                .only("pk", "code", "name").order_by("search_name"))


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The reports in the user's scope, soonest deadline first, with filters and bulk assign."""
    user = signed_in_user(request)
    staff = assignable_staff(user)
    categories = list(Category.objects.active().order_by("order", "code"))
    units = _queue_units(user)
    filters = QueueFilters(request.GET or None, categories=categories, units=units, staff=staff)
    page = Paginator(_queue_rows(user, filters.criteria()), QUEUE_PAGE).get_page(
        request.GET.get("page"))
    query = urlencode(filters.chosen())
    now = timezone.now()
    # What the user may do on each row, as the engine answers it (no query: the user's
    # roles and the definitions are kept for the request).
    rows = [(r, engine.available_actions(r, user)) for r in page.object_list]
    context = {
        "filters": filters, "page": page, "query": query, "staff": staff, "now": now,
        "counts": queue_counts(user), "open_states": OPEN_STATES, "rows": rows,
        "may_assign": any("assign" in actions for _r, actions in rows),
    }
    return render(request, "reports/staff_queue.html", context)


@staff_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign the ticked reports to one person: all of them or, on any refusal, none."""
    user = signed_in_user(request)
    codes = request.POST.getlist("codes")[:QUEUE_PAGE]
    back = reverse("reports:staff_reports") + (
        "?" + request.POST["query"] if request.POST.get("query") else "")
    assignee = services.find_staff(request.POST.get("assignee", ""))
    reports = list(Report.objects.visible_to(user).filter(code__in=codes).select_related("unit"))
    if not reports or assignee is None:
        messages.error(request, _("Tick at least one report and choose who takes them."))
        return redirect(back)
    try:
        done = services.bulk_assign(actor=user, reports=reports, assignee=assignee)
    except ReportError as exc:
        detail = "; ".join(f"{k}: {refusal(exc.code, v)}" for k, v in exc.detail.items()) \
            if isinstance(exc.detail, dict) else refusal(exc.code, exc.detail)
        messages.error(request, _("Nothing was assigned: %(why)s") % {"why": detail})
    else:
        changed = sum(1 for a in done if a.changed)
        if changed:
            messages.success(request, ngettext(
                "%(n)s report assigned to %(name)s.", "%(n)s reports assigned to %(name)s.",
                changed) % {"n": changed, "name": assignee.display_name})
        if changed < len(done):
            messages.info(request, ngettext(
                "%(n)s report was with %(name)s already.",
                "%(n)s reports were with %(name)s already.",
                len(done) - changed) % {"n": len(done) - changed,
                                        "name": assignee.display_name})
    return redirect(back)


def _staff_report(user: User, code: str) -> Report:
    report = (
        Report.objects.visible_to(user)
        .select_related("category", "unit", "place_unit", "assignee", "duplicate_of", "filed_by")
        .prefetch_related(Prefetch("photos", queryset=ReportPhoto.objects.order_by("pk")))
        .with_code(code).first()
    )
    if report is None:
        raise Http404(_("No report has this code."))
    return report


def _transfer_targets(report: Report) -> list[Unit]:
    return list(Unit.objects.active_on()
                .filter(kind__in=[*COMMUNE_LEVEL, UnitKind.DEPARTMENT])
                .exclude(pk=report.unit_id).only("pk", "code", "name", "kind")
                .order_by("kind", "search_name"))


def _detail(request: HttpRequest, report: Report, *, errors: dict[str, Any] | None = None,
            contact: dict[str, str] | None = None, status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    actions = [a for a in engine.available_actions(report, user) if a in ACTION_BUTTONS]
    steps = list(Transition.objects.for_case(report).select_related("actor", "assignee")
                 .order_by("seq"))
    # The reporter's name shows only beside their contact, whose reading was just logged.
    history = [(step, _step_actor(step, report, contact_shown=contact is not None))
               for step in steps]
    photos = list(report.photos.all())
    context = {
        "report": report, "actions": actions, "history": history,
        "attributes": attribute_rows(report.category, report.attribute_values),
        "action_buttons": ACTION_BUTTONS, "reject_reasons": REJECT_REASONS,
        "report_photos": [p for p in photos if p.kind == ReportPhoto.Kind.REPORT],
        "reply_photos": [p for p in photos if p.kind == ReportPhoto.Kind.REPLY],
        "staff": assignable_staff(user) if "assign" in actions else [],
        "targets": _transfer_targets(report) if "transfer" in actions else [],
        "templates": reply_templates() if "resolve" in actions or "reject" in actions else [],
        "suggestions": services.merge_suggestions(report=report, user=user)
        if "merge" in actions else [],
        "errors": errors or {}, "posted": request.POST if errors else {},
        "contact": _labelled(contact), "has_contact": _may_have_contact(report),
        "overdue": report.is_overdue(),
        **map_context(),
    }
    return render(request, "reports/staff_detail.html", context, status=status)


def _step_actor(step: Transition, report: Report, *, contact_shown: bool) -> str:
    """Who took a step, in words for staff: the reporter by their role, not their name."""
    if policy.taken_by_reporter(step, report):
        if contact_shown and step.actor is not None:
            return f"{step.actor.display_name} ({_('the reporter')})"
        return _("the reporter")
    if step.actor is not None:
        return step.actor.display_name
    if step.action in ("start", "rate", "reopen"):
        # No account took it: an anonymous or link-holding reporter.
        return _("the reporter")
    return _("the system")


CONTACT_LABELS = {
    "name": gettext_lazy("Name"), "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"), "device_id": gettext_lazy("Device"),
    "account_id": gettext_lazy("Account at the partner"),
    "account_full_name": gettext_lazy("Account holder"),
    "account_phone": gettext_lazy("Account phone"),
    "account_email": gettext_lazy("Account e-mail"),
}


def _labelled(contact: dict[str, str] | None) -> list[tuple[str, str]] | None:
    """The contact's fields with words for people, in a stable order."""
    if contact is None:
        return None
    return [(str(CONTACT_LABELS.get(k, k)), v) for k, v in contact.items()]


def _may_have_contact(report: Report) -> bool:
    return not report.anonymous or report.reporter_id is not None


@staff_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """One report for the staff handling it: place, photos, history, the actions they may take."""
    return _detail(request, _staff_report(signed_in_user(request), code))


@staff_required
@require_POST
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Take one of the report's actions (assign, start, resolve, transfer, reject, merge)."""
    user = signed_in_user(request)
    report = _staff_report(user, code)
    post = request.POST
    if action not in services.HANDLING_ACTIONS:
        raise Http404(_("No such action."))
    original = None
    if action == "merge":
        # A code typed in, or else one of the suggested reports ticked.
        typed = post.get("original", "").strip() or post.get("suggested", "")
        original = Report.objects.visible_to(user).select_related("unit").with_code(
            typed).first()
    try:
        changed = services.take_action(
            actor=user, report=report, action=action,
            assignee=services.find_staff(post.get("assignee", "")),
            to_unit=services.find_unit_in_service(post.get("to_unit", "")),
            original=original, comment=post.get("comment", ""), reply=post.get("reply", ""),
            reason=post.get("reason", ""), responsible=post.get("responsible", ""),
            photos=request.FILES.getlist("photos"))
    except ReportError as exc:
        errors = {k: refusal(exc.code, v) for k, v in exc.detail.items()} \
            if isinstance(exc.detail, dict) else {"__all__": refusal(exc.code, exc.detail)}
        fresh = _staff_report(user, code)
        return _detail(request, fresh, errors={"action": action, **errors}, status=400)
    if changed and action == "take":
        messages.success(request, _("Report %(code)s is yours now.") % {"code": report.code})
    elif changed:
        messages.success(request, _("Done: %(action)s.") % {"action": ACTION_BUTTONS[action]})
    else:
        messages.info(request, _("Nothing changed: the report is with this person already."))
    if not Report.objects.visible_to(user).filter(pk=report.pk).exists():
        # Transferred out of the user's scope: back to the queue.
        return redirect("reports:staff_reports")
    return redirect("reports:staff_report", code=report.code)


@staff_required
@require_POST
def show_contact(request: HttpRequest, code: str) -> HttpResponse:
    """The reporter's contact, shown on request and logged as a read of personal data."""
    user = signed_in_user(request)
    report = _staff_report(user, code)
    contact = services.read_reporter_contact(report=report, user=user)
    if request.headers.get("HX-Request") == "true":
        return render(request, "reports/_contact.html", {"contact": _labelled(contact)})
    return _detail(request, report, contact=contact)


class HotlineForm(ReportForm):
    """A report taken by phone or e-mail, or filed by a neighbourhood head for a resident."""

    channel = forms.ChoiceField(label=gettext_lazy("How it came in"))
    on_behalf_of = forms.CharField(
        label=gettext_lazy("Resident's account (user name), if they have one"), required=False,
        max_length=150)

    def __init__(self, *args: Any, channels: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "channel").choices = channels
        self.fields["contact_name"].label = gettext_lazy("Caller's name")
        self.fields["anonymous"].label = gettext_lazy("The caller wants to stay anonymous")

    def clean_on_behalf_of(self) -> User | None:
        name = self.cleaned_data.get("on_behalf_of", "").strip()
        if not name:
            return None
        found = User.objects.filter(username=name, is_active=True).first()
        if found is None:
            raise forms.ValidationError(_("No account has this user name."))
        return found


def _channels_for(user: User) -> list[tuple[str, Any]]:
    return [(c, Channel(c).label) for c in policy.entry_channels(user)]


@staff_required
@require_http_methods(["GET", "POST"])
def hotline_new(request: HttpRequest) -> HttpResponse:
    """Staff enter a report taken by phone; neighbourhood heads file one for a resident."""
    user = signed_in_user(request)
    channels = _channels_for(user)
    if not channels:
        raise Http404(_("Only staff and neighbourhood heads enter reports here."))
    categories = categories_for(None)
    status = 200
    if request.method == "POST":
        form = HotlineForm(request.POST, request.FILES, categories=categories, channels=channels)
        if form.is_valid():
            sent = submit_from_form(request, form, actor=user,
                                    channel=form.cleaned_data["channel"],
                                    on_behalf_of=form.cleaned_data.get("on_behalf_of"))
            if sent is not None:
                messages.success(request, _(
                    "Report %(code)s recorded for %(unit)s. Give the caller the code.") % {
                    "code": sent.report.code, "unit": sent.report.unit.name})
                if Report.objects.visible_to(user).filter(pk=sent.report.pk).exists():
                    return redirect("reports:staff_report", code=sent.report.code)
                url = reverse("reports:report_sent", args=[sent.report.code])
                return redirect(f"{url}?{urlencode({'t': sent.private_token})}")
        status = 400
    else:
        form = HotlineForm(categories=categories, channels=channels,
                           initial={"category": request.GET.get("category", "")})
    context = {"form": form, "form_action": reverse("reports:staff_report_new"),
               "staff_entry": True, **map_context()}
    return render(request, "reports/new.html", context, status=status)

