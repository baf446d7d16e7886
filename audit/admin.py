from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Operators read and filter the audit trail; nobody changes or deletes it."""

    list_display = ["at", "username", "role", "action", "object_repr", "result", "ip"]
    list_filter = ["action", "result", "role", "at"]
    search_fields = ["username", "object_repr", "object_id", "ip"]
    date_hierarchy = "at"
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
