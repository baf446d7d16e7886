"""An approval or a reversal changes the public list: once it commits, the list's cached rows
are left behind (notice.selectors.forget_rows)."""

from django.db import transaction
from django.dispatch import receiver
from django_fsm.signals import post_transition

from experts.models import ApplicationStatus, ExpertApplication
from notice.selectors import forget_rows


@receiver(post_transition, sender=ExpertApplication)
def renew_public_list(sender, instance, name, source, target, **kwargs):
    if ApplicationStatus.APPROVED in (source, target):
        transaction.on_commit(forget_rows)
