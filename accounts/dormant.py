"""Staff accounts nobody has used for a while (等保 2.0 访问控制: 及时删除或停用多余的、过期的
账户): reviewers, operators and other staff who have not signed in for DORMANT_DAYS, or never
since their account was made that long ago. The admin index names them for whoever manages
users, who decides: a reviewer on leave keeps the account, one who left the bureau does not
(uncheck 有效)."""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone

from accounts.permissions import BUREAU_GROUP

DORMANT_DAYS = 90


def dormant_staff(now: datetime.datetime | None = None) -> list:
    """Active staff, superusers and bureau reviewers idle for DORMANT_DAYS, longest idle
    first (one query)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=DORMANT_DAYS)
    privileged = Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name=BUREAU_GROUP)
    idle = Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    return list(
        get_user_model()
        .objects.filter(privileged, idle, is_active=True)
        .distinct()
        .only("username", "real_name", "last_login", "date_joined")
        # Never signed in first: the longest idle.
        .order_by(F("last_login").asc(nulls_first=True), "date_joined", "pk")
    )
