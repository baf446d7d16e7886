from django.contrib.auth.views import LogoutView
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("register/", views.register_choice, name="register"),
    path("register/unit/", views.register_unit, name="register_unit"),
    path("register/individual/", views.register_individual, name="register_individual"),
    path("units/search/", views.unit_search, name="unit_search"),
    path("units/<int:pk>/licence/", views.licence_download, name="licence"),
    path("unit/", views.unit_home, name="unit_home"),
    path("unit/resubmit/", views.unit_resubmit, name="unit_resubmit"),
    path("unit/profile/", views.unit_profile, name="unit_profile"),
    path("bureau/units/", views.bureau_unit_queue, name="bureau_unit_queue"),
    path("bureau/units/<int:pk>/", views.bureau_unit_detail, name="bureau_unit_detail"),
    path("bureau/units/<int:pk>/approve/", views.bureau_unit_approve, name="bureau_unit_approve"),
    path("bureau/units/<int:pk>/reject/", views.bureau_unit_reject, name="bureau_unit_reject"),
]
