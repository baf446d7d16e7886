from django.contrib import admin

from changes.models import ChangeRequest, ChangeTransition
from portal.admin import HistoryInline, ReadOnlyAdmin


class ChangeHistoryInline(HistoryInline):
    model = ChangeTransition


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
    inlines = [ChangeHistoryInline]

    @admin.display(description="编号", ordering="pk")
    def number(self, change):
        return change.pk

    @admin.display(description="专家", ordering="application__user__real_name")
    def expert(self, change):
        return change.application.user.real_name
