from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from changes.models import ChangeRequest, ChangeTransition
from experts.admin import AttachmentInline
from portal.admin import HistoryInline, ReadOnlyAdmin


class ChangeHistoryInline(HistoryInline):
    model = ChangeTransition


class ChangeAttachmentInline(AttachmentInline):
    """The request's 证明材料, read-only, as the application's page lists its own: kind, name,
    size, time. Each opens through the request's download view, which audits an opening by
    anyone but the expert (changes.views.attachment_download)."""

    fk_name = "change_request"

    @admin.display(description="文件名")
    def file_link(self, attachment):
        url = reverse("changes:attachment", args=[attachment.change_request_id, attachment.pk])
        return format_html('<a href="{}">{}</a>', url, attachment.original_name)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    """变更申请, read-only: an operator answering "my change is stuck" sees where it waits and
    its history. What was asked and the values in force stay on the portal's pages, which mask
    the personal numbers; a request moves only through them (changes.services)."""

    list_display = [
        "number",
        "expert",
        "kind",
        "status",
        "changed_labels",
        "confirming_unit",
        "created_at",
        "decided_at",
    ]
    list_filter = ["status", "kind", "created_at"]
    ordering = ["-created_at", "-id"]
    search_fields = ["application__user__real_name", "changed_labels"]
    list_select_related = ["application__user", "confirming_unit"]
    date_hierarchy = "created_at"
    list_per_page = 50
    fields = [
        "expert",
        "kind",
        "status",
        "changed_labels",
        "old_unit",
        "new_unit",
        "confirming_unit",
        "created_at",
        "updated_at",
        "decided_at",
        "decided_role",
        "reason",
    ]
    readonly_fields = fields
    inlines = [ChangeHistoryInline, ChangeAttachmentInline]

    @admin.display(description="编号", ordering="pk")
    def number(self, change):
        return change.pk

    @admin.display(description="专家", ordering="application__user__real_name")
    def expert(self, change):
        return change.application.user.real_name
