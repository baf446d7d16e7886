from django.contrib import admin

from draws.models import Draw, Event, Pick
from portal.admin import ReadOnlyAdmin


@admin.register(Draw)
class DrawAdmin(ReadOnlyAdmin):
    """Operators read the records; nobody edits one (the table refuses it too)."""

    list_display = ["project_name", "review_at", "created_by", "created_at"]
    search_fields = ["project_name"]
    date_hierarchy = "created_at"


@admin.register(Pick)
class PickAdmin(ReadOnlyAdmin):
    list_display = ["draw", "application", "role", "position", "created_at"]
    list_select_related = ["draw", "application__user"]
    list_filter = ["role"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["draw", "application", "action", "reason", "actor", "created_at"]
    list_select_related = ["draw", "application__user", "actor"]
    list_filter = ["action"]
