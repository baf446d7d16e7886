from django.urls import path

from experts import export_views, own_data_views, statistics_views, views

app_name = "experts"

urlpatterns = [
    path("expert/", views.applicant_home, name="home"),
    path("expert/form/", views.application_form, name="form"),
    path("expert/revise/", views.revise, name="revise"),
    # 证明材料: uploaded and deleted by the applicant on forms of their own; each file opened
    # through one view that checks who asks (its application's scope).
    path("expert/form/files/", views.attachment_upload, name="attachment_upload"),
    path(
        "expert/form/files/<int:pk>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path("files/<int:pk>/", views.attachment_download, name="attachment"),
    path("expert/act/<slug:action>/", views.applicant_act, name="applicant_act"),
    path("expert/withdraw-consent/", views.withdraw_consent, name="withdraw_consent"),
    path("expert/consent/", views.give_consent, name="give_consent"),
    path("expert/my-data/", own_data_views.own_data, name="own_data"),
    path("expert/my-data/download/", own_data_views.own_data_download, name="own_data_download"),
    path("unit/people/", views.unit_people, name="unit_people"),
    path("unit/people/bulk/", views.unit_bulk, name="unit_bulk"),
    path("unit/people/<int:pk>/", views.unit_detail, name="unit_detail"),
    path(
        "unit/people/<int:pk>/recommend/",
        views.unit_decide,
        {"action": "recommend"},
        name="unit_recommend",
    ),
    path(
        "unit/people/<int:pk>/return/",
        views.unit_decide,
        {"action": "send_back"},
        name="unit_return",
    ),
    path("unit/people/<int:pk>/reveal/", views.unit_reveal, name="unit_reveal"),
    path("bureau/experts/", views.bureau_queue, name="bureau_queue"),
    path("bureau/experts/bulk/", views.bureau_bulk, name="bureau_bulk"),
    path("bureau/experts/<int:pk>/", views.bureau_detail, name="bureau_detail"),
    path(
        "bureau/experts/<int:pk>/approve/",
        views.bureau_decide,
        {"action": "approve"},
        name="bureau_approve",
    ),
    path(
        "bureau/experts/<int:pk>/reject/",
        views.bureau_decide,
        {"action": "reject"},
        name="bureau_reject",
    ),
    path(
        "bureau/experts/<int:pk>/revoke/",
        views.bureau_revoke,
        {"action": "revoke"},
        name="bureau_revoke",
    ),
    path("bureau/experts/<int:pk>/reveal/", views.bureau_reveal, name="bureau_reveal"),
    path(
        "bureau/experts/<int:pk>/confirm-exit/",
        views.bureau_decide,
        {"action": "confirm_exit"},
        name="bureau_confirm_exit",
    ),
    path(
        "bureau/experts/<int:pk>/remove/",
        views.bureau_decide,
        {"action": "remove"},
        name="bureau_remove",
    ),
    path("bureau/pool/", views.expert_pool, name="pool"),
    path("bureau/statistics/", statistics_views.statistics_page, name="statistics"),
    # 导出Excel (experts.exports): the confirmation, the job's progress, its file.
    path("bureau/pool/export/", export_views.pool_export, name="pool_export"),
    path("bureau/exports/", export_views.export_list, name="export_list"),
    path("bureau/exports/<int:pk>/", export_views.export_job, name="export_job"),
    path(
        "bureau/exports/<int:pk>/download/",
        export_views.export_download,
        name="export_download",
    ),
]
