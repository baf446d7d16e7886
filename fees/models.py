"""专家劳务费: what each expert who took part in a review is paid for it, with the 个人所得税
withheld (fees.tax), recorded by a bureau reviewer after the review and exported as the
发放表 the finance office pays from. One row per draw and expert; a correction changes it, and
each save is in the audit trail (the draw's 专家抽取 rows)."""

from django.conf import settings
from django.db import models

from draws.models import Draw
from experts.models import ExpertApplication


class Fee(models.Model):
    draw = models.ForeignKey(
        Draw, verbose_name="抽取记录", on_delete=models.PROTECT, related_name="fees"
    )
    application = models.ForeignKey(
        ExpertApplication, verbose_name="专家", on_delete=models.PROTECT, related_name="fees"
    )
    days = models.DecimalField("评审天数", max_digits=4, decimal_places=1)
    amount = models.DecimalField("应发金额（税前，元）", max_digits=10, decimal_places=2)
    tax = models.DecimalField("代扣个人所得税（元）", max_digits=10, decimal_places=2)
    net = models.DecimalField("实发金额（元）", max_digits=10, decimal_places=2)
    note = models.CharField("备注", max_length=100, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField("登记时间", auto_now=True)

    class Meta:
        verbose_name = "专家劳务费"
        verbose_name_plural = "专家劳务费"
        ordering = ["draw", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "application"], name="fees_once_per_draw"),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0, tax__gte=0, net__gte=0, days__gt=0),
                name="fees_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}：{self.amount}元"
