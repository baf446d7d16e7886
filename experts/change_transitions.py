"""The transitions of an admitted expert's information (信息变更, issue 23 part 1).

An admitted expert stays 审核通过 while their information changes: each of these goes from 审核通过
to 审核通过, so that a change is kept in the application's history like every other step (who,
when, which fields) and fired through portal.workflow.fire like every other. The change
requests themselves, their review and what each field is, live in the `changes` app.

Each also counts as the 年度确认: an expert who has just changed their information has looked
at it (the reminder asks them to 确认或更新信息). The caller saves CONFIRMED_FIELDS with them.

A mixin of its own, so that ExpertApplication's class body stays the manual's five states.
No model imports: experts.models mixes it in.
"""

from django.utils import timezone
from django_fsm import transition

from experts import permissions

# The status values, as in experts.models.ApplicationStatus (which imports this module).
APPROVED = "approved"
# What each of these transitions sets besides the fields changed.
CONFIRMED_FIELDS = ["confirmed_at", "confirm_reminded_at"]


def _confirmed(application) -> None:
    application.confirmed_at, application.confirm_reminded_at = timezone.now(), None


class ChangeTransitionsMixin:
    """Mixed into ExpertApplication: its `status` field carries these transitions too."""

    @transition(
        field="status",
        source=APPROVED,
        target=APPROVED,
        permission=permissions.is_owner,
        custom={"label": "修改联系方式"},
    )
    def update_contact(self) -> None:
        """手机, 电子邮箱, 通讯地址, 办公电话: applied at once, only recorded."""
        _confirmed(self)

    @transition(
        field="status",
        source=APPROVED,
        target=APPROVED,
        permission=permissions.is_owner,
        custom={"label": "修改其他信息"},
    )
    def update_details(self) -> None:
        """Fields no reviewer checks (简历, 业绩, 研究方向 …): applied at once, recorded."""
        _confirmed(self)

    @transition(
        field="status",
        source=APPROVED,
        target=APPROVED,
        permission=permissions.is_reviewer_for,
        custom={"label": "信息变更"},
    )
    def apply_change(self) -> None:
        """A 变更申请 the unit confirmed and the bureau approved: its values replace these."""
        _confirmed(self)
