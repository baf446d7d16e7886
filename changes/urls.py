from django.urls import path

from changes import views

app_name = "changes"

urlpatterns = [
    path("expert/changes/edit/", views.edit, name="edit"),
    path("expert/changes/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path(
        "changes/<int:pk>/files/<int:file_pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        "expert/changes/<int:pk>/files/<int:file_pk>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path("unit/changes/", views.unit_list, name="unit_list"),
    path("unit/changes/bulk/", views.unit_bulk, name="unit_bulk"),
    path("unit/changes/<int:pk>/", views.unit_detail, name="unit_detail"),
    path(
        "unit/changes/<int:pk>/confirm/",
        views.unit_decide,
        {"action": "confirm"},
        name="unit_confirm",
    ),
    path(
        "unit/changes/<int:pk>/return/",
        views.unit_decide,
        {"action": "send_back"},
        name="unit_return",
    ),
    path("unit/changes/<int:pk>/reveal/", views.unit_reveal, name="unit_reveal"),
    path("bureau/changes/", views.bureau_list, name="bureau_list"),
    path("bureau/changes/bulk/", views.bureau_bulk, name="bureau_bulk"),
    path("bureau/changes/<int:pk>/", views.bureau_detail, name="bureau_detail"),
    path(
        "bureau/changes/<int:pk>/approve/",
        views.bureau_decide,
        {"action": "approve"},
        name="bureau_approve",
    ),
    path(
        "bureau/changes/<int:pk>/reject/",
        views.bureau_decide,
        {"action": "reject"},
        name="bureau_reject",
    ),
    path("bureau/changes/<int:pk>/reveal/", views.bureau_reveal, name="bureau_reveal"),
]
