from django.contrib import admin

from notice.models import NoticeObjection


@admin.register(NoticeObjection)
class NoticeObjectionAdmin(admin.ModelAdmin):
    """Operators read objections; reviewers record them on the bureau's pages."""

    list_display = ["application", "objector", "channel", "created_by", "created_at"]
    list_filter = ["channel"]
    list_select_related = ["application__user", "created_by"]
    readonly_fields = ["application", "objector", "channel", "content", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
