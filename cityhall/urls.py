"""Top-level URLs: the web pages, the API, the admin and the health check."""

from django.contrib import admin
from django.urls import include, path

from cityhall.api import api
from cityhall.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("cityhall.portal.urls")),
]
