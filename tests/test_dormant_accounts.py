"""等保 2.0 访问控制 (及时删除或停用多余的、过期的账户): the admin index names the staff accounts
nobody has used for 90 days, to whoever may switch them off (accounts.dormant)."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.dormant import dormant_staff
from accounts.models import User
from accounts.permissions import BUREAU_GROUP
from tests import factories

pytestmark = pytest.mark.django_db

NOTICE = 'data-testid="dormant-notice"'


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def account(username, *, last_login_days=None, joined_days=200, **fields) -> User:
    user = User.objects.create_user(username, password=factories.PASSWORD, **fields)
    User.objects.filter(pk=user.pk).update(
        date_joined=days_ago(joined_days),
        last_login=None if last_login_days is None else days_ago(last_login_days),
    )
    return user


@pytest.fixture
def accounts(unit):
    reviewers = Group.objects.get_or_create(name=BUREAU_GROUP)[0]
    account("gone_reviewer", last_login_days=100).groups.add(reviewers)
    account("never_staff", is_staff=True)
    account("recent_reviewer", last_login_days=10).groups.add(reviewers)
    account("new_staff", is_staff=True, joined_days=5)
    account("left_staff", is_staff=True, last_login_days=300, is_active=False)
    idle_applicant = factories.make_applicant(unit)
    User.objects.filter(pk=idle_applicant.pk).update(last_login=days_ago(400))


def test_idle_staff_and_reviewers_are_listed_longest_idle_first(accounts):
    assert [user.username for user in dormant_staff()] == ["never_staff", "gone_reviewer"]


def test_the_admin_index_names_them_to_whoever_manages_users(client, accounts):
    operator = User.objects.create_superuser("op", "op@example.com", factories.PASSWORD)
    client.force_login(operator)

    page = client.get(reverse("admin:index")).content.decode()

    assert NOTICE in page
    assert "gone_reviewer（上次登录 " in page and "never_staff（从未登录）" in page
    for active_or_gone in ("recent_reviewer", "new_staff", "left_staff", "op（"):
        assert active_or_gone not in page


def test_staff_who_cannot_change_users_are_not_shown_the_list(client, accounts):
    auditor = User.objects.create_user("auditor", password=factories.PASSWORD, is_staff=True)
    auditor.groups.add(Group.objects.get(name="审计管理员"))
    client.force_login(auditor)

    assert NOTICE not in client.get(reverse("admin:index")).content.decode()
