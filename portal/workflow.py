"""The one way a state changes: fire a django-fsm transition on a locked row and record it.

Both state machines (units in accounts, applications in experts) go through `fire`; their
services lock the row, call it, and queue any SMS in the same transaction.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django_fsm import can_proceed

from accounts.permissions import SYSTEM_ROLE, role_label
from audit.log import record
from audit.models import AuditEvent


class WorkflowError(Exception):
    """An action that cannot happen now; the message tells the person why, in Chinese."""


def transition_of(obj: models.Model | type[models.Model], action: str):
    """The django-fsm Transition behind `obj.<action>` (the first; all share label and permission).

    `obj` may be a model class: the label of a recorded action needs no instance."""
    model = obj if isinstance(obj, type) else type(obj)
    for transition in model._meta.get_field("status").get_all_transitions(model):
        if transition.name == action:
            return transition
    raise ValueError(f"{model.__name__}.{action} is not a transition")


def action_label(obj: models.Model | type[models.Model], action: str) -> str:
    return transition_of(obj, action).custom.get("label", action)


def _status_label(obj: models.Model, value: str) -> str:
    return dict(obj._meta.get_field("status").choices).get(value, value)


def save_fields(obj: models.Model, fields) -> None:
    """Save `fields` of obj, and its `updated_at` (auto_now) when it has one.

    A partial save writes only the fields it names, so a row would not say it changed: a list
    ordered by it (用户账号管理) would not show it, and a form that carries the row's last save
    (修改专家信息) would not see that someone saved since it was opened.
    """
    fields = list(fields)
    try:
        obj._meta.get_field("updated_at")
    except FieldDoesNotExist:
        pass
    else:
        if "updated_at" not in fields:
            fields.append("updated_at")
    obj.save(update_fields=fields)


def fire(
    locked: models.Model,
    action: str,
    actor,
    *,
    comment: str = "",
    update_fields=(),
    history_fields: dict | None = None,
    created: bool = False,
    detail: str = "",
):
    """Fire `action` on a row the caller has locked with select_for_update; write its history.

    Checks the actor's permission first, then the state, so a reviewer who was too slow hears
    that the object was already handled. Returns the history row, created with
    `history_fields` besides the common ones. Raises WorkflowError. `actor` None: the system
    (a scheduled command), for transitions whose permission allows it. `created`: the row was
    made in this state just now (a 变更申请's 提交), so its history row has no earlier state.
    `detail`: the audit row's words where the states alone say too little.
    """
    transition = transition_of(locked, action)
    label = transition.custom.get("label", action)
    if not transition.has_perm(locked, actor):
        raise WorkflowError(f"您没有权限执行“{label}”操作。")
    if not can_proceed(getattr(locked, action)):
        current = locked.get_status_display()
        raise WorkflowError(
            f"当前状态为“{current}”，不能执行“{label}”操作，可能已在其他窗口或由他人处理。"
        )
    from_status = "" if created else locked.status
    getattr(locked, action)()
    save_fields(locked, ["status", *update_fields])
    # In the same transaction as the change: a change that rolls back leaves no audit row.
    record(
        AuditEvent.Action.TRANSITION,
        actor=actor,
        obj=locked,
        detail=detail
        or f"{label}：{_status_label(locked, from_status)} → {locked.get_status_display()}",
        username="" if actor else "system",
        role="" if actor else SYSTEM_ROLE,
    )
    return locked.history.create(
        actor=actor,
        actor_role=role_label(actor) if actor else SYSTEM_ROLE,
        action=action,
        from_status=from_status,
        to_status=locked.status,
        comment=comment,
        **(history_fields or {}),
    )
