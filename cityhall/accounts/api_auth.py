"""Who calls the REST API: a personal bearer token or the web session, and the user behind it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from cityhall.accounts.errors import AccountCode
from cityhall.accounts.models import ApiToken, User
from cityhall.core.api import ApiError


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a personal token from `cityhall create_token`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = ApiToken.find(token)
        if found is None:
            return None
        # Touch last_used at most once a minute so reads stay reads.
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


class Session(SessionAuth):
    """The web session (with CSRF on unsafe methods)."""

    def __call__(self, request: HttpRequest) -> Any:
        # The CSRF check guards what a signed-in session may do; a caller that is not
        # signed in is simply not authenticated (401), not a forgery (403).
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)


session_auth = Session()
bearer_auth = BearerToken()
#: Endpoints that need a signed-in user accept either the session or a bearer token.
AUTH = [bearer_auth, session_auth]


def auth_user(request: HttpRequest) -> User:
    """The user an `auth=AUTH` endpoint let in (django-ninja keeps it as `request.auth`)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError
    return user


def optional_user(request: HttpRequest) -> Any:
    """The user behind a bearer token or session, else AnonymousUser (never refuses)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = bearer_auth.authenticate(request, header[7:].strip())
        if user is None:
            raise ApiError(AccountCode.INVALID_TOKEN, "The bearer token is not valid.")
        return user
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else AnonymousUser()
