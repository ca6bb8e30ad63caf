"""Test clients as the pages' users hold them: signed in, in a chosen language."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from cityhall.accounts.models import User


def english(client: Client | None = None) -> Client:
    """`client` (a new anonymous one by default) switched to English, as the language menu does."""
    client = client or Client()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def signed_in(user: User, language: str = "vi") -> Client:
    """A client signed in as `user`, reading the pages in `language` (Vietnamese by default)."""
    client = Client()
    client.force_login(user)
    return english(client) if language == "en" else client
