"""Operators read the 专家劳务费 recorded on each draw; reviewers record them on the draw's own
page (fees.views), where each save is audited."""

from django.contrib import admin

from fees.models import Fee
from portal.admin import ReadOnlyAdmin


@admin.register(Fee)
class FeeAdmin(ReadOnlyAdmin):
    list_display = ["draw", "expert", "days", "amount", "tax", "net", "updated_by", "updated_at"]
    list_select_related = ["draw", "application__user", "updated_by"]
    search_fields = ["draw__project_name", "application__user__real_name"]
    date_hierarchy = "updated_at"

    @admin.display(description="专家", ordering="application__user__real_name")
    def expert(self, fee):
        return fee.application.user.real_name
