"""The dossiers' pages."""

from django.urls import path

from cityhall.dossiers import views

app_name = "dossiers"

urlpatterns = [
    path("tra-cuu-ho-so/", views.lookup, name="lookup"),
    path("tra-cuu-ho-so/<str:code>/", views.status, name="status"),
]
