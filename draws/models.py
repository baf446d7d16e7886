"""专家抽取: a bureau reviewer's draw of a review panel from the pool, and its record.

The record is append-only, as the audit trail is: a draw (its criteria), its quotas, each
selection (round) with its seed and eligible set, each drawn expert (pick) and each later step
(event: 确认参加, 不参加, 递补, 跳过备选, 短信通知) is a row that is inserted once and never
changed, deleted or emptied by a TRUNCATE, which PostgreSQL itself enforces (triggers). What a panel
looks like now is read from the rows: draws.selectors.panel. Each step also writes its row in
the audit trail (draws.services).
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone

from experts.models import Discipline, ExpertApplication
from portal.triggers import append_only


class Draw(models.Model):
    """抽取申请 as drawn: the project, the review, and the rules every selection of it obeys.

    `criteria` holds the avoidance rules as they were resolved when the draw was made: the
    ids and names of the 回避单位 and 回避专家, the cool-down, the yearly cap and the lowest
    职称级别 (draws.rules.Criteria), so that a 补抽 months later applies the same rules."""

    project_name = models.CharField("项目名称", max_length=100)
    review_at = models.DateTimeField("评审时间")
    review_place = models.CharField("评审地点", max_length=200)
    criteria = models.JSONField("抽取条件", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="抽取人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("抽取时间", auto_now_add=True, db_index=True)
    # The confirmation page's one-time number: 确认抽取 sent twice (a double click, the back
    # button) finds the draw it made, and never draws a second panel.
    token = models.CharField(
        "确认编号", max_length=32, unique=True, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = "抽取记录"
        verbose_name_plural = "抽取记录"
        ordering = ["-created_at", "-pk"]
        triggers = append_only("draw")

    def __str__(self) -> str:
        if not self.created_at:
            return ""
        return f"{self.project_name}（{timezone.localdate(self.created_at):%Y-%m-%d}）"

    @property
    def voided(self) -> "Void | None":
        """Its 作废, or None (draws_for loads it with the draw)."""
        try:
            return self.void
        except ObjectDoesNotExist:
            return None


class Quota(models.Model):
    """How many experts of one 专业领域 (a field takes its sub-fields too), and how many 备选.

    `discipline_name` is the field's name when the draw was made: the record, its 复核 and its
    export show it, so that a field renamed later leaves the record as it was."""

    draw = models.ForeignKey(Draw, verbose_name="抽取记录", on_delete=models.PROTECT)
    number = models.PositiveSmallIntegerField("序号")
    discipline = models.ForeignKey(
        Discipline, verbose_name="专业领域", on_delete=models.PROTECT, related_name="+"
    )
    discipline_name = models.CharField("专业领域名称（抽取时）", max_length=50)
    count = models.PositiveSmallIntegerField("抽取人数")
    reserves = models.PositiveSmallIntegerField("备选人数")

    class Meta:
        verbose_name = "抽取名额"
        verbose_name_plural = "抽取名额"
        ordering = ["draw", "number"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "number"], name="draws_quota_number"),
        ]
        triggers = append_only("draw_quota")

    def __str__(self) -> str:
        return f"{self.discipline_name}：{self.count}人，备选{self.reserves}人"


class Round(models.Model):
    """One selection for a quota: the first draw (number 1) or a fresh 补抽 (2, 3 …).

    `eligible_ids` is every expert the rules allowed at that moment, in ascending id order, and
    `eligible_hash` its SHA-256 (draws.fairness.eligible_hash); `picked_ids` the experts the
    seed chose from it, in order: the first `wanted` are drawn, the rest are 备选 in turn.
    Anyone with these three values re-derives `picked_ids` (draws.fairness.select)."""

    quota = models.ForeignKey(Quota, verbose_name="抽取名额", on_delete=models.PROTECT)
    number = models.PositiveSmallIntegerField("轮次")
    seed = models.CharField("随机种子", max_length=64)
    eligible_ids = models.JSONField("符合条件的专家编号")
    eligible_hash = models.CharField("符合条件名单摘要（SHA-256）", max_length=64)
    eligible_count = models.PositiveIntegerField("符合条件人数")
    wanted = models.PositiveSmallIntegerField("抽取人数")
    picked_ids = models.JSONField("抽中的专家编号")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="抽取人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("抽取时间", auto_now_add=True)

    class Meta:
        verbose_name = "抽取轮次"
        verbose_name_plural = "抽取轮次"
        ordering = ["quota", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quota", "number"], name="draws_round_number"),
        ]
        triggers = append_only("draw_round")

    def __str__(self) -> str:
        return f"{self.quota.discipline_name} 第{self.number}轮"


class Pick(models.Model):
    """One expert a round chose, as 抽中 (MEMBER) or 备选 (RESERVE). A reserve called up by
    递补 gets a second row, as a member. The cool-down and the yearly cap count member rows.

    `expert_name`, `unit_name` and `title` are the expert's as the row was inserted (drawn, or
    called up): the record shows them, so that a later rename or move leaves it as it was."""

    class Role(models.TextChoices):
        MEMBER = "member", "抽中"
        RESERVE = "reserve", "备选"

    draw = models.ForeignKey(Draw, verbose_name="抽取记录", on_delete=models.PROTECT)
    round = models.ForeignKey(Round, verbose_name="抽取轮次", on_delete=models.PROTECT)
    application = models.ForeignKey(
        ExpertApplication,
        verbose_name="专家",
        on_delete=models.PROTECT,
        related_name="draw_picks",
    )
    role = models.CharField("身份", max_length=10, choices=Role.choices)
    position = models.PositiveSmallIntegerField("顺序")
    expert_name = models.CharField("姓名（抽取时）", max_length=50)
    unit_name = models.CharField("工作单位（抽取时）", max_length=100, blank=True)
    title = models.CharField("专业技术职称（抽取时）", max_length=100, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "抽中专家"
        verbose_name_plural = "抽中专家"
        ordering = ["draw", "round", "role", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "application", "role"], name="draws_pick_once_per_role"
            ),
        ]
        indexes = [
            # The cool-down and the yearly cap: members since a day, per expert.
            models.Index(fields=["role", "created_at", "application"], name="draws_pick_recent"),
            # An expert's own draws, on their home page.
            models.Index(fields=["application", "role"], name="draws_pick_expert"),
        ]
        triggers = append_only("draw_pick")

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.position}：{self.expert_name}"

    @classmethod
    def as_drawn(cls, application, **fields) -> "Pick":
        """A new row for `application`, with its name, unit and title as they are now."""
        unit = application.unit
        return cls(
            application=application,
            expert_name=application.user.real_name,
            unit_name=unit.name if unit is not None else "",
            title=application.title,
            **fields,
        )


class Event(models.Model):
    """A later step on one drawn expert: 确认参加, 不参加 (with the reason), 递补 (a 备选
    called up), 跳过备选 (a 备选 递补 passed over, with the rule that refused them),
    短信通知. A fresh 补抽 is a Round, with its own reviewer and time."""

    class Action(models.TextChoices):
        CONFIRM = "confirm", "确认参加"
        DECLINE = "decline", "不参加"
        CALL = "call", "递补"
        NOTIFY = "notify", "短信通知"
        # 递补 passed over this 备选: the draw's rules refuse them now (the reason in words).
        SKIP = "skip", "跳过备选"

    draw = models.ForeignKey(Draw, verbose_name="抽取记录", on_delete=models.PROTECT)
    application = models.ForeignKey(
        ExpertApplication, verbose_name="专家", on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField("操作", max_length=10, choices=Action.choices)
    reason = models.CharField("理由", max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "抽取记录事件"
        verbose_name_plural = "抽取记录事件"
        ordering = ["draw", "created_at", "pk"]
        triggers = append_only("draw_event")

    def __str__(self) -> str:
        return self.get_action_display()


class Void(models.Model):
    """作废: a draw made in error (the wrong project, wrong rules), set aside with the reason,
    appended like every other step; nothing of the record is removed. A void draw takes no
    more steps, and its picks count for no cool-down or yearly cap (draws.rules)."""

    draw = models.OneToOneField(
        Draw, verbose_name="抽取记录", on_delete=models.PROTECT, related_name="void"
    )
    reason = models.CharField("作废理由", max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("作废时间", auto_now_add=True)

    class Meta:
        verbose_name = "抽取记录作废"
        verbose_name_plural = "抽取记录作废"
        triggers = append_only("draw_void")

    def __str__(self) -> str:
        return f"作废：{self.reason}"


class Evaluation(models.Model):
    """专家评价: how an expert who confirmed (确认参加) did at the review, recorded by the
    bureau after its 评审时间. A later row for the same draw and expert is a correction: it
    supersedes the earlier one, and both are kept (the record shows the latest, and that it was
    corrected). The pool reads the latest grade of each review: a draw may leave out experts
    graded 不称职 or 无故缺席 in the last N years (draws.rules)."""

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", "优秀"
        COMPETENT = "competent", "称职"
        BASIC = "basic", "基本称职"
        INCOMPETENT = "incompetent", "不称职"
        # Confirmed, and did not come without a word.
        ABSENT = "absent", "无故缺席"

    # A grade below 称职 says why, in the comment.
    NEEDS_COMMENT = (Grade.BASIC, Grade.INCOMPETENT, Grade.ABSENT)
    # The grades a draw's 评价回避 rule leaves out (Criteria.poor_grade_years).
    POOR = (Grade.INCOMPETENT, Grade.ABSENT)

    draw = models.ForeignKey(Draw, verbose_name="抽取记录", on_delete=models.PROTECT)
    application = models.ForeignKey(
        ExpertApplication,
        verbose_name="专家",
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    grade = models.CharField("评价", max_length=12, choices=Grade.choices)
    comment = models.CharField("评价说明", max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评价人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("评价时间", auto_now_add=True)

    class Meta:
        verbose_name = "专家评价"
        verbose_name_plural = "专家评价"
        ordering = ["draw", "created_at", "pk"]
        indexes = [
            # The latest grade per expert and review: an expert's rows, by draw, newest last
            # (the rule's and the expert page's "no later row for this draw" lookups).
            models.Index(fields=["application", "draw", "id"], name="draws_evaluation_latest"),
        ]
        triggers = append_only("draw_evaluation")

    def __str__(self) -> str:
        return self.get_grade_display()
