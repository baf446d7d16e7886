"""What an operator may change in admin, and how it reads (found by a walk through admin): a
ban only ends earlier, reason codes and eligibility rules are not doubled, a unit's contact
mobile is masked like a person's, the password pages speak of the portal's one way in, and
pages return where the operator came from."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from accounts.models import Blacklist, User
from audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return user


@pytest.fixture
def ban(reviewer):
    return Blacklist.objects.create(
        id_number_index="x" * 64,
        name="张三",
        until=datetime.date(2027, 6, 30),
        reason="出库（清退）：严重违反评审纪律",
        created_by=reviewer,
    )


def save_ban(client, ban, until: str, reason: str = "改写的理由"):
    url = reverse("admin:accounts_blacklist_change", args=[ban.pk])
    return client.post(url, {"until": until, "reason": reason})


def test_a_ban_is_not_moved_later(client, operator, ban):
    response = save_ban(client, ban, "2030-01-01")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["until"] == [
        "禁入截止日期只能提前，不能推后。原截止日期为2027-06-30。"
    ]
    assert Blacklist.objects.get(pk=ban.pk).until == datetime.date(2027, 6, 30)


def test_a_ban_is_not_made_for_good(client, operator, ban):
    response = save_ban(client, ban, "")

    assert response.context["adminform"].form.errors["until"] == [
        "禁入截止日期不能清空（清空即改为永久禁入）。原截止日期为2027-06-30，只能提前。"
    ]
    assert Blacklist.objects.get(pk=ban.pk).until == datetime.date(2027, 6, 30)


def test_a_ban_ends_earlier_its_reason_kept_and_the_audit_says_from_which_date(
    client, operator, ban
):
    response = save_ban(client, ban, "2026-12-31")

    assert response.status_code == 302
    saved = Blacklist.objects.get(pk=ban.pk)
    assert (saved.until, saved.reason) == (datetime.date(2026, 12, 31), ban.reason)
    message = "禁入截止日期由2027-06-30改为2026-12-31"
    assert LogEntry.objects.get().get_change_message() == message
    event = AuditEvent.objects.get(action=AuditEvent.Action.ADMIN_CHANGE)
    assert event.detail.endswith(f"：{message}")


def test_a_ban_for_good_may_be_given_an_end(client, operator, ban):
    Blacklist.objects.filter(pk=ban.pk).update(until=None)

    save_ban(client, ban, "2026-12-31")

    assert Blacklist.objects.get(pk=ban.pk).until == datetime.date(2026, 12, 31)
    assert LogEntry.objects.get().get_change_message() == "禁入截止日期由永久改为2026-12-31"


def test_a_ban_is_not_deleted_in_admin(client, operator, ban):
    client.post(reverse("admin:accounts_blacklist_delete", args=[ban.pk]), {"post": "yes"})

    assert Blacklist.objects.filter(pk=ban.pk).exists()


def test_the_blacklist_shows_and_filters_which_bans_are_in_force(client, operator, ban, reviewer):
    today = timezone.localdate()
    for name, until in [("李四", today), ("王五", today - datetime.timedelta(days=1))]:
        Blacklist.objects.create(
            id_number_index=name, name=name, until=until, reason="出库", created_by=reviewer
        )
    url = reverse("admin:accounts_blacklist_changelist")

    def names(**query):
        return sorted(entry.name for entry in client.get(url, query).context["cl"].result_list)

    assert (names(in_force="1"), names(in_force="0")) == (["张三", "李四"], ["王五"])
    html = client.get(url).content.decode()
    assert html.count('<td class="field-state">生效中</td>') == 2
    assert html.count('<td class="field-state">已结束</td>') == 1
