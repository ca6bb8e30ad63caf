"""The public dossier look-up: by code, state and appointment, nothing personal."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cityhall.accounts.models import UserKind
from cityhall.core.audit import log_personal_data_read
from cityhall.core.files.serve import serve_file
from cityhall.dossiers import services
from cityhall.dossiers.errors import DossierError
from cityhall.dossiers.forms import OnlineDossierForm
from cityhall.dossiers.models import ApplicantKind, Dossier, DossierFile
from cityhall.dossiers.pdf import receipt_pdf
from cityhall.dossiers.slips import receipt_slip
from cityhall.dossiers.states import state_label
from cityhall.procedures.models import OnlineLevel, Procedure

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
    is_mine = (dossier is not None and request.user.is_authenticated
               and dossier.applicant_id == request.user.pk)
    context = {"code": code[:48], "dossier": dossier, "can_read": can_read, "is_mine": is_mine,
               "state": state_label(dossier.state) if dossier else ""}
    return render(request, "dossiers/lookup.html", context, status=200 if dossier else 404)


def _readable(request: HttpRequest, code: str, *, fields: list[str] | None = None,
              purpose: str = "dossiers.form_01") -> Dossier:
    """The dossier for its applicant and the units handling it; a 404 for anyone else.

    Staff reads of the applicant's data are logged (`fields`, form 01's by default).
    """
    found = (Dossier.objects.readable_by(request.user)
             .select_related("procedure", "unit", "receiving_unit").filter(code=code[:48])
             .first())
    if found is None:
        raise Http404(_("No such dossier."))
    if found.applicant_id != request.user.pk:
        log_personal_data_read(reader=request.user, obj=found,  # type: ignore[arg-type]
                               subject=found.applicant,
                               fields=SLIP_FIELDS if fields is None else fields,
                               purpose=purpose)
    return found


@require_GET
@login_required
def component_file(request: HttpRequest, code: str, pk: int) -> HttpResponseBase:
    """A component's file, for the applicant and the units handling the dossier (staff
    reads logged); served through the app with the type sniffed at upload."""
    dossier = _readable(request, code, fields=["components.file"], purpose="dossiers.file")
    stored = get_object_or_404(DossierFile, dossier=dossier, pk=pk)
    return serve_file(stored, request=request, filename=f"{dossier.code}-{stored.pk}."
                      f"{(stored.file.name or '').rsplit('.', 1)[-1]}",
                      cache_control="private, no-store")


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


@require_http_methods(["GET", "POST"])
@login_required
def submit_online(request: HttpRequest, code: str) -> HttpResponse:
    """Submit a dossier online for a procedure that is offered online (a resident's or an
    enterprise's account); on success, the dossier's page with its receipt slip."""
    procedure = Procedure.objects.active().filter(code=code[:40]).first()
    if procedure is None or procedure.online == OnlineLevel.NONE:
        raise Http404(_("No such procedure."))
    user = request.user
    if getattr(user, "kind", "") == UserKind.STAFF:
        return render(request, "dossiers/submit.html",
                      {"procedure": procedure, "form": None}, status=403)
    initial = {"applicant_name": user.display_name, "id_number": user.national_id,  # type: ignore[union-attr]
               "phone": user.phone, "email": user.email}  # type: ignore[union-attr]
    form = OnlineDossierForm(request.POST or None, request.FILES or None, procedure=procedure,
                             initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        reference = data["id_number"].strip()
        components = [services.ComponentIn(number=n, data_reference=reference)
                      for n, chosen in form.data_components() if chosen]
        components += [services.ComponentIn(number=n, file=f) for n, f in form.files_given()]
        try:
            made = services.submit_dossier(
                actor=user, procedure=procedure,  # type: ignore[arg-type]
                applicant=services.Applicant(
                    name=data["applicant_name"], id_number=data["id_number"],
                    kind=(ApplicantKind.ENTERPRISE if user.kind == UserKind.BUSINESS  # type: ignore[union-attr]
                          else ApplicantKind.RESIDENT),
                    phone=data["phone"], email=data["email"], address=data["address"]),
                competent_unit=data.get("competent_unit") or None, components=components,
                idempotency_key=data["idempotency_key"])
        except DossierError as exc:
            form.add_service_error(exc)
        else:
            return HttpResponseRedirect(reverse("dossiers:status", args=[made.dossier.code]))
    return render(request, "dossiers/submit.html", {"procedure": procedure, "form": form},
                  status=400 if request.method == "POST" else 200)
