from django.contrib import admin, messages

from portal.admin import ReadOnlyAdmin
from sms.models import SMSMessage
from sms.outbox import Outcome, deliver, requeue


@admin.register(SMSMessage)
class SMSMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "masked_to",
        "status",
        "needs_check",
        "attempts",
        "created_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "needs_check"]
    fields = [
        "masked_to",
        "body",
        "status",
        "needs_check",
        "attempts",
        "last_error",
        "provider_id",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="手机号码")
    def masked_to(self, message):
        return message.masked_to

    search_fields = ["to"]
    actions = ["send_now"]

    @admin.action(description="立即重新发送所选短信（含发送失败的）")
    def send_now(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        requeue(ids)
        sent = [deliver(pk) for pk in ids].count(Outcome.SENT)
        self.message_user(
            request,
            f"已发送{sent}条，未发送{len(ids) - sent}条。已发送过的短信不会重发；"
            "未发送的原因见“最近错误”。",
            level=messages.INFO,
        )
