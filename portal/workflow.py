"""The one way a state changes: fire a django-fsm transition on a locked row and record it.

Both state machines (units in accounts, applications in experts) go through `fire`; their
services lock the row, call it, and queue any SMS in the same transaction.
"""

import functools
from collections.abc import Iterable

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django_fsm import can_proceed

from accounts.permissions import SYSTEM_ROLE, role_label
from audit.log import record
from audit.models import AuditEvent
from portal.words import mask_numbers


class WorkflowError(Exception):
    """An action that cannot happen now; the message tells the person why, in Chinese."""


@functools.cache
def declared_transitions(model: type[models.Model]) -> dict:
    """Each transition of `model`'s `status` by its method's name, the first declared where a
    method has several sources (all share label and permission). Through django-fsm's
    documented model helper `get_all_status_transitions`, on an unsaved instance: the helper
    wants one and reads only its class. Declarations never change, so one read a model."""
    transitions = {}
    for transition in model().get_all_status_transitions():
        transitions.setdefault(transition.name, transition)
    return transitions


def transition_of(obj: models.Model | type[models.Model], action: str):
    """The django-fsm Transition behind `obj.<action>`.

    `obj` may be a model class: the label of a recorded action needs no instance."""
    model = obj if isinstance(obj, type) else type(obj)
    try:
        return declared_transitions(model)[action]
    except KeyError:
        raise ValueError(f"{model.__name__}.{action} is not a transition") from None


def action_label(obj: models.Model | type[models.Model], action: str) -> str:
    return transition_of(obj, action).custom.get("label", action)


def reasons_said(
    labels: Iterable[str] = (), fields: Iterable[str] = (), text: str = "", *, text_as: str = "理由"
) -> str:
    """Why a decision was taken, as its audit row's 说明 adds it after the states: the reason
    codes' labels, the labels of the fields commented on, then the text typed (`text_as` names
    it as its form does), e.g. 理由：信息不完整、职称不符合要求；批注字段：最高学历；理由说明：…

    The text comes last, so that a cut (audit.log.fitted) takes its end rather than a label.
    It is made one line and its long numbers masked (portal.words.mask_numbers): a reviewer may
    quote an ID, bank or mobile number, which the trail never holds whole. A field comment's
    own words stay on the history row (the applicant's page): the trail names the field."""
    labels, fields = "、".join(labels), "、".join(fields)
    text = mask_numbers(" ".join(text.split()))
    parts = [
        *([f"理由：{labels}"] if labels else []),
        *([f"批注字段：{fields}"] if fields else []),
        *([f"{text_as}：{text}"] if text else []),
    ]
    return "；".join(parts)


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
    why: str = "",
):
    """Fire `action` on a row the caller has locked with select_for_update; write its history.

    Checks the actor's permission first, then the state, so a reviewer who was too slow hears
    that the object was already handled. Returns the history row, created with
    `history_fields` besides the common ones. Raises WorkflowError. `actor` None: the system
    (a scheduled command), for transitions whose permission allows it. `created`: the row was
    made in this state just now (a 变更申请's 提交), so its history row has no earlier state.
    `detail`: the audit row's words where the states alone say too little. `why`: the reasons
    of a refusal (退回, 不通过: reasons_said), added after them, so that the trail says why
    without opening the object's history.
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
    row = locked.history.create(
        actor=actor,
        actor_role=role_label(actor) if actor else SYSTEM_ROLE,
        action=action,
        from_status=from_status,
        to_status=locked.status,
        comment=comment,
        **(history_fields or {}),
    )
    # In the same transaction as the change: a change that rolls back leaves no audit row. The
    # states as the history row words them (a 退回 leaves 已退回（待修改）, not 信息未填写).
    moved = f"{row.get_from_status_display()} → {row.get_to_status_display()}"
    said = detail or f"{label}：{moved}"
    record(
        AuditEvent.Action.TRANSITION,
        actor=actor,
        obj=locked,
        detail="；".join(part for part in (said, why) if part),
        username="" if actor else "system",
        role="" if actor else SYSTEM_ROLE,
    )
    return row
