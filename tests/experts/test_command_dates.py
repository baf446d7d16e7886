"""A dates walk: the commands' --date (send_reminders, review_confirmations,
start_confirmation_clock) takes exactly YYYY-MM-DD, tells a wrong format from a day that does
not exist, and refuses a day out of range with a usage error, before doing anything."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditEvent, Reminder
from experts.models import ApplicationStatus, ExpertApplication
from portal.dates import period_end
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus

COMMANDS = [
    ("send_reminders", "--force"),
    ("review_confirmations",),
    ("review_confirmations", "--dry-run"),
    ("start_confirmation_clock",),
]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def work(unit, reviewer):
    """Something for every command to act on, should a bad date get through: an overdue
    recommendation, a lapsed expert and one due for a reminder, as of any day."""
    waiting = factories.make_applicant(unit, S.PENDING_UNIT, name="待推荐").application
    ExpertApplication.objects.filter(pk=waiting.pk).update(due_on=datetime.date(2000, 1, 1))
    old = factories.admitted_expert(unit, reviewer, confirmed_months_ago=30)
    return old


def changes() -> tuple:
    return (
        SMSMessage.objects.count(),
        Reminder.objects.count(),
        AuditEvent.objects.count(),
        sorted(ExpertApplication.objects.values_list("status", "confirmed_at")),
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("20261207", "日期“20261207”格式不对，应为YYYY-MM-DD格式，例如2026-12-04。"),
        ("2026-12-7", "日期“2026-12-7”格式不对，应为YYYY-MM-DD格式"),
        ("２０２６-12-07", "格式不对，应为YYYY-MM-DD格式"),
        ("2026-W49-1", "格式不对，应为YYYY-MM-DD格式"),
        ("2026-02-30", "日期“2026-02-30”不存在：2026年2月只有28天。"),
        ("2024-02-30", "日期“2024-02-30”不存在：2024年2月只有29天。"),
        ("2026-13-01", "日期“2026-13-01”不存在：月份应为01至12。"),
        ("0001-01-01", "日期“0001-01-01”过早，不能早于2000-01-01。"),
        ("1999-12-31", "日期“1999-12-31”过早，不能早于2000-01-01。"),
        ("9999-12-31", "日期“9999-12-31”不能晚于"),
    ],
)
def test_a_bad_date_is_a_usage_error_and_changes_nothing(work, command, date, message):
    before = changes()
    with pytest.raises(CommandError) as refused:
        run(*command, "--date", date)
    assert "argument --date: " in str(refused.value) and message in str(refused.value)
    assert changes() == before


def test_the_first_day_of_2000_is_taken(work):
    assert "试运行" in run("review_confirmations", "--dry-run", "--date", "2000-01-01")
    assert "从2000-01-01起算" in run(
        "start_confirmation_clock", "--dry-run", "--date", "2000-01-01"
    )


def test_a_rehearsal_may_be_dated_up_to_a_year_ahead_and_no_further(work):
    """年度确认's --dry-run may be dated ahead, by a year at most: 9999-12-31 once texted every
    unit that all its work was overdue."""
    year_on = period_end(timezone.localdate(), years=1)  # 29 February: the next 28th
    assert "试运行" in run("review_confirmations", "--dry-run", "--date", year_on.isoformat())
    after = (year_on + datetime.timedelta(days=1)).isoformat()
    with pytest.raises(CommandError) as refused:
        run("review_confirmations", "--dry-run", "--date", after)
    assert str(refused.value).endswith(f"日期“{after}”不能晚于一年后（{year_on}）。")


def test_the_reminders_are_never_sent_for_a_coming_day(work):
    """A second read of the diff: a run dated ahead texted units of items not yet overdue, and
    recorded the reminder for that day, so that day's own run sent nothing. --date is for
    catching up a day missed (补发)."""
    today = timezone.localdate()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    with pytest.raises(CommandError) as refused:
        run("send_reminders", "--force", "--date", tomorrow)
    assert str(refused.value).endswith(f"日期“{tomorrow}”不能晚于今天（{today}）。")
    assert SMSMessage.objects.count() == 0


def test_the_clock_is_never_started_on_a_coming_day(work):
    today = timezone.localdate()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    with pytest.raises(CommandError) as refused:
        run("start_confirmation_clock", "--date", tomorrow)
    assert str(refused.value).endswith(f"日期“{tomorrow}”不能晚于今天（{today}）。")
    assert f"从{today}起算" in run("start_confirmation_clock", "--dry-run", "--date", str(today))
