from django.contrib import admin

from audit.models import AuditEvent
from portal.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Operators read and filter the audit trail; nobody changes or deletes it.

    Filtered by 操作 = 查看完整个人信息, the list shows who revealed which application's
    numbers, and in 说明 which ones and why (docs/audit.md); a search finds a reason's words."""

    list_display = ["at", "username", "role", "action", "object_repr", "detail", "result", "ip"]
    list_filter = ["action", "result", "role", "at"]
    search_fields = ["username", "object_repr", "object_id", "ip", "detail"]
    date_hierarchy = "at"
    list_per_page = 50
