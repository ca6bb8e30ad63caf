"""Report pages: residents file and follow reports; staff handle them."""

from django.urls import path

from cityhall.reports.views import mine, public, staff

app_name = "reports"

urlpatterns = [
    # Residents' reports: filing, following, the public list, map and statistics.
    path("reports/", public.report_list, name="report_list"),
    path("reports/new/", public.report_new, name="report_new"),
    path("reports/new/fields/", public.report_fields, name="report_fields"),
    path("reports/new/similar/", public.report_duplicates, name="report_duplicates"),
    path("reports/mine/", mine.my_reports, name="my_reports"),
    path("reports/mine/notices/read/", mine.my_notices_read, name="my_notices_read"),
    path("reports/lookup/", mine.report_lookup, name="report_lookup"),
    path("reports/statistics/", public.report_statistics_page, name="report_statistics"),
    path("reports/map/pins.geojson", public.report_pins_geojson, name="report_pins_geojson"),
    path("reports/map/units.geojson", public.report_units_geojson, name="report_units_geojson"),
    path("reports/<str:code>/", public.report_follow, name="report_follow"),
    path("reports/<str:code>/sent/", public.report_sent, name="report_sent"),
    path("reports/<str:code>/claim/", mine.report_claim, name="report_claim"),
    path("reports/<str:code>/rate/", public.report_rate, name="report_rate"),
    path("reports/<str:code>/reopen/", public.report_reopen, name="report_reopen"),
    path("reports/<str:code>/photos/<int:photo_id>/", public.report_photo, name="report_photo"),
    # Staff handling of reports.
    path("staff/reports/", staff.queue, name="staff_reports"),
    path("staff/reports/assign/", staff.bulk_assign, name="staff_reports_assign"),
    path("staff/reports/new/", staff.hotline_new, name="staff_report_new"),
    path("staff/reports/<str:code>/", staff.detail, name="staff_report"),
    path("staff/reports/<str:code>/contact/", staff.show_contact, name="staff_report_contact"),
    path("staff/reports/<str:code>/<slug:action>/", staff.act, name="staff_report_act"),
]
