"""Top-level URLs: the web pages, the API, the admin and the health checks."""

from django.contrib import admin
from django.urls import include, path, re_path

from cityhall.api import api
from cityhall.core.views import api_not_found, healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("api/v1/", api.urls),
    # Anything else under /api/v1/ is a JSON 404, never the HTML page (keep it after the API).
    re_path(r"^api/v1/(?P<rest>.*)$", api_not_found),
    path("open311/v2/", include("cityhall.open311.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Each domain app mounts its own pages; the portal is the shell around them.
    path("", include("cityhall.reports.urls")),
    path("", include("cityhall.procedures.urls")),
    path("", include("cityhall.dossiers.urls")),
    path("", include("cityhall.plans.urls")),
    path("", include("cityhall.indicators.urls")),
    path("", include("cityhall.documents.urls")),
    path("", include("cityhall.notifications.urls")),
    path("", include("cityhall.portal.urls")),
]

# The error pages: the shell's look and the reader's language; JSON under /api/ and /open311/.
handler400 = "cityhall.portal.errors.bad_request"
handler403 = "cityhall.portal.errors.permission_denied"
handler404 = "cityhall.portal.errors.page_not_found"
handler500 = "cityhall.portal.errors.server_error"
