"""The catalogue's pages."""

from django.urls import path

from cityhall.procedures import views

app_name = "procedures"

urlpatterns = [
    path("thu-tuc/", views.procedure_list, name="list"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="detail"),
]
