from django.db import models
from django.utils import timezone

from certificates.codes import grouped


class Certificate(models.Model):
    """One 入库证明 per admission, issued the first time the expert downloads it. It holds no
    personal data of its own: the name, unit and fields are read from the application each
    time, so the 证书查验 page always shows what is in force."""

    application = models.ForeignKey(
        "experts.ExpertApplication",
        verbose_name="专家申请",
        on_delete=models.PROTECT,
        related_name="certificates",
        db_index=False,  # the (application, admitted_at) constraint's index serves it
    )
    # The admission it certifies: the application's decided_at (审核通过) when it was issued.
    admitted_at = models.DateTimeField("入库时间")
    code = models.CharField("验证码", max_length=12, unique=True)
    issued_at = models.DateTimeField("签发时间", default=timezone.now)
    valid_until = models.DateField("有效期至")

    class Meta:
        verbose_name = "入库证明"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["application", "admitted_at"], name="one_certificate_per_admission"
            ),
        ]

    def __str__(self) -> str:
        return self.display_code

    @property
    def display_code(self) -> str:
        return grouped(self.code)
