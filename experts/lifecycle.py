"""The daily 年度确认 run (python manage.py review_confirmations): remind, then freeze.

- 11 months after an expert's last confirmation (审核通过, 年度确认): one SMS asking them to
  confirm, and the banner on their home page (ExpertApplication.confirm_due).
- 24 months after it: 冻结 (experts.services.freeze_application), with its history row, audit
  row and SMS. A frozen expert stays listed in 专家库, marked, and is never drawn.
Each step claims its row first (a reminder by setting confirm_reminded_at where it is empty; a
freeze under the row's lock, only while still 审核通过 and lapsed), so a second run the same
day, or one running at the same moment, does nothing more.
"""

from django.db import transaction
from django.utils import timezone

from accounts.permissions import SYSTEM_ROLE
from audit.log import record
from audit.models import AuditEvent
from experts import periods
from experts.models import ApplicationStatus, ExpertApplication
from experts.periods import (
    confirm_by,
    freeze_before,
    frozen_on,
    full_months_since,
    remind_before,
)
from experts.services import freeze_application
from portal.dates import chinese_date
from sms import templates
from sms.outbox import queue_sms
from sms.templates import Template

COMMAND = "review_confirmations"


def reminder_sms(application, today=None) -> tuple[Template, dict[str, str]]:
    """The reminder's template and parameters on `today` (the run's day: --date), with the
    periods of experts.periods and the days they end on: confirm before the confirmation's due
    date, or, one already past it (the first run after a pause, or data loaded old), before the
    day of the freeze."""
    confirmed = application.confirmed_at
    by = confirm_by(confirmed, today)
    frozen = frozen_on(confirmed)
    params = {
        "name": application.user.real_name,
        "months": str(full_months_since(confirmed, today)),
        "confirm_by": chinese_date(by),
        "freeze_months": str(periods.FREEZE_AFTER_MONTHS),
    }
    # The day of the freeze is said once: in the request when that is the day asked for.
    if by == frozen:
        return templates.CONFIRM_REMINDER_LAST, params
    return templates.CONFIRM_REMINDER, {**params, "frozen_on": chinese_date(frozen)}


def due_for_reminder(today=None):
    """Approved experts whose last confirmation is 11 months old or more, not yet reminded."""
    return ExpertApplication.objects.filter(
        status=ApplicationStatus.APPROVED,
        confirmed_at__lt=remind_before(today),
        confirm_reminded_at__isnull=True,
    )


def lapsed(today=None):
    """Approved experts whose last confirmation is 24 months old or more."""
    return ExpertApplication.objects.filter(
        status=ApplicationStatus.APPROVED, confirmed_at__lt=freeze_before(today)
    )


def remind(application_id: int, now, today=None) -> bool:
    """One reminder, claimed by its row: True if this run sent it. Its months are counted to
    `today`, the run's day."""
    with transaction.atomic():
        claimed = ExpertApplication.objects.filter(
            pk=application_id, confirm_reminded_at__isnull=True
        ).update(confirm_reminded_at=now)
        if not claimed:
            return False
        application = ExpertApplication.objects.select_related("user").get(pk=application_id)
        queue_sms(application.mobile, *reminder_sms(application, today), about=application)
        record(
            AuditEvent.Action.REMINDED,
            obj=application,
            detail=f"年度确认提醒（满{full_months_since(application.confirmed_at, today)}个月）",
            username=COMMAND,
            role=SYSTEM_ROLE,
        )
    return True


def run(today=None) -> dict[str, int]:
    """Freeze the lapsed, then remind the due (a lapsed expert is frozen, not reminded)."""
    now = timezone.now()
    frozen = sum(
        freeze_application(application) is not None
        for application in lapsed(today).select_related("user").iterator(chunk_size=500)
    )
    ids = list(due_for_reminder(today).values_list("pk", flat=True))
    reminded = sum(remind(pk, now, today) for pk in ids)
    return {"frozen": frozen, "reminded": reminded}


def preview(today=None) -> tuple[list[ExpertApplication], list[ExpertApplication]]:
    """(to freeze, to remind): what run(today) would do now, doing nothing (--dry-run)."""
    frozen = list(lapsed(today).select_related("user").order_by("confirmed_at", "pk"))
    reminded = list(
        due_for_reminder(today)
        # run() freezes these first; a frozen expert is not reminded.
        .exclude(pk__in=[application.pk for application in frozen])
        .select_related("user")
        .order_by("confirmed_at", "pk")
    )
    return frozen, reminded


CLOCK_COMMAND = "start_confirmation_clock"


def clock_to_start(moment):
    """Approved experts whose last confirmation is before `moment` (or who have none)."""
    return ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED).exclude(
        confirmed_at__gte=moment
    )


def start_clock(moment, batch: int = 500) -> int:
    """年度确认 counted from `moment` for every approved expert last confirmed before it: a
    one-off after upgrading from a release without 年度确认, whose migration took each
    admission as the last confirmation (experts 0020). Each expert's row gets an audit row with
    the confirmation it replaces; a reminder already sent is cleared with it. Returns how many
    it changed; a second run changes none."""
    ids = list(clock_to_start(moment).order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            chunk = ids[start : start + batch]
            rows = clock_to_start(moment).select_for_update(of=("self",)).filter(pk__in=chunk)
            for application in rows.select_related("user"):
                before = application.confirmed_at
                was = f"{timezone.localtime(before):%Y-%m-%d}" if before else "无"
                record(
                    AuditEvent.Action.ADMIN_CHANGE,
                    obj=application,
                    detail=(
                        f"年度确认改为从{timezone.localtime(moment):%Y-%m-%d}起算"
                        f"（原最近确认时间：{was}；{CLOCK_COMMAND}）"
                    ),
                    username=CLOCK_COMMAND,
                    role="运维人员",
                )
                changed += 1
            rows.update(confirmed_at=moment, confirm_reminded_at=None)
    return changed
