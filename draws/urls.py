from django.urls import path

from draws import views

app_name = "draws"

urlpatterns = [
    path("bureau/draws/", views.draw_list, name="list"),
    path("bureau/draws/new/", views.draw_new, name="new"),
    path("bureau/draws/<int:pk>/", views.draw_detail, name="detail"),
    path("bureau/draws/<int:pk>/answer/", views.draw_answer, name="answer"),
    path("bureau/draws/<int:pk>/evaluate/", views.draw_evaluate, name="evaluate"),
    path("bureau/draws/<int:pk>/quota/<int:quota>/fill/", views.draw_fill, name="fill"),
    path("bureau/draws/<int:pk>/notify/", views.draw_notify, name="notify"),
    path("bureau/draws/<int:pk>/void/", views.draw_void, name="void"),
    path("bureau/draws/<int:pk>/verify/", views.draw_verify, name="verify"),
    path(
        "bureau/draws/<int:pk>/rounds/<int:round_pk>/eligible.txt",
        views.round_eligible,
        name="eligible",
    ),
    path("bureau/draws/<int:pk>/export/", views.draw_export, name="export"),
    path("bureau/draws/<int:pk>/sheet/", views.draw_sheet, name="sheet"),
    path("bureau/draws/<int:pk>/record/", views.draw_record, name="record"),
]
