"""The documents' pages for staff: the registers, a document, drafting, registering an
arrival, giving it to handle, the handling queue. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityhall.accounts.models import Membership, Role, User
from cityhall.accounts.scope import scope_of
from cityhall.accounts.web import staff_required
from cityhall.core.files.serve import serve_file
from cityhall.core.text import search_key
from cityhall.documents import (
    arrivals,
    edxml,
    exchange,
    pdf,
    receiving,
    registers,
    services,
    verification,
)
from cityhall.documents.errors import DocumentError
from cityhall.documents.forms import AssignForm, DraftForm, IncomingForm
from cityhall.documents.models import Arrival, Direction, Document, DocumentFile, Handling
from cityhall.documents.states import state_label
from cityhall.orgunits.models import Unit
from cityhall.workflow import engine

#: The units offered to draft or register for: where the user holds a staff role.
_KEEPING_ROLES = [Role.OFFICER, Role.CLERK, Role.LEADER, Role.ADMIN]


def _my_units(user: Any) -> list[Unit]:
    ids = Membership.objects.active_on().filter(user=user, role__in=_KEEPING_ROLES).values(
        "unit_id")
    return list(Unit.objects.filter(pk__in=ids).order_by("name"))


def _year(value: str) -> int:
    return int(value) if value.isdigit() and 1945 <= int(value) <= 9999 else (
        timezone.localdate().year)


def staff_panel(user: User) -> dict[str, Any]:
    """The staff home's card of documents: what waits for the user, in numbers."""
    open_handlings = Handling.objects.visible_to(user).open()
    drafts = Document.objects.visible_to(user).outgoing().filter(closed_at__isnull=True,
                                                                 number__isnull=True)
    return {"document_counts": {
        "drafts": drafts.count(),
        "handling": open_handlings.count(),
        "overdue": open_handlings.filter(due_at__lt=timezone.now()).count(),
        "mine": open_handlings.filter(assignee=user).count(),
    }} if not scope_of(user).is_empty else {"document_counts": None}


@require_GET
@staff_required
def register_list(request: HttpRequest) -> HttpResponse:
    """A register of a unit's year, browsable and searchable; the units the user keeps."""
    user = request.user
    units = sorted({u.pk: u for u in [*_my_units(user), *registers.visible_units(user)]
                    }.values(), key=lambda u: u.name)
    code = request.GET.get("unit", "")[:32]
    unit = registers.unit_for(user, code) if code else (units[0] if units else None)
    direction = request.GET.get("direction", Direction.OUTGOING)
    if direction not in Direction.values:
        direction = Direction.OUTGOING
    year = _year(request.GET.get("year", ""))
    query = request.GET.get("q", "")[:200]
    rows = []
    figures = None
    if unit is not None:
        cols = registers.columns(direction)
        rows = [(d, [c.value(d) for c in cols])
                for d in registers.entries(user, unit, direction, year, query)]
        figures = registers.summary(user, unit, direction, year)
    context = {
        "units": units, "unit": unit, "direction": direction, "year": year, "query": query,
        "columns": registers.columns(direction), "rows": rows,
        "title": registers.title(unit, direction, year) if unit else _("Registers"),
        "figures": figures,
        "figures_text": registers.summary_text(direction, figures) if figures else "",
        "drafts": (Document.objects.visible_to(user).outgoing().filter(
            closed_at__isnull=True, number__isnull=True).select_related("doc_type", "unit")
            .order_by("-created_at")[:50]),
    }
    return render(request, "documents/registers.html", context)


@require_GET
@staff_required
def register_xlsx(request: HttpRequest, code: str, direction: str) -> HttpResponse:
    """The register as an XLSX workbook (the page's filters)."""
    unit = registers.unit_for(request.user, code)
    if unit is None or direction not in Direction.values:
        raise Http404(_("No such register."))
    year = _year(request.GET.get("year", ""))
    found = registers.entries(request.user, unit, direction, year,
                              request.GET.get("q", "")[:200])
    response = HttpResponse(
        registers.xlsx(unit, direction, year, found,
                       registers.summary(request.user, unit, direction, year)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{unit.code}-{direction}-{year}.xlsx"'
    return response


def _visible(request: HttpRequest, pk: int) -> Document:
    found = (Document.objects.visible_to(request.user)
             .select_related("doc_type", "unit", "register").filter(pk=pk).first())
    if found is None:
        raise Http404(_("No such document."))
    return found


def _staff_of(unit: Unit) -> list[tuple[str, str]]:
    people = User.objects.filter(
        pk__in=Membership.objects.active_on().filter(unit=unit).exclude(
            role=Role.NEIGHBOURHOOD_HEAD).values("user_id"), is_active=True)
    return [(u.username, u.display_name) for u in people.order_by("full_name", "username")]


@require_GET
@staff_required
def detail(request: HttpRequest, pk: int, form: AssignForm | None = None) -> HttpResponse:
    """A document: its register entry, its PDF, its history, the steps the user may take."""
    document = _visible(request, pk)
    user = request.user
    handlings = list(Handling.objects.visible_to(user).filter(document=document)
                     .select_related("unit", "assignee"))
    history = engine.history(document) if document.workflow_id else []
    may_assign = (document.direction == Direction.INCOMING
                  and bool(engine.roles_of(user, document) & services.LEADER_ROLES))  # type: ignore[arg-type]
    context = {
        "document": document, "state": state_label(document.state),
        "history": history, "files": list(DocumentFile.objects.filter(document=document)),
        "actions": engine.available_actions(document, user),
        "may_edit": (document.direction == Direction.OUTGOING and document.state == "drafted"
                     and bool(engine.roles_of(user, document) & services.STAFF_ROLES)),  # type: ignore[arg-type]
        "handlings": [(h, engine.available_actions(h, user), engine.history(h))
                      for h in handlings],
        "assign_form": form or (AssignForm(staff=_staff_of(document.unit))
                                if may_assign else None),
        "now": timezone.now(),
        "verification": verification.verify_document(document, now=timezone.now()),
        "dispatches": [(d, status_label(d.status), [(s, status_label(s.code))
                                                    for s in d.statuses.all()])
                       for d in document.dispatches.prefetch_related("statuses")],
        "may_send": bool(engine.roles_of(user, document) & services.REGISTRAR_ROLES),  # type: ignore[arg-type]
    }
    return render(request, "documents/detail.html", context, status=400 if form else 200)


#: The edXML statuses as the pages name them.
STATUS_LABELS = {
    edxml.StatusCode.ARRIVED: _lazy("arrived"),
    edxml.StatusCode.REJECTED: _lazy("rejected"),
    edxml.StatusCode.ACCEPTED: _lazy("accepted and registered"),
    edxml.StatusCode.ASSIGNED: _lazy("assigned for handling"),
    edxml.StatusCode.PROCESSING: _lazy("being processed"),
    edxml.StatusCode.COMPLETED: _lazy("completed"),
    edxml.StatusCode.RECALL_REQUESTED: _lazy("recall requested"),
    edxml.StatusCode.RECALL_AGREED: _lazy("recall agreed"),
    edxml.StatusCode.RECALL_REFUSED: _lazy("recall refused"),
}


def status_label(code: str) -> str:
    """"03 · accepted and registered"; "sending" before the first answer."""
    if not code:
        return str(_("sending"))
    return f"{code} · {STATUS_LABELS.get(code, '')}"  # type: ignore[call-overload]


@require_POST
@staff_required
def recall(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the recipients of a document sent by edXML to recall it (13)."""
    document = _visible(request, pk)
    try:
        services.require_sender(request.user, document)  # type: ignore[arg-type]
        exchange.request_recall(actor=request.user, document=document,  # type: ignore[arg-type]
                                reason=request.POST.get("reason", "")[:1000])
    except DocumentError as exc:
        messages.error(request, _error_text(exc))
    return HttpResponseRedirect(reverse("documents:detail", args=[document.pk]))


def _error_text(exc: DocumentError) -> str:
    return str(exc.detail if not isinstance(exc.detail, dict)
               else "; ".join(map(str, exc.detail.values())))


@require_GET
@staff_required
def arrival_list(request: HttpRequest) -> HttpResponse:
    """Documents received by edXML for the user's units: waiting first, then the rest."""
    found = Arrival.objects.visible_to(request.user).select_related("unit")
    rows = list(found.filter(state=Arrival.State.WAITING).order_by("received_at", "pk")[:200])
    done = list(found.exclude(state=Arrival.State.WAITING)[:100])
    return render(request, "documents/arrivals.html", {"waiting": rows, "done": done})


def _arrival(request: HttpRequest, pk: int) -> Arrival:
    found = (Arrival.objects.visible_to(request.user).select_related("unit", "document")
             .filter(pk=pk).first())
    if found is None:
        raise Http404(_("No such document received."))
    return found


@require_GET
@staff_required
def arrival_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One document received by edXML: its signatures' check, the clerk's decision."""
    arrival = _arrival(request, pk)
    return render(request, "documents/arrival.html", {
        "arrival": arrival,
        "history": [(s, status_label(s.code)) for s in arrival.statuses.all()],
        "may_decide": bool(services.REGISTRAR_ROLES & engine.roles_of(
            request.user, Document(unit=arrival.unit))),  # type: ignore[arg-type]
    })


@require_POST
@staff_required
def arrival_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """accept, reject, agree_recall or refuse_recall, from the page."""
    arrival = _arrival(request, pk)
    reason = request.POST.get("reason", "")[:1000]
    try:
        if action == "accept":
            document = receiving.accept(actor=request.user, arrival=arrival,  # type: ignore[arg-type]
                                       override_reason=request.POST.get("override_reason",
                                                                        "")[:1000])
            return HttpResponseRedirect(reverse("documents:detail", args=[document.pk]))
        if action == "reject":
            receiving.reject(actor=request.user, arrival=arrival, reason=reason)  # type: ignore[arg-type]
        elif action in ("agree_recall", "refuse_recall"):
            receiving.answer_recall(actor=request.user, arrival=arrival,  # type: ignore[arg-type]
                                   agree=action == "agree_recall", reason=reason)
        else:
            raise Http404(_("No such action."))
    except DocumentError as exc:
        messages.error(request, _error_text(exc))
    return HttpResponseRedirect(reverse("documents:arrival", args=[arrival.pk]))


@require_GET
@staff_required
def document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF as kept (issued, or approved by the leader); a draft's preview otherwise."""
    document = _visible(request, pk)
    stored = DocumentFile.objects.filter(document=document).order_by("-created_at", "-pk").first()
    name = search_key(document.notation or f"draft {document.pk}").replace(" ", "-")
    if stored is not None:
        return serve_file(stored, request=request, filename=f"{name}.pdf",  # type: ignore[return-value]
                          cache_control="private, no-store")
    if document.direction != Direction.OUTGOING:
        raise Http404(_("No PDF was kept for this document."))
    response = HttpResponse(pdf.render(document, today=timezone.localdate()).pdf,
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}-preview.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@staff_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take a workflow step from the document page."""
    document = _visible(request, pk)
    try:
        services.act_on_document(actor=request.user, document=document,  # type: ignore[arg-type]
                                 action=action[:64],
                                 comment=request.POST.get("comment", "")[:4000],
                                 # send: the recipients' codes, one a line or comma-separated
                                 to=request.POST.get("to", "")[:4000].replace(",", " ").split(),
                                 paper_reason=request.POST.get("paper_reason", "")[:1000])
    except DocumentError as exc:
        messages.error(request, str(exc.detail if not isinstance(exc.detail, dict)
                                    else "; ".join(map(str, exc.detail.values()))))
    return HttpResponseRedirect(reverse("documents:detail", args=[document.pk]))


@require_POST
@staff_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """The leader gives an incoming document to an officer (or the unit) to handle."""
    document = _visible(request, pk)
    form = AssignForm(request.POST, staff=_staff_of(document.unit))
    if form.is_valid():
        data = form.cleaned_data
        assignee = (User.objects.filter(username=data["assignee"], is_active=True).first()
                    if data["assignee"] else None)
        try:
            services.assign_handling(actor=request.user, document=document,  # type: ignore[arg-type]
                                     assignee=assignee, working_days=data["working_days"],
                                     instructions=data["instructions"])
        except DocumentError as exc:
            form.add_service_error(exc)
        else:
            return HttpResponseRedirect(reverse("documents:detail", args=[document.pk]))
    return detail(request, pk, form=form)


@require_POST
@staff_required
def handling_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Complete (with a report) or reassign a handling, from the document page."""
    handling = (Handling.objects.visible_to(request.user).select_related("unit", "document")
                .filter(pk=pk).first())
    if handling is None:
        raise Http404(_("No such handling."))
    assignee = None
    if request.POST.get("assignee"):
        assignee = User.objects.filter(username=request.POST["assignee"][:150],
                                       is_active=True).first()
    try:
        services.act_on_handling(actor=request.user, handling=handling,  # type: ignore[arg-type]
                                 action=action[:64],
                                 comment=request.POST.get("comment", "")[:4000],
                                 assignee=assignee)
    except DocumentError as exc:
        messages.error(request, str(exc.detail if not isinstance(exc.detail, dict)
                                    else "; ".join(map(str, exc.detail.values()))))
    return HttpResponseRedirect(reverse("documents:detail", args=[handling.document_id]))


@require_http_methods(["GET", "POST"])
@staff_required
def draft(request: HttpRequest) -> HttpResponse:
    """Draft an outgoing document in one of the user's units."""
    form = DraftForm(request.POST or None, units=_my_units(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.draft_document(
                actor=request.user, unit=Unit.objects.active_on().get(code=data["unit"]),  # type: ignore[arg-type]
                draft=_draft_in(data))
        except DocumentError as exc:
            form.add_service_error(exc)
        else:
            return HttpResponseRedirect(reverse("documents:detail", args=[document.pk]))
    return render(request, "documents/form.html",
                  {"form": form, "title": _("New outgoing document")},
                  status=400 if request.method == "POST" else 200)


def _draft_in(data: dict[str, Any]) -> services.DraftIn:
    return services.DraftIn(
        doc_type=data["doc_type"], summary=data["summary"],
        content=data["content"].replace("\r\n", "\n"), drafting_unit=data["drafting_unit"],
        authority=data["authority"] or "", authority_for=data["authority_for"],
        signer_title=data["signer_title"], signer_name=data["signer_name"],
        recipients=data["recipients"].splitlines(), file_copy_unit=data["file_copy_unit"],
        copies=data["copies"])


@require_http_methods(["GET", "POST"])
@staff_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft (one sent back to its drafter, or not yet reviewed)."""
    document = _visible(request, pk)
    if document.direction != Direction.OUTGOING or document.state != "drafted":
        raise Http404(_("Only a draft is edited."))
    initial = {
        "unit": document.unit.code, "doc_type": document.doc_type.code,
        "summary": document.summary, "content": document.content,
        "drafting_unit": document.drafting_unit, "authority": document.authority,
        "authority_for": document.authority_for, "signer_title": document.signer_title,
        "signer_name": document.signer_name, "recipients": document.recipients,
        "file_copy_unit": document.file_copy_unit, "copies": document.copies,
    }
    form = DraftForm(request.POST or None, units=[document.unit], initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_draft(actor=request.user, document=document,  # type: ignore[arg-type]
                                draft=_draft_in(form.cleaned_data))
        except DocumentError as exc:
            form.add_service_error(exc)
        else:
            return HttpResponseRedirect(reverse("documents:detail", args=[document.pk]))
    return render(request, "documents/form.html",
                  {"form": form, "title": _("Edit the draft")},
                  status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@staff_required
def incoming(request: HttpRequest) -> HttpResponse:
    """Register an arrived document in one of the user's units' incoming register."""
    form = IncomingForm(request.POST or None, request.FILES or None,
                        units=_my_units(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        arrival: dt.date | None = data["arrival_date"]
        try:
            unit = Unit.objects.active_on().get(code=data["unit"])
            services.require_registrar(actor=request.user, unit=unit)  # type: ignore[arg-type]
            checked = (arrivals.check(data["pdf"], scanned=data["scanned"],
                                      override_reason=data["override_reason"])
                       if data["pdf"] else None)
            document = services.register_incoming(
                actor=request.user, unit=unit,  # type: ignore[arg-type]
                incoming=services.IncomingIn(
                    doc_type=data["doc_type"], author=data["author"],
                    notation=data["notation"], document_date=data["document_date"],
                    summary=data["summary"], receiving_unit=data["receiving_unit"],
                    notes=data["notes"]),
                arrival_date=arrival, file=checked)
        except DocumentError as exc:
            form.add_service_error(exc)
        else:
            return HttpResponseRedirect(reverse("documents:detail", args=[document.pk]))
    return render(request, "documents/form.html",
                  {"form": form, "title": _("Register an incoming document"),
                   "multipart": True},
                  status=400 if request.method == "POST" else 200)


@require_GET
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """The open handlings of incoming documents the user may see, soonest deadline first."""
    found = (Handling.objects.visible_to(request.user).open()
             .select_related("document", "document__doc_type", "unit", "assignee")
             .order_by("due_at", "pk"))
    now = timezone.now()
    rows = list(found[:200])
    context = {"rows": rows, "now": now, "mine": [h for h in rows
                                                  if h.assignee_id == request.user.pk],
               "overdue": sum(1 for h in rows if h.due_at and h.due_at < now),
               "scope_empty": scope_of(request.user).is_empty}
    return render(request, "documents/queue.html", context)
