"""What happens when an admitted expert changes their information, and when it is reviewed:
the one place with side effects of the `changes` app.

Every function locks what it changes (the application first, then the change request: the
same order everywhere, so two of them never wait on each other), fires the django-fsm
transitions through portal.workflow.fire (role, state, history row, audit row), queues any SMS
in the same transaction, and commits. Raises portal.workflow.WorkflowError with the reason.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Unit, User
from accounts.permissions import SYSTEM_ROLE, role_label
from accounts.services import follow_contact, require_unit_profile, user_changed
from certificates.models import Certificate
from changes import counts, fields, permissions
from changes.models import OPEN, ChangeKind, ChangeRequest, ChangeStatus
from experts import periods, search
from experts.attachments import MAX_FILES, AttachmentKind
from experts.change_transitions import CONFIRMED_FIELDS
from experts.models import ApplicationAttachment, ApplicationStatus, ExpertApplication
from experts.permissions import is_owner
from experts.services import prepare_attachment, stored_or_removed
from portal.workflow import WorkflowError, action_label, fire, reasons_said
from sms import templates
from sms.outbox import queue_sms, shorten
from sms.templates import Template


@dataclass
class Saved:
    """What one save of the change form did."""

    contact: list[str]  # labels applied at once (修改联系方式)
    details: list[str]  # labels applied at once (修改其他信息)
    request: ChangeRequest | None  # the open 变更申请 after the save, if any
    # What the save did to it: "created", "updated", or "" (nothing, or the same values).
    request_change: str = ""
    # Labels of the posts (所在部门, 行政职务) it asks with a new unit (changes.fields.WITH_UNIT),
    # when the save created or updated it: reviewed with the move, not applied at once.
    with_move: list[str] = field(default_factory=list)
    # The 证明材料 stored with it, each as “file name”.
    proofs: list[str] = field(default_factory=list)

    @property
    def nothing(self) -> bool:
        return not (self.contact or self.details or self.request_change or self.proofs)


def _lock_application(pk: int) -> ExpertApplication:
    return (
        ExpertApplication.objects.select_related("user").select_for_update(of=("self",)).get(pk=pk)
    )


def _lock_open_request(application_id: int) -> ChangeRequest | None:
    return (
        ChangeRequest.objects.select_for_update()
        .filter(application_id=application_id, status__in=OPEN)
        .first()
    )


class StaleForm(WorkflowError):
    """The information or the open 变更申请 changed elsewhere after the form was opened.
    `version`: the latest, which the page shown again carries."""

    def __init__(self, message: str, version: str):
        super().__init__(message)
        self.version = version


def form_version(application: ExpertApplication, open_request: ChangeRequest | None) -> str:
    """The last save the change form was opened on: of the application or of its open 变更申请
    (the form shows both), as the form carries it back."""
    saves = [application.updated_at, *([open_request.updated_at] if open_request else [])]
    return max(saves).isoformat()


def save_changes(
    application: ExpertApplication,
    actor,
    cleaned: dict,
    *,
    seen: str | None = None,
    proofs: list[tuple[str, object]] = (),
) -> Saved:
    """The change form saved by an admitted expert (`cleaned`: the form's cleaned_data).

    Contact details and the other unreviewed fields are applied at once, each group with a
    history row on the application and a ChangeRequest row of status 已生效 recording the
    diff. Changed key fields become the one open 变更申请 (待单位确认), or update it while the
    unit has not confirmed it yet; once it waits for the bureau, a different change is refused
    (the expert may withdraw it first). A 所在部门 or 行政职务 saved with a new 工作单位 is one
    in the new unit: it joins the 变更申请 instead of applying at once (changes.fields.WITH_UNIT).
    Nothing is written when anything is refused.

    `seen` is the form_version the form was opened on (None: not checked). Every field counts as
    changed against the values in force, so a form left open in one tab would put back the old
    values of what another tab saved since: such a save is refused with StaleForm.

    `proofs`: (kind, upload) of the 证明材料 chosen (checked by the form), stored with the
    change they prove (_attach_proofs): the open 变更申请, else the record of what applied at
    once, whose files join the application's 证明材料 then. That a change of 职称 or 学历 carries
    its certificate is the form's to say (changes.forms.ChangeForm.clean), beside its file box.
    A refusal leaves no file behind."""
    new_files = [prepare_attachment(kind, upload) for kind, upload in proofs]
    with stored_or_removed(new_files), transaction.atomic():
        locked = _lock_application(application.pk)
        if not is_owner(locked, actor):
            raise WorkflowError("您只能修改自己的专家信息。")
        if locked.status != ApplicationStatus.APPROVED:
            raise WorkflowError(
                f"专家状态为“{locked.get_status_display()}”，只有已入库（审核通过）的专家可以申请信息变更。"
            )
        in_force = fields.current(locked)
        contact = fields.changed(in_force, cleaned, fields.CONTACT)
        details = fields.changed(in_force, cleaned, fields.DETAILS)
        key = fields.changed(in_force, cleaned, fields.KEY)
        if "unit" in key:
            # Applied now, the new unit's department would show under the old unit while the
            # move waits, and stay there if the move never happens.
            key.update({name: details.pop(name) for name in fields.WITH_UNIT if name in details})
        open_request = _lock_open_request(locked.pk)
        asked = fields.decode(open_request.values) if open_request else {}
        if "unit" in asked and "unit" not in key:
            # The move is dropped (工作单位 set back): a post the form filled in from it is the
            # new unit's, not one typed for the old unit; it goes with the move.
            for name in fields.WITH_UNIT:
                if name in details and details[name] == asked.get(name):
                    del details[name]
        stale = seen is not None and seen != form_version(locked, open_request)
        # A page that would change nothing (a double click on 保存修改) is no danger.
        if stale and (contact or details or key != asked):
            raise StaleForm(
                "本页打开后，您的专家信息或变更申请已有更新（在其他窗口或设备上保存，或单位已处理"
                "变更申请）。为免改回那次的修改，本次未保存。下方仍是您在本页填写的内容：如以本页"
                "为准，请再次点击“保存修改”；如要查看最新内容，请点击“查看最新保存的内容”"
                "（本页未保存的内容将不再显示，可先复制）。",
                form_version(locked, open_request),
            )
        request, request_change = _key_request(locked, actor, in_force, key, open_request)
        applied = {}
        if contact:
            applied[ChangeKind.CONTACT] = _apply_at_once(
                locked, actor, in_force, contact, ChangeKind.CONTACT, "update_contact"
            )
            follow_contact(locked.user, contact)
        if details:
            applied[ChangeKind.DETAILS] = _apply_at_once(
                locked, actor, in_force, details, ChangeKind.DETAILS, "update_details"
            )
            # 现从事专业 is searched (experts.search).
            search.refresh(ExpertApplication.objects.filter(pk=locked.pk))
        added = _attach_proofs(locked, new_files, request, applied, details)
        if added and not request_change:
            # Files added to the open request, its values as they were: what the unit confirms
            # changed all the same, so it is a 修改 in its history, and the unit's wait restarts.
            fire(
                request,
                "amend",
                actor,
                comment=f"补充证明材料：{'、'.join(added)}",
                update_fields=["due_on", "updated_at"],
                detail=f"{action_label(request, 'amend')}变更申请：补充证明材料",
            )
            request_change = "updated"
    with_move = fields.labels(name for name in key if name in fields.WITH_UNIT)
    return Saved(
        fields.labels(contact),
        fields.labels(details),
        request,
        request_change,
        with_move if request_change else [],
        [f"“{attachment.original_name}”" for attachment in new_files],
    )


def _attach_proofs(locked, new_files, request, applied: dict, details: dict) -> list[str]:
    """Each new 证明材料 with the change it proves: a 学历学位证书 with a 学历 or 学位 applied
    now (changes.fields.PROOF_APPLIED_AT_ONCE); anything else with the open 变更申请, else with
    what applied now. The open request's stay its own until 审核通过 (approve_change); what
    applied now joins the application's 证明材料 at once. Returns the names of those added to
    the open request."""
    at_once = [
        name for kind in fields.PROOF_APPLIED_AT_ONCE for name in fields.PROOF_REQUIRED[kind]
    ]
    for attachment in new_files:
        owner = request
        if attachment.kind in fields.PROOF_APPLIED_AT_ONCE and set(details) & set(at_once):
            owner = applied[ChangeKind.DETAILS]
        elif owner is None:
            owner = applied.get(ChangeKind.DETAILS) or applied.get(ChangeKind.CONTACT)
        if owner is None:
            raise WorkflowError("您没有修改任何信息，证明材料未上传；请随所证明的修改一并保存。")
        if owner.is_open and not owner.awaits_unit:
            raise WorkflowError(
                "您的变更申请已由单位确认，正在等待市科技局审核，不能再补充证明材料；"
                "如需补充，请先在首页撤回该变更申请。"
            )
        attachment.change_request = owner
        attachment.application = None if owner.is_open else locked
    added = sum(request is not None and f.change_request_id == request.pk for f in new_files)
    if added and request.attachments.count() + added > MAX_FILES:
        raise WorkflowError(f"每份变更申请最多上传{MAX_FILES}份证明材料。")
    # What joins the application now counts against its own limit, as an upload on its form.
    joining = sum(f.application_id is not None for f in new_files)
    if joining and locked.attachments.count() + joining > MAX_FILES:
        raise WorkflowError(
            f"每份申请最多保存{MAX_FILES}份证明材料，请先在专家信息中删除不需要的文件再上传。"
        )
    for attachment in new_files:
        attachment.save()
    return [f.original_name for f in new_files if request and f.change_request == request]


def proof_removal_refusal(change: ChangeRequest, attachment: ApplicationAttachment, actor) -> str:
    """Why `actor` may not remove `attachment` from `change` now, or "" when they may: only
    the expert's own request, only while the unit has not confirmed it (待单位确认, when they
    may still amend it), and never the last certificate a 职称 or 学历 asked in it needs
    (changes.fields.PROOF_REQUIRED): the unit would confirm a change without its evidence."""
    if not permissions.is_requester(change, actor):
        return "您只能删除自己的变更申请中的证明材料。"
    if change.status == ChangeStatus.PENDING_BUREAU:
        return (
            "您的变更申请已由单位确认，正在等待市科技局审核，不能再删除证明材料；"
            "如需更换，请先在首页撤回该变更申请。"
        )
    if not change.awaits_unit:
        return f"该变更申请为“{change.status_display}”，已办结，不能再删除其证明材料。"
    if change.application.status != ApplicationStatus.APPROVED:
        # As save_changes: only an admitted expert's requests change (a frozen one's open
        # request is not on their home page, its delete address still was).
        return (
            f"您的专家状态为“{change.application.get_status_display()}”，"
            "不能修改变更申请的证明材料。"
        )
    for kind, names in fields.PROOF_REQUIRED.items():
        asked = [name for name in names if name in change.values]
        if (
            attachment.kind == kind
            and asked
            and not change.attachments.filter(kind=kind).exclude(pk=attachment.pk).exists()
        ):
            label = AttachmentKind(kind).label
            return (
                f"申请变更{'、'.join(fields.labels(asked))}须附{label}，这是该变更申请唯一的"
                f"{label}，不能删除；请先在“修改专家信息”中上传新的{label}，再删除此文件。"
            )
    return ""


def remove_proof(change: ChangeRequest, attachment_pk: int, actor) -> ApplicationAttachment:
    """删除 one 证明材料 of the expert's own open 变更申请 (proof_removal_refusal says when not).
    What the unit confirms changes, so it is a 修改 in the request's history (naming the file),
    audited as one (its kind and number, never its name), and the unit's wait restarts, as when
    a file is added (save_changes). The file leaves the storage once the deletion is committed
    (experts.receivers.remove_attachment_file). Returns the deleted row."""
    with transaction.atomic():
        _, locked = _lock_request(change)
        # Only the request's own files: one that joined the application is not the request's
        # to remove (and never is while it is open).
        attachment = locked.attachments.filter(pk=attachment_pk, application__isnull=True).first()
        if attachment is None:
            raise WorkflowError("该证明材料已删除。")
        refusal = proof_removal_refusal(locked, attachment, actor)
        if refusal:
            raise WorkflowError(refusal)
        attachment.delete()
        fire(
            locked,
            "amend",
            actor,
            comment=f"删除证明材料：{attachment.original_name}",
            update_fields=["due_on", "updated_at"],
            detail=f"{action_label(locked, 'amend')}变更申请：删除证明材料"
            f"（{attachment.get_kind_display()}，编号{attachment_pk}）",
        )
    return attachment


def _key_request(locked, actor, in_force, key, open_request):
    """The open 变更申请 after this save, and what the save did to it (see save_changes)."""
    if open_request is None and not key:
        return None, ""
    if open_request is not None:
        asked = fields.decode(open_request.values)
        if asked == key:
            return open_request, ""  # the form sent the open request's values again
        if open_request.status != ChangeStatus.PENDING_UNIT:
            differing = {name for name in {*asked, *key} if asked.get(name) != key.get(name)}
            if differing <= set(fields.WITH_UNIT):
                raise WorkflowError(
                    "您的变更申请已由单位确认，正在等待市科技局审核。"
                    f"{'、'.join(fields.labels(differing))}随工作单位变更一并审核，审核完成前不能再"
                    "修改；如需修改，请先在首页撤回该变更申请。"
                )
            raise WorkflowError(
                "您的变更申请已由单位确认，正在等待市科技局审核，审核完成前不能再修改关键信息。"
                "如需修改，请先在首页撤回该变更申请。"
            )
        if not key:
            raise WorkflowError("关键信息与现行信息相同。如不再需要变更，请在首页撤回变更申请。")
    if "unit" in key:
        unit = Unit.objects.open_to_people().filter(pk=key["unit"]).first()
        if unit is None:
            raise WorkflowError("所选新工作单位不是已通过审核且启用的单位，请重新选择。")
    new_unit_id = key.get("unit")
    request = open_request or ChangeRequest(
        application=locked, kind=ChangeKind.KEY, requested_by=actor, old_unit_id=locked.unit_id
    )
    from_status, from_unit_id = (
        (open_request.status, open_request.confirming_unit_id) if open_request else (None, None)
    )
    request.new_unit_id = new_unit_id
    request.confirming_unit_id = new_unit_id or locked.unit_id
    _describe(request, in_force, key)
    try:
        with transaction.atomic():  # a savepoint: the constraint's refusal is ours to word
            request.save()
    except IntegrityError as error:
        raise WorkflowError("您已有一份未完成的变更申请，请刷新页面后再试。") from error
    # A new request waits for its unit; a changed one may now wait for another unit.
    counts.shift(
        from_status,
        request.status,
        from_unit_id=from_unit_id,
        to_unit_id=request.confirming_unit_id,
    )
    action = "submit" if open_request is None else "amend"
    fire(
        request,
        action,
        actor,
        comment=request.changed_labels,
        created=open_request is None,
        update_fields=["due_on"],
        detail=f"{action_label(request, action)}变更申请：{request.changed_labels}",
    )
    return request, "created" if open_request is None else "updated"


def _describe(request: ChangeRequest, in_force: dict, new: dict) -> None:
    request.values = fields.encode(new)
    request.before = fields.snapshot({name: in_force[name] for name in new})
    request.after = fields.snapshot(new)
    request.changed_labels = "、".join(fields.labels(new))


def _apply_at_once(locked, actor, in_force, new: dict, kind: str, action: str) -> ChangeRequest:
    for name, value in new.items():
        setattr(locked, name, value)
    names = "、".join(fields.labels(new))
    fire(
        locked,
        action,
        actor,
        comment=names,
        update_fields=[*new, "updated_at", *CONFIRMED_FIELDS],
    )
    request = ChangeRequest(
        application=locked,
        kind=kind,
        status=ChangeStatus.APPLIED,
        requested_by=actor,
        old_unit_id=locked.unit_id,
        confirming_unit_id=locked.unit_id,
        decided_at=timezone.now(),
    )
    _describe(request, in_force, new)
    request.save()
    return request


def _lock_request(change: ChangeRequest) -> tuple[ExpertApplication, ChangeRequest]:
    """The change request's application and the request itself, locked in that order."""
    application = _lock_application(change.application_id)
    locked = (
        ChangeRequest.objects.select_related("old_unit", "new_unit")
        .select_for_update(of=("self",))
        .get(pk=change.pk)
    )
    return application, locked


def _fire(locked: ChangeRequest, action: str, actor, **kwargs) -> None:
    """`fire`, with the kept waiting counts following in the same transaction."""
    from_status = locked.status
    fire(locked, action, actor, **kwargs)
    unit_id = locked.confirming_unit_id
    counts.shift(from_status, locked.status, from_unit_id=unit_id, to_unit_id=unit_id)


def _decided(locked: ChangeRequest, actor, reason: str = "") -> list[str]:
    locked.decided_at = timezone.now()
    locked.decided_by = actor
    locked.decided_role = role_label(actor) if actor else SYSTEM_ROLE
    locked.reason = reason
    return ["decided_at", "decided_by", "decided_role", "reason", "updated_at", "due_on"]


def confirm_change(change: ChangeRequest, actor, comment: str = "") -> ChangeRequest:
    """确认 (the confirming unit) → 待科技局审核."""
    require_unit_profile(actor)
    with transaction.atomic():
        _, locked = _lock_request(change)
        locked.confirmed_at = timezone.now()
        _fire(
            locked,
            "confirm",
            actor,
            comment=comment.strip(),
            update_fields=["confirmed_at", "updated_at", "due_on"],
        )
    return locked


def return_change(change: ChangeRequest, actor, reason: str) -> ChangeRequest:
    """退回 (the confirming unit, with a reason) → 未通过; the values in force stay. One SMS
    to the expert naming the unit, as the bureau's decisions send one."""
    require_unit_profile(actor)
    reason = reason.strip()
    if not reason:
        raise WorkflowError("请填写退回理由，申请人将看到此理由。")
    with transaction.atomic():
        application, locked = _lock_request(change)
        _fire(
            locked,
            "send_back",
            actor,
            comment=reason,
            update_fields=_decided(locked, actor, reason),
            why=reasons_said(text=reason),
        )
        unit = locked.new_unit if locked.moves_unit else locked.old_unit
        _sms(application, templates.CHANGE_RETURNED, unit=unit.name, reason=shorten(reason))
    return locked


def approved_template(
    application: ExpertApplication, change: ChangeRequest, values: dict
) -> Template:
    """The expert's SMS on 审核通过 names which fields changed (as the lists' 变更内容), and when
    the 入库证明 prints one of them (certificates.rules.printed) and one was issued, says that it
    is now 已失效 and the next download is a new one (certificates.services.certificate_for)."""
    if (
        set(values) & set(fields.ON_CERTIFICATE)
        and Certificate.objects.filter(application=application).exists()
    ):
        return templates.CHANGE_APPROVED_CERTIFICATE
    return templates.CHANGE_APPROVED


def withdraw_change(change: ChangeRequest, actor) -> ChangeRequest:
    """撤回 (the expert) an open request; the values in force stay."""
    with transaction.atomic():
        _, locked = _lock_request(change)
        _fire(locked, "withdraw", actor, update_fields=_decided(locked, actor))
    return locked


# Any other step out of 审核通过.
LEFT_POOL = "专家已不是“审核通过”状态，未办结的信息变更申请随之撤回。"


def withdrawn_on_leaving(action: str) -> str:
    """The history's word for a request withdrawn because its expert left the pool, by the
    step (experts.signals.left_pool's action) that took them out."""
    why = {
        "request_exit": "申请退出专家库",
        "freeze": f"专家信息满{periods.FREEZE_AFTER_MONTHS}个月未确认，已被冻结",
        "remove": "专家已出库（清退）",
        "revoke": "专家入库已撤销",
    }.get(action)
    return f"{why}，未办结的信息变更申请随之撤回。" if why else LEFT_POOL


def close_on_leaving(application: ExpertApplication, actor, action: str) -> ChangeRequest | None:
    """Withdraw the open request of an expert who has just left 审核通过 (in that step's
    transaction: experts.signals): as the expert when they asked to leave, else as the
    reviewer or the system that took them out. None when there is none."""
    change = application.change_requests.filter(status__in=OPEN).first()
    if change is None:
        return None
    _, locked = _lock_request(change)
    _fire(
        locked,
        "withdraw" if permissions.is_requester(locked, actor) else "close",
        actor,
        comment=withdrawn_on_leaving(action),
        update_fields=_decided(locked, actor),
    )
    if action == "freeze":
        # The daily command froze them: nobody warned them, as the pages warn a reviewer
        # (出库, 撤销入库) or the expert (申请退出), and after 解冻 they would wait for it still.
        _sms(application, templates.CHANGE_WITHDRAWN_FROZEN)
    return locked


def approve_change(change: ChangeRequest, actor, comment: str = "") -> ChangeRequest:
    """通过 (the bureau): the values replace those in force, on the application and the account,
    with a history row 信息变更 on the application; the search text and, for a new unit, the
    per-unit counts follow. One SMS to the expert, and one to the old unit's contact when the
    expert moves away."""
    with transaction.atomic():
        application, locked = _lock_request(change)
        _fire(
            locked, "approve", actor, comment=comment.strip(), update_fields=_decided(locked, actor)
        )
        values = fields.decode(locked.values)
        _apply(application, actor, values, locked.changed_labels)
        # Its 证明材料 join the application's: the next submission, the expert's own data and
        # 删除个人信息 see them with the rest.
        ApplicationAttachment.objects.filter(change_request=locked).update(application=application)
        name = application.user.real_name
        _sms(
            application,
            approved_template(application, locked, values),
            fields=locked.changed_labels,
        )
        if locked.moves_unit and locked.old_unit.contact_mobile:
            # That the person left, not where to: the new employer is theirs to tell.
            queue_sms(
                locked.old_unit.contact_mobile,
                templates.UNIT_EXPERT_MOVED,
                {"unit": locked.old_unit.name, "name": name},
                about=locked.old_unit,  # the unit's home lists its SMS
            )
    return locked


def reject_change(change: ChangeRequest, actor, reason: str) -> ChangeRequest:
    """不通过 (the bureau, with a reason) → 未通过; the values in force stay; one SMS."""
    reason = reason.strip()
    if not reason:
        raise WorkflowError("请填写审核不通过的理由，申请人将看到此理由。")
    with transaction.atomic():
        application, locked = _lock_request(change)
        _fire(
            locked,
            "reject",
            actor,
            comment=reason,
            update_fields=_decided(locked, actor, reason),
            why=reasons_said(text=reason),
        )
        _sms(application, templates.CHANGE_REJECTED, reason=shorten(reason))
    return locked


def _apply(application: ExpertApplication, actor, values: dict, summary: str) -> None:
    user = application.user
    own = {name: value for name, value in values.items() if name not in fields.USER_FIELDS}
    disciplines = own.pop("disciplines", None)
    for name, value in own.items():
        setattr(application, name, value)
    # Fired first: an application no longer 审核通过 (frozen, left) takes no change.
    fire(
        application,
        "apply_change",
        actor,
        comment=summary,
        update_fields=[*own, "updated_at", *CONFIRMED_FIELDS],
    )
    if disciplines is not None:
        application.disciplines.set(disciplines)
    account = {name: value for name, value in values.items() if name in fields.USER_FIELDS}
    if "unit" in account:
        if not Unit.objects.open_to_people().filter(pk=account["unit"]).exists():
            raise WorkflowError("申请变更的新工作单位已不是已通过审核且启用的单位，不能通过。")
        account["unit_id"] = account.pop("unit")
    if "id_number" in account:
        indexes = User.id_indexes(user.id_type, account["id_number"])
        if User.objects.filter(id_number_index__in=indexes).exclude(pk=user.pk).exists():
            raise WorkflowError("申请变更的证件号码已被其他账号使用，不能通过。")
    if account:
        for name, value in account.items():
            setattr(user, name, value)
        user.save(update_fields=list(account))
        # Tells experts (experts.receivers): the search text, the application's unit and the
        # per-unit counts follow a new name or unit.
        user_changed(user, ["unit" if name == "unit_id" else name for name in account])
    search.refresh(ExpertApplication.objects.filter(pk=application.pk))


def _sms(application: ExpertApplication, template: Template, **params: str) -> None:
    # No URL and no ID number: the name and the decision only.
    params = {"name": application.user.real_name, **params}
    queue_sms(application.mobile, template, params, about=application)
