"""The indicators' pages: the staff dashboard, its drill-down and export, the public page."""

from django.urls import path

from cityhall.indicators import views

app_name = "indicators"

urlpatterns = [
    path("staff/indicators/", views.dashboard_page, name="dashboard"),
    path("staff/indicators/records/", views.records_page, name="records"),
    path("staff/indicators/export.xlsx", views.export_xlsx, name="export"),
    path("indicators/", views.public_page, name="public"),
]
