from django.urls import path

from notice import views

app_name = "notice"

urlpatterns = [
    path("notice/", views.public_notice, name="public"),
    path("bureau/experts/<int:pk>/objections/", views.record_objection, name="record_objection"),
]
