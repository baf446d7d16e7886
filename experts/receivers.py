"""What experts does when an account or a unit changes: receivers of accounts' signals
(accounts.signals), connected in ExpertsConfig.ready. They run in the sender's transaction."""

from django.core.exceptions import ValidationError
from django.dispatch import receiver

from accounts import signals
from experts import search
from experts.models import IN_REVIEW, ExpertApplication
from experts.services import open_application


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


@receiver(signals.applicant_moving, dispatch_uid="experts.applicant_moving")
def refuse_moving_an_application_under_review(sender, user, unit, **kwargs):
    """Never while under review: the application would land in another unit's queue
    mid-decision."""
    application = ExpertApplication.objects.filter(user=user).only("status").first()
    if application is not None and application.status in IN_REVIEW:
        raise ValidationError(
            f"该申请人的专家状态为「{application.get_status_display()}」，审核完成前不能更换单位。"
        )
