"""Thin views of the public portal and the staff shell."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """The public home page."""
    return render(request, "portal/home.html")


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's units and work-queue panels."""
    return render(request, "portal/staff_home.html")
