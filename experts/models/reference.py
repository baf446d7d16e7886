"""The bureau's own settings an application is read against: 专业领域 (Discipline), the reason
codes of a decision (ReasonCode) and the eligibility rules (EligibilityRule)."""

from django.core.exceptions import ValidationError
from django.db import models

from experts.choices import (
    DISCIPLINE_SEPARATOR,
    TitleLevel,
)


class Discipline(models.Model):
    """专业领域: the bureau's fixed classification in two levels, a field (领域, no parent) and
    its sub-fields (子领域), loaded by data migrations. A filter or a draw on a field takes the
    experts of the field and of each of its sub-fields."""

    code = models.CharField("代码", max_length=10, unique=True)
    name = models.CharField("名称", max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级领域",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = "专业领域"
        verbose_name_plural = "专业领域"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        # An expert's fields are listed with this between them (experts.choices.join_disciplines).
        if DISCIPLINE_SEPARATOR in (self.name or ""):
            raise ValidationError({"name": f"名称中不能含有“{DISCIPLINE_SEPARATOR}”。"})
        # Two levels only: the filters, the draw and the kept 专业领域 rows count a sub-field
        # under its field, never under a field's field.
        if self.parent_id is None:
            return
        if self.parent_id == self.pk:
            raise ValidationError({"parent": "上级领域不能是该领域本身。"})
        if self.parent.parent_id is not None:
            raise ValidationError({"parent": "上级领域须是一级领域（本身没有上级领域）。"})
        if self.pk and self.children.exists():
            raise ValidationError({"parent": "该领域下有子领域，不能再设上级领域。"})


class ReasonCode(models.Model):
    """A reason for 退回 or 审核不通过 that a reviewer ticks; operators edit the list in admin.

    A decision keeps the labels as they were shown (ApplicationTransition.reasons), so renaming
    or switching one off later does not change what an applicant was told."""

    code = models.SlugField("代码", max_length=30, unique=True)
    label = models.CharField("中文说明", max_length=50)
    active = models.BooleanField(
        "启用", default=True, help_text="停用后审核人不能再选择，已有记录不受影响。"
    )
    order = models.PositiveSmallIntegerField("排序", default=0, help_text="数字小的排在前面。")
    requires_text = models.BooleanField(
        "须填写说明",
        default=False,
        help_text="选择此理由时，审核人须在“理由说明”中写明具体原因（如“其他”）。",
    )

    class Meta:
        verbose_name = "退回及不通过理由"
        verbose_name_plural = "退回及不通过理由"
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.label

    def active_twin(self, label: str, active: bool) -> "ReasonCode | None":
        """Another active code of this label, if this one is (to be) active with it. The
        退回 and 审核不通过 forms both offer every active code by its label: two of one label
        would be listed twice, and a reviewer could not tell them apart."""
        if not active or not label:
            return None
        others = ReasonCode.objects.filter(active=True, label=label.strip()).exclude(pk=self.pk)
        return others.order_by("pk").first()


class EligibilityKind(models.TextChoices):
    MAX_AGE = "max_age", "最高年龄"
    MIN_TITLE_LEVEL = "min_title_level", "最低职称级别"
    MIN_YEARS = "min_years", "最少从业年限"


class EligibilityRule(models.Model):
    """A rule of eligibility that operators set in admin (资格提示). An application that does
    not meet an active rule shows its text as a flag to reviewers; a flag never blocks a
    decision. experts.eligibility applies the rules."""

    kind = models.CharField("规则类型", max_length=20, choices=EligibilityKind.choices)
    # 最高年龄 and 最少从业年限 use `value` (years); 最低职称级别 uses `title_level`.
    value = models.PositiveSmallIntegerField(
        "年数",
        null=True,
        blank=True,
        help_text="最高年龄：提交时的周岁上限；最少从业年限：自参加工作时间起满的年数。",
    )
    title_level = models.CharField(
        "职称级别",
        max_length=20,
        choices=TitleLevel.choices,
        blank=True,
        help_text="仅用于“最低职称级别”：低于此级别时提示。",
    )
    label = models.CharField(
        "提示文字",
        max_length=50,
        blank=True,
        help_text="审核人看到的提示。留空则自动生成，如“年龄超过65岁”。",
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "资格提示规则"
        verbose_name_plural = "资格提示规则"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.flag_text()

    def flag_text(self) -> str:
        """What a reviewer reads when an application does not meet this rule."""
        if self.label:
            return self.label
        if self.kind == EligibilityKind.MAX_AGE:
            return f"年龄超过{self.value}岁"
        if self.kind == EligibilityKind.MIN_TITLE_LEVEL:
            return f"职称级别低于{TitleLevel(self.title_level).label}"
        return f"从业不足{self.value}年"

    def clean(self):
        # Each kind has its own kind of value: say which is missing or out of place.
        errors = {}
        if self.kind == EligibilityKind.MIN_TITLE_LEVEL:
            if not self.title_level:
                errors["title_level"] = "“最低职称级别”规则须选择职称级别。"
            if self.value is not None:
                errors["value"] = "“最低职称级别”规则不使用年数，请清空。"
        elif self.kind:
            limits = {EligibilityKind.MAX_AGE: (18, 100), EligibilityKind.MIN_YEARS: (1, 60)}
            low, high = limits[self.kind]
            name = EligibilityKind(self.kind).label
            if self.value is None:
                errors["value"] = f"“{name}”规则须填写年数。"
            elif not low <= self.value <= high:
                errors["value"] = f"“{name}”的年数应在{low}至{high}之间。"
            if self.title_level:
                errors["title_level"] = f"“{name}”规则不使用职称级别，请清空。"
        if self.active and self.kind and "kind" not in errors:
            # Each kind is one threshold (an age, a level, a number of years): a second active
            # rule of the kind would flag an applicant twice, by two different limits.
            other = EligibilityRule.objects.filter(active=True, kind=self.kind).exclude(pk=self.pk)
            if other.exists():
                errors["kind"] = (
                    f"已有启用的“{EligibilityKind(self.kind).label}”规则（{other.first()}）。"
                    "同一类型只能启用一条：请修改那一条，或先停用它。"
                )
        if errors:
            raise ValidationError(errors)
