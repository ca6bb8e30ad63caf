"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cityhall.core import shell


def site(request: HttpRequest) -> dict[str, Any]:
    """Expose the portal's name and the apps' menu entries to templates.

    Not as `site_name`: Django's auth views put the request's host under that name.
    """
    return {"portal_name": settings.CITYHALL_SITE_NAME, "shell_menu": shell.menu_items()}
