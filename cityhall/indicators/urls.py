"""The indicators' pages: the staff dashboard, its drill-down and export, the public page."""

from django.urls import path

from cityhall.indicators import map_views, reported_views, views

app_name = "indicators"

urlpatterns = [
    path("staff/indicators/", views.dashboard_page, name="dashboard"),
    path("staff/indicators/map/units.geojson", map_views.map_layer, name="map_layer"),
    path("staff/indicators/records/", views.records_page, name="records"),
    path("staff/indicators/export.xlsx", views.export_xlsx, name="export"),
    path("indicators/", views.public_page, name="public"),
    path("staff/indicators/export.pdf", views.export_pdf, name="export_pdf"),
    path("staff/indicators/assign/", reported_views.assign_page, name="assign"),
    path("staff/indicators/reported/", reported_views.reported_page, name="reported"),
    path("staff/indicators/reported/submit/", reported_views.submit_value, name="submit"),
    path("staff/indicators/reported/target/", reported_views.set_target, name="target"),
    path("staff/indicators/reported/import/", reported_views.import_values, name="import"),
    path("staff/indicators/reported/<int:value_id>/approve/", reported_views.approve_value,
         name="approve"),
    path("staff/indicators/reported/<int:value_id>/return/", reported_views.return_value,
         name="return"),
]
