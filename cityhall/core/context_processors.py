"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cityhall.core import shell


def site(request: HttpRequest) -> dict[str, Any]:
    """Expose the portal's name, the apps' menu entries (and the current one) and header
    items to templates.

    Not as `site_name`: Django's auth views put the request's host under that name.
    """
    items = shell.menu_items()
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match else ""
    namespace = match.namespace if match else ""
    # The current entry: the one for this very page, else the first of this page's app.
    current = next((i.url_name for i in items if i.url_name == view), None) or next(
        (i.url_name for i in items if i.namespace == namespace and not i.exact), "")
    return {"portal_name": settings.CITYHALL_SITE_NAME, "shell_menu": items,
            "shell_current": current, "shell_header": shell.header_items()}
