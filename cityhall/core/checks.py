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


def signing_trust(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse trust roots that cannot be read; warn when production trusts the DEMO CA.

    A signature's verdict rests on these files (docs/signing.md): a missing one would make
    every signature of that authority untrusted without a word.
    """
    found: list[checks.CheckMessage] = []
    for name in getattr(settings, "CITYHALL_SIGNING_TRUST_ROOTS", []):
        try:
            from cityhall.core.signing.verify import load_certificates

            if not load_certificates(name):
                raise ValueError("no certificate in it")
        except (OSError, ValueError) as exc:
            found.append(checks.Error(
                f"CITYHALL_SIGNING_TRUST_ROOTS names {name}, which cannot be read as PEM "
                f"certificates: {exc}",
                hint="List PEM files of the certificate authorities to trust, comma-separated.",
                id="cityhall.E101",
            ))
    if not settings.DEBUG and getattr(settings, "CITYHALL_SIGNING_TRUST_DEMO_CA", False):
        found.append(checks.Warning(
            "Signatures made with the DEMO keys are trusted (CITYHALL_SIGNING_TRUST_DEMO_CA).",
            hint="Anyone with the public demo passphrase can sign; unset it in production.",
            id="cityhall.W101",
        ))
    return found


def register() -> None:
    """Add the checks to Django's registry (from `CoreConfig.ready`)."""
    checks.register(shared_cache, checks.Tags.caches, deploy=True)
    checks.register(signing_trust, checks.Tags.security)
