"""The application itself (ExpertApplication, with its state machine), its history
(ApplicationTransition) and its files (ApplicationAttachment)."""

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django_fsm import FSMField, FSMModelMixin, transition

from accounts.models import TransitionRecord
from experts import attachments, periods, permissions
from experts.attachments import AttachmentKind, attachment_upload_to, validate_attachment
from experts.change_transitions import ChangeTransitionsMixin
from experts.choices import (
    DEGREE_CHOICES,
    EDUCATION_CHOICES,
    ETHNICITY_CHOICES,
    POLITICAL_CHOICES,
    Gender,
    TitleLevel,
)
from experts.models.reference import Discipline
from experts.models.states import (
    ADMITTED,
    EDITABLE,
    IN_POOL,
    RETURNED_LABEL,
    UNIT_WAITING,
    ApplicationStatus,
)
from experts.periods import freeze_before, full_months_since, remind_before
from portal import deadlines
from portal.crypto import EncryptedCharField
from portal.triggers import append_only

# The history comment of 撤回同意并申请退出 (experts.services.withdraw_consent), by which a
# consent withdrawn is told from one never given here (consent_withdrawn).
CONSENT_WITHDRAWN = "撤回敏感个人信息处理同意"


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
    # 历史数据导入 (experts.roster): when an operator brought this expert in from the bureau's
    # previous system, admitted there (decided_at is that admission). Pages and papers that
    # would say how they were admitted here (单位推荐, 审核, 公示) say so instead.
    imported_at = models.DateTimeField("从原系统导入时间", null=True, blank=True, editable=False)
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

    # 历史数据导入 (experts.roster): an expert admitted in the bureau's previous system, created
    # in 审核通过 by an operator's import_roster. Declared so that its history row is named like
    # every other step; never fired (no one may, and its condition never holds): the import
    # writes the rows in bulk and records this action on each history row.
    @transition(
        field=status,
        source=ApplicationStatus.DRAFT,
        target=ApplicationStatus.APPROVED,
        permission=lambda application, user: False,
        conditions=[lambda application: False],
        custom={"label": "历史数据导入"},
    )
    def import_admitted(self) -> None:
        pass

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

    @property
    def may_give_consent(self) -> bool:
        """An admitted expert in the pool who never gave this portal the sensitive-data consent:
        one imported from the previous system (import_roster). One who withdrew it left the
        pool with it (撤回同意并申请退出) and applies again instead."""
        return self.status in IN_POOL and self.consent_at is None

    @cached_property
    def consent_withdrawn(self) -> bool:
        """Whether the consent is missing because its person withdrew it (撤回同意), not because
        they never gave it here: an expert import_roster brought in has none until they give
        it, and may ask to leave and change their mind like anyone. One query, and only for
        an imported expert without a consent; everyone else agreed on the form to 提交."""
        if self.consent_at is not None:
            return False
        if self.imported_at is None:
            return True
        return self.history.filter(action="request_exit", comment=CONSENT_WITHDRAWN).exists()

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
        if self.consent_withdrawn:
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
