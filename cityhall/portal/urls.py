"""The shell's pages: the public home, sign-in, the staff home and the registry browser."""

from django.contrib.auth import views as auth_views
from django.urls import path

from cityhall.portal import signin, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="portal/login.html"), name="login"),
    path("account/sign-in/", signin.code_request, name="code_request"),
    path("account/code/", signin.code_enter, name="code_enter"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("staff/", views.staff_home, name="staff_home"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
]
