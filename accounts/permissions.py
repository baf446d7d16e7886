"""Small named predicates about who a user is, shared by views, templates and FSM permissions.

This module imports no models at load time: accounts.models uses it in its transitions.
"""

from django.contrib.auth.models import AnonymousUser

from accounts.choices import UnitStatus, UserKind
from audit.separation import AUDIT_ADMINS, SECURITY_ADMINS, SYSTEM_ADMINS

BUREAU_GROUP = "科技局审核员"

# The 三员分立 groups, in the order a role holding several of them names them.
ADMINISTRATOR_GROUPS = (SYSTEM_ADMINS, SECURITY_ADMINS, AUDIT_ADMINS)


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_bureau_reviewer(user) -> bool:
    """Bureau staff in the reviewers' group; operators (superusers) act as reviewers too."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return user.in_bureau_group


def is_applicant(user) -> bool:
    return _active(user) and user.kind == UserKind.APPLICANT and user.unit_id is not None


def is_unit_account(user) -> bool:
    return _active(user) and user.kind == UserKind.UNIT and user.unit_id is not None


def is_unit_account_of(user, unit) -> bool:
    return is_unit_account(user) and user.unit_id == unit.pk


def is_approved_unit_account(user) -> bool:
    return is_unit_account(user) and user.unit.status == UnitStatus.APPROVED


# Said on the 403 page to a unit not yet approved at an approved unit's address (a bookmark, a
# typed URL): where it stands, not a bare 无权访问.
UNIT_NOT_APPROVED = "单位注册尚未通过市科技局审核，通过后才能使用此功能。"


# The manual: "审核通过后需登录系统点击‘信息更改’完善单位信息，并点击‘保存’" — before a unit
# recommends, returns or confirms anyone (experts.services, changes.services).
UNIT_PROFILE_NEEDED = (
    "请先点击“信息更改”完善单位信息（法定代表人、单位电话）并保存，再办理推荐、退回或确认。"
)


def lacks_unit_profile(user) -> bool:
    """A unit account whose unit has not completed 信息更改 yet (Unit.profile_complete)."""
    return is_unit_account(user) and not user.unit.profile_complete


# Who a history row names when no person acted: a daily command (e.g. 冻结 after 24 months
# without a yearly confirmation).
SYSTEM_ROLE = "系统"


def administrator_groups(user) -> list[str]:
    """The 三员分立 groups a staff account acts in, in ADMINISTRATOR_GROUPS' order (several
    only for an account the admin index names for holding more than one duty). None without
    工作人员状态: admin, where their permissions apply, does not open to such an account."""
    if not _active(user) or not user.is_staff:
        return []
    return [name for name in ADMINISTRATOR_GROUPS if name in user.group_names]


def role_label(user) -> str:
    """The role a person acts in, as recorded in history rows and audit rows and shown in the
    header. A 三员分立 administrator is named by their group, so that an auditor reads who acted
    in which duty; the groups are read with in_bureau_group's, in the same query."""
    if isinstance(user, AnonymousUser) or not _active(user):
        return "访客"
    if is_bureau_reviewer(user):
        return "运维人员" if user.is_superuser else "科技局审核员"
    if is_unit_account(user):
        return "单位账号"
    if is_applicant(user):
        return "申请人"
    if administrators := administrator_groups(user):
        return "/".join(administrators)
    return "用户"


def second_factor_by_role(user) -> bool:
    """Reviewers and operators must use a second factor (MLPS level 3); for anyone else it is
    their choice."""
    return is_bureau_reviewer(user) or user.is_staff


def requires_second_factor(user) -> bool:
    """Reviewers and operators must use a second factor; anyone else who enrolled one
    voluntarily is held to it too."""
    if not _active(user):
        return False
    if second_factor_by_role(user):
        return True
    return user.has_confirmed_device
