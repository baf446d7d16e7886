"""What changes does when experts tells it something (experts.signals)."""

from django.dispatch import receiver

from changes import services
from experts.models import ExpertApplication
from experts.signals import left_pool


@receiver(left_pool, sender=ExpertApplication)
def close_on_leaving(sender, application, actor, action, **kwargs):
    # A request left open would wait in the unit's and the bureau's lists for an expert who
    # is out of the pool, and could never be applied (an application not 审核通过 takes no
    # change).
    services.close_on_leaving(application, actor, action)
