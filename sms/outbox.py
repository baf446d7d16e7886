"""The SMS outbox: queue inside a decision's transaction; the worker sends once it commits.

A sender first claims a row with one conditional UPDATE (healthchecks' pattern), so two senders,
or two workers racing each other, never send one message twice.
"""

import datetime
import logging
import re

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from portal.words import half_width, mask_numbers
from sms.backends import SMSError, get_backend
from sms.models import SMSMessage
from sms.signals import marked_sent
from sms.templates import Template
from sms.worker import notify_worker

logger = logging.getLogger(__name__)

# A decision's SMS is worth sending for a day; after that an operator decides (admin can
# queue a failed message again, which gives it another day from then: requeued_at).
GIVE_UP_AFTER = datetime.timedelta(hours=24)
# A claim older than this belongs to a sender that died mid-send. Whether the provider got the
# message is unknown, so it is marked failed for an operator rather than sent a second time,
# and flagged (needs_check) so that resending it from admin asks the provider first.
STALE_CLAIM = datetime.timedelta(minutes=10)


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4 … minutes after each failed attempt, capped at one hour."""
    return datetime.timedelta(minutes=min(2 ** (attempts - 1), 60))


def purge(before: datetime.datetime) -> int:
    """Delete the messages created before `before` that are settled: 已发送, or 发送失败 with
    nothing left for an operator to verify (needs_check). Never one still 排队中 or 发送中.
    Returns how many it deleted. A reminder's row (audit.Reminder) that named one keeps its
    claim on its day; its link to the message is emptied (on_delete=SET_NULL)."""
    return _deleted(settled().filter(created_at__lt=before))


def settled():
    """The messages nothing more will happen to: 已发送, or 发送失败 with nothing left for an
    operator to verify (needs_check)."""
    return SMSMessage.objects.filter(
        status__in=[SMSMessage.Status.SENT, SMSMessage.Status.FAILED], needs_check=False
    )


def purge_about(objects: models.QuerySet) -> int:
    """Delete the settled messages about `objects` (their `about`), whatever their age; one
    still to send, or to verify, stays until it is settled. Returns how many it deleted."""
    content_type = ContentType.objects.get_for_model(objects.model)
    return _deleted(settled().filter(content_type=content_type, object_id__in=objects.values("pk")))


def _deleted(messages: models.QuerySet) -> int:
    return messages.delete()[1].get(SMSMessage._meta.label, 0)


def queue_sms(
    to: str, template: Template, params: dict, *, about: models.Model | None = None
) -> SMSMessage:
    """Write an outbox row in the caller's transaction for the worker to send once it commits.

    The message is `template` (sms.templates) with `params`: the row keeps both, for a provider
    that sends approved templates only, and the body rendered from them (【PORTAL_NAME】 and the
    text), for one that sends text (Twilio), admin and the person's pages. Params that are not
    exactly the template's placeholders raise ValueError: a bug, caught before anything is sent.

    Must be called inside transaction.atomic(): if the decision rolls back, so does the row,
    and nothing is sent. The request never talks to the SMS provider: the worker
    (send_queued_sms --loop) does, woken by the notification (sms.worker) on PostgreSQL.
    `about` is the object the message concerns; its page shows the message's state.
    """
    params = template.checked(params)
    message = SMSMessage.objects.create(
        to=to,
        body=template.render(params),
        template=template.key,
        params=params,
        about=about,
    )
    notify_worker()
    return message


# A link in an SMS is how phishing looks: a reason's link is left out (the full text is on the
# portal), as its long numbers are (portal.words.mask_numbers).
LINK = re.compile(r"(?:https?://|www\.)[!-~]+", re.IGNORECASE)


def cut(text: str, limit: int = 60) -> str:
    """Text made one line and cut to `limit` for an SMS (cost grows with length)."""
    # Its own final full stop would double the one the message puts after it.
    text = " ".join(text.split()).rstrip("。.；;，,")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shorten(text: str, limit: int = 60) -> str:
    """A reason a person typed, made fit for an SMS: full-width digits, letters and spaces
    read as plain ones (portal.words.half_width: a full-width ID number is masked too), no
    long number but its last four digits, no link, cut to `limit`."""
    text = " ".join(half_width(text).split())
    return cut(LINK.sub("（详见系统）", mask_numbers(text)), limit)


def _claim(message_id: int, now: datetime.datetime) -> bool:
    return bool(
        SMSMessage.objects.filter(
            pk=message_id, status=SMSMessage.Status.QUEUED, next_attempt_at__lte=now
        ).update(status=SMSMessage.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


class Outcome:
    SENT = "sent"
    NOT_SENT = "not_sent"  # tried and failed; the row says why and when to try again
    NOT_CLAIMED = "not_claimed"  # another sender has it, or it is not due


def _send_claimed(message_id: int, now: datetime.datetime) -> str:
    """Send one message this process has claimed; returns an Outcome.

    A failure is recorded on the row (error, attempts, next attempt) and logged, never raised:
    the decision that queued it has already committed and must stand. A message whose earlier
    attempt got no answer is first looked up at the provider, and marked sent if it went out.
    """
    message = SMSMessage.objects.get(pk=message_id)
    backend = get_backend()
    try:
        provider_id = None
        # A backend that cannot be asked never queues a flagged message by itself
        # (_record_failure fails it): queued again, it is an operator's decision to send.
        if message.needs_check and backend.can_find_sent:
            # The window starts a minute early: provider clocks and ours may differ a little.
            since = message.created_at - datetime.timedelta(minutes=1)
            provider_id = backend.find_sent(
                message.to,
                message.body,
                since,
                template=message.template,
                params=message.params,
                reference=str(message.pk),
            )
        if provider_id is None:
            provider_id = backend.send(
                message.to,
                message.body,
                template=message.template,
                params=message.params,
                reference=str(message.pk),
            )
    except Exception as exc:
        if not isinstance(exc, SMSError):
            # A bug or an answer nobody foresaw: whether it went out is unknown, so an operator
            # checks it (admin shows failed messages) rather than the retry sending it twice.
            logger.exception("SMS %s: unexpected error from the backend", message.pk)
            exc = SMSError(
                f"{type(exc).__name__}: {exc}",
                permanent=True,
                unsure=True,
                reason="发送时出现意外错误，是否已送达待核实",
            )
        _record_failure(message, exc, now, backend)
        return Outcome.NOT_SENT
    message.status = SMSMessage.Status.SENT
    message.provider_id = provider_id[:64]
    message.sent_at = now
    message.last_error = ""
    message.failure_reason = ""
    message.needs_check = False
    message.save(
        update_fields=[
            "status",
            "provider_id",
            "sent_at",
            "last_error",
            "failure_reason",
            "needs_check",
        ]
    )
    return Outcome.SENT


def _record_failure(message: SMSMessage, exc: SMSError, now, backend) -> None:
    if exc.unsure:
        message.needs_check = True
    # Unsure and no way to ask the provider: an operator decides, rather than risk two SMS.
    cannot_settle = message.needs_check and not backend.can_find_sent
    # A day of retries from when it was queued, or queued again by an operator: a resend of
    # a message older than a day gets its own day, not a single try.
    queued_at = message.requeued_at or message.created_at
    give_up = exc.permanent or cannot_settle or now - queued_at > GIVE_UP_AFTER
    message.status = SMSMessage.Status.FAILED if give_up else SMSMessage.Status.QUEUED
    # The provider's error may quote the number it refused ('+8613800000143' is not a mobile
    # number): admin's list and the log show it masked, as they show the number itself.
    error = mask_numbers(str(exc))
    message.last_error = error[:1000]
    message.failure_reason = exc.reason[:100]
    message.next_attempt_at = now + backoff(message.attempts)
    message.save(
        update_fields=["status", "last_error", "failure_reason", "next_attempt_at", "needs_check"]
    )
    logger.warning("SMS %s not sent (%s): %s", message.pk, message.status, error)


def requeue(message_ids) -> list[SMSMessage]:
    """Queue failed or waiting messages for the worker to send at once (an operator's decision
    in admin); returns the messages queued, for the caller to record."""
    with transaction.atomic():
        messages = list(
            SMSMessage.objects.select_for_update()
            .filter(
                pk__in=message_ids,
                status__in=[SMSMessage.Status.FAILED, SMSMessage.Status.QUEUED],
            )
            .order_by("pk")
        )
        now = timezone.now()
        SMSMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
            status=SMSMessage.Status.QUEUED, next_attempt_at=now, claimed_at=None, requeued_at=now
        )
        if messages:
            notify_worker()
    return messages


# What a message marked by restored_outbox keeps in 最近错误 (last_error), where admin shows it:
# it was not sent from this database, an operator found it in the provider's log.
SENT_BEFORE_RESTORE = "数据库恢复后标记：恢复前已发送"
WAITING = [SMSMessage.Status.QUEUED, SMSMessage.Status.SENDING]


def waiting() -> models.QuerySet:
    """The messages still to be sent (排队中, 发送中), oldest first: after a restore, those
    the worker would send again once it starts."""
    return SMSMessage.objects.filter(status__in=WAITING).order_by("created_at", "pk")


class NotMarkable(Exception):
    """Some of the messages asked for cannot be marked sent: none was changed."""

    def __init__(self, unknown: list[int], not_waiting: list[SMSMessage]):
        self.unknown = unknown
        self.not_waiting = not_waiting
        super().__init__(unknown, not_waiting)


def mark_sent_before_restore(message_ids, *, command: str) -> list[SMSMessage]:
    """Mark waiting messages (排队中, 发送中) as 已发送 without sending them: after a database
    restore, those an operator found in the provider's log, so that the worker does not send
    them a second time.

    All or nothing, in one transaction with the rows locked (a worker's claim waits, then
    finds them sent): raises NotMarkable, changing nothing, if any id is unknown or its message
    is no longer waiting. Side effects: the rows' status, sent_at and 最近错误
    (SENT_BEFORE_RESTORE), and the marked_sent signal (audit records one event per message)
    in the same transaction. Returns the messages marked, by id."""
    ids = sorted(set(message_ids))
    with transaction.atomic():
        messages = list(SMSMessage.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        found = {message.pk for message in messages}
        not_waiting = [message for message in messages if message.status not in WAITING]
        unknown = [pk for pk in ids if pk not in found]
        if unknown or not_waiting:
            raise NotMarkable(unknown, not_waiting)
        was = {message.pk: message.get_status_display() for message in messages}
        now = timezone.now()
        for message in messages:
            message.status = SMSMessage.Status.SENT
            message.sent_at = now
            message.last_error = SENT_BEFORE_RESTORE
            message.failure_reason = ""
            message.needs_check = False
        SMSMessage.objects.bulk_update(
            messages, ["status", "sent_at", "last_error", "failure_reason", "needs_check"]
        )
        marked_sent.send(sender=SMSMessage, messages=messages, was=was, command=command)
    return messages


def send_due(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send every queued message whose next attempt is due; the retry command's work."""
    now_given = now is not None
    now = now or timezone.now()
    stale = SMSMessage.objects.filter(
        status=SMSMessage.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(
        status=SMSMessage.Status.FAILED,
        last_error="发送过程中断，无法确认是否已送达，请人工核实后处理。",
        failure_reason="发送过程中断，是否已送达待核实",
        needs_check=True,
    )
    counts = {Outcome.SENT: 0, Outcome.NOT_SENT: 0, Outcome.NOT_CLAIMED: 0}
    fixed = now if now_given else None
    for _ in range(500):
        # Each claim is stamped when it is made: a long batch must not look stale to the
        # sweep of another worker (STALE_CLAIM) while its sends are still under way.
        now = fixed or timezone.now()
        message_id = _claim_next(now)
        if message_id is None:
            break
        counts[_send_claimed(message_id, now)] += 1
    return {**counts, "stale": stale}


def _claim_next(now: datetime.datetime) -> int | None:
    """Claim the next due message that no other sender is claiming at this moment.

    SKIP LOCKED lets several senders drain the outbox side by side, each taking the next row
    the others have not locked, instead of queueing behind one another; the conditional
    UPDATE in _claim is what guarantees a message is claimed once. (SQLite has neither
    locking clause: there, one writer at a time.)"""
    with transaction.atomic():
        message_id = (
            SMSMessage.objects.select_for_update(skip_locked=True)
            .filter(status=SMSMessage.Status.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if message_id is not None and _claim(message_id, now):
            return message_id
    return None


def backlog() -> tuple[int, datetime.datetime | None]:
    """How many messages wait to be sent (排队中, 发送中), and since when the oldest has: what
    an operator watches (/healthz?details). A provider outage shows as a growing age long
    before GIVE_UP_AFTER marks the messages failed."""
    waiting = SMSMessage.objects.filter(
        status__in=[SMSMessage.Status.QUEUED, SMSMessage.Status.SENDING]
    ).aggregate(count=models.Count("pk"), oldest=models.Min("created_at"))
    return waiting["count"], waiting["oldest"]


def waiting_reason() -> str:
    """Why the waiting message tried last did not go out (failure_reason), or "" when none has
    failed yet: what /healthz?details adds to the backlog. A wrong Twilio account or token
    keeps every message 排队中 (retried, so the queue goes out once it is fixed), and only
    this says the configuration is wrong rather than the provider down."""
    reason = (
        SMSMessage.objects.filter(
            status__in=[SMSMessage.Status.QUEUED, SMSMessage.Status.SENDING], attempts__gt=0
        )
        .exclude(failure_reason="")
        .order_by(F("claimed_at").desc(nulls_last=True), "-pk")
        .values_list("failure_reason", flat=True)
        .first()
    )
    return reason or ""


# How far back /healthz?details counts failed messages: a day, as GIVE_UP_AFTER.
FAILURES_WINDOW = datetime.timedelta(hours=24)


def recent_failures(now: datetime.datetime | None = None) -> dict:
    """The messages that failed (发送失败) in the last FAILURES_WINDOW, by their last attempt:
    how many, how many of them may have gone out (needs_check), and the latest one's reason in
    a few words (failure_reason: 短信服务商拒绝发送 …). What /healthz?details shows: a provider
    refusing every send (a wrong TWILIO_FROM_NUMBER) fails them at once and leaves no backlog."""
    now = now or timezone.now()
    failed = SMSMessage.objects.filter(
        status=SMSMessage.Status.FAILED, claimed_at__gte=now - FAILURES_WINDOW
    )
    counts = failed.aggregate(
        count=models.Count("pk"), to_check=models.Count("pk", filter=models.Q(needs_check=True))
    )
    latest = failed.order_by("-claimed_at", "-pk").values_list("failure_reason", flat=True).first()
    return {**counts, "latest_reason": latest or ""}
