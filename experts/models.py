import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from accounts.models import TransitionRecord
from audit.models import RETENTION, AuditEvent
from experts import attachments, periods, permissions
from experts.attachments import AttachmentKind, attachment_upload_to, validate_attachment
from experts.change_transitions import ChangeTransitionsMixin
from experts.choices import (
    DEGREE_CHOICES,
    DISCIPLINE_SEPARATOR,
    EDUCATION_CHOICES,
    ETHNICITY_CHOICES,
    POLITICAL_CHOICES,
    Gender,
    TitleLevel,
)
from experts.periods import freeze_before, full_months_since, remind_before
from portal import deadlines
from portal.crypto import EncryptedCharField
from portal.triggers import append_only, protect_unless


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", "信息未填写"
    PENDING_UNIT = "pending_unit", "待单位推荐"
    PENDING_BUREAU = "pending_bureau", "待科技局审核"
    APPROVED = "approved", "审核通过"
    REJECTED = "rejected", "审核不通过"
    # After admission (experts.lifecycle): the manual's five states above stay as they are.
    FROZEN = "frozen", "已冻结"
    EXIT_PENDING = "exit_pending", "退出待确认"
    EXITED = "exited", "已出库"


# Grouped states for source lists and filters.
EDITABLE = [ApplicationStatus.DRAFT]
# 专家库 lists the admitted experts, the frozen ones marked; only the approved are ever drawn.
IN_POOL = [ApplicationStatus.APPROVED, ApplicationStatus.FROZEN]
# Admitted and not gone: may ask to leave, or be removed by the bureau.
ADMITTED = [ApplicationStatus.APPROVED, ApplicationStatus.FROZEN, ApplicationStatus.EXIT_PENDING]
IN_REVIEW = [ApplicationStatus.PENDING_UNIT, ApplicationStatus.PENDING_BUREAU]
# The statuses whose due date is a unit's to meet: what 用户账号管理 shows and counts as the
# unit's 截止日期 (a row 待科技局审核 waits on the bureau).
UNIT_WAITING = (ApplicationStatus.PENDING_UNIT,)
# Shown in place of 信息未填写 after 退回 (ExpertApplication.returned_at): a draft, but a full one
# waiting for the applicant's changes.
RETURNED_LABEL = "已退回（待修改）"
# 已退回（待修改）: returned by the unit and not submitted again. submit clears returned_at, so
# only a draft has it; the status is said all the same, for the reader and the planner.
RETURNED = Q(status=ApplicationStatus.DRAFT, returned_at__isnull=False)
# Shown beside 信息未填写 after 修改专家信息 (ExpertApplication.revising_at): the bureau said
# 审核不通过 and the applicant is changing the form to submit again.
REVISING_LABEL = "修改中（曾审核不通过）"
# 修改中（曾审核不通过）: revised after 审核不通过 and not submitted again (submit clears
# revising_at, as 撤回同意 does).
REVISING = Q(status=ApplicationStatus.DRAFT, revising_at__isnull=False)
# The drafts 专家审核 lists (its 待申请人修改 tab): submitted once, and back with the applicant
# to change, returned by the unit or revised after the bureau's 审核不通过. A reviewer must still
# find them (a rejected applicant calls to ask why).
WITH_APPLICANT = RETURNED | REVISING
WITH_APPLICANT_LABEL = "待申请人修改"
# A draft never submitted (or whose consent was withdrawn): the applicant's own business,
# outside every review queue.
UNSUBMITTED = Q(status=ApplicationStatus.DRAFT, returned_at__isnull=True, revising_at__isnull=True)
# Transitions whose comment is a reason the applicant must read and act on.
# The steps whose reason the person is told on their home page (experts.views._latest_reason).
ACTIONS_WITH_REASON = ("send_back", "reject", "revoke", "refuse_unfreeze", "remove")
# The person's steps that answer the reason before them: it is no longer theirs to act on.
ANSWERING_ACTIONS = ("submit", "request_unfreeze", "reapply")


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


class ExpertApplication(ChangeTransitionsMixin, FSMModelMixin, models.Model):
    """One person's application to the expert database (专家信息), with its state."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人账号",
        on_delete=models.PROTECT,
        related_name="application",
    )
    # The decisions' SMS (sms.SMSMessage.about), shown with their state on the detail pages.
    sms_messages = GenericRelation("sms.SMSMessage")
    # The applicant's unit, copied from the account (experts.search.refresh keeps it so): the
    # unit's own pages filter and count on it without joining 100,000 accounts.
    unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name="工作单位",
        on_delete=models.PROTECT,
        related_name="applications",
        null=True,
        editable=False,
        db_index=False,  # the (unit, status) index below serves lookups by unit
    )
    status = FSMField(
        "专家状态",
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        protected=True,
    )

    # 基本信息 (姓名, 证件类型, 证件号码 come from the account)
    gender = models.CharField("性别", max_length=10, choices=Gender.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    ethnicity = models.CharField("民族", max_length=20, choices=ETHNICITY_CHOICES, blank=True)
    political_status = models.CharField(
        "政治面貌", max_length=20, choices=POLITICAL_CHOICES, blank=True
    )
    # 学历与职称
    education = models.CharField("最高学历", max_length=20, choices=EDUCATION_CHOICES, blank=True)
    degree = models.CharField("最高学位", max_length=20, choices=DEGREE_CHOICES, blank=True)
    graduated_from = models.CharField("毕业院校", max_length=100, blank=True)
    major = models.CharField("所学专业", max_length=100, blank=True)
    current_specialty = models.CharField("现从事专业", max_length=100, blank=True)
    title = models.CharField("专业技术职称", max_length=100, blank=True)
    title_level = models.CharField(
        "职称级别", max_length=20, choices=TitleLevel.choices, blank=True
    )
    admin_position = models.CharField("行政职务", max_length=100, blank=True)
    # Optional: the eligibility rule of years in the field (experts.eligibility) reads it.
    work_started_on = models.DateField("参加工作时间", null=True, blank=True)
    # 工作单位与联系方式 (工作单位 comes from the account)
    department = models.CharField("所在部门", max_length=100, blank=True)
    mobile = models.CharField(
        "手机", max_length=20, blank=True, help_text="审核结果将以短信通知此号码"
    )
    office_phone = models.CharField("办公电话", max_length=30, blank=True)
    email = models.EmailField("电子邮箱", max_length=254, blank=True)
    address = models.CharField("通讯地址", max_length=200, blank=True)
    # 专业领域与成果
    disciplines = models.ManyToManyField(Discipline, verbose_name="专业领域", blank=True)
    research_direction = models.TextField("研究方向/擅长领域", max_length=500, blank=True)
    resume = models.TextField("工作简历", max_length=4000, blank=True)
    achievements = models.TextField("主要业绩与成果", max_length=4000, blank=True)
    # 银行信息
    bank_name = models.CharField("开户银行", max_length=100, blank=True)
    bank_account = EncryptedCharField("银行账号", max_length=30, blank=True)
    # 承诺
    integrity_pledge = models.BooleanField("诚信承诺", default=False)
    # PIPL art. 29: a separate consent to processing sensitive personal information.
    consent_version = models.CharField("敏感个人信息处理同意书版本", max_length=20, blank=True)
    consent_at = models.DateTimeField("同意时间", null=True, blank=True)
    # Whom the agreed text named as 个人信息处理者: BUREAU_NAME at the time (experts.rules), so
    # the consent reads as it was read even after the setting changes.
    consent_bureau = models.CharField("同意书中的个人信息处理者", max_length=100, blank=True)

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    recommended_at = models.DateTimeField("单位推荐时间", null=True, blank=True)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    # When the applicant last pressed 保存草稿: the home page says a draft is waiting.
    # Both are the system's to set (never a form's, admin's included): editable=False.
    draft_saved_at = models.DateTimeField("草稿保存时间", null=True, blank=True, editable=False)
    # Set by 退回, cleared by the next 提交: the status goes back to 信息未填写 (the manual's
    # word), and this says the form is complete but waits for the applicant's changes.
    returned_at = models.DateTimeField("退回时间", null=True, blank=True, editable=False)
    # Set by 修改专家信息 after 审核不通过, cleared by the next 提交 (and by 撤回同意): the draft
    # stays in 专家审核, marked 修改中（曾审核不通过）, where a reviewer can find it.
    revising_at = models.DateTimeField("开始修改时间", null=True, blank=True, editable=False)
    # While 待单位推荐 or 待科技局审核: the day the unit's or the bureau's step is due
    # (portal.deadlines); empty in every other state.
    due_on = models.DateField("截止日期", null=True, blank=True, editable=False)
    # 年度确认: set by 审核通过 and by each confirmation; 11 months on, a reminder (once per
    # period: confirm_reminded_at), 24 months on, 冻结 (experts.lifecycle).
    confirmed_at = models.DateTimeField("最近确认时间", null=True, blank=True, editable=False)
    confirm_reminded_at = models.DateTimeField(
        "确认提醒时间", null=True, blank=True, editable=False
    )
    # 申请解冻 puts a frozen expert in the bureau's queue (待科技局审核) like an application the
    # unit recommended; this says it is an admitted expert asking to be unfrozen, so that the
    # bureau's decision is 解冻 or 不予解冻 (back to 已冻结), not an admission.
    unfreezing = models.BooleanField("申请解冻", default=False, editable=False)
    # 资格提示: the texts of the EligibilityRules this application does not meet, set when it
    # is submitted and while it waits for a decision (experts.eligibility); stored, so that a
    # list filters and prints them with no work per row. Help for reviewers, never a block.
    eligibility_flags = models.JSONField("资格提示", default=list, blank=True, editable=False)
    has_eligibility_flags = models.BooleanField("有资格提示", default=False, editable=False)
    # 删除个人信息 (experts.erasure): when an operator erased the person's data; set once.
    erased_at = models.DateTimeField("个人信息删除时间", null=True, blank=True, editable=False)
    # 姓名, 工作单位, 职称, 专业 and 专业领域 in one column for the search box (experts.search).
    search_text = models.TextField("检索文本", blank=True, editable=False)

    class Meta:
        verbose_name = "专家申请"
        verbose_name_plural = "专家申请"
        # Each serves a list page's filter and order; docs/performance.md has the EXPLAINs.
        indexes = [
            # Each list's order ends with the id, so that rows with the same time keep their
            # places from page to page; with the id in the index too, the index gives the
            # whole order and a page reads its 25 rows, not every row tied with the last one.
            # 专家审核: WHERE status = … ORDER BY recommended_at, id
            models.Index(fields=["status", "recommended_at", "id"]),
            # 专家审核 sorted by 截止日期, and each waiting tab's 已超期 count (due_on < today).
            # returned_at and revising_at ride along: 专家审核's scope leaves out the drafts
            # with neither (UNSUBMITTED), and with them in the index the count reads no table
            # row (docs/performance.md).
            models.Index(
                fields=["status", "due_on", "id"],
                include=["returned_at", "revising_at"],
                name="experts_status_due",
            ),
            # 用户账号管理: the same, within one unit
            models.Index(fields=["unit", "status", "due_on"], name="experts_unit_status_due"),
            # 专家库: WHERE status = 'approved' ORDER BY decided_at DESC, id DESC. With the
            # search text beside each entry, a term that many experts have is searched along
            # this order without reading the table (experts.search.is_common; migration 0008).
            models.Index(
                fields=["status", "decided_at", "id"],
                include=["search_text"],
                name="experts_pool_order_search",
            ),
            # 专家库 filtered by 职称级别: counts per status of one level, from the index alone
            # (migration 0007)
            models.Index(fields=["status", "title_level"], name="experts_status_title_level"),
            # 年度确认's daily command: the approved experts whose confirmation is due.
            # Partial: it serves that query alone, not the pool's (status, …) filters.
            models.Index(
                fields=["confirmed_at"],
                condition=Q(status=ApplicationStatus.APPROVED),
                name="experts_approved_confirmed",
            ),
            # 专家库's facets (experts.facets): the columns they group and filter by, and the id
            # a 专业领域 filter joins on, so that each facet reads the index, not the table's
            # wide rows (figures in docs/performance.md, issue 22).
            models.Index(
                fields=["status", "title_level", "unit", "birth_date", "id"],
                name="experts_pool_facets",
            ),
            # 用户账号管理: counts per status of one unit (an index-only scan)
            models.Index(fields=["unit", "status"]),
            # 用户账号管理: WHERE unit_id = … ORDER BY updated_at DESC, id DESC
            models.Index(fields=["unit", "updated_at", "id"]),
            # 用户账号管理 filtered to 已退回（待修改）, and 专家审核's tab of returned drafts:
            # the few returned rows, not every unsubmitted draft.
            models.Index(
                fields=["unit", "updated_at", "id"],
                condition=Q(returned_at__isnull=False),
                name="experts_returned",
            ),
            # 专家审核's 待申请人修改 tab reads the revised drafts from here and the returned
            # ones from experts_returned: the few rows, not every unsubmitted draft.
            models.Index(
                fields=["recommended_at", "id"],
                condition=Q(revising_at__isnull=False),
                name="experts_revising",
            ),
            # 专家审核 filtered by 资格提示 (有提示 / 无提示): the page in its order, and the
            # tabs' counts per status from the index alone (returned_at, revising_at: the
            # queue's scope tests them, UNSUBMITTED). The flag leads, so that a count reads only
            # the entries of its value, not the table (figures in docs/performance.md).
            models.Index(
                fields=["has_eligibility_flags", "status", "recommended_at", "id"],
                include=["returned_at", "revising_at"],
                name="experts_flags_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.real_name}（{self.get_status_display()}）"

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def exited(self) -> bool:
        """已出库 (left, or removed)."""
        return self.status == ApplicationStatus.EXITED

    @property
    def returned(self) -> bool:
        """退回 by the unit and not yet submitted again (状态 信息未填写, 已退回（待修改）)."""
        return self.returned_at is not None

    @property
    def revising(self) -> bool:
        """Revised after 审核不通过 and not yet submitted again (状态 信息未填写, marked
        修改中（曾审核不通过）)."""
        return self.revising_at is not None

    @property
    def applicants_own(self) -> bool:
        """A draft outside every review (UNSUBMITTED, in Python): never submitted, its consent
        withdrawn (撤回同意), or begun again after 退出 (重新申请). Its content is the
        applicant's business alone, whatever was submitted before."""
        return self.status == ApplicationStatus.DRAFT and not (self.returned or self.revising)

    # Transitions change only the row; services.py locks, records history and queues SMS.
    @transition(
        field=status,
        source=ApplicationStatus.DRAFT,
        target=ApplicationStatus.PENDING_UNIT,
        permission=permissions.is_owner,
        custom={"label": "提交"},
    )
    def submit(self) -> None:
        self.returned_at = self.revising_at = None
        self.due_on = deadlines.recommendation_due(self.submitted_at)

    @transition(
        field=status,
        source=ApplicationStatus.PENDING_UNIT,
        target=ApplicationStatus.PENDING_BUREAU,
        permission=permissions.is_unit_of,
        custom={"label": "推荐"},
    )
    def recommend(self) -> None:
        self.due_on = deadlines.decision_due(self.recommended_at)

    @transition(
        field=status,
        source=ApplicationStatus.PENDING_UNIT,
        target=ApplicationStatus.DRAFT,
        permission=permissions.is_unit_of,
        custom={"label": "退回"},
    )
    def send_back(self) -> None:
        self.returned_at = timezone.now()
        self.due_on = None

    @transition(
        field=status,
        source=ApplicationStatus.PENDING_BUREAU,
        target=ApplicationStatus.APPROVED,
        permission=permissions.is_reviewer_for,
        conditions=[lambda application: not application.unfreezing],
        custom={"label": "审核通过", "admin": True},
    )
    def approve(self) -> None:
        self.due_on = None
        self.confirmed_at, self.confirm_reminded_at = timezone.now(), None

    @transition(
        field=status,
        source=ApplicationStatus.PENDING_BUREAU,
        target=ApplicationStatus.REJECTED,
        permission=permissions.is_reviewer_for,
        conditions=[lambda application: not application.unfreezing],
        custom={
            "label": "审核不通过",
            "admin": True,
            "form": "experts.forms.ApplicationReasonForm",
            "help_text": "理由将显示在申请人的页面上，并随短信通知申请人。",
        },
    )
    def reject(self) -> None:
        self.due_on = None

    # 撤销入库（公示异议）: an objection raised during 公示 (the notice app) and upheld on review
    # reverses the admission. It goes back to the manual's 审核不通过, so that the applicant
    # reads the reason and may revise and submit again; experts.services.revoke_admission
    # refuses it once the notice period is over. Not offered in admin: only from the page.
    @transition(
        field=status,
        source=ApplicationStatus.APPROVED,
        target=ApplicationStatus.REJECTED,
        permission=permissions.is_reviewer_for,
        custom={"label": "撤销入库（公示异议）"},
    )
    def revoke(self) -> None:
        pass

    @transition(
        field=status,
        source=ApplicationStatus.REJECTED,
        target=ApplicationStatus.DRAFT,
        permission=permissions.is_owner,
        custom={"label": "修改专家信息"},
    )
    def revise(self) -> None:
        self.revising_at = timezone.now()

    # 撤回同意 before admission (PIPL art. 15): under review (待单位推荐, 待科技局审核), after
    # 审核不通过, or in a draft holding the consent (after 退回, or ticked and saved). Without
    # the consent there is nothing the unit or the bureau may review, so the application leaves
    # their queues and goes back to 信息未填写, as before its 提交 (the applicant's own form
    # again, not 已退回（待修改）); to apply, they agree again and submit. A 申请解冻 is an
    # admitted expert's, who withdraws by 撤回同意并申请退出 once it is decided.
    @transition(
        field=status,
        source=[
            ApplicationStatus.DRAFT,
            ApplicationStatus.PENDING_UNIT,
            ApplicationStatus.PENDING_BUREAU,
            ApplicationStatus.REJECTED,
        ],
        target=ApplicationStatus.DRAFT,
        permission=permissions.is_owner,
        conditions=[
            lambda application: not application.unfreezing,
            lambda application: application.consent_at is not None,
        ],
        custom={"label": "撤回同意"},
    )
    def withdraw_application(self) -> None:
        self.consent_version, self.consent_at, self.consent_bureau = "", None, ""
        self.returned_at = self.revising_at = None
        self.due_on = None

    # After admission (experts.lifecycle) ------------------------------------------------------

    @transition(
        field=status,
        source=ApplicationStatus.APPROVED,
        target=ApplicationStatus.APPROVED,
        permission=permissions.is_owner,
        custom={"label": "年度确认"},
    )
    def confirm_info(self) -> None:
        self.confirmed_at, self.confirm_reminded_at = timezone.now(), None

    @transition(
        field=status,
        source=ApplicationStatus.APPROVED,
        target=ApplicationStatus.FROZEN,
        permission=permissions.is_system,
        custom={"label": "冻结"},
    )
    def freeze(self) -> None:
        pass

    @transition(
        field=status,
        source=ApplicationStatus.FROZEN,
        target=ApplicationStatus.PENDING_BUREAU,
        permission=permissions.is_owner,
        custom={"label": "申请解冻"},
    )
    def request_unfreeze(self) -> None:
        # Into the bureau's queue, waiting since now (the queue's order and the deadline read
        # recommended_at): 解冻 unfreezes (and counts as the confirmation), 不予解冻 does not.
        self.recommended_at = timezone.now()
        self.due_on = deadlines.decision_due(self.recommended_at)
        self.unfreezing = True

    # The bureau's decisions on a 申请解冻, in place of 审核通过 / 审核不通过 (experts.services
    # chooses): the admission stands as it was (入库时间, 公示), whatever the answer.
    @transition(
        field=status,
        source=ApplicationStatus.PENDING_BUREAU,
        target=ApplicationStatus.APPROVED,
        permission=permissions.is_reviewer_for,
        conditions=[lambda application: application.unfreezing],
        custom={"label": "解冻"},
    )
    def unfreeze(self) -> None:
        self.due_on = None
        self.unfreezing = False
        self.confirmed_at, self.confirm_reminded_at = timezone.now(), None

    @transition(
        field=status,
        source=ApplicationStatus.PENDING_BUREAU,
        target=ApplicationStatus.FROZEN,
        permission=permissions.is_reviewer_for,
        conditions=[lambda application: application.unfreezing],
        custom={"label": "不予解冻"},
    )
    def refuse_unfreeze(self) -> None:
        self.due_on = None
        self.unfreezing = False

    @transition(
        field=status,
        source=IN_POOL,
        target=ApplicationStatus.EXIT_PENDING,
        permission=permissions.is_owner,
        custom={"label": "申请退出"},
    )
    def request_exit(self) -> None:
        pass

    @transition(
        field=status,
        source=ApplicationStatus.EXIT_PENDING,
        target=ApplicationStatus.APPROVED,
        permission=permissions.is_owner,
        # Not a way out of 冻结, nor after 撤回同意: exit_final_reason.
        conditions=[lambda application: not application.exit_final_reason()],
        custom={"label": "撤回退出申请"},
    )
    def withdraw_exit(self) -> None:
        pass

    @transition(
        field=status,
        source=ApplicationStatus.EXIT_PENDING,
        target=ApplicationStatus.EXITED,
        permission=permissions.is_reviewer_for,
        custom={"label": "确认退出"},
    )
    def confirm_exit(self) -> None:
        pass

    @transition(
        field=status,
        source=ADMITTED,
        target=ApplicationStatus.EXITED,
        permission=permissions.is_reviewer_for,
        custom={"label": "出库（清退）"},
    )
    def remove(self) -> None:
        pass

    @transition(
        field=status,
        source=ApplicationStatus.EXITED,
        target=ApplicationStatus.DRAFT,
        permission=permissions.is_owner,
        custom={"label": "重新申请"},
    )
    def reapply(self) -> None:
        # A new application makes its own 诚信承诺 (an expert's-year walk found it ticked from
        # the one that ended). The consent stays as given: never withdrawn, it still covers the
        # fees of reviews done before the exit; the form asks again if its text has changed.
        self.returned_at = None
        self.integrity_pledge = False

    @property
    def request_noun(self) -> str:
        """What the bureau decides on, in the words of its messages: a 申请解冻 is decided in
        the queue like an application, but it is not one."""
        return "解冻申请" if self.unfreezing else "专家申请"

    @property
    def confirm_due(self) -> bool:
        """审核通过 and 11 months or more since the last confirmation: the home page's banner."""
        return (
            self.status == ApplicationStatus.APPROVED
            and self.confirmed_at is not None
            and self.confirmed_at < remind_before()
        )

    @property
    def months_since_confirmed(self) -> int:
        """Whole months since the last confirmation: what the home page's banner says."""
        return full_months_since(self.confirmed_at) if self.confirmed_at else 0

    @property
    def confirm_by(self):
        """The day before which the home page's banner asks to confirm, or None
        (experts.periods.confirm_by, as the reminder says it)."""
        return periods.confirm_by(self.confirmed_at) if self.confirmed_at else None

    @property
    def frozen_on(self):
        """The day the daily run freezes this expert unless they confirm first, or None."""
        return periods.frozen_on(self.confirmed_at) if self.confirmed_at else None

    @property
    def unit_due_on(self):
        """The unit's own 截止日期 (UNIT_WAITING), or None."""
        return self.due_on if self.status in UNIT_WAITING else None

    @property
    def admitted_expert(self) -> bool:
        """Admitted to the pool and not gone (审核通过, 已冻结, 退出待确认, or 已冻结 and asking
        for 解冻): their key information changes through a reviewed 信息变更 only, never by
        an operator's edit in admin."""
        return self.status in ADMITTED or self.unfreezing

    def confirmation_lapsed(self, today=None) -> bool:
        """Whether the last confirmation is older than the period that freezes (24 months)."""
        return self.confirmed_at is not None and self.confirmed_at < freeze_before(today)

    def exit_final_reason(self, today=None) -> str:
        """Why this expert's exit, pending or asked for now, could not be withdrawn ('' when it
        could): the conditions of withdraw_exit, in the words of its refusal and of the home
        page where its button would be. Not a way out of 冻结: a lapsed confirmation stays
        lapsed. Nor after 撤回同意: the pool may not keep processing the numbers it was asked
        to stop processing."""
        again = "如需再次入库，请在退出后重新申请。"
        if self.confirmation_lapsed(today):
            months = periods.FREEZE_AFTER_MONTHS
            return f"您的专家信息已满{months}个月未确认，不能撤回退出申请。{again}"
        if self.consent_at is None:
            return (
                "您已撤回敏感个人信息处理同意，专家库不能再处理您的证件号码和银行账号，"
                f"因此不能撤回退出申请。{again}"
            )
        return ""

    @property
    def exit_warning(self) -> str:
        """What the 申请退出 question adds when the exit, once asked for, could not be withdrawn
        (exit_final_reason's rule of a lapsed confirmation), with what keeps the expert in the
        pool instead: 申请解冻 when frozen, else 确认信息无变化."""
        if not self.confirmation_lapsed():
            return ""
        if self.status == ApplicationStatus.FROZEN:
            return "冻结期间申请退出后不能撤回；如想继续留在专家库，请申请解冻。"
        return (
            f"您的专家信息已满{periods.FREEZE_AFTER_MONTHS}个月未确认，申请退出后不能撤回；"
            "如想继续留在专家库，请先点击“确认信息无变化”。"
        )


def _differs(expression: str) -> str:
    """SQL: `expression`, written for `{row}`, differs between the row before and after."""
    return f"{expression.format(row='OLD')} IS DISTINCT FROM {expression.format(row='NEW')}"


# The one UPDATE a history row takes: reencrypt_personal_data (experts.reencrypt) rewriting
# the secret values of a 提交's snapshot (experts.snapshots: rows of [section, label, value,
# secret]) under a new key. The trigger refuses any update that changes something else: another
# column, the snapshot's other keys (version, 证明材料), a row's place, section, label or
# secret flag, or the value of a row that is not secret. What it lets through are Fernet tokens
# of the two personal numbers, which only the key can make. This condition rather than
# pgtrigger.ignore around that one update: ignore sends a set_config before each statement in
# the same command, which PostgreSQL refuses once values are bound on the server
# (DATABASE_PREPARE_THRESHOLD), and the command must work there too. A submission's content,
# as the reviewers compare it, stays as submitted either way.
REENCRYPTION_ONLY = pgtrigger.Condition(
    " OR ".join(
        _differs(expression)
        for expression in [
            "to_jsonb({row}) - 'snapshot'",
            "{row}.snapshot - 'rows'",
            "jsonb_path_query_array({row}.snapshot, 'strict $.rows[*][0, 1, 3]')",
            "jsonb_path_query_array({row}.snapshot, 'strict $.rows[*] ? (@[3] == false)')",
        ]
    )
)


# The other UPDATE a history row takes: 删除个人信息 (experts.erasure) setting a 提交's
# snapshot to null, the form as submitted being personal data the person asked to erase. Only
# the snapshot, only to null, and only of an application whose personal data is erased
# (erased_at, set first in the same transaction); the step itself (who, when, what, why) stays.
# A trigger condition, not pgtrigger.ignore, for the reason REENCRYPTION_ONLY gives.
SNAPSHOT_ERASURE_ONLY = (
    "NEW.snapshot IS NULL AND to_jsonb(OLD) - 'snapshot' = to_jsonb(NEW) - 'snapshot' "
    f"AND EXISTS (SELECT FROM {ExpertApplication._meta.db_table} "
    "WHERE id = NEW.application_id AND erased_at IS NOT NULL)"
)


class ApplicationTransition(TransitionRecord):
    application = models.ForeignKey(
        ExpertApplication, verbose_name="专家申请", on_delete=models.PROTECT, related_name="history"
    )
    subject_field = "application"
    # On a 提交: the form as submitted (experts.snapshots), to show what changed next time.
    snapshot = models.JSONField("提交内容", null=True, blank=True, editable=False)
    # On a 退回 or 审核不通过: the reason codes ticked, [{"code": …, "label": …}], and comments
    # on named fields of the form, [{"field": name, "label": …, "comment": …}], each label as
    # shown at the time and in the form's order (PostgreSQL's jsonb keeps no key order).
    reasons = models.JSONField("理由", default=list, blank=True, editable=False)
    field_comments = models.JSONField("字段批注", default=list, blank=True, editable=False)
    # On a 推荐, 审核通过 or 审核不通过: when the step it ends began (the 提交 before it, or the
    # 推荐 or 申请解冻), kept with the step so that 统计分析's 办理时长 reads each step's span
    # from its own row, whatever the application does later (experts.services.STEP_STARTS).
    step_started_at = models.DateTimeField("环节开始时间", null=True, blank=True, editable=False)
    # The step left a returned draft (已退回（待修改）: returned_at was set), as the status badge
    # showed it: the 提交 that answers a 退回. Its 退回 itself reads so by its action.
    from_returned = models.BooleanField("原状态为已退回", default=False, editable=False)

    class Meta(TransitionRecord.Meta):
        verbose_name = "专家审核记录"
        verbose_name_plural = "专家审核记录"
        # Who submitted, recommended, returned, approved or rejected an application, and what
        # was submitted: append-only in PostgreSQL (portal.triggers), but for re-encryption.
        triggers = append_only(
            "application_history",
            update_condition=REENCRYPTION_ONLY,
            update_allowed=SNAPSHOT_ERASURE_ONLY,
        )
        indexes = [
            # 统计分析's months and 办理时长: the steps of a kind in a date range, read from
            # the index alone (experts.statistics; docs/performance.md).
            models.Index(
                fields=["action", "created_at"],
                include=["application", "step_started_at"],
                name="experts_transition_steps",
            ),
        ]

    def get_from_status_display(self) -> str:
        if self.from_returned and self.from_status == ApplicationStatus.DRAFT:
            return RETURNED_LABEL
        return super().get_from_status_display()

    def get_to_status_display(self) -> str:
        # A 退回 leaves a draft that every badge reads as 已退回（待修改） (portal.templating.
        # status_badge), not as 信息未填写: the history says the same, wherever it is shown.
        if self.action == "send_back" and self.to_status == ApplicationStatus.DRAFT:
            return RETURNED_LABEL
        return super().get_to_status_display()

    def reason_labels(self) -> list[str]:
        return [reason["label"] for reason in self.reasons]

    def reasons_text(self) -> str:
        """The reason codes' labels, then the text: 信息不完整、职称不符合要求；缺少职称证书。
        What an SMS names and a 禁入 records."""
        labels = "、".join(self.reason_labels())
        return "；".join(part for part in (labels, self.comment) if part)

    def comments_by_field(self) -> dict[str, str]:
        """field name → comment: the markers beside the applicant's form fields."""
        return {row["field"]: row["comment"] for row in self.field_comments}

    def comments_by_label(self) -> dict[str, str]:
        """field label → comment: the markers beside the read-only form's rows, which are
        labelled as the form's fields (portal.templating.application_sections)."""
        return {row["label"]: row["comment"] for row in self.field_comments}


class ApplicationAttachment(models.Model):
    """证明材料: one scan belonging to an application, kept in private storage
    (STORAGES["default"], PRIVATE_MEDIA_ROOT) and served only through a view that checks who
    asks (experts.views.attachment_download). Added and deleted by its applicant while the
    form is editable (experts.services.add_attachment, delete_attachment).

    A 信息变更's 证明材料 (changes.services.save_changes) carries its `change_request` too. While
    that request waits or after it is 退回, 审核不通过 or 撤回, `application` is empty: the file
    is the request's only (changes.views.attachment_download), never among the application's
    证明材料. A change that takes effect (审核通过, or applied when saved) sets `application`:
    the file joins the application's 证明材料, and keeps naming the request it came with."""

    # Empty while the file is a pending or refused 信息变更's only (see above).
    application = models.ForeignKey(
        ExpertApplication,
        verbose_name="专家申请",
        on_delete=models.CASCADE,
        related_name="attachments",
        null=True,
        blank=True,
    )
    change_request = models.ForeignKey(
        "changes.ChangeRequest",
        verbose_name="变更申请",
        on_delete=models.CASCADE,
        related_name="attachments",
        null=True,
        blank=True,
    )
    kind = models.CharField("材料类型", max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(
        "文件", upload_to=attachment_upload_to, validators=[validate_attachment]
    )
    original_name = models.CharField("文件名", max_length=attachments.NAME_LENGTH)
    size = models.PositiveIntegerField("大小（字节）")
    # The content's SHA-256: a submission's snapshot tells a replaced file from the same one.
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "证明材料"
        verbose_name_plural = "证明材料"
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["application", "uploaded_at"])]
        constraints = [
            # A file belongs to an application, a change request, or both: never to nobody.
            models.CheckConstraint(
                condition=Q(application__isnull=False) | Q(change_request__isnull=False),
                name="attachment_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.original_name}"

    @property
    def size_text(self) -> str:
        return attachments.size_text(self.size)


class StatusCount(models.Model):
    """How many applications are in each 专家状态, changed in the transaction that moves one.

    The bureau's pages show these counts on every request; counting every row each time costs
    more than the rest of the page (docs/performance.md). experts.counts keeps them."""

    status = models.CharField(
        "专家状态", max_length=20, choices=ApplicationStatus.choices, unique=True
    )
    n = models.IntegerField("数量", default=0)
    # Of those, the ones 退回 and not submitted since (returned_at): only drafts have it. 专家审核
    # shows them, not the drafts never submitted, in its 信息未填写 tab (selectors.review_queue).
    returned = models.IntegerField("其中已退回（待修改）", default=0)
    # And the ones revised after 审核不通过 and not submitted since (revising_at): 专家审核's
    # 待申请人修改 tab counts them with the returned ones.
    revising = models.IntegerField("其中修改中（曾审核不通过）", default=0)

    class Meta:
        verbose_name = "专家状态计数"
        verbose_name_plural = "专家状态计数"

    def __str__(self) -> str:
        return f"{self.get_status_display()}：{self.n}"


class UnitStatusCount(models.Model):
    """How many of one unit's applications are in each 专家状态, kept as StatusCount is.

    用户账号管理 shows them on every request; counting a unit's rows costs more the bigger the
    unit (docs/performance.md)."""

    # No index of its own: the unique (unit, status) serves lookups by unit.
    unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name="单位",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    status = models.CharField("专家状态", max_length=20, choices=ApplicationStatus.choices)
    n = models.IntegerField("数量", default=0)

    class Meta:
        verbose_name = "单位专家状态计数"
        verbose_name_plural = "单位专家状态计数"
        constraints = [
            models.UniqueConstraint(fields=["unit", "status"], name="unit_status_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.get_status_display()}：{self.n}"


class DueCount(models.Model):
    """How many applications in each waiting 专家状态 fall due on each day, kept as StatusCount
    is (experts.counts): 专家审核's tabs show how many are overdue on every request, and
    counting the overdue rows reads one index entry per row, 15,000 of them when a year's
    backlog is overdue; summing the days before today reads one row per day
    (docs/performance.md). A day whose count falls to zero is deleted."""

    status = models.CharField("专家状态", max_length=20, choices=ApplicationStatus.choices)
    due_on = models.DateField("截止日期")
    n = models.IntegerField("数量", default=0)

    class Meta:
        verbose_name = "截止日期计数"
        verbose_name_plural = "截止日期计数"
        constraints = [
            models.UniqueConstraint(fields=["status", "due_on"], name="due_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.due_on}：{self.n}"


class FacetDisciplineManager(models.Manager):
    CHUNK = 1000  # applications a round of queries (a query's parameters are limited)

    def rebuild(self, application_ids) -> None:
        """Rewrite the rows of these applications from their picks (four queries for each
        thousand). Called wherever picks or a sub-field's field change (experts.receivers, the
        专业领域 admin), in that change's transaction, and by seed_scale and refresh_search."""
        ids = sorted(set(application_ids))
        for start in range(0, len(ids), self.CHUNK):
            chunk = ids[start : start + self.CHUNK]
            with transaction.atomic():
                # The applications locked first, in the order of their ids: two rebuilds of one
                # application (an admin's edit and a change applied at once) take turns, and
                # the second deletes what the first wrote instead of inserting beside it (the
                # unique constraint would refuse). Delete and insert commit together: no count
                # sees the rows gone.
                list(
                    ExpertApplication.objects.select_for_update()
                    .filter(pk__in=chunk)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                picks = ExpertApplication.disciplines.through.objects.filter(
                    expertapplication_id__in=chunk
                ).values_list("expertapplication_id", "discipline_id", "discipline__parent_id")
                wanted = set()
                for application_id, discipline_id, parent_id in picks:
                    wanted.add((application_id, discipline_id))
                    if parent_id is not None:
                        wanted.add((application_id, parent_id))
                self.filter(application_id__in=chunk).delete()
                self.bulk_create(
                    [self.model(application_id=a, discipline_id=d) for a, d in sorted(wanted)]
                )


class FacetDiscipline(models.Model):
    """The 专业领域 an application is counted under: each it picked, and the field of each
    sub-field it picked, once each. 专家库's 专业领域 facet counts group these rows in one
    query: a field's count is then its rows', with no COUNT(DISTINCT) over the picks of its
    sub-fields and no join to the classification (docs/performance.md). Kept from the picks
    (FacetDisciplineManager.rebuild); `python manage.py refresh_search` rebuilds them all."""

    application = models.ForeignKey(
        ExpertApplication, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    discipline = models.ForeignKey(Discipline, on_delete=models.CASCADE, related_name="+")

    objects = FacetDisciplineManager()

    class Meta:
        verbose_name = "专业领域计数行"
        verbose_name_plural = "专业领域计数行"
        constraints = [
            # Also the index the facet count joins the pool's matches through.
            models.UniqueConstraint(
                fields=["application", "discipline"], name="facet_discipline_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.discipline_id}"


class ExportJob(models.Model):
    """One export of a list to .xlsx (导出Excel), run by the export worker (`manage.py
    run_exports`), not by the request: 100,000 rows take longer than a request should, and the
    worker's memory stays its own (experts.exports). The row is the job's whole state: what was
    asked (the list, its filter, whether in full and why), how far it got, and the file."""

    class Kind(models.TextChoices):
        POOL = "pool", "专家库"

    class Scope(models.TextChoices):
        """Which personal numbers the file holds whole (PIPL's minimum-necessary rule): none;
        the mobile only, for a call list (a panel to phone); or the 证件号码 and the 银行账号 too
        (fees, identity checks). Both of the latter need a reason and record who was in the
        file (ExportedApplication)."""

        MASKED = "masked", "否"
        CONTACT = "contact", "仅联系方式（手机号码）"
        FULL = "full", "是"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "正在导出"
        DONE = "done", "已完成"
        FAILED = "failed", "导出失败"
        EXPIRED = "expired", "已过期"

    FINISHED = (Status.DONE, Status.FAILED, Status.EXPIRED)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导出人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField("导出内容", max_length=20, choices=Kind.choices)
    # The list's filter as the page's query string (only the FilterSet's own parameters): the
    # worker rebuilds the same FilterSet from it. `filter_text` says it in words.
    params = models.TextField("筛选参数", blank=True)
    filter_text = models.CharField("筛选条件", max_length=500, blank=True)
    scope = models.CharField(
        "含敏感信息", max_length=10, choices=Scope.choices, default=Scope.MASKED
    )
    reason = models.CharField("理由", max_length=100, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField("条数", default=0)
    rows_done = models.PositiveIntegerField("已写入", default=0)
    # A name in the private storage (settings.STORAGES["default"], never web-served), under
    # exports/; emptied when the file is deleted.
    file_name = models.CharField("文件", max_length=200, blank=True, editable=False)
    error = models.CharField("错误信息", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Moved by every progress report: a running job whose heartbeat stops was interrupted.
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"
        ordering = ["-created_at", "-pk"]
        # The worker's rounds: the queued jobs, the running ones, the finished files to delete.
        indexes = [models.Index(fields=["status", "created_at"], name="experts_exportjob_status")]

    def __str__(self) -> str:
        # In the site's time, as admin's list beside it (the column is UTC).
        return f"{self.get_kind_display()}导出 {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    @property
    def holds_numbers(self) -> bool:
        """Whether any number goes out whole (the mobile, or all three): a reason was given,
        and the file's people are recorded (ExportedApplication)."""
        return self.scope != self.Scope.MASKED

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


class ExportedApplication(models.Model):
    """One person whose personal numbers went out whole in an export: 含敏感信息 (证件号码,
    银行账号, 手机) or 含联系方式 (the 手机 only). A pool export (ExportJob, written by the
    worker as it writes the file) or a draw record's export (written with the response). The
    export is named by its audit event (导出含敏感信息的专家名单 or 导出含联系方式的专家名单: its
    action says which numbers), which both kinds have and which outlives the file (deleted after
    EXPORT_KEEP_HOURS) and the ExportJob row (purge_jobs): the event's object says which job or
    draw, its 说明 the reason. A masked export writes no row: no number left whole.

    Kept as the audit trail is (docs/audit.md): no row changes, none is deleted before the
    retention period, the table is never truncated, whoever sends the statement (PostgreSQL
    triggers). A failed pool export's rows are the one exception: its file was deleted before
    anyone could download it (experts.exports.run_job)."""

    event = models.ForeignKey(
        "audit.AuditEvent",
        verbose_name="导出记录（审计记录）",
        on_delete=models.PROTECT,
        related_name="+",
    )
    application = models.ForeignKey(
        ExpertApplication, verbose_name="专家", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("导出时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "含敏感信息导出名单"
        verbose_name_plural = "含敏感信息导出名单"
        ordering = ["-at", "-pk"]
        triggers = [
            pgtrigger.Protect(name="exported_no_update", operation=pgtrigger.Update),
            protect_unless(
                "exported_keep_retention",
                pgtrigger.Delete,
                # A failed pool export's rows (experts.exports.forget_exported): its job failed
                # and names no file. A trigger's own test, not pgtrigger.ignore, for the reason
                # REENCRYPTION_ONLY gives.
                allowed=(
                    f"EXISTS (SELECT FROM {AuditEvent._meta.db_table} AS event "
                    f"JOIN {ExportJob._meta.db_table} AS job ON event.object_id = job.id::text "
                    f"WHERE event.id = OLD.event_id "
                    f"AND event.object_type = '{ExportJob._meta.label_lower}' "
                    f"AND job.status = '{ExportJob.Status.FAILED}' AND job.file_name = '')"
                ),
                # SQL text, as audit.AuditEvent's: the same retention as the event it names.
                condition=pgtrigger.Condition(f"OLD.at > now() - interval '{RETENTION.days} days'"),
            ),
            # TRUNCATE fires no row trigger: a statement trigger refuses it (as the audit's).
            pgtrigger.Trigger(
                name="exported_no_truncate",
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                operation=pgtrigger.Truncate,
                func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % table', TG_TABLE_NAME;",
            ),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} 专家申请{self.application_id}"
