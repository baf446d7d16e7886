"""Daily reminders of overdue work (issue 21 item 3), run by `manage.py send_reminders`.

- Each approved, active unit with overdue 待单位推荐 applications or overdue 信息变更 to confirm
  (待单位确认) gets one SMS to its contact, with the counts (queued in the outbox; the SMS worker
  sends it).
- Each bureau reviewer gets one e-mail digest: overdue unit registrations (待审核), overdue
  decisions (待科技局审核) and overdue 信息变更 (待科技局审核), each with its 截止日期 and a link.
  Each reviewer's is sent and recorded on its own: an address the mail server refuses fails
  alone, is named in the command's output, and is the only one the next run sends.

Overdue means due before the day (portal.deadlines.is_overdue): an item due today is not.

Never twice a day: each reminder is claimed by inserting its audit.Reminder row, unique on
(kind, target, day), in the transaction that queues the SMS or records the digest. A second run
that day finds the row and sends nothing; a run at the same moment on PostgreSQL waits on the
first one's insert and then finds the row. Nothing overdue: nothing is sent and nothing recorded.
A digest whose run was killed stays 发送中; past stale_claim_after() the next run takes it over.
"""

import datetime
import logging
import smtplib
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Unit, UnitStatus
from accounts.permissions import BUREAU_GROUP, SYSTEM_ROLE
from audit.log import record
from audit.models import AuditEvent, Reminder
from changes.models import ChangeRequest, ChangeStatus
from experts.models import ApplicationStatus, ExpertApplication
from portal.dates import chinese_date
from portal.filters import overdue_rows
from portal.workdays import is_workday
from sms import templates
from sms.outbox import queue_sms
from sms.templates import Template

logger = logging.getLogger(__name__)

# Who acts, in the audit trail: no person, the daily command.
SYSTEM_USERNAME = "send_reminders"
# A digest lists at most this many items of each kind, then says how many more there are:
# a reviewer reads the first screen, and the queues sort by 截止日期 for the rest.
DIGEST_LIMIT = 50


@dataclass
class Outcome:
    """What one run did, for the command's summary line."""

    day: datetime.date
    skipped_non_workday: bool = False
    units_reminded: int = 0
    units_already: int = 0  # reminded earlier that day: not again
    digest_recipients: int = 0  # reviewers this run mailed
    digest_already: int = 0  # reviewers who had the day's digest: not again
    digest_in_progress: int = 0  # reviewers whose digest another run is sending now
    digest_interrupted: int = 0  # 发送中 too long (its run died): taken over by this run
    digest_overdue: int = 0  # registrations + decisions + change decisions overdue on the day
    # The error (naming the address) of each reviewer's digest this run could not send.
    digest_failures: list[str] = field(default_factory=list)
    # Overdue work, and no reviewer to tell: the digest reached nobody.
    digest_unaddressed: bool = False

    @property
    def failed(self) -> bool:
        """A digest was due and did not go out: the command exits non-zero (cron tells)."""
        return bool(self.digest_failures) or self.digest_unaddressed


def unit_sms(count: int, confirmations: int = 0) -> tuple[Template, dict[str, str]]:
    """The template and parameters of `count` overdue 待单位推荐 applications and
    `confirmations` overdue 信息变更 to confirm, each said only when there are some."""
    # No link and no personal number: an SMS is read on any phone, by anyone holding it.
    # 用户账号管理 shows the 信息变更待确认 too.
    if count and confirmations:
        return templates.UNIT_OVERDUE_BOTH, {
            "count": str(count),
            "confirmations": str(confirmations),
        }
    if confirmations:
        return templates.UNIT_OVERDUE_CONFIRMATIONS, {"confirmations": str(confirmations)}
    return templates.UNIT_OVERDUE_RECOMMENDATIONS, {"count": str(count)}


def overdue_counts_by_unit(
    queryset, waiting: list, unit_field: str, day: datetime.date
) -> dict[int, int]:
    """{unit id: number of the rows of `queryset` in a `waiting` status due before `day`}, by
    the unit `unit_field` names, for units open to people only (approved and 启用: a 停用 unit's
    accounts cannot sign in to act), in one grouped query along the (status, due_on) index."""
    mine = queryset.filter(**{f"{unit_field}__in": Unit.objects.open_to_people()})
    rows = (
        overdue_rows(mine, waiting, day)
        .values(f"{unit_field}_id")
        .annotate(overdue=Count("pk"))
        .order_by(f"{unit_field}_id")
    )
    return {row[f"{unit_field}_id"]: row["overdue"] for row in rows}


def overdue_recommendation_counts(day: datetime.date) -> dict[int, int]:
    """{unit id: number of its 待单位推荐 applications due before `day`}."""
    return overdue_counts_by_unit(
        ExpertApplication.objects.all(), [ApplicationStatus.PENDING_UNIT], "unit", day
    )


def overdue_confirmation_counts(day: datetime.date) -> dict[int, int]:
    """{unit id: number of the 信息变更 it is to confirm (待单位确认) due before `day`}."""
    return overdue_counts_by_unit(
        ChangeRequest.objects.all(), [ChangeStatus.PENDING_UNIT], "confirming_unit", day
    )


def remind_unit(
    unit: Unit, count: int, day: datetime.date, confirmations: int = 0
) -> Reminder | None:
    """Queue the unit's reminder SMS (of `count` overdue recommendations and `confirmations`
    overdue 信息变更) unless it already has one for `day`; returns the new Reminder, or None
    when the day's reminder exists (another run made it)."""
    with transaction.atomic():
        reminder, created = Reminder.objects.get_or_create(
            kind=Reminder.Kind.UNIT_SMS,
            target=str(unit.pk),
            day=day,
            defaults={
                "target_name": unit.name[:200],
                "overdue_recommendations": count,
                "overdue_change_confirmations": confirmations,
                "status": Reminder.Status.QUEUED,
            },
        )
        if not created:
            return None
        reminder.sms_message = queue_sms(
            unit.contact_mobile, *unit_sms(count, confirmations), about=unit
        )
        reminder.save(update_fields=["sms_message"])
        record(
            AuditEvent.Action.REMINDED,
            obj=unit,
            username=SYSTEM_USERNAME,
            role=SYSTEM_ROLE,
            detail=(
                f"超期提醒短信（{day:%Y-%m-%d}）：超期待单位推荐{count}份，"
                f"超期信息变更待单位确认{confirmations}份"
            ),
        )
    return reminder


def remind_units(day: datetime.date, outcome: Outcome) -> None:
    recommendations = overdue_recommendation_counts(day)
    confirmations = overdue_confirmation_counts(day)
    # One SMS per unit with both counts: a unit with only overdue 信息变更 is reminded too.
    unit_ids = sorted(recommendations.keys() | confirmations.keys())
    units = Unit.objects.in_bulk(unit_ids)
    for unit_id in unit_ids:
        unit = units[unit_id]
        if not unit.contact_mobile:
            logger.warning("Unit %s has no contact mobile: no reminder SMS", unit_id)
            continue
        count, confirming = recommendations.get(unit_id, 0), confirmations.get(unit_id, 0)
        if remind_unit(unit, count, day, confirming) is None:
            outcome.units_already += 1
        else:
            outcome.units_reminded += 1


def link(view: str, pk: int) -> str:
    """An absolute link for an e-mail: a command has no request to take the host from."""
    return settings.PORTAL_URL + reverse(view, args=[pk])


def digest_content(day: datetime.date) -> dict:
    """The overdue items of the bureau's three queues on `day`, the earliest due first, at most
    DIGEST_LIMIT of each, with how many there are in all."""
    registrations = overdue_rows(Unit.objects.all(), [UnitStatus.PENDING], day)
    decisions = overdue_rows(
        ExpertApplication.objects.all(), [ApplicationStatus.PENDING_BUREAU], day
    )
    changes = overdue_rows(ChangeRequest.objects.all(), [ChangeStatus.PENDING_BUREAU], day)
    registration_count = registrations.count()
    decision_count = decisions.count()
    change_count = changes.count()
    return {
        "day": day,
        "portal_name": settings.PORTAL_NAME,
        "registration_count": registration_count,
        "registrations": [
            {
                "name": unit.name,
                "due_on": unit.due_on,
                "link": link("accounts:bureau_unit_detail", unit.pk),
            }
            for unit in registrations.order_by("due_on", "pk")[:DIGEST_LIMIT]
        ]
        if registration_count
        else [],
        "decision_count": decision_count,
        "decisions": [
            {
                "name": application.user.real_name or application.user.username,
                "unit": application.unit.name if application.unit else "",
                "due_on": application.due_on,
                "link": link("experts:bureau_detail", application.pk),
            }
            for application in decisions.select_related("user", "unit").order_by("due_on", "pk")[
                :DIGEST_LIMIT
            ]
        ]
        if decision_count
        else [],
        "change_count": change_count,
        "changes": [
            {
                "name": change.application.user.real_name or change.application.user.username,
                # The unit that confirmed it: the new one when the expert moves.
                "unit": change.confirming_unit.name,
                "due_on": change.due_on,
                "link": link("changes:bureau_detail", change.pk),
            }
            for change in changes.select_related("application__user", "confirming_unit").order_by(
                "due_on", "pk"
            )[:DIGEST_LIMIT]
        ]
        if change_count
        else [],
        "registrations_more": max(registration_count - DIGEST_LIMIT, 0),
        "decisions_more": max(decision_count - DIGEST_LIMIT, 0),
        "changes_more": max(change_count - DIGEST_LIMIT, 0),
        "queue_links": {
            "units": settings.PORTAL_URL + reverse("accounts:bureau_unit_queue"),
            "experts": settings.PORTAL_URL + reverse("experts:bureau_queue"),
            "changes": settings.PORTAL_URL + reverse("changes:bureau_list"),
        },
    }


def digest_recipients() -> list:
    """Active bureau reviewers (the group's members) with an e-mail address."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=BUREAU_GROUP)
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )


def digest_messages(content: dict, recipients: list) -> list[EmailMultiAlternatives]:
    """One message per reviewer, so that no one sees the others' addresses."""
    day = content["day"]
    subject = f"【{settings.PORTAL_NAME}】超期待办提醒（{chinese_date(day)}）"
    text = render_to_string("email/reminder_digest.txt", content)
    html = render_to_string("email/reminder_digest.html", content)
    messages = []
    for user in recipients:
        message = EmailMultiAlternatives(subject, text, to=[user.email])
        message.attach_alternative(html, "text/html")
        messages.append(message)
    return messages


# A digest 发送中 for longer than this (or stale_claim_after()'s multiple of EMAIL_TIMEOUT, if
# larger) belongs to a run that was killed or hangs: the next run treats it as failed.
STALE_CLAIM_FLOOR = datetime.timedelta(minutes=15)
# One message's SMTP conversation has about this many steps that may each wait EMAIL_TIMEOUT
# (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, the body, QUIT), and some to spare.
STEPS_PER_MESSAGE = 10


def stale_claim_after() -> datetime.timedelta:
    """How long a reviewer's digest may stay 发送中 before a later run takes it over: well
    beyond the longest a live run can spend on one message, however EMAIL_TIMEOUT is set."""
    timeout = settings.EMAIL_TIMEOUT or 0  # None: no timeout at all; the floor still holds
    return max(STALE_CLAIM_FLOOR, datetime.timedelta(seconds=STEPS_PER_MESSAGE * timeout))


class Claim:
    """How claim_digest found a reviewer's row for the day."""

    NEW = "new"
    RETRY = "retry"  # it had failed
    INTERRUPTED = "interrupted"  # it was 发送中 past stale_claim_after(): its run died
    SENT = "sent"  # not claimed: sent earlier that day
    SENDING = "sending"  # not claimed: another run is sending it now


def claim_digest(day: datetime.date, content: dict, user) -> tuple[Reminder | None, str]:
    """Record `user`'s digest of the day, or take over one that failed or whose run died;
    returns the row and a Claim, or None and why not (sent, or being sent by another run)."""
    fields = {
        "target_name": str(user)[:200],
        "overdue_registrations": content["registration_count"],
        "overdue_decisions": content["decision_count"],
        "overdue_change_decisions": content["change_count"],
        "recipients": user.email,
    }
    now = timezone.now()
    with transaction.atomic():
        reminder, created = Reminder.objects.get_or_create(
            kind=Reminder.Kind.BUREAU_DIGEST,
            target=str(user.pk),
            day=day,
            defaults={"status": Reminder.Status.SENDING, "claimed_at": now, **fields},
        )
        how = Claim.NEW
        if not created:
            # One conditional UPDATE takes over a failed or abandoned digest (as the SMS outbox
            # claims a row): of two runs retrying at once, one sends.
            stale = Q(status=Reminder.Status.SENDING, claimed_at__lt=now - stale_claim_after())
            retried = (
                Reminder.objects.filter(pk=reminder.pk)
                .filter(Q(status=Reminder.Status.FAILED) | stale)
                .update(status=Reminder.Status.SENDING, claimed_at=now, error="", **fields)
            )
            if not retried:
                status = Reminder.objects.filter(pk=reminder.pk).values_list("status", flat=True)
                return None, Claim.SENT if status.get() == Reminder.Status.SENT else Claim.SENDING
            how = Claim.RETRY if reminder.status == Reminder.Status.FAILED else Claim.INTERRUPTED
        again = {
            Claim.NEW: "",
            Claim.RETRY: "重新发送",
            Claim.INTERRUPTED: "重新发送（上次发送中断，按发送失败处理）",
        }[how]
        record(
            AuditEvent.Action.REMINDED,
            obj=reminder,
            username=SYSTEM_USERNAME,
            role=SYSTEM_ROLE,
            detail=(
                f"超期待办摘要邮件（{day:%Y-%m-%d}）{again}："
                f"超期单位注册审核{content['registration_count']}项，"
                f"超期待科技局审核{content['decision_count']}项，"
                f"超期信息变更待科技局审核{content['change_count']}项，"
                f"收件人{user.email}"
            ),
        )
    return reminder, how


def refused_text(exc: smtplib.SMTPRecipientsRefused) -> str:
    """收件地址被邮件服务器拒绝：a@b（550 no such user）, from the server's answer (bytes, as
    smtplib keeps it) for each address."""
    answers = "；".join(
        f"{address}（{code} {reply.decode(errors='replace')}）"
        for address, (code, reply) in exc.recipients.items()
    )
    return f"收件地址被邮件服务器拒绝：{answers}"


def send_digest(connection, message) -> tuple[str, bool]:
    """Send one reviewer's digest; returns ("", False) when it went, else the error and
    whether it was the server's (the next reviewers' would fail too) rather than this
    address's."""
    try:
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as exc:
        # The server refused this address only (and reset the session): the others go on.
        return refused_text(exc), False
    except (smtplib.SMTPException, OSError) as exc:
        return f"{type(exc).__name__}: {exc}", True
    return "", False


def digest_failed(reminder: Reminder, day: datetime.date, error: str) -> None:
    Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.FAILED, error=error[:300])
    record(
        AuditEvent.Action.REMINDED,
        obj=reminder,
        username=SYSTEM_USERNAME,
        role=SYSTEM_ROLE,
        result=AuditEvent.Result.FAILURE,
        detail=f"超期待办摘要邮件（{day:%Y-%m-%d}）发送失败：{error}",
    )
    logger.warning("Reminder digest %s not sent: %s", reminder.pk, error)


def remind_bureau(day: datetime.date, outcome: Outcome) -> None:
    content = digest_content(day)
    outcome.digest_overdue = (
        content["registration_count"] + content["decision_count"] + content["change_count"]
    )
    if not outcome.digest_overdue:
        return
    recipients = digest_recipients()
    if not recipients:
        logger.warning("No active bureau reviewer has an e-mail address: no digest sent")
        outcome.digest_unaddressed = True
        return
    if Reminder.objects.filter(
        kind=Reminder.Kind.BUREAU_DIGEST,
        target=Reminder.BUREAU,
        day=day,
        status=Reminder.Status.SENT,
    ).exists():
        # The day's digest went out, to everyone at once, before this release (an upgrade on
        # the day restarts the daily loop, which catches up): not again.
        outcome.digest_already = len(recipients)
        return
    connection = get_connection()
    server_error = ""
    for user, message in zip(recipients, digest_messages(content, recipients), strict=True):
        # Each reviewer's claim is committed before their mail leaves: a digest is never sent
        # that the record does not show. A failure is written on the row, and the next run
        # that day retries that reviewer's only.
        reminder, how = claim_digest(day, content, user)
        if reminder is None:
            if how == Claim.SENT:
                outcome.digest_already += 1
            else:
                outcome.digest_in_progress += 1
            continue
        if how == Claim.INTERRUPTED:
            outcome.digest_interrupted += 1
        servers = True  # whether the error is the server's, not this address's
        if server_error:
            # The server failed on a reviewer before: not another wait for each of the rest.
            error = f"未发送：邮件服务器在发给前一位审核员时出错（{server_error}）"
        else:
            error, servers = send_digest(connection, message)
            if servers:
                server_error = error
        if error:
            digest_failed(reminder, day, error)
            # A refusal names the address itself; the server's errors do not.
            outcome.digest_failures.append(error if not servers else f"{user.email}：{error}")
            continue
        Reminder.objects.filter(pk=reminder.pk).update(
            status=Reminder.Status.SENT, sent_at=timezone.now()
        )
        outcome.digest_recipients += 1


def send_reminders(day: datetime.date | None = None, *, force: bool = False) -> Outcome:
    """The daily run: units' SMS, then the bureau's digest. On a day that is not a working day
    nothing is sent unless `force`. Side effects: Reminder rows, SMS outbox rows, audit events,
    e-mails."""
    day = day or timezone.localdate()
    outcome = Outcome(day=day)
    if not is_workday(day) and not force:
        # A reminder on a holiday helps nobody: it waits until the next working day's run.
        outcome.skipped_non_workday = True
        return outcome
    remind_units(day, outcome)
    remind_bureau(day, outcome)
    return outcome


def summary(outcome: Outcome) -> str:
    """The command's one line, in Chinese."""
    day = f"{outcome.day:%Y-%m-%d}"
    if outcome.skipped_non_workday:
        return f"{day}不是工作日，未发送提醒（如需发送请加 --force）。"
    parts = [f"已提醒{outcome.units_reminded}个单位"]
    if outcome.units_already:
        parts.append(f"{outcome.units_already}个单位当天已提醒过，未重复发送")
    minutes = int(stale_claim_after().total_seconds() // 60)
    if outcome.digest_interrupted:
        parts.append(
            f"{outcome.digest_interrupted}位审核员的摘要邮件上次发送中断"
            f"（发送中超过{minutes}分钟），已按发送失败处理并重新发送"
        )
    if outcome.digest_recipients:
        parts.append(f"摘要邮件发给{outcome.digest_recipients}位审核员")
    if outcome.digest_failures:
        parts.append(
            f"{len(outcome.digest_failures)}位审核员的摘要邮件发送失败"
            f"（{'；'.join(outcome.digest_failures)}），再次运行将重试"
        )
    if outcome.digest_in_progress:
        parts.append(
            f"{outcome.digest_in_progress}位审核员的摘要邮件正在由另一次运行发送，未重复发送"
            f"（若那次运行已中断，发送中超过{minutes}分钟后再次运行将重新发送）"
        )
    others = outcome.digest_recipients + len(outcome.digest_failures) + outcome.digest_in_progress
    if outcome.digest_already:
        parts.append(
            f"{outcome.digest_already}位审核员当天已收到摘要邮件，未重复发送"
            if others
            else "摘要邮件当天已发送过，未重复发送"
        )
    elif others:
        pass  # said above
    elif outcome.digest_unaddressed:
        parts.append(
            f"有{outcome.digest_overdue}项超期审核事项，但没有已启用且填写了电子邮箱的审核员，"
            "摘要邮件未发送（请在运维管理的用户中为审核员填写电子邮箱）"
        )
    else:
        parts.append("没有超期的审核事项，未发送摘要邮件")
    return f"{day}：" + "，".join(parts) + "。"


def next_run(at: datetime.time, now: datetime.datetime) -> datetime.datetime:
    """The next `at` after `now` (aware) on the portal's clock, TIME_ZONE (Beijing time),
    whatever the server's own clock is set to: today's if it is still ahead, else tomorrow's
    (send_reminders --daily-at)."""
    local = timezone.localtime(now)
    target = timezone.make_aware(datetime.datetime.combine(local.date(), at))
    if target <= local:
        tomorrow = local.date() + datetime.timedelta(days=1)
        target = timezone.make_aware(datetime.datetime.combine(tomorrow, at))
    return target
