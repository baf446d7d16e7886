from django.apps import apps
from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from audit.models import AuditEvent, Reminder
from portal.admin import ReadOnlyAdmin
from sms.models import SMSMessage


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

    def get_fields(self, request, obj=None):
        # 对象类型 by the model's Chinese name (单位), not its code (accounts.unit).
        fields = super().get_fields(request, obj)
        return ["object_kind" if name == "object_type" else name for name in fields]

    @admin.display(description="对象类型")
    def object_kind(self, event):
        if not event.object_type:
            return self.get_empty_value_display()
        try:
            return apps.get_model(event.object_type)._meta.verbose_name
        except (LookupError, ValueError):  # a model since removed: its code still says what
            return event.object_type


class DeliveryFilter(admin.SimpleListFilter):
    """发送状态 as the list's cells say it (ReminderAdmin.delivery). A unit's SMS is written as
    queued (Reminder.Status.QUEUED, 已交短信发送队列) and stays so: whether it went out is its
    outbox row's state, which a filter on the reminder's own status never saw (a sent SMS was
    listed under 已交短信发送队列, and 已发送 found digests only). The digest is sent in the
    reminder's own run and keeps its state itself."""

    title = "发送状态"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            (SMSMessage.Status.QUEUED, "排队中"),
            (SMSMessage.Status.SENDING, "发送中"),
            (SMSMessage.Status.SENT, "已发送"),
            (SMSMessage.Status.FAILED, "发送失败"),
            (self.PURGED, "短信记录已按保留期删除"),
        ]

    PURGED = "purged"

    def queryset(self, request, queryset):
        value = self.value()
        unit_sms = Q(kind=Reminder.Kind.UNIT_SMS)
        if value == self.PURGED:
            return queryset.filter(unit_sms, sms_message__isnull=True)
        if value in SMSMessage.Status.values:
            # The outbox's and the digest's states share their codes.
            return queryset.filter(
                (unit_sms & Q(sms_message__status=value)) | (~unit_sms & Q(status=value))
            )
        return queryset


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    """The reminders send_reminders sent, one row per unit SMS or reviewer's digest and day:
    operators see who was reminded of how much, and whether it went out (a failed digest with
    its error: the refused address); nobody adds, changes or deletes."""

    list_display = ["day", "kind", "target_name", "overdue", "delivery"]
    # One sort column: several would number their headers (1, 2, 3) and wrap them.
    ordering = ["-day", "-id"]
    list_filter = ["kind", "day", DeliveryFilter]
    search_fields = ["target_name", "target", "recipients"]
    date_hierarchy = "day"
    list_select_related = ["sms_message"]
    list_per_page = 50
    fields = [
        "day",
        "kind",
        "unit_id",
        "target_name",
        "overdue_recommendations",
        "overdue_registrations",
        "overdue_decisions",
        "overdue_change_confirmations",
        "overdue_change_decisions",
        "delivery",
        "recipients",
        "error",
        "created_at",
        "claimed_at",
        "sent_at",
    ]
    readonly_fields = fields

    @admin.display(description="单位编号")
    def unit_id(self, reminder):
        return reminder.target if reminder.kind == Reminder.Kind.UNIT_SMS else "—"

    @admin.display(description="超期数量")
    def overdue(self, reminder):
        if reminder.kind == Reminder.Kind.UNIT_SMS:
            return (
                f"待单位推荐{reminder.overdue_recommendations}份，"
                f"信息变更待单位确认{reminder.overdue_change_confirmations}份"
            )
        return (
            f"单位注册{reminder.overdue_registrations}项，"
            f"待科技局审核{reminder.overdue_decisions}项，"
            f"信息变更待科技局审核{reminder.overdue_change_decisions}项"
        )

    @admin.display(description="发送状态")
    def delivery(self, reminder):
        # A unit's SMS: the outbox row's state, which says whether it went out, linked to it.
        message = reminder.sms_message
        if message is None and reminder.kind == reminder.Kind.UNIT_SMS:
            # Its outbox row is written with it: gone, it was deleted after SMS_KEEP_DAYS.
            return "短信记录已按保留期删除"
        if message is None and reminder.status == reminder.Status.FAILED and reminder.error:
            # A reviewer's digest: the refused address or the server's error, where the
            # operator looks.
            return f"{reminder.get_status_display()}：{reminder.error}"
        if message is None:
            return reminder.get_status_display()
        url = reverse("admin:sms_smsmessage_change", args=[message.pk])
        # The outbox's words, as DeliveryFilter offers them: 排队中, 已发送, 发送失败（…）.
        return format_html('<a href="{}">短信{}</a>', url, message.state)
