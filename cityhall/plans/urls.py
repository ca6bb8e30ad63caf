"""The plans' pages."""

from django.urls import path

from cityhall.plans import views

app_name = "plans"

urlpatterns = [
    path("ke-hoach/", views.plan_list, name="list"),
    path("ke-hoach/<int:plan_id>/", views.plan_chart, name="chart"),
    path("ke-hoach/<int:plan_id>/bang/", views.plan_table, name="table"),
    path("nhiem-vu/", views.task_list, name="tasks"),
    path("nhiem-vu/giao-ngay/", views.assign_now, name="assign"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
]
