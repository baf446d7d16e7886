"""三员分立 (等保 2.0): the system, security and audit administrators are three people, none of
whom holds another's duty; a superuser is for break-glass only (docs/security.md). Migration
audit 0028 ships a group for each; this module says which permissions make each duty, and finds
the accounts that hold more than one, which the admin index names."""

from itertools import combinations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, QuerySet

SYSTEM_ADMINS = "系统管理员"
SECURITY_ADMINS = "安全管理员"
AUDIT_ADMINS = "审计管理员"

# What makes each duty: a permission that changes accounts, undoes a security measure, or
# reads the trail. The view permissions the groups also carry (用户, 单位 …) mix no duties.
DUTIES: dict[str, tuple[str, ...]] = {
    "系统管理": (
        "accounts.add_user",
        "accounts.change_user",
        "accounts.delete_user",
        "auth.add_group",
        "auth.change_group",
        "auth.delete_group",
    ),
    "安全管理": (
        "accounts.unlock_account",
        "accounts.delete_authenticator",
        "accounts.change_blacklist",
    ),
    "审计管理": ("audit.view_auditevent", "audit.export_auditevent"),
}


def permissions(labels: tuple[str, ...]) -> QuerySet:
    """The Permission rows of "app_label.codename" labels."""
    query = Q(pk__in=[])
    for label in labels:
        app_label, codename = label.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(query)


def mixed_duties() -> list[tuple[object, list[str]]]:
    """Active accounts other than superusers holding permissions of two duties or more, given
    to them or through a group, each with the duties it holds (one query)."""
    User = get_user_model()
    user = OuterRef("pk")
    holds = {
        duty: Exists(
            User.objects.filter(pk=user).filter(
                Q(user_permissions__in=permissions(labels))
                | Q(groups__permissions__in=permissions(labels))
            )
        )
        for duty, labels in DUTIES.items()
    }
    # Annotations under ASCII names; the duties' own names in the answer.
    keys = {f"duty{i}": duty for i, duty in enumerate(holds)}
    two_or_more = Q(pk__in=[])
    for first, second in combinations(keys, 2):
        two_or_more |= Q(**{first: True, second: True})
    rows = (
        User.objects.filter(is_active=True, is_superuser=False)
        .annotate(**{key: holds[duty] for key, duty in keys.items()})
        .filter(two_or_more)
        .order_by("username")
    )
    return [
        (account, [duty for key, duty in keys.items() if getattr(account, key)]) for account in rows
    ]
