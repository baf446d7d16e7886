from django.contrib import admin, messages
from django.utils.html import format_html

from portal.admin import ReadOnlyAdmin, yes_no
from sms.models import SMSMessage
from sms.outbox import requeue

# How much of 最近错误 the list shows: three lines of its column on a 1,280 px screen.
ERROR_EXCERPT = 48


@admin.register(SMSMessage)
class SMSMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "masked_to",
        "excerpt",
        "status",
        "to_check",
        "created_at",
        "sent_at",
        "error_excerpt",
    ]
    list_filter = ["status", "needs_check"]
    fields = [
        "masked_to",
        "body",
        "status",
        "to_check",
        "attempts",
        "failure_reason",
        "last_error",
        "provider_id",
        "about_label",
        "created_at",
        "requeued_at",
    ]
    readonly_fields = fields

    @admin.display(description="手机号码")
    def masked_to(self, message):
        return message.masked_to

    @admin.display(description="内容")
    def excerpt(self, message):
        """What tells a row from the next: the text after the portal's 【name】 and the
        greeting, cut to a line (the whole text is on the message's page)."""
        text = message.body.split("】", 1)[-1]
        text = text.split("您好，", 1)[-1]
        # 16 characters: with the times and states beside it, the row leaves 最近错误 the
        # room to be read on a 1,280 px screen.
        return text if len(text) <= 16 else text[:15] + "…"

    @admin.display(description="最近错误")
    def error_excerpt(self, message):
        """The provider's error (masked as stored: outbox._record_failure) cut to a few lines
        in the list; the whole of it on hover and on the message's page."""
        error = message.last_error
        if len(error) <= ERROR_EXCERPT:
            return error or None  # the list's empty-value mark, as for an empty field
        return format_html('<span title="{}">{}…</span>', error, error[: ERROR_EXCERPT - 1])

    @admin.display(description="待核实是否已发送", ordering="needs_check")
    def to_check(self, message):
        return yes_no(message.needs_check)

    @admin.display(description="关于")
    def about_label(self, message):
        return message.about or "—"

    search_fields = ["to"]
    actions = ["send_now"]

    @admin.action(description="立即重新发送所选短信（含发送失败的）")
    def send_now(self, request, queryset):
        # Through the outbox, as a decision's SMS: the worker sends it, this request does not
        # wait for the provider, and the claim keeps it to one send.
        queued = requeue(list(queryset.values_list("pk", flat=True)))
        # Recorded as an admin change: the audit app turns each log entry into an audit event
        # (who, when, from where), without this leaf app importing it.
        for message in queued:
            self.log_change(request, message, "重新发送：已重新排队，由短信队列发出")
        self.message_user(
            request,
            f"已将{len(queued)}条短信重新排队，将在几秒内发出。已发送过的短信不会重发；"
            "发送结果见“状态”和“最近错误”。",
            level=messages.INFO,
        )
