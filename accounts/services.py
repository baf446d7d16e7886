"""What happens when a person acts on a unit or an account: the one place with side effects."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import signals
from accounts.licence import LICENCE_FOLDER
from accounts.models import Unit, UnitStatus, User
from accounts.permissions import (
    UNIT_PROFILE_NEEDED,
    is_unit_account_of,
    lacks_unit_profile,
)
from audit.log import record
from audit.models import AuditEvent
from portal import deadlines, privacy
from portal.workflow import WorkflowError, fire, reasons_said
from sms import templates
from sms.outbox import queue_sms, shorten
from sms.templates import Template

logger = logging.getLogger(__name__)


class ScanNotSaved(WorkflowError):
    """The licence scan could not be written to the private storage (a full or read-only
    disk): nothing of the form was saved, and nothing of the scan is left."""

    def __init__(self):
        super().__init__(
            "扫描件未能保存（服务器存储暂时不可用），本次提交未保存任何内容。"
            f"请稍后重新选择扫描件再提交；如仍不成功，请致电{settings.HELP_LINE}联系市科技局。"
        )


def store_scan(unit: Unit) -> str | None:
    """Store the licence scan chosen on a form (`unit.licence`, not yet stored) in the private
    storage now, before any database work: a disk that refuses it (full, read-only) raises
    ScanNotSaved with nothing saved, and the part it wrote is deleted (a failed write leaves
    it, and no unit would name it). Returns the stored name, or None when no new scan was
    chosen; unit.licence then names the stored file, which the model's save() keeps as it is."""
    scan = unit.licence
    # A stored scan's name has the folder; an upload's is the browser's (validate_licence).
    if not scan or scan.name.startswith(LICENCE_FOLDER):
        return None
    field, storage = scan.field, scan.storage
    name = storage.get_available_name(
        field.generate_filename(unit, scan.name), max_length=field.max_length
    )
    try:
        stored = storage.save(name, scan.file, max_length=field.max_length)
    except OSError as error:
        logger.error("licence scan not stored: %s", error)
        try:
            if storage.exists(name):
                storage.delete(name)
        except OSError:
            logger.warning("could not delete the part of %s written", name, exc_info=True)
        raise ScanNotSaved from error
    unit.licence = stored
    return stored


def agree_to_notice(user: User, version: str) -> None:
    """Record on the unsaved `user` the 个人信息保护说明 version agreed to at registration, and
    when (nothing when `version` is empty: an account made by a command agreed to nothing)."""
    if version:
        user.privacy_notice_version, user.privacy_notice_at = version, timezone.now()


def agree_to_current_notice(user: User) -> None:
    """The signed-in `user` agrees to the current 个人信息保护说明, shown again because it changed
    since they agreed (or because their account is older than the notice): stores the version
    and the time, and writes the audit row (同意个人信息保护说明: the versions before and now)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = locked.privacy_notice_version
        if before == privacy.NOTICE_VERSION:
            return  # agreed meanwhile (another tab): one agreement, one row
        locked.privacy_notice_version = privacy.NOTICE_VERSION
        locked.privacy_notice_at = timezone.now()
        locked.save(update_fields=["privacy_notice_version", "privacy_notice_at"])
        record(
            AuditEvent.Action.PRIVACY_NOTICE,
            actor=locked,
            obj=locked,
            detail=f"版本{privacy.NOTICE_VERSION}（此前同意的版本：{before or '无'}）",
        )
    user.privacy_notice_version = locked.privacy_notice_version
    user.privacy_notice_at = locked.privacy_notice_at


def register_unit(unit: Unit, *, username: str, password: str, privacy_notice: str = "") -> User:
    """Save a new unit (待审核) and its account, and store its licence scan in private storage.
    The bureau's queue shows it at once. Nothing is left behind when the save fails. The
    account records the 个人信息保护说明 version its contact agreed to (`privacy_notice`)."""
    uploaded_name = unit.licence.name
    store_scan(unit)
    try:
        with transaction.atomic():
            unit.due_on = deadlines.registration_due()
            unit.save()
            user = User(username=username, kind=User.Kind.UNIT, unit=unit, email=unit.email)
            user.set_password(password)
            agree_to_notice(user, privacy_notice)
            user.save()
            record(AuditEvent.Action.REGISTERED, actor=user, obj=unit, detail="新用户注册：单位")
    except Exception:
        # The scan was stored (store_scan, under a new random name) before the INSERT, and a
        # rollback does not take a file back: a username or credit code someone registered
        # meanwhile, or a lost connection at commit, would leave a scan of no unit in private
        # storage. Django has no rollback hook, so remove it here.
        if unit.licence.name != uploaded_name:
            unit.licence.delete(save=False)
        raise
    return user


def register_individual(user: User, *, password: str, privacy_notice: str = "") -> User:
    """Save a new applicant under an approved unit, with the 个人信息保护说明 version they agreed
    to (`privacy_notice`). Receivers of `applicant_registered` (experts opens their empty
    application, 信息未填写) run in the same transaction."""
    with transaction.atomic():
        # The form offered units open to people only; check the same rule again under a lock,
        # so that a unit whose approval an operator reverses, or that is 停用, meanwhile is
        # not chosen.
        unit = Unit.objects.open_to_people().select_for_update().filter(pk=user.unit_id).first()
        if unit is None:
            raise WorkflowError("所选单位尚未通过审核或已停用，请选择其他单位。")
        user.kind = User.Kind.APPLICANT
        user.set_password(password)
        agree_to_notice(user, privacy_notice)
        user.save()
        record(
            AuditEvent.Action.REGISTERED,
            actor=user,
            obj=user,
            detail=f"新用户注册：个人（所属单位：{unit.name}）",
        )
        signals.applicant_registered.send(sender=User, user=user)
    return user


def _decision_sms(unit: Unit, template: Template, **params: str) -> None:
    queue_sms(unit.contact_mobile, template, {"unit": unit.name, **params}, about=unit)


def approve_unit(unit: Unit, actor: User) -> Unit:
    """通过: the unit becomes 已通过 and its contact gets an SMS after commit."""
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        locked.decided_at = timezone.now()
        fire(locked, "approve", actor, update_fields=["decided_at", "due_on"])
        _decision_sms(locked, templates.UNIT_APPROVED)
    return locked


def reject_unit(unit: Unit, actor: User, reason: str) -> Unit:
    """不通过 with a reason: the unit becomes 未通过, sees the reason, and gets an SMS."""
    reason = reason.strip()
    if not reason:
        raise WorkflowError("请填写审核不通过的理由。")
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        locked.decided_at = timezone.now()
        fire(
            locked,
            "reject",
            actor,
            comment=reason,
            update_fields=["decided_at", "due_on"],
            why=reasons_said(text=reason),
        )
        _decision_sms(locked, templates.UNIT_REJECTED, reason=shorten(reason))
    return locked


def resubmit_unit(unit: Unit, actor: User, changed_fields: list[str]) -> Unit:
    """A 未通过 unit saves its corrections and goes back to 待审核, at the end of the queue.
    A new scan is stored first (store_scan: ScanNotSaved, nothing saved, when the disk refuses
    it) and deleted again if the transaction fails."""
    new_scan = store_scan(unit) if "licence" in changed_fields else None
    try:
        with transaction.atomic():
            locked = Unit.objects.select_for_update().get(pk=unit.pk)
            before = {name: _shown(locked, name) for name in changed_fields}
            for name in changed_fields:
                setattr(locked, name, getattr(unit, name))
            locked.submitted_at = timezone.now()
            fire(
                locked,
                "resubmit",
                actor,
                # The bureau reads in the history what the unit corrected since its 不通过.
                comment=_changes(locked, before),
                update_fields=[*changed_fields, "submitted_at", "due_on"],
            )
            unit_changed(locked, changed_fields)
    except Exception:
        # As in register_unit: a rollback does not take the stored scan back.
        if new_scan:
            unit.licence.storage.delete(new_scan)
        raise
    return locked


def _shown(unit: Unit, name: str) -> str:
    field = unit._meta.get_field(name)
    if field.get_internal_type() == "FileField":
        return ""
    return str(dict(field.choices or ()).get(getattr(unit, name), getattr(unit, name)) or "（空）")


def _changes(unit: Unit, before: dict[str, str]) -> str:
    """修改了：单位名称（旧 → 新）、营业执照扫描件（已重新上传）… for a resubmission's history."""
    parts = []
    for name, old in before.items():
        label = unit._meta.get_field(name).verbose_name
        new = _shown(unit, name)
        if not new:
            parts.append(f"{label}（已重新上传）")
        elif new != old:  # a form may count a value typed another way (a mobile) as changed
            parts.append(f"{label}（{old} → {new}）")
    if not parts:
        return "未修改注册信息。"
    return ("修改了：" + "、".join(parts) + "。")[:1000]


def update_unit_profile(unit: Unit, actor: User, changed_fields: list[str]) -> Unit:
    """信息更改: an approved unit completes or corrects its details. Writes an audit row."""
    if not is_unit_account_of(actor, unit):
        raise WorkflowError("只有已通过审核的单位账号可以修改单位信息。")
    with transaction.atomic():
        # The page was checked against the unit as the request read it; check again under a
        # lock, so that a unit switched off (停用) or no longer approved meanwhile saves nothing,
        # and an operator's edit in admin at the same moment is not half overwritten.
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        if locked.status != UnitStatus.APPROVED:
            raise WorkflowError("只有已通过审核的单位账号可以修改单位信息。")
        if not locked.is_active:
            raise WorkflowError("本单位账号已停用，所填修改未保存。")
        for name in changed_fields:
            setattr(locked, name, getattr(unit, name))
        locked.profile_updated_at = timezone.now()
        locked.save(update_fields=[*changed_fields, "profile_updated_at"])
        unit_changed(locked, changed_fields)
        if changed_fields:
            labels = "、".join(
                str(locked._meta.get_field(name).verbose_name) for name in changed_fields
            )
            record(
                AuditEvent.Action.UNIT_PROFILE, actor=actor, obj=locked, detail=f"修改了：{labels}"
            )
    return locked


def unit_changed(unit: Unit, changed_fields) -> None:
    """Keep the unit's account in step with the unit's 电子邮箱, and tell other apps a unit's
    details changed (a renamed unit is searched by its new name). Call it in the transaction
    that saved the unit: 信息更改, a resubmission, or admin."""
    if "email" in changed_fields:
        # The unit's account was given the unit's 电子邮箱 at registration, and 找回密码 sends
        # its link to the account's address: the one the unit keeps up to date is the one
        # that must reach it.
        User.objects.filter(unit=unit, kind=User.Kind.UNIT).update(email=unit.email)
    signals.unit_changed.send(sender=Unit, unit=unit, changed_fields=list(changed_fields))


def user_changed(user: User, changed_fields) -> None:
    """Tell other apps an account changed (a renamed applicant, or one moved to another unit,
    is searched and listed as such). Call it in the transaction that saved the account."""
    signals.account_changed.send(sender=User, user=user, changed_fields=list(changed_fields))


# An applicant's or expert's own 手机号码 and 电子邮箱 are their account's too: a locked
# account's SMS and 找回密码's e-mail go to the account's, so they follow the ones the person
# last gave (the expert form, a contact change). A blank one leaves the account's as it is:
# 找回密码 must still reach someone.
ACCOUNT_CONTACT = ("mobile", "email")


def follow_contact(user: User, values: dict) -> None:
    changed = {
        name: values[name]
        for name in ACCOUNT_CONTACT
        if values.get(name) and values[name] != getattr(user, name)
    }
    if changed:
        for name, value in changed.items():
            setattr(user, name, value)
        user.save(update_fields=list(changed))


def require_unit_profile(actor) -> None:
    """A unit recommends, returns or confirms only once it has completed 信息更改 (the manual:
    审核通过后需…完善单位信息); the bureau's decisions are not a unit's."""
    if lacks_unit_profile(actor):
        raise WorkflowError(UNIT_PROFILE_NEEDED)
