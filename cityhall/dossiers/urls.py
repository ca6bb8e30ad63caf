"""The dossiers' pages."""

from django.urls import path

from cityhall.dossiers import views

app_name = "dossiers"

urlpatterns = [
    path("tra-cuu-ho-so/", views.lookup, name="lookup"),
    path("tra-cuu-ho-so/<str:code>/", views.status, name="status"),
    path("thu-tuc/<str:code>/nop-truc-tuyen/", views.submit_online, name="submit"),
    path("dossiers/<str:code>/forms/01.html", views.receipt_html, name="form_01_html"),
    path("dossiers/<str:code>/forms/01.pdf", views.receipt_pdf_view, name="form_01_pdf"),
    path("dossiers/<str:code>/files/<int:pk>/", views.component_file, name="file"),
]
