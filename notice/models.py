from django.conf import settings
from django.db import models


class ObjectionChannel(models.TextChoices):
    PHONE = "phone", "电话"
    LETTER = "letter", "信函"
    VISIT = "visit", "来访"
    EMAIL = "email", "电子邮件"
    OTHER = "other", "其他"


class NoticeObjection(models.Model):
    """公示异议: an objection to an admission, received by the bureau during the 公示期 and
    recorded by a reviewer. Only the bureau sees it; an upheld one leads to 撤销入库（公示异议）,
    a transition of the application (experts.services.revoke_admission)."""

    application = models.ForeignKey(
        "experts.ExpertApplication",
        verbose_name="专家申请",
        on_delete=models.PROTECT,
        related_name="notice_objections",
    )
    objector = models.CharField(
        "异议人", max_length=100, help_text="实名反映人的姓名及身份或单位，如“王某（某大学职工）”。"
    )
    channel = models.CharField("收到方式", max_length=10, choices=ObjectionChannel.choices)
    content = models.TextField("异议内容", max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.objector}（{self.get_channel_display()}）"
