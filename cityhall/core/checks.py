"""System checks of a deployment (`cityhall check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

#: Caches that live inside one process: every gunicorn worker would count on its own.
_PER_PROCESS = ("django.core.cache.backends.locmem.LocMemCache",
                "django.core.cache.backends.dummy.DummyCache")


def shared_cache(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when production counts limits in a cache each process keeps for itself.

    The request limits (django-ratelimit) and the sign-in lockout's cache keep their
    counters in the default cache: without a shared one (`REDIS_URL`), n web processes let
    through n times the limit, and a restart forgets every count.
    """
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend not in _PER_PROCESS:
        return []
    return [checks.Warning(
        "The default cache is kept inside each process, so rate limits are counted per "
        "process.",
        hint="Set REDIS_URL to a Redis server that every web process and worker shares "
             "(docs/operations.md).",
        id="cityhall.W001",
    )]


def register() -> None:
    """Add the checks to Django's registry (from `CoreConfig.ready`)."""
    checks.register(shared_cache, checks.Tags.caches, deploy=True)
