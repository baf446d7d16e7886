"""The user each request loads, with what every page then asks about them, in one query."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.permissions import BUREAU_GROUP


class PortalBackend(ModelBackend):
    """ModelBackend, but the session's user comes with their unit (is it switched off?),
    whether they are in the reviewers' group and whether they enrolled an authenticator:
    one query where the middleware, the navigation and the permission checks made up to four.
    accounts.permissions reads the two flags from the attributes it caches them in."""

    def get_user(self, user_id):
        user = (
            get_user_model()
            .objects.select_related("unit")
            .annotate(
                in_bureau_group=Exists(
                    Group.objects.filter(user=OuterRef("pk"), name=BUREAU_GROUP)
                ),
                enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            )
            .filter(pk=user_id)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        user._is_bureau_reviewer = user.in_bureau_group
        user._has_second_factor = user.enrolled
        return user
