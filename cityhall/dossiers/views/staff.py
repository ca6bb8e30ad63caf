"""Staff pages of dossiers: the queue of the user's units and one dossier's handling."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityhall.accounts.models import Membership, User
from cityhall.accounts.scope import scope_of
from cityhall.accounts.web import signed_in_user, staff_required
from cityhall.core.audit import log_personal_data_read
from cityhall.dossiers import services
from cityhall.dossiers.errors import DossierCode, DossierError
from cityhall.dossiers.filters import DossierFilter, late_q, queue_counts
from cityhall.dossiers.forms import CounterDossierForm
from cityhall.dossiers.models import Dossier
from cityhall.dossiers.queries import component_numbers
from cityhall.dossiers.slips import forms_of
from cityhall.dossiers.states import (
    ACTION_LABELS,
    COMMENT_LABELS,
    STATE_LABELS,
    STEP_LABELS,
    state_label,
)
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitKind
from cityhall.procedures.models import Procedure
from cityhall.workflow import engine

QUEUE_PAGE = 50
#: What the staff page shows of the applicant (its reading is logged).
SHOWN = ["applicant_name", "applicant_id_number", "applicant_phone", "applicant_email",
         "applicant_address", "components.data_read"]


class QueueFilters(forms.Form):
    """The queue's filter widgets; what each choice means is `DossierFilter`'s."""

    state = forms.ChoiceField(required=False, label=gettext_lazy("State"))
    procedure = forms.ChoiceField(required=False, label=gettext_lazy("Procedure"))
    unit = forms.ChoiceField(required=False, label=gettext_lazy("Unit"))
    late = forms.BooleanField(required=False, label=gettext_lazy("Late only"))
    code = forms.CharField(required=False, max_length=48, label=gettext_lazy("Dossier code"))

    def __init__(self, *args: Any, procedures: list[tuple[str, str]], units: list[Unit],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["state"]).choices = [
            ("", _("open")), ("all", _("all")), *STATE_LABELS.items()]
        cast(forms.ChoiceField, self.fields["procedure"]).choices = [
            ("", _("any")), *procedures]
        cast(forms.ChoiceField, self.fields["unit"]).choices = [
            ("", _("any")), *((u.code, u.name) for u in units)]

    def criteria(self) -> DossierFilter:
        """The chosen filters; an unbound or invalid form shows the open dossiers."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return DossierFilter(state=data.get("state") or "open",
                             procedure=data.get("procedure") or "",
                             unit=data.get("unit") or "", late=bool(data.get("late")),
                             code=(data.get("code") or "").strip())

    def chosen(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {k: v for k, v in data.items() if v}


def staff_panel(user: User) -> dict[str, Any]:
    """The staff home's card of dossiers: the user's units' queue in numbers."""
    return {"dossier_counts": queue_counts(Dossier.objects.visible_to(user), user.pk)}


def notice_links(reader: Any, ids: list[int]) -> dict[int, str]:
    """Staff go to the dossier's staff page; its applicant to their own page of it (where a
    request to supplement is answered, the result downloaded)."""
    staff = dict(Dossier.objects.visible_to(reader).filter(pk__in=ids)
                 .values_list("pk", "code"))
    found = {pk: reverse("dossiers:staff_dossier", args=[code]) for pk, code in staff.items()}
    rest = [i for i in ids if i not in found]
    if rest and getattr(reader, "is_authenticated", False):
        for pk, code in Dossier.objects.filter(pk__in=rest, applicant=reader).values_list(
                "pk", "code"):
            found[pk] = reverse("dossiers:my_dossier", args=[code])
    return found


def _units(user: User) -> list[Unit]:
    return list(Unit.objects.active_on().filter(scope_of(user).q())
                .only("pk", "code", "name").order_by("search_name"))


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The dossiers of the user's units (received or to decide), late first, with filters."""
    user = signed_in_user(request)
    mine = Dossier.objects.visible_to(user)
    procedures = list(Procedure.objects.filter(pk__in=mine.values("procedure"))
                      .order_by("name").values_list("code", "name"))
    filters = QueueFilters(request.GET or None, procedures=procedures, units=_units(user))
    now = timezone.now()
    rows = (filters.criteria().apply(mine, now=now)
            .select_related("procedure", "unit", "receiving_unit", "assignee")
            .order_by(F("due_at").asc(nulls_last=True), "pk"))
    page = Paginator(rows, QUEUE_PAGE).get_page(request.GET.get("page"))
    late = set(mine.filter(late_q(now), pk__in=[d.pk for d in page.object_list])
               .values_list("pk", flat=True))
    today = timezone.localdate()
    context = {"filters": filters, "page": page, "query": urlencode(filters.chosen()),
               "units": _units(user), "month_start": today.replace(day=1), "today": today,
               "counts": queue_counts(mine, user.pk, now), "late": late,
               "rows": [(d, state_label(d.state)) for d in page.object_list]}
    return render(request, "dossiers/staff_queue.html", context)


@staff_required
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    """The register form's answer: the XLSX of the chosen unit and period (the API's)."""
    unit = request.GET.get("unit", "")[:32]
    if not unit or "/" in unit:
        raise Http404(_("No such unit in your scope."))
    period = {k: request.GET[k][:10] for k in ("from", "to") if request.GET.get(k)}
    url = reverse("api:dossier_register", args=[unit])
    return redirect(f"{url}?{urlencode(period)}" if period else url)


def _dossier(user: User, code: str) -> Dossier:
    found = (Dossier.objects.visible_to(user)
             .select_related("procedure", "unit", "receiving_unit", "assignee", "applicant")
             .filter(code=code[:48]).first())
    if found is None:
        raise Http404(_("No such dossier."))
    return found


def _staff_choices(dossier: Dossier) -> list[User]:
    members = Membership.objects.active_on().filter(unit=dossier.unit)
    return list(User.objects.filter(is_active=True, memberships__in=members).distinct()
                .order_by("full_name", "username"))


def _targets(dossier: Dossier) -> list[Unit]:
    return list(Unit.objects.active_on()
                .filter(kind__in=[*COMMUNE_LEVEL, UnitKind.DEPARTMENT, UnitKind.PROVINCE])
                .exclude(pk=dossier.unit_id).only("pk", "code", "name", "kind")
                .order_by("kind", "search_name"))


def _page(request: HttpRequest, dossier: Dossier, *, error: str = "",
          failed: str = "", status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    log_personal_data_read(reader=user, obj=dossier, subject=dossier.applicant, fields=SHOWN,
                           purpose="dossiers.staff_page")
    actions = [a for a in ACTION_LABELS if a in engine.available_actions(dossier, user)]
    numbers = component_numbers(dossier)
    components = sorted(dossier.components.select_related("file"),
                        key=lambda c: numbers.get(c.procedure_component_id or 0, 99))
    now = timezone.now()
    context = {
        "dossier": dossier, "state": state_label(dossier.state),
        "actions": [(a, ACTION_LABELS[a], COMMENT_LABELS.get(a, "")) for a in actions],
        "components": [(numbers.get(c.procedure_component_id or 0), c) for c in components],
        "history": [(step, STEP_LABELS.get(step.action) or ACTION_LABELS.get(step.action)
                     or step.action) for step in engine.history(dossier)],
        "late": Dossier.objects.filter(late_q(now), pk=dossier.pk).exists(),
        "staff": _staff_choices(dossier) if "assign" in actions else [],
        "targets": _targets(dossier) if "transfer" in actions else [],
        "forms": forms_of(dossier), "error": error, "failed": failed,
        "can_attach": dossier.state in services.OPEN_STATES and Membership.objects.active_on()
        .filter(user=user, role__in=services.COUNTER_ROLES,
                unit_id__in=[dossier.receiving_unit_id, dossier.unit_id]).exists(),
        "parts": list(enumerate(dossier.procedure.components.order_by("order"), start=1)),
        "posted": request.POST if error else {},
        "min_appointment": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "dossiers/staff_dossier.html", context, status=status)


@staff_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """One dossier for the staff of its units: applicant, components, history, the steps the
    user may take now, and its forms."""
    return _page(request, _dossier(signed_in_user(request), code))


def _number(key: str) -> int:
    """`scan_3` -> 3 (0 for anything else, which the service refuses)."""
    tail = key.removeprefix("scan_")
    return int(tail) if tail.isdigit() and len(tail) < 3 else 0


def _moment(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@staff_required
@require_POST
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Take a step from the dossier page; a refusal shows the page again with the reason."""
    user = signed_in_user(request)
    dossier = _dossier(user, code)
    comment = request.POST.get("comment", "")[:4000]
    try:
        if action == "transfer":
            services.transfer_dossier(actor=user, dossier=dossier, reason=comment,
                                      to_unit=request.POST.get("to_unit", ""))
        elif action == "reschedule":
            moment = _moment(request.POST.get("appointment_at", ""))
            if moment is None:
                raise DossierError(DossierCode.INVALID_APPOINTMENT, _(
                    "Give the new appointment's date and time."))
            services.reschedule_dossier(actor=user, dossier=dossier, appointment_at=moment,
                                        reason=comment)
        elif action == "supplement":
            services.supply_components(actor=user, dossier=dossier, components=[],
                                       comment=comment)
        elif action == "attach":
            scans = [services.ComponentIn(number=_number(key), file=f)
                     for key, f in request.FILES.items() if key.startswith("scan_")]
            services.attach_scans(actor=user, dossier=dossier, components=scans)
        elif action == "issue_result":
            services.issue_result(actor=user, dossier=dossier, comment=comment,
                                  file=request.FILES.get("result"))
        else:
            assignee = None
            if action == "assign":
                assignee = User.objects.filter(username=request.POST.get("assignee", "")[:150],
                                               is_active=True).first()
            services.act_on_dossier(actor=user, dossier=dossier, action=action[:64],
                                    comment=comment, assignee=assignee)
    except DossierError as exc:
        detail = exc.detail if not isinstance(exc.detail, dict) else " ".join(
            str(v) for v in exc.detail.values())
        return _page(request, _dossier(user, code), error=str(detail or exc.code),
                     failed=action, status=exc.code.status if exc.code.status < 500 else 400)
    messages.success(request, _("Done: %(action)s.") % {
        "action": ACTION_LABELS.get(action, _("Attach scans") if action == "attach" else action)})
    return redirect(reverse("dossiers:staff_dossier", args=[dossier.code]))


def _counters(user: User) -> list[Unit]:
    """The units at whose counter the user receives dossiers."""
    rows = Membership.objects.active_on().filter(user=user, role__in=services.COUNTER_ROLES)
    return list(Unit.objects.filter(pk__in=rows.values("unit")).order_by("search_name"))


@staff_required
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    """The counter: choose the procedure (any of the province), then receive the dossier of
    an applicant from any ward: their details, each component checked on paper, scanned or
    replaced by data held; then form 01 to print."""
    user = signed_in_user(request)
    counters = _counters(user)
    if not counters:
        return render(request, "dossiers/staff_counter.html", {"counters": []}, status=403)
    code = (request.POST.get("procedure") or request.GET.get("procedure") or "")[:40]
    procedure = Procedure.objects.active().filter(code=code).first() if code else None
    q = request.GET.get("q", "")[:100]
    found = (list(Procedure.objects.active().matching(q).order_by("name")[:20])
             if q and procedure is None
             else [])
    form = None
    if procedure is not None:
        form = CounterDossierForm(request.POST or None, request.FILES or None,
                                  procedure=procedure, counters=counters)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                made = services.receive_at_counter(
                    actor=user, procedure=procedure, applicant=services.Applicant(
                        name=data["applicant_name"], id_number=data["id_number"],
                        kind=data["applicant_kind"], phone=data["phone"],
                        email=data["email"], address=data["address"]),
                    receiving_unit=data["receiving_unit"],
                    competent_unit=data.get("competent_unit") or None,
                    components=form.components(data["id_number"].strip()),
                    on_behalf=data["on_behalf"], idempotency_key=data["idempotency_key"])
            except DossierError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _(
                    "Dossier %(code)s received: print the receipt slip (form 01).") % {
                    "code": made.dossier.code})
                return redirect(reverse("dossiers:staff_dossier", args=[made.dossier.code]))
    status = 400 if request.method == "POST" else (404 if code and procedure is None else 200)
    return render(request, "dossiers/staff_counter.html", {
        "counters": counters, "procedure": procedure, "form": form, "q": q,
        "found": found}, status=status)
