"""What experts does when an account, a unit or an application's picks change: receivers of
accounts' signals (accounts.signals) and of the picks' m2m_changed, connected in
ExpertsConfig.ready. They run in the sender's transaction."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete
from django.dispatch import receiver

from accounts import signals
from experts import exports, search
from experts.models import IN_REVIEW, ApplicationAttachment, ExpertApplication, FacetDiscipline
from experts.permissions import SENSITIVE_REFUSAL, may_process_sensitive_numbers
from experts.services import open_application
from sms import outbox


@receiver(signals.applicant_registered, dispatch_uid="experts.open_application")
def open_application_of_new_applicant(sender, user, **kwargs):
    open_application(user)


@receiver(signals.unit_changed, dispatch_uid="experts.unit_changed")
def refresh_applications_of_renamed_unit(sender, unit, changed_fields, **kwargs):
    """A renamed unit is found by its new name in the bureau's search."""
    if "name" in changed_fields:
        search.refresh(ExpertApplication.objects.filter(unit=unit))


@receiver(signals.account_changed, dispatch_uid="experts.account_changed")
def refresh_application_of_changed_account(sender, user, changed_fields, **kwargs):
    """A renamed applicant, or one moved to another unit, is searched and listed as such (the
    application's unit and the per-unit counts follow the move)."""
    if {"real_name", "unit"} & set(changed_fields):
        search.refresh(ExpertApplication.objects.filter(user=user))


@receiver(signals.id_number_refusal, dispatch_uid="experts.id_number_refusal")
def refuse_id_number_without_consent(sender, user, **kwargs) -> str:
    """The account's 证件号码 is its application's sensitive number: the same rule."""
    application = ExpertApplication.objects.filter(user=user).first()
    if application is None or may_process_sensitive_numbers(application):
        return ""
    return SENSITIVE_REFUSAL


@receiver(signals.applicant_moving, dispatch_uid="experts.applicant_moving")
def refuse_moving_an_application_under_review(sender, user, unit, **kwargs):
    """Never while under review: the application would land in another unit's queue
    mid-decision. Nor once admitted: the move is a 信息变更 the new unit confirms."""
    application = ExpertApplication.objects.filter(user=user).only("status", "unfreezing").first()
    if application is not None and application.admitted_expert:
        raise ValidationError(ADMITTED_CHANGE)
    if application is not None and application.status in IN_REVIEW:
        raise ValidationError(
            f"该申请人的专家状态为“{application.get_status_display()}”，审核完成前不能更换单位。"
        )


# An admitted expert's 姓名 and 工作单位 are key fields (changes.fields.KEY): reviewed.
ADMITTED_CHANGE = (
    "该专家已入库，姓名、证件和工作单位须由专家本人通过“修改专家信息”提交信息变更，"
    "经单位确认和市科技局审核后生效。"
)


@receiver(signals.applicant_identity_changing, dispatch_uid="experts.identity_changing")
def refuse_renaming_an_admitted_expert(sender, user, fields, **kwargs):
    application = ExpertApplication.objects.filter(user=user).only("status", "unfreezing").first()
    if application is not None and application.admitted_expert:
        raise ValidationError(ADMITTED_CHANGE)


@receiver(
    m2m_changed, sender=ExpertApplication.disciplines.through, dispatch_uid="experts.picks_changed"
)
def rebuild_facet_disciplines(sender, instance, action, reverse, pk_set, **kwargs):
    """Picks changed through the ORM (the form, an admin edit, a change request applied): the
    rows 专家库's 专业领域 counts read follow, in the same transaction. From the discipline's
    side (reverse) the applications are pk_set, or, for a clear, those it had before. An add of
    picks already there, or a remove of none, changes nothing and rebuilds nothing."""
    if reverse and action == "pre_clear":
        instance.applications_before_clear = list(
            sender.objects.filter(discipline_id=instance.pk).values_list(
                "expertapplication_id", flat=True
            )
        )
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action != "post_clear" and not pk_set:
        return
    if not reverse:
        FacetDiscipline.objects.rebuild([instance.pk])
    elif action == "post_clear":
        FacetDiscipline.objects.rebuild(instance.__dict__.pop("applications_before_clear", []))
    else:
        FacetDiscipline.objects.rebuild(pk_set)


@receiver(signals.housekeeping, dispatch_uid="experts.housekeeping")
def delete_old_export_jobs(sender, now, **kwargs):
    """导出任务 rows older than EXPORT_JOB_KEEP_DAYS (None: kept for good), for housekeeping."""
    days = settings.EXPORT_JOB_KEEP_DAYS
    if days is None:
        return []
    return [("导出任务", days, exports.purge_jobs(now - datetime.timedelta(days=days)))]


@receiver(signals.housekeeping, dispatch_uid="experts.erased_sms")
def delete_sms_of_erased(sender, now, **kwargs):
    """The SMS still to send when a person's information was erased (删除个人信息 lets it go
    out first): gone once it is settled, whatever its age."""
    erased = ExpertApplication.objects.filter(erased_at__isnull=False)
    count = outbox.purge_about(erased)
    # The account's own (账号锁定).
    count += outbox.purge_about(get_user_model().objects.filter(application__in=erased))
    return [("已删除个人信息人员的短信", None, count)] if count else []


@receiver(post_delete, sender=ApplicationAttachment, dispatch_uid="experts.attachment_deleted")
def remove_attachment_file(sender, instance, **kwargs):
    """A 证明材料 row deleted (by its applicant, or with its application): its file leaves the
    private storage once that is committed, and stays if the deletion rolls back."""
    storage, name = instance.file.storage, instance.file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))
