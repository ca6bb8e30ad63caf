"""The deployment checks of `cityhall check --deploy`."""

from __future__ import annotations

from django.test import override_settings

from cityhall.core.checks import shared_cache

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                     "LOCATION": "redis://127.0.0.1:6379/0"}}


def test_production_without_a_shared_cache_is_warned() -> None:
    with override_settings(DEBUG=False, CACHES=LOCMEM):
        assert [m.id for m in shared_cache()] == ["cityhall.W001"]


def test_a_shared_cache_or_development_is_fine() -> None:
    with override_settings(DEBUG=False, CACHES=REDIS):
        assert shared_cache() == []
    with override_settings(DEBUG=True, CACHES=LOCMEM):
        assert shared_cache() == []
