"""The applicant's pages: their dossiers, and on each what they may do after submitting
(answer a request to supplement, withdraw, download the result, rate the service).

Scoped to the applicant's account: anyone else's dossier is a 404, staff included (staff
work from /staff/dossiers/).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cityhall.accounts.web import signed_in_user
from cityhall.core.files.serve import serve_file
from cityhall.dossiers import payments, services
from cityhall.dossiers.errors import DossierError
from cityhall.dossiers.forms import RatingForm, SupplementForm
from cityhall.dossiers.models import Dossier
from cityhall.dossiers.queries import component_numbers
from cityhall.dossiers.slips import forms_of
from cityhall.dossiers.states import state_label
from cityhall.workflow import engine

PAGE = 30


def _mine(request: HttpRequest, code: str) -> Dossier:
    found = (Dossier.objects.filter(applicant=signed_in_user(request), code=code[:48])
             .select_related("procedure", "unit", "receiving_unit", "result_file").first())
    if found is None:
        raise Http404(_("No such dossier."))
    return found


@require_GET
@login_required
def my_dossiers(request: HttpRequest) -> HttpResponse:
    """The dossiers the signed-in account applied for, newest first."""
    rows = (Dossier.objects.filter(applicant=signed_in_user(request))
            .select_related("procedure", "unit").order_by("-received_at", "-pk"))
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    return render(request, "dossiers/my_dossiers.html", {
        "page": page, "rows": [(d, state_label(d.state)) for d in page.object_list]})


def _page(request: HttpRequest, dossier: Dossier, *, supplement: SupplementForm | None = None,
          rating: RatingForm | None = None, error: str = "", status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    allowed = set(engine.available_actions(dossier, user))
    numbers = component_numbers(dossier)
    components = sorted(dossier.components.select_related("file"),
                        key=lambda c: numbers.get(c.procedure_component_id or 0, 99))
    asked = (engine.history(dossier).filter(action="request_supplement").order_by("-at")
             .values_list("comment", flat=True).first()
             if dossier.state == "supplement_requested" else None)
    context = {
        "dossier": dossier, "state": state_label(dossier.state), "error": error,
        "components": [(numbers.get(c.procedure_component_id or 0), c) for c in components],
        "asked": asked, "forms": forms_of(dossier),
        "supplement": (supplement or SupplementForm(procedure=dossier.procedure))
        if "supplement" in allowed else None,
        "can_withdraw": "withdraw" in allowed,
        "result": services.result_of(dossier),
        "rating": (rating or RatingForm()) if dossier.state in services.RATEABLE
        and dossier.rating is None else None,
        "fee": _fee(dossier),
    }
    return render(request, "dossiers/my_dossier.html", context, status=status)


def _fee(dossier: Dossier) -> dict[str, Any] | None:
    """The fee slip: the amount, whether paid, the VietQR for a bank transfer, the button."""
    if dossier.fee_vnd <= 0:
        return None
    qr = payments.fee_qr(dossier)
    return {"qr": mark_safe(payments.qr_svg(qr)) if qr else None,  # noqa: S308 (our SVG)
            "can_pay": payments.may_pay(dossier) and payments.online_gateway() is not None,
            "payments": list(dossier.payments.order_by("pk"))}


@require_GET
@login_required
def my_dossier(request: HttpRequest, code: str) -> HttpResponse:
    """One of the applicant's dossiers, with what they may do now."""
    return _page(request, _mine(request, code))


@require_POST
@login_required
def supplement(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant answers form 02: files, or the data already held; the clock restarts."""
    dossier = _mine(request, code)
    form = SupplementForm(request.POST, request.FILES, procedure=dossier.procedure)
    if not form.is_valid():
        return _page(request, dossier, supplement=form, status=400)
    try:
        services.supply_components(
            actor=signed_in_user(request), dossier=dossier,
            components=form.components(dossier.applicant_id_number),
            comment=form.cleaned_data["comment"])
    except DossierError as exc:
        form.add_error(None, str(exc.detail if not isinstance(exc.detail, dict)
                                 else " ".join(str(v) for v in exc.detail.values())))
        return _page(request, _mine(request, code), supplement=form,
                     status=exc.code.status if exc.code.status < 500 else 400)
    messages.success(request, _("Supplement sent: the processing time runs again."))
    return redirect(reverse("dossiers:my_dossier", args=[dossier.code]))


@require_POST
@login_required
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant withdraws their dossier (form 05 records it)."""
    dossier = _mine(request, code)
    try:
        services.act_on_dossier(actor=signed_in_user(request), dossier=dossier,
                                action="withdraw", comment=request.POST.get("comment", "")[:4000])
    except DossierError as exc:
        return _page(request, dossier, error=str(exc.detail), status=exc.code.status)
    messages.success(request, _("The dossier is withdrawn."))
    return redirect(reverse("dossiers:my_dossier", args=[dossier.code]))


@require_POST
@login_required
def rate(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant rates the service once the result is out."""
    dossier = _mine(request, code)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _page(request, dossier, rating=form, status=400)
    try:
        services.rate_dossier(actor=signed_in_user(request), dossier=dossier,
                              rating=form.cleaned_data["rating"],
                              comment=form.cleaned_data["comment"])
    except DossierError as exc:
        return _page(request, dossier, error=str(exc.detail if not isinstance(exc.detail, dict)
                                                  else " ".join(map(str, exc.detail.values()))),
                     status=exc.code.status)
    messages.success(request, _("Thank you for rating the service."))
    return redirect(reverse("dossiers:my_dossier", args=[dossier.code]))


@require_GET
@login_required
def result(request: HttpRequest, code: str) -> HttpResponseBase:
    """The electronic result (a PDF), for the applicant once issued."""
    dossier = _mine(request, code)
    stored = services.result_of(dossier)
    if stored is None:
        raise Http404(_("No result to download yet."))
    return serve_file(stored, request=request, filename=f"{dossier.code}-ket-qua.pdf",
                      cache_control="private, no-store")
