"""What changes does when experts tells it something (experts.signals)."""

from django.dispatch import receiver

from changes import services
from experts.models import ExpertApplication
from experts.signals import exit_requested


@receiver(exit_requested, sender=ExpertApplication)
def withdraw_on_exit(sender, application, actor, **kwargs):
    # A request left open would wait in the unit's and the bureau's lists for an expert who
    # is leaving, and could never be applied (an application not 审核通过 takes no change).
    services.withdraw_for_exit(application, actor)
