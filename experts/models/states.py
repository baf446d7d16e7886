"""The manual's 专家状态 (ApplicationStatus) and the groups of them that lists, filters and
queues name."""

from django.db import models
from django.db.models import Q


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
