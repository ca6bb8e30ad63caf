"""The dossiers' pages."""

from django.urls import path, re_path

from cityhall.dossiers.views import forms, staff
from cityhall.dossiers.views import public as views

app_name = "dossiers"

urlpatterns = [
    path("tra-cuu-ho-so/", views.lookup, name="lookup"),
    path("tra-cuu-ho-so/<str:code>/", views.status, name="status"),
    path("thu-tuc/<str:code>/nop-truc-tuyen/", views.submit_online, name="submit"),
    path("dossiers/<str:code>/forms/01.html", views.receipt_html, name="form_01_html"),
    path("dossiers/<str:code>/forms/01.pdf", views.receipt_pdf_view, name="form_01_pdf"),
    re_path(r"^dossiers/(?P<code>[^/]+)/forms/(?P<number>0[1-6])\.(?P<ext>html|pdf)$",
            forms.official_form, name="form"),
    path("dossiers/<str:code>/files/<int:pk>/", views.component_file, name="file"),
    path("staff/dossiers/", staff.queue, name="staff_dossiers"),
    path("staff/dossiers/register/", staff.register, name="staff_register"),
    path("staff/dossiers/<str:code>/", staff.detail, name="staff_dossier"),
    path("staff/dossiers/<str:code>/<slug:action>/", staff.act, name="staff_dossier_act"),
]
