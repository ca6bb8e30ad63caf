"""Pages of the notifications app: the user's notices, confirming an address messages go to."""

from django.urls import path

from cityhall.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/read/", views.notices_read_all, name="notices_read_all"),
    path("notices/<int:notice_id>/read/", views.notice_read, name="notice_read"),
    path("messages/confirm/<str:token>/", views.contact_confirm, name="contact_confirm"),
]
