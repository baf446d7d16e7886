"""Writing audit events: one function, used by signals, services and views."""

import datetime
import json
import logging
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from django.db import models, transaction

from accounts.permissions import role_label
from audit.models import AuditEvent
from portal.network import client_ip

# Every event is also written to this logger as one JSON line, for shipping off the host
# (syslog, journald, a log collector): see docs/audit.md.
shipper = logging.getLogger("portal.audit")

# The bureau's clock (the site's TIME_ZONE), named outright where a field or a column says
# 北京时间: the shipped line's at_beijing and the trail's export.
BEIJING = ZoneInfo("Asia/Shanghai")

# The request being served, so that services (which take no request) still record the address.
current_request: ContextVar = ContextVar("current_request", default=None)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


def shipped_fields(event: AuditEvent) -> dict:
    """The shipped JSON line of one event (docs/audit.md, Shipping it off the host). The first
    eight keys are the original ones, unchanged for the collectors that read them; the others
    were added so that a line can be matched with its row in admin (编号) and read as it is
    there (the action's label, the object's name, the time in Beijing)."""
    return {
        "at": event.at.astimezone(datetime.UTC).isoformat(),  # UTC, offset +00:00
        "user": event.username,
        "role": event.role,
        "action": event.action,
        "object": f"{event.object_type}:{event.object_id}",
        "result": event.result,
        "ip": event.ip,
        "detail": event.detail,
        "id": event.pk,
        "at_beijing": event.at.astimezone(BEIJING).isoformat(),  # offset +08:00
        "action_label": event.get_action_display(),
        "result_label": event.get_result_display(),
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_name": event.object_repr,
    }


# 说明 longer than its column is cut, and says so: a row is never refused (which would roll back
# the decision it records) for the length of what a person typed.
CUT_MARKER = "…（说明过长，以下已截断）"


def fitted(detail: str) -> str:
    """`detail` as 说明 holds it: whole when it fits, else its beginning and CUT_MARKER."""
    limit = AuditEvent._meta.get_field("detail").max_length
    if len(detail) <= limit:
        return detail
    return detail[: limit - len(CUT_MARKER)] + CUT_MARKER


def event(
    action: str,
    *,
    request=None,
    actor=None,
    obj: models.Model | None = None,
    result: str = AuditEvent.Result.SUCCESS,
    detail: str = "",
    username: str = "",
    role: str = "",
) -> AuditEvent:
    """One event, not saved yet: for `record`, or for several at once (`record_all`). With no
    actor and no request (a command run by cron), `username` and `role` say who acted, e.g.
    "send_reminders" and "系统"."""
    request = request if request is not None else current_request.get()
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    return AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        username=(actor.get_username() if actor is not None else username)[:150],
        role=role or (role_label(actor) if actor is not None else "访客"),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        result=result,
        ip=(client_ip(request) or None) if request is not None and request.META else None,
        detail=fitted(detail),
    )


def about(
    base: AuditEvent,
    *,
    object_type: str,
    object_id: str,
    object_repr: str,
    result: str,
    detail: str,
) -> AuditEvent:
    """An event by the same person, in the same role and from the same address as `base`,
    about another object, named by its type, id and name, which need not be loaded (a batch's
    item outside the person's scope)."""
    return AuditEvent(
        actor=base.actor,
        username=base.username,
        role=base.role,
        action=base.action,
        object_type=object_type,
        object_id=object_id[:50],
        object_repr=object_repr[:200],
        result=result,
        ip=base.ip,
        detail=fitted(detail),
    )


def _ship(events: list[AuditEvent]) -> None:
    lines = [json.dumps(shipped_fields(row), ensure_ascii=False) for row in events]

    def send():
        for line in lines:
            shipper.info(line)

    # Shipped when the rows are committed: an event rolled back with what it records (a
    # transition the database refused part-way) is in neither the table nor the shipped log.
    transaction.on_commit(send, robust=True)


def record(
    action: str,
    *,
    request=None,
    actor=None,
    obj: models.Model | None = None,
    result: str = AuditEvent.Result.SUCCESS,
    detail: str = "",
    username: str = "",
    role: str = "",
) -> AuditEvent:
    """Write one event (see `event` for the arguments), and its shipped line once committed."""
    written = event(
        action,
        request=request,
        actor=actor,
        obj=obj,
        result=result,
        detail=detail,
        username=username,
        role=role,
    )
    written.save()
    _ship([written])
    return written


def record_all(events: list[AuditEvent]) -> list[AuditEvent]:
    """Write `events` (from `event` and `about`) in one INSERT on PostgreSQL whatever their
    number (SQLite's limit on parameters splits it into a few), and one shipped line each once
    committed, in their order."""
    if not events:
        return []
    written = AuditEvent.objects.bulk_create(events)
    _ship(written)
    return written
