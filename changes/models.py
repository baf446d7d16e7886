"""变更申请 (issue 23 part 1): what an admitted expert asks to change, and its review.

An admitted expert's application row stays as approved (in the pool, in the draws) until a
change of its key fields is confirmed by a unit and approved by the bureau; only then are the
values applied (changes.services). Contact details and the other fields no reviewer checks are
applied at once, and a row here records what changed (status 已生效), so that the expert's
history of changes is one list. changes.fields says which field is which.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from accounts.models import TransitionRecord
from changes import permissions
from portal import deadlines
from portal.triggers import append_only


class ChangeStatus(models.TextChoices):
    PENDING_UNIT = "pending_unit", "待单位确认"
    PENDING_BUREAU = "pending_bureau", "待科技局审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "未通过"
    WITHDRAWN = "withdrawn", "已撤回"
    # A change that needs no review (联系方式, 简历 …), applied when saved: a record only.
    APPLIED = "applied", "已生效"


# Grouped states for source lists, filters and the one-open-request rule.
OPEN = [ChangeStatus.PENDING_UNIT, ChangeStatus.PENDING_BUREAU]
# The states of a reviewed request: the review lists' tabs (APPLIED rows are never reviewed).
REVIEWED = [
    ChangeStatus.PENDING_UNIT,
    ChangeStatus.PENDING_BUREAU,
    ChangeStatus.APPROVED,
    ChangeStatus.REJECTED,
    ChangeStatus.WITHDRAWN,
]


# 未通过, as the expert and the reviewers read it: who decided. Only a request its unit confirmed
# (confirmed_at, which changes.services stamps) reaches the bureau, so the row tells a unit's
# 退回 from the bureau's 审核不通过 with no state of its own; the counts, the tabs and the
# filters keep the one 未通过 (a walk: the SMS said 退回, the home page 未通过).
SENT_BACK_LABEL = "已退回"
REFUSED_LABEL = "审核不通过"


def rejected_label(confirmed_at) -> str:
    return REFUSED_LABEL if confirmed_at else SENT_BACK_LABEL


class ChangeKind(models.TextChoices):
    KEY = "key", "关键信息变更"
    CONTACT = "contact", "修改联系方式"
    DETAILS = "details", "修改其他信息"


class ChangeRequest(FSMModelMixin, models.Model):
    """One change of an admitted expert's information: the values asked for, and its review.

    `values` holds the changed fields only, as changes.fields encodes them: 证件号码 and 银行账号
    encrypted (portal.crypto), 专业领域 as ids, 工作单位 as the unit's id. `before` and `after`
    are the same fields as shown to a person, in experts.snapshots' format, so that reviewers
    read the field-by-field diff the resubmissions use (includes/changes.html)."""

    application = models.ForeignKey(
        "experts.ExpertApplication",
        verbose_name="专家申请",
        on_delete=models.PROTECT,
        related_name="change_requests",
        db_index=False,  # the (application, created_at) index below serves lookups
    )
    kind = models.CharField("变更类型", max_length=10, choices=ChangeKind.choices)
    status = FSMField(
        "变更状态",
        max_length=20,
        choices=ChangeStatus.choices,
        default=ChangeStatus.PENDING_UNIT,
        protected=True,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    # The expert's unit when they asked, and the unit they ask to move to (if any). The unit
    # that confirms is the new one when moving, else the expert's own.
    old_unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name="原工作单位",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the moves-out index below serves the old unit's notice
    )
    new_unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name="新工作单位",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    confirming_unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name="确认单位",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (confirming_unit, status, created_at) index serves it
    )
    values = models.JSONField("变更内容", default=dict, editable=False)
    before = models.JSONField("现行信息", default=dict, editable=False)
    after = models.JSONField("变更后信息", default=dict, editable=False)
    # The changed fields' labels, 、-joined: what a list prints of a row, with no decoding.
    changed_labels = models.CharField("变更字段", max_length=300, editable=False)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # 确认 by the confirming unit: the bureau's 截止日期 counts from it, as an application's
    # from its 单位推荐时间, and 信息变更审核's 待科技局审核 tab shows and lists by it.
    confirmed_at = models.DateTimeField("单位确认时间", null=True, blank=True, editable=False)
    decided_at = models.DateTimeField("处理时间", null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    # As recorded at the decision (accounts.permissions.role_label): 单位账号, 科技局审核员 …
    decided_role = models.CharField("处理人角色", max_length=20, blank=True, editable=False)
    reason = models.TextField("理由", max_length=1000, blank=True, editable=False)
    # While open: the day the unit's confirmation (待单位确认) or the bureau's decision
    # (待科技局审核) is due (portal.deadlines), set by the transition that starts the wait;
    # empty in every other state.
    due_on = models.DateField("截止日期", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "变更申请"
        verbose_name_plural = "变更申请"
        indexes = [
            # 信息变更审核 sorted by 截止日期, and each waiting tab's 已超期 count (due_on < today).
            models.Index(fields=["status", "due_on", "id"], name="changes_status_due"),
            # 信息变更待确认: the same within the confirming unit.
            models.Index(
                fields=["confirming_unit", "status", "due_on", "id"], name="changes_unit_status_due"
            ),
            # 信息变更审核 (the bureau): WHERE status = … ORDER BY created_at, id; the tabs'
            # counts per status from the index alone.
            models.Index(fields=["status", "created_at", "id"], name="changes_status_created"),
            # 信息变更审核's 待科技局审核: WHERE status = … ORDER BY confirmed_at, id, the time
            # the bureau's 截止日期 counts from.
            models.Index(fields=["status", "confirmed_at", "id"], name="changes_status_confirmed"),
            # 全部: every status in the same order, not a sort of every row (docs/performance.md).
            models.Index(fields=["created_at", "id"], name="changes_created"),
            # 信息变更待确认 (a unit): the same within the confirming unit.
            models.Index(
                fields=["confirming_unit", "status", "created_at", "id"],
                name="changes_unit_status_created",
            ),
            # The expert's home: their requests, newest first.
            models.Index(fields=["application", "created_at"], name="changes_application"),
            # 只看更换单位 (the bureau): the moves per status, counted from the index alone for
            # the tabs, and a tab's page in order.
            models.Index(
                fields=["status", "created_at", "id"],
                condition=Q(new_unit__isnull=False),
                name="changes_moves_status_created",
            ),
            # The old unit's notice: its experts asking to move away, newest first. Only the
            # open moves, in the notice's order: the first 20 are the index's first 20 entries.
            # An index of all moves by (old_unit, status) let the planner walk changes_created
            # backwards instead, through every request (docs/performance.md).
            models.Index(
                fields=["old_unit", "created_at", "id"],
                condition=Q(new_unit__isnull=False, status__in=OPEN),
                name="changes_moves_out_open",
            ),
        ]
        constraints = [
            # One open request per expert, whatever two requests racing each other do.
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=OPEN),
                name="changes_one_open_per_application",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.status_display}）"

    @property
    def status_display(self) -> str:
        """The state in words, 未通过 as 已退回 (the unit) or 审核不通过 (the bureau): what the
        badge (portal.templating.status_badge) and the expert's own data say."""
        if self.status == ChangeStatus.REJECTED:
            return rejected_label(self.confirmed_at)
        return self.get_status_display()

    @property
    def sent_back(self) -> bool:
        """退回 by the confirming unit (never confirmed), not refused by the bureau."""
        return self.status == ChangeStatus.REJECTED and self.confirmed_at is None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def took_effect(self) -> bool:
        """Approved, or applied when saved: its values are (or were) in force."""
        return self.status in (ChangeStatus.APPROVED, ChangeStatus.APPLIED)

    @property
    def moves_unit(self) -> bool:
        return self.new_unit_id is not None

    @property
    def awaits_unit(self) -> bool:
        """待单位确认: the expert may still edit it, and a unit is the next to act."""
        return self.status == ChangeStatus.PENDING_UNIT

    @property
    def unit_due_on(self):
        """The confirming unit's own 截止日期 (待单位确认), or None: a request 待科技局审核 waits
        on the bureau, whose due date is not the unit's to meet."""
        return self.due_on if self.awaits_unit else None

    # Transitions change only the row; changes.services locks, records and queues SMS.
    # 提交 and 修改 keep the state: the expert's own steps, so that the history begins where
    # the request did and shows each change of the values asked for before the unit confirms.
    @transition(
        field=status,
        source=ChangeStatus.PENDING_UNIT,
        target=ChangeStatus.PENDING_UNIT,
        permission=permissions.is_requester,
        custom={"label": "提交"},
    )
    def submit(self) -> None:
        # The unit confirms as it recommends an application (portal.deadlines).
        self.due_on = deadlines.recommendation_due()

    @transition(
        field=status,
        source=ChangeStatus.PENDING_UNIT,
        target=ChangeStatus.PENDING_UNIT,
        permission=permissions.is_requester,
        custom={"label": "修改"},
    )
    def amend(self) -> None:
        # What the unit confirms changed (and maybe the unit): its wait starts again.
        self.due_on = deadlines.recommendation_due()

    @transition(
        field=status,
        source=ChangeStatus.PENDING_UNIT,
        target=ChangeStatus.PENDING_BUREAU,
        permission=permissions.is_confirming_unit,
        custom={"label": "确认"},
    )
    def confirm(self) -> None:
        # The bureau decides as it decides an application: from the 确认 (confirmed_at, which
        # changes.services sets, as experts.services sets recommended_at).
        self.due_on = deadlines.decision_due(self.confirmed_at)

    @transition(
        field=status,
        source=ChangeStatus.PENDING_UNIT,
        target=ChangeStatus.REJECTED,
        permission=permissions.is_confirming_unit,
        custom={"label": "退回"},
    )
    def send_back(self) -> None:
        self.due_on = None

    @transition(
        field=status,
        source=ChangeStatus.PENDING_BUREAU,
        target=ChangeStatus.APPROVED,
        permission=permissions.is_bureau_for,
        custom={"label": "审核通过"},
    )
    def approve(self) -> None:
        self.due_on = None

    @transition(
        field=status,
        source=ChangeStatus.PENDING_BUREAU,
        target=ChangeStatus.REJECTED,
        permission=permissions.is_bureau_for,
        custom={"label": "审核不通过"},
    )
    def reject(self) -> None:
        self.due_on = None

    @transition(
        field=status,
        source=OPEN,
        target=ChangeStatus.WITHDRAWN,
        permission=permissions.is_requester,
        custom={"label": "撤回"},
    )
    def withdraw(self) -> None:
        self.due_on = None

    # Not a person's choice: the expert left 审核通过 (冻结, 出库, 撤销入库) while the request
    # was open (changes.receivers); it ends 已撤回, and its history says 关闭 and why. No view
    # or admin offers it.
    @transition(
        field=status,
        source=OPEN,
        target=ChangeStatus.WITHDRAWN,
        permission=permissions.is_bureau_or_system,
        custom={"label": "关闭"},
    )
    def close(self) -> None:
        self.due_on = None


class ChangeTransition(TransitionRecord):
    """A change request's review: who confirmed, returned, approved, rejected or withdrew it."""

    change_request = models.ForeignKey(
        ChangeRequest, verbose_name="变更申请", on_delete=models.PROTECT, related_name="history"
    )
    subject_field = "change_request"

    def get_to_status_display(self) -> str:
        # The 状态变化 of a 退回 or 审核不通过 in the words of its request's badge.
        if self.to_status == ChangeStatus.REJECTED:
            return SENT_BACK_LABEL if self.action == "send_back" else REFUSED_LABEL
        return super().get_to_status_display()

    class Meta(TransitionRecord.Meta):
        verbose_name = "变更审核记录"
        verbose_name_plural = "变更审核记录"
        # Who confirmed, approved or rejected a change: append-only in PostgreSQL
        # (portal.triggers).
        triggers = append_only("change_history")


class ChangeCount(models.Model):
    """How many change requests are in each reviewed status (REVIEWED), kept instead of counted
    on every page: 信息变更审核's and 信息变更待确认's tabs, 专家审核's 信息变更审核 button
    (待科技局审核) and 用户账号管理's 待单位确认. changes.counts keeps them, in the transaction
    of each change.

    `unit` is the confirming unit (a unit's own counts: its change_requests_for); a row without
    one counts every unit's requests together (the bureau's)."""

    status = models.CharField("状态", max_length=20, choices=ChangeStatus.choices)
    # No index of its own: the unique (status, unit) serves lookups.
    unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name="确认单位",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    n = models.IntegerField("数量", default=0)

    class Meta:
        verbose_name = "变更申请状态计数"
        verbose_name_plural = "变更申请状态计数"
        constraints = [
            # One row for (status, no unit) too: NULLs are not distinct here.
            models.UniqueConstraint(
                fields=["status", "unit"], name="change_count_unique", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}：{self.n}"
