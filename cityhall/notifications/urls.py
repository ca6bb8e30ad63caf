"""Pages of the notifications app: confirming an address messages are sent to."""

from django.urls import path

from cityhall.notifications import views

app_name = "notifications"

urlpatterns = [
    path("messages/confirm/<str:token>/", views.contact_confirm, name="contact_confirm"),
]
