"""The documents' pages (staff)."""

from django.urls import path

from cityhall.documents import views

app_name = "documents"

urlpatterns = [
    path("van-ban/", views.register_list, name="registers"),
    path("van-ban/so/<str:code>/<str:direction>.xlsx", views.register_xlsx, name="xlsx"),
    path("van-ban/soan-thao/", views.draft, name="draft"),
    path("van-ban/den/", views.incoming, name="incoming"),
    path("van-ban/xu-ly/", views.queue, name="queue"),
    path("van-ban/<int:pk>/", views.detail, name="detail"),
    path("van-ban/<int:pk>/pdf/", views.document_pdf, name="pdf"),
    path("van-ban/<int:pk>/sua/", views.edit, name="edit"),
    path("van-ban/<int:pk>/buoc/<str:action>/", views.act, name="act"),
    path("van-ban/<int:pk>/giao-xu-ly/", views.assign, name="assign"),
    path("van-ban/xu-ly/<int:pk>/<str:action>/", views.handling_act, name="handling_act"),
    path("van-ban/<int:pk>/thu-hoi/", views.recall, name="recall"),
    path("van-ban/lien-thong/", views.arrival_list, name="arrivals"),
    path("van-ban/lien-thong/<int:pk>/", views.arrival_detail, name="arrival"),
    path("van-ban/lien-thong/<int:pk>/<str:action>/", views.arrival_act, name="arrival_act"),
]
