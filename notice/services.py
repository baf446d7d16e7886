"""What a reviewer does on an application's notice: record an objection. Reversing the
admission is a transition of the application (experts.services.revoke_admission)."""

from django.db import transaction

from accounts.permissions import is_bureau_reviewer
from audit.log import record
from audit.models import AuditEvent
from experts.models import ApplicationStatus, ExpertApplication
from notice import periods
from notice.models import NoticeObjection
from portal.workflow import WorkflowError


def record_objection(
    application: ExpertApplication, actor, *, objector: str, channel: str, content: str
) -> NoticeObjection:
    """记录公示异议 on an approved application whose 公示期 runs today (the row is locked, so
    that a reversal at the same moment is seen), with an audit row in the same transaction.
    Raises WorkflowError, saying why, otherwise."""
    if not is_bureau_reviewer(actor):
        raise WorkflowError("只有市科技局审核员可以记录公示异议。")
    with transaction.atomic():
        locked = ExpertApplication.objects.select_for_update(of=("self",)).get(pk=application.pk)
        if not periods.enabled():
            raise WorkflowError("本系统未启用专家入库公示。")
        if locked.status != ApplicationStatus.APPROVED:
            raise WorkflowError(
                f"当前专家状态为“{locked.get_status_display()}”，不在公示中，不能记录公示异议。"
            )
        ended = periods.over(locked.decided_at)
        if ended:
            raise WorkflowError(f"公示期{ended}，不能再记录公示异议。")
        objection = NoticeObjection.objects.create(
            application=locked,
            objector=objector.strip(),
            channel=channel,
            content=content.strip(),
            created_by=actor,
        )
        record(
            AuditEvent.Action.OBJECTION,
            actor=actor,
            obj=locked,
            detail=f"收到方式：{objection.get_channel_display()}",
        )
        return objection
