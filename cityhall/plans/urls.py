"""The plans' pages."""

from django.urls import path

from cityhall.plans import followup_views, origin_views, views

app_name = "plans"

urlpatterns = [
    path("ke-hoach/", views.plan_list, name="list"),
    path("ke-hoach/<int:plan_id>/", views.plan_chart, name="chart"),
    path("ke-hoach/<int:plan_id>/bang/", views.plan_table, name="table"),
    path("nhiem-vu/", views.task_list, name="tasks"),
    path("nhiem-vu/giao-ngay/", origin_views.assign_now, name="assign"),
    path("nhiem-vu/tu-nguon/", origin_views.origin_tasks, name="origin_tasks"),
    path("nhiem-vu/tu-chi-thi/", origin_views.directive, name="directive"),
    path("nhiem-vu/<int:task_id>/", views.task_detail, name="task"),
    path("nhiem-vu/<int:task_id>/chi-tieu/", views.task_target, name="target"),
    path("nhiem-vu/<int:task_id>/chi-tieu/gia-tri/", views.task_target_value,
         name="target_value"),
    path("ke-hoach/<int:plan_id>/bieu-do.<str:fmt>", views.plan_drawing, name="drawing"),
    path("ke-hoach/tong-hop/", views.across_chart, name="across"),
    path("ke-hoach/bang-diem/", views.scorecard_page, name="scorecards"),
    path("ke-hoach/bang-diem/bao-cao.<str:fmt>", views.scorecard_export,
         name="scorecards_export"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
    # A task's evidence and extension requests (followup_views).
    path("nhiem-vu/<int:task_id>/minh-chung/", followup_views.add_file, name="evidence_file"),
    path("nhiem-vu/<int:task_id>/minh-chung/lien-ket/", followup_views.add_link,
         name="evidence_link"),
    path("nhiem-vu/<int:task_id>/minh-chung/<int:evidence_id>/", followup_views.download,
         name="evidence_download"),
    path("nhiem-vu/<int:task_id>/minh-chung/<int:evidence_id>/go/", followup_views.remove,
         name="evidence_remove"),
    path("nhiem-vu/<int:task_id>/gia-han/", followup_views.ask_extension, name="extension_ask"),
    path("nhiem-vu/<int:task_id>/gia-han/<int:request_id>/", followup_views.decide_extension,
         name="extension_decide"),
    path("ke-hoach/gia-han/", followup_views.extension_list, name="extensions"),
]
