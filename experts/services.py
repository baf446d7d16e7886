"""What happens when a person acts on an expert application: the one place with side effects.

Each action locks the application row, fires its django-fsm transition through
`portal.workflow.fire` (which checks role and state and writes the history row), queues any
SMS in the same transaction, and commits. The SMS leaves only after the commit.
"""

import contextlib
import datetime
import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from accounts.choices import IdType
from accounts.models import Blacklist, User
from accounts.services import follow_contact, require_unit_profile
from accounts.validators import resident_id_facts
from experts import counts, eligibility, periods, search, signals, snapshots
from experts.attachments import MAX_FILES, original_name
from experts.choices import BAN_FOR_GOOD, REMOVAL_REASONS
from experts.models import (
    ApplicationAttachment,
    ApplicationStatus,
    Discipline,
    ExpertApplication,
    ReasonCode,
)
from experts.models.application import CONSENT_WITHDRAWN
from experts.permissions import is_owner
from experts.rules import CONSENT_VERSION, REQUIRED_FOR_SUBMISSION
from notice import periods as notice_periods
from portal.dates import chinese_date, period_end
from portal.workflow import WorkflowError, fire, reasons_said
from sms import templates
from sms.outbox import queue_sms, shorten
from sms.templates import Template


def missing_for_submission(application: ExpertApplication) -> list[str]:
    """Labels of required fields still empty, in form order."""
    missing = []
    for name in REQUIRED_FOR_SUBMISSION:
        if name == "sensitive_consent":
            if application.consent_version != CONSENT_VERSION:
                missing.append("敏感个人信息处理同意")
            continue
        field = ExpertApplication._meta.get_field(name)
        if name == "disciplines":
            empty = application.pk is None or not application.disciplines.exists()
        else:
            empty = getattr(application, name) in (None, "", False)
        if empty:
            missing.append(str(field.verbose_name))
    return missing


def open_application(user) -> ExpertApplication:
    """The applicant's empty application (信息未填写), pre-filled from the account."""
    application = ExpertApplication(
        user=user, unit_id=user.unit_id, mobile=user.mobile, email=user.email
    )
    if user.id_type == IdType.RESIDENT and user.id_number:
        application.birth_date, application.gender = resident_id_facts(user.id_number)
    application.search_text = search.normalise(
        f"{user.real_name} {user.unit.name if user.unit_id else ''}"
    )
    application.save()
    counts.shift(None, application.status, unit_id=application.unit_id)
    return application


# The steps 统计分析's 办理时长 measures: the action that ends each, and the application's date
# of its start, kept on the history row (ApplicationTransition.step_started_at).
STEP_STARTS = {
    "recommend": "submitted_at",
    "approve": "recommended_at",  # set by 推荐 (a 申请解冻's decisions are 解冻 / 不予解冻)
    "reject": "recommended_at",
}


def _fire(locked: ExpertApplication, action: str, actor, **kwargs):
    """`fire`, with the kept counts (per status, per due date, returned or not, revising or
    not) following in the same transaction, for the end of a step its start, and
    experts.signals.left_pool for a step out of 审核通过."""
    if action in STEP_STARTS:
        kwargs["history_fields"] = {
            **(kwargs.get("history_fields") or {}),
            "step_started_at": getattr(locked, STEP_STARTS[action]),
        }
    due_before, returned_before, revising_before = locked.due_on, locked.returned, locked.revising
    if returned_before:
        # The history names the state as the badge did: 已退回（待修改）, not 信息未填写.
        kwargs["history_fields"] = {**(kwargs.get("history_fields") or {}), "from_returned": True}
    history = fire(locked, action, actor, **kwargs)
    if history.from_status == ApplicationStatus.APPROVED != history.to_status:
        # Out of 审核通过 by any step (申请退出, 冻结, 出库, 撤销入库 …): other apps follow in
        # this transaction; changes closes an open 变更申请, which could never be applied.
        signals.left_pool.send(
            sender=ExpertApplication, application=locked, actor=actor, action=action
        )
    counts.shift(
        history.from_status,
        history.to_status,
        unit_id=locked.unit_id,
        from_due=due_before,
        to_due=locked.due_on,
        from_returned=returned_before,
        to_returned=locked.returned,
        from_revising=revising_before,
        to_revising=locked.revising,
    )
    return history


def _lock(application: ExpertApplication) -> ExpertApplication:
    return (
        ExpertApplication.objects.select_related("user")
        .select_for_update(of=("self",))
        .get(pk=application.pk)
    )


class StaleDraft(WorkflowError):
    """The draft was saved elsewhere (another tab, another computer) after this form was opened.
    `version`: the draft saved, which the page shown again carries."""

    def __init__(self, message: str, version: str):
        super().__init__(message)
        self.version = version


def draft_version(application: ExpertApplication) -> str:
    """The draft a form was opened on, as the form carries it back (empty: none saved yet)."""
    saved = application.draft_saved_at
    return saved.isoformat() if saved else ""


def _already_stored(locked: ExpertApplication, values: dict, disciplines) -> bool:
    if any(getattr(locked, name) != value for name, value in values.items()):
        return False
    return disciplines is None or set(locked.disciplines.all()) == set(disciplines)


def save_draft(
    application: ExpertApplication,
    actor,
    values: dict[str, Any],
    disciplines: Iterable[Discipline] | None = None,
    *,
    seen: str | None = None,
) -> ExpertApplication:
    """保存草稿: store what the applicant typed, any number of times, while the form is editable.

    `seen` is the draft_version the form was opened on (None: not checked). A form left open
    in one tab would otherwise save its old fields over those saved since in another: such a
    save is refused with StaleDraft, and the person decides with both in front of them."""
    with transaction.atomic():
        locked = _lock(application)
        if not is_owner(locked, actor):
            raise WorkflowError("您只能修改自己的专家信息。")
        if not locked.editable:
            raise WorkflowError(
                f"专家状态为“{locked.get_status_display()}”，信息已提交，不能再修改。"
            )
        # Nothing saved yet: nothing to overwrite, whatever version the page says.
        stale = (
            seen is not None and locked.draft_saved_at is not None and seen != draft_version(locked)
        )
        # A page whose values are all stored already (a double click on 保存草稿) overwrites
        # nothing: it saves as usual.
        if stale and not _already_stored(locked, values, disciplines):
            when = timezone.localtime(locked.draft_saved_at)
            raise StaleDraft(
                f"本页打开后，专家信息已在其他窗口或设备上保存过（{when:%Y-%m-%d %H:%M}）。"
                "为免覆盖那次保存的内容，本次未保存。下方仍是您在本页填写的内容："
                "如以本页为准，请再次点击“保存草稿”或“提交”；如要查看另一处保存的内容，"
                "请点击“查看最新保存的内容”（本页未保存的内容将不再显示，可先复制）。",
                draft_version(locked),
            )
        for name, value in values.items():
            setattr(locked, name, value)
        if disciplines is not None:
            locked.disciplines.set(disciplines)
        prefetch_related_objects([locked], search.with_fields())
        locked.search_text = search.search_text_for(locked)
        locked.draft_saved_at = timezone.now()
        locked.save(update_fields=[*values, "search_text", "draft_saved_at", "updated_at"])
        follow_contact(locked.user, values)
    return locked


def check_attachments_changeable(application: ExpertApplication, actor) -> None:
    """证明材料 change with the form: only its owner's, only while the form is editable
    (ExpertApplication.editable); else WorkflowError saying why."""
    if not is_owner(application, actor):
        raise WorkflowError("您只能修改自己的证明材料。")
    if not application.editable:
        hint = (
            "如需修改，请先在首页点击“修改专家信息”。"
            if application.status == ApplicationStatus.REJECTED
            else "证明材料已随专家信息提交，不能再上传或删除。"
        )
        raise WorkflowError(f"专家状态为“{application.get_status_display()}”，{hint}")


def prepare_attachment(kind: str, upload) -> ApplicationAttachment:
    """An unsaved 证明材料 row for one checked upload (experts.attachments.validate_attachment,
    run by the form): its kind, name, size and SHA-256. The caller says whose it is and saves
    it inside stored_or_removed."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return ApplicationAttachment(
        kind=kind,
        file=upload,
        original_name=original_name(upload),
        size=upload.size,
        sha256=digest.hexdigest(),
    )


@contextlib.contextmanager
def stored_or_removed(attachments: list[ApplicationAttachment]):
    """Around the transaction that saves `attachments`: save() stores each file (under a new
    random name) before its INSERT, and a rollback does not take a file back, so a refusal or
    a failure removes the files already stored, as accounts.services.register_unit does."""
    uploaded = [attachment.file.name for attachment in attachments]
    try:
        yield
    except Exception:
        for attachment, name in zip(attachments, uploaded, strict=True):
            if attachment.file.name != name:
                attachment.file.delete(save=False)
        raise


def add_attachment(
    application: ExpertApplication, actor, kind: str, upload
) -> ApplicationAttachment:
    """上传证明材料: store one checked file (prepare_attachment) in private storage under a
    random name, while the form is editable and the application has fewer than MAX_FILES.
    Nothing of the long form is touched. A refusal or a rollback leaves no file behind."""
    attachment = prepare_attachment(kind, upload)
    with stored_or_removed([attachment]), transaction.atomic():
        locked = _lock(application)  # two uploads at once count one after the other
        check_attachments_changeable(locked, actor)
        if locked.attachments.count() >= MAX_FILES:
            raise WorkflowError(
                f"每份申请最多上传{MAX_FILES}份证明材料，请先删除不需要的文件再上传。"
            )
        attachment.application = locked
        attachment.save()
    return attachment


def delete_attachment(attachment: ApplicationAttachment, actor) -> None:
    """删除证明材料 while the form is editable. The file leaves the storage once the deletion
    is committed (experts.receivers.remove_attachment_file)."""
    with transaction.atomic():
        locked = _lock(attachment.application)
        check_attachments_changeable(locked, actor)
        deleted, _ = ApplicationAttachment.objects.filter(
            pk=attachment.pk, application=locked
        ).delete()
        if not deleted:
            raise WorkflowError("该证明材料已删除。")


def submit_application(application: ExpertApplication, actor) -> ExpertApplication:
    """提交: a complete application moves to 待单位推荐 and the form becomes read-only."""
    with transaction.atomic():
        locked = _lock(application)
        if is_owner(locked, actor) and locked.status != ApplicationStatus.DRAFT:
            # Mostly a double click: the first click already submitted it.
            raise WorkflowError(
                f"专家信息已提交，当前专家状态为“{locked.get_status_display()}”，无需重复提交。"
            )
        if is_owner(locked, actor):
            missing = missing_for_submission(locked)
            if missing:
                raise WorkflowError("以下信息尚未填写，不能提交：" + "、".join(missing))
        locked.submitted_at = timezone.now()
        # 资格提示 as of the submission: help for the reviewers, never a reason to refuse it.
        flag_fields = eligibility.apply(locked)
        # submit clears returned_at and revising_at: the unit has the application again.
        _fire(
            locked,
            "submit",
            actor,
            update_fields=["submitted_at", "returned_at", "revising_at", "due_on", *flag_fields],
            history_fields={"snapshot": snapshots.take(locked)},
        )
    return locked


def recommend_application(
    application: ExpertApplication, actor, comment: str = ""
) -> ExpertApplication:
    """提交 (by the unit): recommend the applicant to the bureau → 待科技局审核."""
    require_unit_profile(actor)
    with transaction.atomic():
        locked = _lock(application)
        locked.recommended_at = timezone.now()
        _fire(
            locked,
            "recommend",
            actor,
            comment=comment.strip(),
            update_fields=["recommended_at", "due_on"],
        )
    return locked


def _reasons_given(
    reason: str,
    codes: Iterable[ReasonCode],
    field_comments: list[dict] | None,
    missing: str,
) -> dict[str, Any]:
    """The history row's fields for a 退回 or 审核不通过: the comment, the codes with their labels
    as shown now, and the field comments ({"field", "label", "comment"}, from the form); and
    `why`, the same for the audit row (portal.workflow.reasons_said).

    Raises WorkflowError (`missing` when there is neither a code nor a text) for what the
    decision form refuses too, so that every caller (admin, a batch) gets the same rules."""
    reason = reason.strip()
    codes = list(codes)
    if not codes and not reason:
        raise WorkflowError(missing)
    switched_off = [code.label for code in codes if not code.active]
    if switched_off:
        raise WorkflowError(f"理由“{'、'.join(switched_off)}”已停用，请重新选择。")
    needing_text = [code.label for code in codes if code.requires_text]
    if needing_text and not reason:
        raise WorkflowError(f"选择“{'、'.join(needing_text)}”时，请在理由说明中写明具体原因。")
    field_comments = list(field_comments or [])
    return {
        "comment": reason,
        "history_fields": {
            "reasons": [{"code": code.code, "label": code.label} for code in codes],
            "field_comments": field_comments,
        },
        # The audit row says the same, in the words of the decision form.
        "why": reasons_said(
            [code.label for code in codes],
            [comment["label"] for comment in field_comments],
            reason,
            text_as="理由说明",
        ),
    }


def return_application(
    application: ExpertApplication,
    actor,
    reason: str = "",
    codes: Iterable[ReasonCode] = (),
    field_comments: list[dict] | None = None,
) -> ExpertApplication:
    """退回 (by the unit, with reason codes and/or a text, and any field comments) → 信息未填写,
    marked 已退回（待修改） (returned_at) until the applicant submits again; the applicant sees
    why, and which fields to correct, and edits again. One SMS tells them, naming the reasons:
    an applicant waiting on their unit does not log in to look."""
    require_unit_profile(actor)
    given = _reasons_given(reason, codes, field_comments, "请选择或填写退回理由。")
    with transaction.atomic():
        locked = _lock(application)
        history = _fire(
            locked, "send_back", actor, update_fields=["returned_at", "due_on"], **given
        )
        _decision_sms(
            locked, templates.APPLICATION_RETURNED, reason=shorten(history.reasons_text())
        )
    return locked


def approve_application(
    application: ExpertApplication, actor, comment: str = ""
) -> ExpertApplication:
    """审核通过 (bureau) → 审核通过, with one SMS to the applicant after commit. For a frozen
    expert's 申请解冻 it is 解冻: back to 审核通过 as admitted before (入库时间 and 公示 as they
    were), the confirmation renewed."""
    with transaction.atomic():
        locked = _lock(application)
        _refuse_own(locked, actor)
        if locked.unfreezing:
            _fire(
                locked,
                "unfreeze",
                actor,
                comment=comment.strip(),
                update_fields=["due_on", "unfreezing", "confirmed_at", "confirm_reminded_at"],
            )
            _decision_sms(locked, templates.UNFREEZE_APPROVED)
            return locked
        locked.decided_at = timezone.now()
        _fire(
            locked,
            "approve",
            actor,
            comment=comment.strip(),
            update_fields=["decided_at", "due_on", "confirmed_at", "confirm_reminded_at"],
        )
        template, params = approval_sms(locked.decided_at)
        _decision_sms(locked, template, **params)
    return locked


def approval_sms(decided_at, today=None) -> tuple[Template, dict[str, str]]:
    """The approval's SMS template and its parameters but the name (as worded on `today`,
    default the day it is sent). On 公示 the admission may still be reversed on an objection:
    the expert reads that they are 拟入选, as the 公示 page says, until when, and when the
    certificate comes (certificates.services)."""
    period = notice_periods.running(decided_at, today)
    if period is None:
        return templates.APPLICATION_APPROVED, {}
    return templates.APPLICATION_APPROVED_ON_NOTICE, {"notice_ends": chinese_date(period.ends)}


def reject_application(
    application: ExpertApplication,
    actor,
    reason: str = "",
    codes: Iterable[ReasonCode] = (),
    field_comments: list[dict] | None = None,
) -> ExpertApplication:
    """审核不通过 (bureau, with reason codes and/or a text, and any field comments) → 审核不通过,
    with one SMS to the applicant naming the reasons. For a 申请解冻 it is 不予解冻: the expert
    stays 已冻结, in no way rejected from the pool they were admitted to."""
    given = _reasons_given(reason, codes, field_comments, "请选择或填写审核不通过的理由。")
    with transaction.atomic():
        locked = _lock(application)
        _refuse_own(locked, actor)
        if locked.unfreezing:
            # A frozen expert cannot edit the form, so a comment on one of its fields asks for
            # what they cannot do.
            if field_comments:
                raise WorkflowError(
                    "不予解冻时不能填写字段批注（冻结期间专家不能修改专家信息表），请删除批注后重试。"
                )
            history = _fire(
                locked, "refuse_unfreeze", actor, update_fields=["due_on", "unfreezing"], **given
            )
            why = history.reasons_text()
            _decision_sms(
                locked,
                templates.UNFREEZE_REFUSED,
                reason=shorten(why),
                help_line=settings.HELP_LINE,
            )
            return locked
        locked.decided_at = timezone.now()
        history = _fire(locked, "reject", actor, update_fields=["decided_at", "due_on"], **given)
        # The labels first: cut to one SMS, the reason's text goes before they do.
        why = history.reasons_text()
        _decision_sms(locked, templates.APPLICATION_REJECTED, reason=shorten(why))
    return locked


def revise_application(application: ExpertApplication, actor) -> ExpertApplication:
    """After 审核不通过 the applicant reopens the form (→ 信息未填写) to correct and resubmit.
    It stays in 专家审核 (revising_at), marked 修改中（曾审核不通过）, until submitted again."""
    with transaction.atomic():
        locked = _lock(application)
        _fire(locked, "revise", actor, update_fields=["revising_at"])
    return locked


def _refuse_own(application: ExpertApplication, actor) -> None:
    # The FSM permission refuses it too; this says why in words the reviewer understands.
    if application.user_id == actor.pk:
        raise WorkflowError("审核员不能审核自己的专家申请，请由其他审核员处理。")


def _decision_sms(application: ExpertApplication, template: Template, **params: str) -> None:
    # SMS texts carry no URL and no ID number: only the name and the decision.
    params = {"name": application.user.real_name, **params}
    queue_sms(application.mobile, template, params, about=application)


def revoke_admission(
    application: ExpertApplication, actor, reason: str = "", codes: Iterable[ReasonCode] = ()
) -> ExpertApplication:
    """撤销入库（公示异议） (bureau, during the 公示期, with a reason text and any reason codes):
    审核通过 → 审核不通过, out of the pool and off the public list (notice.receivers), with one
    SMS to the applicant naming the reason. Refused once the 公示期 is over, or with 公示 off."""
    if not reason.strip():
        raise WorkflowError("请填写撤销入库的理由，申请人将看到此理由。")
    given = _reasons_given(reason, codes, None, "请填写撤销入库的理由，申请人将看到此理由。")
    with transaction.atomic():
        locked = _lock(application)
        _refuse_own(locked, actor)
        if locked.status == ApplicationStatus.APPROVED:
            _refuse_after_notice(locked)
        locked.decided_at = timezone.now()
        history = _fire(locked, "revoke", actor, update_fields=["decided_at"], **given)
        why = history.reasons_text()
        _decision_sms(
            locked, templates.ADMISSION_REVOKED, reason=shorten(why), help_line=settings.HELP_LINE
        )
    return locked


def _refuse_after_notice(application: ExpertApplication) -> None:
    # A reversal answers an objection raised while the admission was on notice; after that,
    # an expert leaves the pool by the ways of leaving (出库, 清退), not by this one.
    if not notice_periods.enabled():
        raise WorkflowError("本系统未启用专家入库公示，不能以公示异议撤销入库。")
    ended = notice_periods.over(application.decided_at)
    if ended:
        raise WorkflowError(
            f"{application.user.real_name}的公示期{ended}，不能再以公示异议撤销入库。"
        )


# After admission: 年度确认, 冻结 and 解冻, 退出, 出库（清退） and 禁入, 重新申请 ------------


def confirm_information(application: ExpertApplication, actor) -> ExpertApplication:
    """年度确认: the expert confirms their information is current; the next is due in 12 months."""
    with transaction.atomic():
        locked = _lock(application)
        _fire(locked, "confirm_info", actor, update_fields=["confirmed_at", "confirm_reminded_at"])
    return locked


def freeze_application(application: ExpertApplication) -> ExpertApplication | None:
    """冻结, by the daily command: FREEZE_AFTER_MONTHS without a confirmation. None when the row
    moved on meanwhile (confirmed, left): a second run does nothing."""
    with transaction.atomic():
        locked = _lock(application)
        if locked.status != ApplicationStatus.APPROVED or not locked.confirmation_lapsed():
            return None
        _fire(locked, "freeze", None)
        _decision_sms(locked, templates.FROZEN, months=str(periods.FREEZE_AFTER_MONTHS))
    return locked


def request_unfreeze(application: ExpertApplication, actor) -> ExpertApplication:
    """申请解冻: back to 待科技局审核; 审核通过 unfreezes and counts as the confirmation."""
    with transaction.atomic():
        locked = _lock(application)
        _fire(
            locked,
            "request_unfreeze",
            actor,
            update_fields=["recommended_at", "due_on", "unfreezing"],
        )
    return locked


def request_exit(application: ExpertApplication, actor, reason: str = "") -> ExpertApplication:
    """申请退出 (also what withdrawing the sensitive-data consent starts): the bureau confirms."""
    with transaction.atomic():
        locked = _lock(application)
        _fire(locked, "request_exit", actor, comment=reason.strip())
    return locked


def withdraw_consent(application: ExpertApplication, actor) -> ExpertApplication:
    """撤回同意 (PIPL art. 15): the consent ends at once (the application no longer says
    已同意) and the exit starts, which the bureau confirms; staying needs the consent again."""
    with transaction.atomic():
        locked = _lock(application)
        locked.consent_version, locked.consent_at, locked.consent_bureau = "", None, ""
        _fire(
            locked,
            "request_exit",
            actor,
            comment=CONSENT_WITHDRAWN,
            update_fields=["consent_version", "consent_at", "consent_bureau"],
        )
    return locked


def withdraw_application(application: ExpertApplication, actor) -> ExpertApplication:
    """撤回同意 before admission (ExpertApplication.withdraw_application): the consent ends at
    once and the application leaves review for 信息未填写, out of the unit's and the bureau's
    queues and counts, in one transaction with its history and audit rows. No SMS: the
    applicant did it themselves, on their own page."""
    with transaction.atomic():
        locked = _lock(application)
        if is_owner(locked, actor) and locked.consent_at is None:
            raise WorkflowError("您尚未同意（或已撤回）敏感个人信息处理同意，无需再次撤回。")
        _fire(
            locked,
            "withdraw_application",
            actor,
            comment=CONSENT_WITHDRAWN,
            update_fields=[
                "consent_version",
                "consent_at",
                "consent_bureau",
                "returned_at",
                "revising_at",
                "due_on",
            ],
        )
    return locked


def give_consent(application: ExpertApplication, actor) -> ExpertApplication:
    """同意敏感个人信息处理, by an admitted expert who never gave it here: one imported from the
    bureau's previous system (import_roster), whose numbers the portal does not process until
    then (experts.permissions.may_process_sensitive_numbers). The consent of the current
    version naming the current BUREAU_NAME, as the form records it (the view records it in
    the trail, with the request's address)."""
    with transaction.atomic():
        locked = _lock(application)
        if not is_owner(locked, actor):
            raise WorkflowError("只能由专家本人同意。")
        if not locked.may_give_consent:
            raise WorkflowError("您已同意敏感个人信息处理，或当前专家状态不需要在此同意。")
        locked.consent_version, locked.consent_at = CONSENT_VERSION, timezone.now()
        locked.consent_bureau = settings.BUREAU_NAME
        locked.save(update_fields=["consent_version", "consent_at", "consent_bureau"])
    return locked


def withdraw_exit(application: ExpertApplication, actor) -> ExpertApplication:
    with transaction.atomic():
        locked = _lock(application)
        final = locked.exit_final_reason()
        if locked.status == ApplicationStatus.EXIT_PENDING and final:
            raise WorkflowError(final)
        _fire(locked, "withdraw_exit", actor)
    return locked


def confirm_exit(application: ExpertApplication, actor, comment: str = "") -> ExpertApplication:
    """确认退出 (bureau): the expert leaves the pool; they may apply again later."""
    with transaction.atomic():
        locked = _lock(application)
        _refuse_own(locked, actor)
        _fire(locked, "confirm_exit", actor, comment=comment.strip())
        _decision_sms(locked, templates.EXIT_CONFIRMED)
    return locked


def remove_application(
    application: ExpertApplication, actor, code: str, reason: str = "", ban_years=None
) -> ExpertApplication:
    """出库（清退） (bureau), with a reason code and text; `ban_years` (a number, or
    BAN_FOR_GOOD) also bars the ID number (禁入) from registering and applying again."""
    labels = dict(REMOVAL_REASONS)
    if code not in labels:
        raise WorkflowError("请选择出库理由。")
    if code == "other" and not reason.strip():
        raise WorkflowError("选择“其他”时，请填写出库理由。")
    with transaction.atomic():
        locked = _lock(application)
        _refuse_own(locked, actor)
        history = _fire(
            locked,
            "remove",
            actor,
            comment=reason.strip(),
            history_fields={"reasons": [{"code": code, "label": labels[code]}]},
            why=reasons_said([labels[code]], text=reason, text_as="说明"),
        )
        why = history.reasons_text()
        template, params = templates.REMOVED, {"reason": shorten(why)}
        if ban_years:
            until = ban_until(ban_years)
            ban = Blacklist.objects.create(
                id_number_index=User.id_index(locked.user.id_type, locked.user.id_number),
                until=until,
                reason=why[:200],
                name=locked.user.real_name,
                created_by=actor,
            )
            if ban.open_from is None:
                template = templates.REMOVED_BANNED
            else:
                template = templates.REMOVED_BANNED_UNTIL
                params["open_from"] = chinese_date(ban.open_from)
        _decision_sms(locked, template, **params)
    return locked


def ban_until(ban_years, today: datetime.date | None = None) -> datetime.date | None:
    """The last day of a 禁入 of `ban_years` years decided `today`; None for good. Counted as the
    Civil Code counts a period (portal.dates.period_end): one decided on 29 February ends on
    28 February, and the person may apply again from 1 March."""
    if ban_years == BAN_FOR_GOOD:
        return None
    return period_end(today or timezone.localdate(), years=int(ban_years))


def reapply(application: ExpertApplication, actor) -> ExpertApplication:
    """重新申请 after leaving: the form opens again (→ 信息未填写), unless 禁入 is in force."""
    if Blacklist.in_force(actor.id_number_indexes):
        raise WorkflowError(f"您目前不能重新申请入库。如有疑问，请致电 {settings.HELP_LINE}。")
    with transaction.atomic():
        locked = _lock(application)
        _fire(
            locked,
            "reapply",
            actor,
            update_fields=["returned_at", "integrity_pledge"],
        )
    return locked
