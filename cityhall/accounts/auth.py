"""Partner systems' API keys: checking a key and its scope on each request."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.accounts.errors import AccountCode
from cityhall.accounts.models import ApiKey, hash_secret
from cityhall.core.api import ApiError
from cityhall.core.localcache import ProcessCache

# last_used_at is touched at most this often, so reads do not each cost a write.
_TOUCH_EVERY = dt.timedelta(minutes=1)
#: How long a process may go on accepting a key after it was revoked or lost a scope in
#: another process (a save in this process empties the cache at once).
KEY_CACHE_SECONDS = 10.0
# Active keys by the hash of their secret. Unknown and revoked keys are not kept: a new
# key works at once everywhere, and guessed secrets cannot push the real ones out.
_KEYS: ProcessCache[ApiKey | None] = ProcessCache(
    "accounts.api_keys", ttl=KEY_CACHE_SECONDS, models=(ApiKey,), keep_none=False)

API_KEY_HEADER = "X-API-Key"


def authenticate_api_key(raw: str | None, scope: str) -> ApiKey:
    """The active key for `raw` if it carries `scope`; ApiError 403 otherwise.

    Keys are kept per process for `KEY_CACHE_SECONDS` (see `docs/security.md`).
    """
    secret = raw or ""
    key = _KEYS.get(hash_secret(secret), lambda: ApiKey.find(secret)) if secret else None
    if key is None:
        raise ApiError(AccountCode.INVALID_API_KEY,
                       _("The API key is missing, unknown or revoked."))
    if not key.has_scope(scope):
        raise ApiError(
            AccountCode.MISSING_SCOPE, _("This API key may not %(scope)s.") % {"scope": scope}
        )
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= _TOUCH_EVERY:
        # Conditional update: concurrent requests touch the row once, not each.
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - _TOUCH_EVERY)
        ).update(last_used_at=now)
        key.last_used_at = now
    return key


def api_key_from_request(request: HttpRequest) -> str:
    """The raw key a partner sent: the X-API-Key header, else the `api_key` parameter."""
    return (
        request.headers.get(API_KEY_HEADER)
        or request.GET.get("api_key")
        or request.POST.get("api_key")
        or ""
    )
