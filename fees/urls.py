from django.urls import path

from fees import views

app_name = "fees"

urlpatterns = [
    path("bureau/draws/<int:pk>/fees/", views.fee_sheet, name="sheet"),
    path("bureau/draws/<int:pk>/fees/export/", views.fee_export, name="export"),
]
