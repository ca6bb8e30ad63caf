"""The one-stop forms 02-06 of a dossier, as HTML for the screen and as PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cityhall.dossiers.official import BUILDERS
from cityhall.dossiers.pdf import official_pdf
from cityhall.dossiers.slips import forms_of
from cityhall.dossiers.views.public import _readable, receipt_html, receipt_pdf_view

#: What the forms show of the applicant (a staff member's read of it is logged).
FORM_FIELDS = ["applicant_name", "applicant_address", "applicant_phone", "applicant_email"]


@require_GET
@login_required
def official_form(request: HttpRequest, code: str, number: str, ext: str) -> HttpResponse:
    """Form `number` of the dossier, for its applicant and its units, once the dossier has
    it (02 after a request to supplement, 03 when refused, ...); 404 otherwise."""
    if number == "01":
        return receipt_html(request, code) if ext == "html" else receipt_pdf_view(request, code)
    dossier = _readable(request, code, fields=FORM_FIELDS, purpose=f"dossiers.form_{number}")
    if number not in BUILDERS or number not in dict(forms_of(dossier)):
        raise Http404(_("This dossier has no such form."))
    form = BUILDERS[number](dossier)
    if ext == "pdf":
        response = HttpResponse(official_pdf(form), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{dossier.code}-{number}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response
    return render(request, "dossiers/form_official.html", {"dossier": dossier, "form": form})
