"""三员分立 (等保 2.0): the system, security and audit administrators' groups that migration
audit 0028 ships, what each may open in admin, and the admin index naming an account that
holds more than one duty (audit.separation)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import User
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
