from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


def masked_number(to: str) -> str:
    """138****5678 of a mobile number, with or without +86."""
    number = to.removeprefix("+86")
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


class SMSMessage(models.Model):
    """The SMS outbox: written in the decision's transaction, sent after it commits."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    to = models.CharField("手机号码", max_length=20)
    body = models.TextField("内容", max_length=500)
    # The template (sms.templates) and its parameters the body was rendered from: what a
    # domestic provider sends (a template code, the parameters). Empty on rows queued before
    # messages were templates. Defaults in the database too: a node still on the release before
    # (a rolling upgrade) inserts rows without them.
    template = models.CharField("短信模板", max_length=50, blank=True, default="", db_default="")
    params = models.JSONField("模板参数", default=dict, db_default={}, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    # The same failure in a few words for the people on the portal's pages (the applicant,
    # reviewers); last_error keeps the provider's own text for operators.
    failure_reason = models.CharField("失败原因", max_length=100, blank=True)
    provider_id = models.CharField("服务商消息编号", max_length=64, blank=True)
    # An earlier attempt got no answer: ask the provider whether it went out before resending.
    needs_check = models.BooleanField("待核实是否已发送", default=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    next_attempt_at = models.DateTimeField("下次尝试时间", auto_now_add=True)
    claimed_at = models.DateTimeField("开始发送时间", null=True, blank=True)
    # When an operator last queued it again (立即重新发送): the day of retries
    # (outbox.GIVE_UP_AFTER) counts from then, not from its creation.
    requeued_at = models.DateTimeField("重新排队时间", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    # What the message is about (an application, a unit), so that its page can show whether
    # it went out. Generic, because sms is a leaf app that knows no other app's models.
    content_type = models.ForeignKey(
        ContentType,
        verbose_name="关于",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,  # sms_about_idx below starts with it
    )
    object_id = models.PositiveBigIntegerField("对象编号", null=True, blank=True)
    about = GenericForeignKey("content_type", "object_id")

    class Meta:
        # The table and index the model had in the experts app: moved in state only
        # (sms 0001, experts 0011), so the outbox's rows stay where they are.
        db_table = "experts_smsmessage"
        verbose_name = "短信"
        verbose_name_plural = "短信发送队列"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"], name="experts_sms_status_4cc40c_idx"
            ),
            models.Index(fields=["content_type", "object_id"], name="sms_about_idx"),
        ]

    def __str__(self) -> str:
        return f"短信 #{self.pk}（{self.masked_to}）"

    @property
    def state(self) -> str:
        """排队中 / 发送中 / 已发送 / 发送失败（原因）, as the portal's pages show it."""
        if self.status == self.Status.FAILED:
            return f"发送失败（{self.failure_reason or '原因未知，请联系管理员'}）"
        if self.status == self.Status.QUEUED and self.attempts:
            return "排队中（上次发送未成功，将自动重试）"
        return self.get_status_display()

    @property
    def masked_to(self) -> str:
        """138****5678: enough for an operator to recognise the number, not to use it."""
        return masked_number(self.to)
