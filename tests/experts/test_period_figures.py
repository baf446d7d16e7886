"""The figures of 年度确认 (12, 11 and 24 months) in what people are told come from
experts.periods: a bureau that changes a period changes every message that names it."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from changes.services import withdrawn_on_leaving
from experts import lifecycle, periods, services
from experts.management.commands.review_confirmations import Command
from experts.models import ApplicationStatus, ExpertApplication
from portal.dates import anniversary, chinese_date
from portal.templating import day
from portal.workflow import WorkflowError
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus


def admitted(unit, reviewer, confirmed_months_ago, days_more=1):
    """An expert last confirmed that long ago (a day more by default)."""
    return factories.admitted_expert(unit, reviewer, confirmed_months_ago, days_more)


@pytest.fixture
def three_years(monkeypatch):
    """A bureau that freezes after 36 months instead of 24."""
    monkeypatch.setattr(periods, "FREEZE_AFTER_MONTHS", 36)


def test_the_freeze_message_follows_the_freeze_period(three_years, client, unit, reviewer):
    lapsed = admitted(unit, reviewer, confirmed_months_ago=36)
    still_in = admitted(unit, reviewer, confirmed_months_ago=25)

    assert lifecycle.run() == {"frozen": 1, "reminded": 1}

    freeze_sms = SMSMessage.objects.get(to=lapsed.mobile).body
    assert "您的专家信息已满36个月未确认，已被冻结" in freeze_sms
    reminder = SMSMessage.objects.get(to=still_in.mobile).body
    assert "满36个月未确认将被冻结" in reminder
    assert "24个月" not in freeze_sms + reminder
    assert withdrawn_on_leaving("freeze") == (
        "专家信息满36个月未确认，已被冻结，未办结的信息变更申请随之撤回。"
    )


def test_the_pages_follow_the_freeze_period(three_years, client, unit, reviewer):
    lapsed = admitted(unit, reviewer, confirmed_months_ago=36)
    due = admitted(unit, reviewer, confirmed_months_ago=25)
    lifecycle.run()

    client.force_login(lapsed.user)
    frozen_home = client.get(reverse("experts:home")).content.decode()
    client.force_login(due.user)
    due_home = client.get(reverse("experts:home")).content.decode()
    client.force_login(reviewer)
    pool = client.get(reverse("experts:pool"), {"status": "frozen"}).content.decode()
    services.request_unfreeze(ExpertApplication.objects.get(pk=lapsed.pk), lapsed.user)
    detail = client.get(reverse("experts:bureau_detail", args=[lapsed.pk])).content.decode()

    assert "您的专家信息已满36个月未确认，已被冻结" in frozen_home
    assert "满36个月未确认将被冻结" in due_home
    assert "已冻结：满36个月未确认信息" in pool
    assert "以下专家满36个月未确认信息" in pool
    assert "因满36个月未确认信息被冻结" in detail  # frozen on the day the months are full
    for page in (frozen_home, due_home, pool, detail):
        assert "24个月" not in page


def test_the_refusal_to_withdraw_an_exit_follows_the_freeze_period(three_years, unit, reviewer):
    application = admitted(unit, reviewer, confirmed_months_ago=36)
    lifecycle.run()
    services.request_exit(application, application.user)
    with pytest.raises(WorkflowError, match="已满36个月未确认，不能撤回退出申请"):
        services.withdraw_exit(application, application.user)


def test_the_confirmation_messages_follow_the_confirmation_period(
    monkeypatch, client, unit, reviewer
):
    monkeypatch.setattr(periods, "CONFIRM_EVERY_MONTHS", 6)
    monkeypatch.setattr(periods, "REMIND_AFTER_MONTHS", 5)
    due = admitted(unit, reviewer, confirmed_months_ago=5)
    late = admitted(unit, reviewer, confirmed_months_ago=7)

    assert lifecycle.run()["reminded"] == 2
    client.force_login(due.user)
    confirmed = client.post(reverse("experts:applicant_act", args=["confirm"]), follow=True)

    due_by = chinese_date(anniversary(timezone.localdate(due.confirmed_at), months=6))
    late_by = chinese_date(anniversary(timezone.localdate(late.confirmed_at), months=24))
    assert f"已满5个月，请于{due_by}前登录系统确认" in SMSMessage.objects.get(to=due.mobile).body
    assert f"已满7个月，请于{late_by}前登录系统确认" in SMSMessage.objects.get(to=late.mobile).body
    page = confirmed.content.decode()
    assert "已确认您的专家信息，下次请在6个月内确认。" in page
    assert "请每6个月至少确认一次专家信息" in page
    # Not due for months: said so, with the day (an expert's-year walk was offered the button
    # on the day of admission with no hint it was not needed yet).
    next_by = day(anniversary(timezone.localdate(), months=6))
    assert f"现在无需确认；{next_by}前确认即可，届时本页和短信会提醒您。" in page
    assert "12个月" not in page


def test_the_commands_help_follows_the_periods(monkeypatch, capsys):
    monkeypatch.setattr(periods, "REMIND_AFTER_MONTHS", 5)
    monkeypatch.setattr(periods, "FREEZE_AFTER_MONTHS", 36)
    assert Command().help.startswith("年度确认：满5个月未确认的专家发送短信提醒，满36个月")
    with pytest.raises(SystemExit):
        call_command("review_confirmations", "--help")
    assert "满36个月未确认的专家冻结" in capsys.readouterr().out
