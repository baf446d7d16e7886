from django.db import models
from django.utils import timezone

from certificates.codes import grouped


class Certificate(models.Model):
    """One 入库证明 per admission, per term (聘期, certificates.services.valid_until) and per
    version of what it prints of its holder, issued the first time the expert downloads it. It
    holds no personal data of its own: the name, unit and fields are read from the application
    each time, and a keyed hash of them (certificates.rules.details_index) tells whether they
    are still those printed; after a 信息变更 the next download is a new certificate, and the
    old one reads 已失效."""

    application = models.ForeignKey(
        "experts.ExpertApplication",
        verbose_name="专家申请",
        on_delete=models.PROTECT,
        related_name="certificates",
        db_index=False,  # the (application, admitted_at, …) constraint's index serves it
    )
    # The admission it certifies: the application's decided_at (审核通过) when it was issued.
    admitted_at = models.DateTimeField("入库时间")
    code = models.CharField("验证码", max_length=12, unique=True)
    issued_at = models.DateTimeField("签发时间", default=timezone.now)
    valid_until = models.DateField("有效期至")
    details_index = models.CharField("持证人信息摘要", max_length=64, editable=False)

    class Meta:
        verbose_name = "入库证明"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["application", "admitted_at", "valid_until", "details_index"],
                name="one_certificate_per_term_and_details",
            ),
        ]

    def __str__(self) -> str:
        return self.display_code

    @property
    def display_code(self) -> str:
        return grouped(self.code)
