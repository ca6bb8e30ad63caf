"""The public dossier look-up: by code, state and appointment, nothing personal."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cityhall.core.audit import log_personal_data_read
from cityhall.dossiers.models import Dossier
from cityhall.dossiers.pdf import receipt_pdf
from cityhall.dossiers.slips import receipt_slip
from cityhall.dossiers.states import state_label

#: What form 01 shows of the applicant (a staff member's read of it is logged).
SLIP_FIELDS = ["applicant_name", "applicant_address", "applicant_phone", "applicant_email"]


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """The look-up form; a code given in the query goes to the dossier's stable address."""
    code = request.GET.get("code", "").strip()[:48]
    if code and "\x00" not in code:
        return HttpResponseRedirect(reverse("dossiers:status", args=[code]))
    return render(request, "dossiers/lookup.html", {"code": "", "dossier": None})


@require_GET
def status(request: HttpRequest, code: str) -> HttpResponse:
    """One dossier's public state at a stable address; a 404 page for an unknown code."""
    dossier = (Dossier.objects.select_related("procedure", "unit", "receiving_unit")
               .filter(code=code[:48]).first())
    # The receipt slip is offered to those who may read it (its applicant, its units).
    can_read = dossier is not None and Dossier.objects.readable_by(request.user).filter(
        pk=dossier.pk).exists()
    context = {"code": code[:48], "dossier": dossier, "can_read": can_read,
               "state": state_label(dossier.state) if dossier else ""}
    return render(request, "dossiers/lookup.html", context, status=200 if dossier else 404)


def _readable(request: HttpRequest, code: str) -> Dossier:
    """The dossier for its applicant and the units handling it; a 404 for anyone else."""
    found = (Dossier.objects.readable_by(request.user)
             .select_related("procedure", "unit", "receiving_unit").filter(code=code[:48])
             .first())
    if found is None:
        raise Http404(_("No such dossier."))
    if found.applicant_id != request.user.pk:
        log_personal_data_read(reader=request.user, obj=found,  # type: ignore[arg-type]
                               subject=found.applicant, fields=SLIP_FIELDS,
                               purpose="dossiers.form_01")
    return found


@require_GET
@login_required
def receipt_html(request: HttpRequest, code: str) -> HttpResponse:
    """Form 01 (receipt and appointment slip) for the screen."""
    dossier = _readable(request, code)
    return render(request, "dossiers/form_01.html",
                  {"dossier": dossier, "slip": receipt_slip(dossier)})


@require_GET
@login_required
def receipt_pdf_view(request: HttpRequest, code: str) -> HttpResponse:
    """Form 01 as an A4 PDF, in Vietnamese, for printing and for the applicant's records."""
    dossier = _readable(request, code)
    response = HttpResponse(receipt_pdf(receipt_slip(dossier)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{dossier.code}-01.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
