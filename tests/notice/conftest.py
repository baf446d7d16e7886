import datetime

import pytest
from django.utils import timezone

from experts.models import ApplicationStatus, ExpertApplication
from experts.services import approve_application
from notice import periods
from tests import factories


def approved(unit, name, decided_at=None):
    """An applicant approved at `decided_at` (default: now)."""
    user = factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
    if decided_at is not None:
        ExpertApplication.objects.filter(pk=user.application.pk).update(decided_at=decided_at)
        user.application.refresh_from_db()
    return user


def before_the_period():
    """A decision time one minute before the first day still on notice today."""
    first = periods.first_decision_day(timezone.localdate())
    return periods.start_of(first) - datetime.timedelta(minutes=1)


@pytest.fixture
def approve(django_capture_on_commit_callbacks):
    """Approve through the service, running what waits for the commit (the list's renewal)."""

    def run(user, reviewer):
        with django_capture_on_commit_callbacks(execute=True):
            approve_application(user.application, reviewer)

    return run
