"""The public dossier look-up: by code, state and appointment, nothing personal."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from cityhall.dossiers.models import Dossier
from cityhall.dossiers.states import state_label


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
    context = {"code": code[:48], "dossier": dossier,
               "state": state_label(dossier.state) if dossier else ""}
    return render(request, "dossiers/lookup.html", context, status=200 if dossier else 404)
