"""三员分立 (等保 2.0): the system, security and audit administrators' groups that migration
audit 0028 ships, what each may open in admin, the admin index naming an account that holds
more than one duty (audit.separation), and the role the trail records for each."""

import datetime

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountLock, LoginAttempt, User
from accounts.permissions import BUREAU_GROUP, role_label
from audit.models import AuditEvent
from audit.separation import AUDIT_ADMINS, SECURITY_ADMINS, SYSTEM_ADMINS, mixed_duties
from tests import factories

pytestmark = pytest.mark.django_db

NOTICE = 'data-testid="duties-notice"'


def member(client, username: str, *groups: str) -> User:
    user = User.objects.create_user(username, password=factories.PASSWORD, is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=groups))
    client.force_login(user)
    return user


# Each group's pages: those it opens, and those of the other two it may not.
PAGES = {
    SYSTEM_ADMINS: ["admin:accounts_user_changelist", "admin:accounts_unit_changelist"],
    SECURITY_ADMINS: [
        "admin:accounts_accountlock_changelist",
        "admin:accounts_authenticator_changelist",
        "admin:accounts_blacklist_changelist",
    ],
    AUDIT_ADMINS: ["admin:audit_auditevent_changelist", "admin:audit_auditevent_export"],
}


@pytest.mark.parametrize("group", list(PAGES))
def test_each_administrator_opens_its_own_pages_and_none_of_the_others(client, group):
    member(client, "staff", group)

    opened = {
        name: client.get(reverse(name)).status_code == 200
        for names in PAGES.values()
        for name in names
    }

    assert opened == {name: name in PAGES[group] for names in PAGES.values() for name in names}


def test_the_audit_administrator_may_change_nothing(client):
    auditor = member(client, "auditor", AUDIT_ADMINS)
    assert sorted(auditor.get_all_permissions()) == [
        "audit.export_auditevent",
        "audit.view_auditevent",
    ]


def test_an_account_holding_two_duties_is_named_on_the_admin_index(client):
    member(client, "both", SYSTEM_ADMINS, AUDIT_ADMINS)
    member(client, "system", SYSTEM_ADMINS)
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(operator)

    page = client.get(reverse("admin:index")).content.decode()

    assert f'class="errornote" {NOTICE}>' in page
    assert "both（系统管理、审计管理）。" in page
    assert [(account.username, duties) for account, duties in mixed_duties()] == [
        ("both", ["系统管理", "审计管理"])
    ]


def test_a_duty_given_by_a_permission_of_ones_own_counts_too(client):
    security = member(client, "security", SECURITY_ADMINS)
    security.user_permissions.add(
        *Group.objects.get(name=AUDIT_ADMINS).permissions.filter(codename="view_auditevent")
    )

    assert [(a.username, duties) for a, duties in mixed_duties()] == [
        ("security", ["安全管理", "审计管理"])
    ]


def test_separate_administrators_and_superusers_are_not_named(client, django_assert_num_queries):
    for group in PAGES:
        member(client, group, group)
    User.objects.create_superuser("root", "root@example.com", factories.PASSWORD)
    auditor = User.objects.get(username=AUDIT_ADMINS)
    client.force_login(auditor)

    page = client.get(reverse("admin:index")).content.decode()

    assert NOTICE not in page
    with django_assert_num_queries(1):
        assert mixed_duties() == []


def test_only_those_who_read_the_trail_see_the_notice(client):
    member(client, "both", SYSTEM_ADMINS, SECURITY_ADMINS)
    member(client, "system", SYSTEM_ADMINS)

    page = client.get(reverse("admin:index")).content.decode()

    assert NOTICE not in page


@pytest.mark.parametrize("page", ["accountlock", "loginattempt"])
def test_only_whoever_may_unlock_is_offered_the_unlock(client, page):
    """等保 walk: anyone who could read a lock list could end the locks; 解除登录锁定 is now
    可解除登录锁定, which the security administrators hold and a reader of the lists does not."""
    from django.contrib.auth.models import Permission

    lock_lists = Permission.objects.filter(codename__in=["view_accountlock", "view_loginattempt"])
    reader = member(client, "reader")
    reader.user_permissions.add(*lock_lists)
    url = reverse(f"admin:accounts_{page}_changelist")

    lock = AccountLock.objects.create(
        username="locked",
        locked_at=timezone.now(),
        until=timezone.now() + datetime.timedelta(hours=1),
    )
    # A row in each list: admin offers no action on an empty one.
    LoginAttempt.objects.create(
        username="locked",
        ip_address="198.51.100.7",
        user_agent="",
        http_accept="",
        path_info="/login/",
        failures_since_start=5,
    )

    assert client.get(url).status_code == 200
    assert 'value="unlock"' not in client.get(url).content.decode()
    if page == "accountlock":  # a forged post of the action changes nothing
        client.post(url, {"action": "unlock", "_selected_action": [lock.pk]})
        lock.refresh_from_db()
        assert lock.active
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.UNLOCKED).exists()

    member(client, "security", SECURITY_ADMINS)
    assert 'value="unlock"' in client.get(url).content.decode()


# The role an audit row records. Each administrator's was 用户, as for any account without a
# role, which told an auditor nothing of the duty it acted in.


@pytest.mark.parametrize("group", list(PAGES))
def test_each_administrator_is_recorded_in_the_trail_as_their_group(client, group):
    administrator = member(client, "staff", group)

    client.post(reverse("accounts:logout"))

    logout = AuditEvent.objects.get(action=AuditEvent.Action.LOGOUT)
    assert (logout.actor, logout.role) == (administrator, group)


def test_the_audit_administrators_export_of_the_trail_is_recorded_as_theirs(client):
    auditor = member(client, "auditor", AUDIT_ADMINS)

    assert client.get(reverse("admin:audit_auditevent_export")).status_code == 200

    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT_AUDIT)
    assert (export.actor, export.role) == (auditor, "审计管理员")


def test_an_account_holding_two_duties_is_recorded_in_both(client):
    both = member(client, "both", AUDIT_ADMINS, SYSTEM_ADMINS)
    assert role_label(both) == "系统管理员/审计管理员"


def test_the_groups_make_no_role_without_staff_status_nor_beside_a_larger_one(client):
    """Admin, where the groups' permissions apply, does not open without 工作人员状态; a
    reviewer and a superuser keep their own role."""
    outside = member(client, "outside", SECURITY_ADMINS)
    outside.is_staff = False
    outside.save()
    reviewer = member(client, "reviewer", BUREAU_GROUP, AUDIT_ADMINS)
    root = User.objects.create_superuser("root", "root@example.com", factories.PASSWORD)
    root.groups.add(Group.objects.get(name=AUDIT_ADMINS))

    assert [
        role_label(User.objects.get(pk=account.pk)) for account in (outside, reviewer, root)
    ] == [
        "用户",
        "科技局审核员",
        "运维人员",
    ]


def test_the_role_is_read_with_the_reviewers_group_in_one_query(django_assert_num_queries):
    """role_label runs on every audited request: the 三员 groups cost no query more than
    asking whether the account is a reviewer did."""
    staff = User.objects.create_user("security", password=factories.PASSWORD, is_staff=True)
    staff.groups.add(Group.objects.get(name=SECURITY_ADMINS))
    user = ModelBackend().get_user(staff.pk)

    with django_assert_num_queries(1):
        assert role_label(user) == "安全管理员"
        assert role_label(user) == "安全管理员"
