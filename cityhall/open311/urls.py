"""Open311 GeoReport v2 at /open311/v2/: each resource in .xml and .json."""

from django.urls import re_path

from cityhall.open311 import views

app_name = "open311"

_FMT = r"(?:\.(?P<fmt>[^/.]*))?$"

urlpatterns = [
    re_path(r"^discovery" + _FMT, views.discovery, name="discovery"),
    re_path(r"^services" + _FMT, views.services, name="services"),
    re_path(r"^services/(?P<code>[^/.]+)" + _FMT, views.service_definition, name="service"),
    re_path(r"^requests" + _FMT, views.requests_view, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/.]+)" + _FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/.]+)" + _FMT, views.token_detail, name="token"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
