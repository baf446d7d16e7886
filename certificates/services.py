"""Issuing a 入库证明: the one place a Certificate row is written."""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from certificates.codes import new_code
from certificates.models import Certificate
from certificates.rules import details_indexes
from experts.models import ApplicationStatus, ExpertApplication
from notice import periods as notice_periods
from portal.dates import anniversary

# A fresh code collides with an existing one about once in 2^59 / n draws: one retry is plenty,
# three make a second collision in a row impossible in practice.
CODE_ATTEMPTS = 3


class NotAdmitted(Exception):
    """The application is not 审核通过: there is nothing to certify."""


class OnNotice(Exception):
    """The admission is still on 公示 and may yet be reversed on an objection: its certificate
    is issued once the 公示期 is over (`ends`, its last day)."""

    def __init__(self, ends: datetime.date):
        super().__init__(ends)
        self.ends = ends


def valid_until(admitted_at: datetime.datetime, on: datetime.date | None = None) -> datetime.date:
    """The last day of the term (聘期) of CERTIFICATE_VALID_YEARS years from the admission that
    `on` (today) falls in: the day before the admission's 3rd anniversary in the first term
    (admitted 2026-03-10: 2029-03-09), the day before its 6th in the second, and so on. An
    expert still 审核通过 after a term (kept in the pool by 年度确认) is certified for the term
    they are in; a certificate of a past term reads 已超过有效期. A 29 February admission's
    anniversary in a common year is 1 March (portal.dates), so it runs to 28 February."""
    admitted = timezone.localdate(admitted_at)
    on = on or timezone.localdate()
    years = settings.CERTIFICATE_VALID_YEARS
    term = 1
    while (last := anniversary(admitted, years=term * years) - datetime.timedelta(days=1)) < on:
        term += 1
    return last


def certificate_for(application: ExpertApplication) -> Certificate:
    """The certificate of the application's current admission, term and details, issued on the
    first call: after a 信息变更 (name, unit, 专业领域), or in a new term, a new one with a new
    code.

    Side effect: at most one Certificate row per admission, term and details (two downloads at
    once meet the unique constraint, and the second returns the first's row). Raises
    NotAdmitted unless the application is 审核通过, and OnNotice while its 公示期 runs."""
    if application.status != ApplicationStatus.APPROVED or application.decided_at is None:
        raise NotAdmitted
    notice = notice_periods.running(application.decided_at)
    if notice is not None:
        raise OnNotice(notice.ends)
    # The current key's first; one issued before a rotation of FIELD_HMAC_KEY, under an old
    # key, is still this admission's and details' certificate.
    current, *old = details_indexes(application)
    admission = {
        "application": application,
        "admitted_at": application.decided_at,
        "valid_until": valid_until(application.decided_at),
        "details_index": current,
    }
    issued = Certificate.objects.filter(
        application=application,
        admitted_at=application.decided_at,
        valid_until=admission["valid_until"],
        details_index__in=[current, *old],
    )
    for _ in range(CODE_ATTEMPTS):
        existing = issued.first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return Certificate.objects.create(**admission, code=new_code())
        except IntegrityError:
            continue  # issued meanwhile by another request, or (rarely) the code was taken
    raise IntegrityError("no free verification code after several attempts")
