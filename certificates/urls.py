from django.urls import path

from certificates import views

app_name = "certificates"

urlpatterns = [
    path("expert/certificate/", views.download, name="download"),
    path("certificate/verify/", views.verify, name="verify"),
]
