"""The dossiers' pages."""

from django.urls import path, re_path

from cityhall.dossiers.views import forms, mine, pay, staff
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
    path("staff/dossiers/counter/", staff.counter, name="staff_counter"),
    path("staff/dossiers/<str:code>/", staff.detail, name="staff_dossier"),
    path("staff/dossiers/<str:code>/<slug:action>/", staff.act, name="staff_dossier_act"),
    path("ho-so-cua-toi/", mine.my_dossiers, name="my_dossiers"),
    path("ho-so-cua-toi/<str:code>/", mine.my_dossier, name="my_dossier"),
    path("ho-so-cua-toi/<str:code>/bo-sung/", mine.supplement, name="my_supplement"),
    path("ho-so-cua-toi/<str:code>/rut-ho-so/", mine.withdraw, name="my_withdraw"),
    path("ho-so-cua-toi/<str:code>/danh-gia/", mine.rate, name="my_rate"),
    path("ho-so-cua-toi/<str:code>/ket-qua.pdf", mine.result, name="my_result"),
    path("ho-so-cua-toi/<str:code>/thanh-toan/", pay.pay, name="my_pay"),
    path("thanh-toan/demo/<str:order>/", pay.demo_gateway, name="demo_pay"),
]
