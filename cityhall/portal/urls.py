"""Web pages: the public home, sign-in, the staff home, the registry browser and reports."""

from django.contrib.auth import views as auth_views
from django.urls import path

from cityhall.portal import reports_views, staff_reports, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="portal/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("staff/", views.staff_home, name="staff_home"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
    # Residents' reports: filing, following, the public list, map and statistics.
    path("reports/", reports_views.report_list, name="report_list"),
    path("reports/new/", reports_views.report_new, name="report_new"),
    path("reports/new/fields/", reports_views.report_fields, name="report_fields"),
    path("reports/new/similar/", reports_views.report_duplicates, name="report_duplicates"),
    path("reports/statistics/", reports_views.report_statistics_page, name="report_statistics"),
    path("reports/map/pins.geojson", reports_views.report_pins_geojson,
         name="report_pins_geojson"),
    path("reports/map/units.geojson", reports_views.report_units_geojson,
         name="report_units_geojson"),
    path("reports/<str:code>/", reports_views.report_follow, name="report_follow"),
    path("reports/<str:code>/sent/", reports_views.report_sent, name="report_sent"),
    path("reports/<str:code>/rate/", reports_views.report_rate, name="report_rate"),
    path("reports/<str:code>/reopen/", reports_views.report_reopen, name="report_reopen"),
    path("reports/<str:code>/photos/<int:photo_id>/", reports_views.report_photo,
         name="report_photo"),
    # Staff handling of reports.
    path("staff/reports/", staff_reports.queue, name="staff_reports"),
    path("staff/reports/assign/", staff_reports.bulk_assign, name="staff_reports_assign"),
    path("staff/reports/new/", staff_reports.hotline_new, name="staff_report_new"),
    path("staff/reports/<str:code>/", staff_reports.detail, name="staff_report"),
    path("staff/reports/<str:code>/contact/", staff_reports.show_contact,
         name="staff_report_contact"),
    path("staff/reports/<str:code>/<slug:action>/", staff_reports.act, name="staff_report_act"),
]
