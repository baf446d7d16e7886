from django.contrib import admin

from draws.models import Draw, Event, Pick, Void
from portal.admin import ReadOnlyAdmin


@admin.register(Draw)
class DrawAdmin(ReadOnlyAdmin):
    """Operators read the records; nobody edits one (the table refuses it too)."""

    list_display = ["project_name", "review_at", "created_by", "created_at"]
    search_fields = ["project_name"]
    date_hierarchy = "created_at"


class DrawRowAdmin(ReadOnlyAdmin):
    """A row of a draw record, named by the record's number (its project is on the record),
    newest first."""

    ordering = ["-created_at"]

    @admin.display(description="抽取记录编号", ordering="draw")
    def draw_number(self, row) -> int:
        return row.draw_id

    @admin.display(description="专家")
    def expert(self, row) -> str:
        return row.application.user.real_name


@admin.register(Pick)
class PickAdmin(DrawRowAdmin):
    list_display = ["draw_number", "expert", "role", "position", "created_at"]
    list_select_related = ["application__user"]
    list_filter = ["role"]


@admin.register(Event)
class EventAdmin(DrawRowAdmin):
    list_display = ["draw_number", "expert", "action", "reason", "actor", "created_at"]
    list_select_related = ["application__user", "actor"]
    list_filter = ["action"]


@admin.register(Void)
class VoidAdmin(ReadOnlyAdmin):
    """作废 of draws made in error, with who and why."""

    list_display = ["draw", "reason", "actor", "created_at"]
    list_select_related = ["draw", "actor"]
    ordering = ["-created_at"]
