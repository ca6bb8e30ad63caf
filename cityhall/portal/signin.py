"""Residents' sign-in (and sign-up) with a one-time code: ask for a code, then enter it.

The services are `accounts.codes`; these views count the requests against the limits and
keep the pending code's id and destination in the session between the two steps.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from cityhall.accounts import codes
from cityhall.accounts.web import is_staff_member
from cityhall.core import limits, shell

SESSION_KEY = "cityhall_sign_in_code"
#: The backend a code sign-in is recorded with (ModelBackend: the session finds the user).
BACKEND = "django.contrib.auth.backends.ModelBackend"


class DestinationForm(forms.Form):
    destination = forms.CharField(
        label=_("Phone number or e-mail address"), max_length=254,
        help_text=_("We send a one-time code there. No password is needed."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}))
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The code you received"), max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
    full_name = forms.CharField(
        label=_("Your name (optional)"), required=False, max_length=150,
        help_text=_("For a new account: how the city addresses you. Never public."))


def _language() -> str:
    return (get_language() or "vi")[:2]


def _safe_next(request: HttpRequest, url: str) -> str:
    ok = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                         require_https=request.is_secure())
    return url if url and ok else ""


def _refused(request: HttpRequest, form: forms.Form, template: str,
             refusal: limits.Refusal, context: dict[str, Any] | None = None) -> HttpResponse:
    form.add_error(None, refusal.message())
    response = render(request, template, {"form": form, **(context or {})})
    return limits.refused_with(response, refusal)


@require_http_methods(["GET", "POST"])
def code_request(request: HttpRequest) -> HttpResponse:
    """Step one: the phone number or e-mail address a code goes to."""
    template = "portal/code_request.html"
    if request.method != "POST":
        form = DestinationForm(initial={"next": request.GET.get("next", "")})
        return render(request, template, {"form": form})
    form = DestinationForm(request.POST)
    if not form.is_valid():
        return render(request, template, {"form": form}, status=400)
    try:
        destination = codes.parse_destination(form.cleaned_data["destination"])
    except codes.CodeError as exc:
        form.add_error("destination", exc.detail)
        return render(request, template, {"form": form}, status=400)
    # Per client address first, so a client over its rate does not use up the
    # destination's (someone else's) codes.
    for limit, caller in ((codes.PER_CLIENT, limits.anonymous(request)),
                          (codes.PER_DESTINATION,
                           limits.Caller("anonymous", f"to:{destination.digest}"))):
        refusal = limits.check(request, limit, caller)
        if refusal is not None:
            return _refused(request, form, template, refusal)
    try:
        challenge = codes.request_code(destination=destination, language=_language())
    except codes.CodeError as exc:
        form.add_error("destination", exc.detail)
        return render(request, template, {"form": form}, status=400)
    request.session[SESSION_KEY] = {
        "id": challenge.pk, "kind": destination.kind, "address": destination.address,
        "next": _safe_next(request, form.cleaned_data.get("next") or "")}
    return redirect("portal:code_enter")


def _pending(request: HttpRequest) -> tuple[int, codes.Destination, str] | None:
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return (int(data["id"]), codes.Destination(str(data["kind"]), str(data["address"])),
                str(data.get("next") or ""))
    except (KeyError, TypeError, ValueError):
        return None


def landing_url(user: Any) -> str:
    """Where a person goes after signing in: staff to their home, residents to theirs."""
    home = shell.resident_home()
    if is_staff_member(user) or home is None:
        return reverse("portal:staff_home")
    return reverse(home)


@require_http_methods(["GET", "POST"])
def code_enter(request: HttpRequest) -> HttpResponse:
    """Step two: the code; right, the person is signed in (an account made if new)."""
    pending = _pending(request)
    if pending is None:
        return redirect("portal:code_request")
    challenge_id, destination, next_url = pending
    template = "portal/code_enter.html"
    context = {"masked": destination.masked()}
    if request.method != "POST":
        return render(request, template, {"form": CodeForm(), **context})
    form = CodeForm(request.POST)
    refusal = limits.check(request, codes.CHECKS, limits.anonymous(request))
    if refusal is not None:
        return _refused(request, form, template, refusal, context)
    if not form.is_valid():
        return render(request, template, {"form": form, **context}, status=400)
    try:
        result = codes.verify_code(
            challenge_id=challenge_id, destination=destination, code=form.cleaned_data["code"],
            full_name=form.cleaned_data["full_name"], language=_language())
    except codes.CodeError as exc:
        form.add_error("code", exc.detail)
        return render(request, template, {"form": form, **context, "error_code": exc.code},
                      status=400)
    login(request, result.user, backend=BACKEND)  # a new session: the pending code goes too
    request.session.pop(SESSION_KEY, None)
    return redirect(next_url or landing_url(result.user))
