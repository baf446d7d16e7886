from django.contrib import admin

from audit.models import AuditEvent
from portal.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Operators read and filter the audit trail; nobody changes or deletes it."""

    list_display = ["at", "username", "role", "action", "object_repr", "result", "ip"]
    list_filter = ["action", "result", "role", "at"]
    search_fields = ["username", "object_repr", "object_id", "ip"]
    date_hierarchy = "at"
    list_per_page = 50
