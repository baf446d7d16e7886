"""Whether a certificate is in force: the ONE place that decides 有效 / 已失效."""

import datetime

from django.utils import timezone

from certificates.models import Certificate
from experts.models import ApplicationStatus


def is_valid(certificate: Certificate, today: datetime.date | None = None) -> bool:
    """有效 while its expert is still 审核通过 and today is within its validity period.

    Any state an expert leaves 审核通过 for (审核不通过 after a reversed 公示, and the frozen,
    exited and blacklisted states the lifecycle adds) makes it 已失效, with no change here."""
    today = today or timezone.localdate()
    return (
        certificate.application.status == ApplicationStatus.APPROVED
        and today <= certificate.valid_until
    )
