"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    """Expose the site's name to templates."""
    return {"site_name": settings.CITYHALL_SITE_NAME}
