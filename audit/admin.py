from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from audit.models import AuditEvent, Reminder
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


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    """The reminders send_reminders sent, one row per unit SMS or digest and day: operators see
    who was reminded of how much, and whether it went out; nobody adds, changes or deletes."""

    list_display = [
        "day",
        "kind",
        "target_name",
        "overdue_recommendations",
        "overdue_registrations",
        "overdue_decisions",
        "status",
        "sms_state",
        "created_at",
    ]
    list_filter = ["kind", "day", "status"]
    search_fields = ["target_name", "target", "recipients"]
    date_hierarchy = "day"
    list_select_related = ["sms_message"]
    list_per_page = 50
    fields = [
        "day",
        "kind",
        "target",
        "target_name",
        "overdue_recommendations",
        "overdue_registrations",
        "overdue_decisions",
        "status",
        "sms_state",
        "recipients",
        "error",
        "created_at",
        "sent_at",
    ]
    readonly_fields = fields

    @admin.display(description="短信发送情况")
    def sms_state(self, reminder):
        # The outbox row says whether the unit's SMS went out; the digest has none.
        message = reminder.sms_message
        if message is None:
            return "—"
        url = reverse("admin:sms_smsmessage_change", args=[message.pk])
        return format_html('<a href="{}">{}：{}</a>', url, message, message.state)
