"""Issue 21, item 2: each waiting row carries the day its step is due, set and cleared by the
transitions (portal.deadlines), in Chinese working days."""

import datetime

import pytest
from django.core.management import CommandError
from django.utils import timezone

from accounts import services as unit_services
from accounts.models import Unit, UnitStatus
from experts import services
from experts.models import ApplicationStatus, ExpertApplication, ReasonCode
from portal import deadlines
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus
D = datetime.date


def at(day: D, hour=10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_due_dates_count_chinese_working_days(settings):
    settings.UNIT_REVIEW_WORKING_DAYS = 5
    settings.BUREAU_REVIEW_WORKING_DAYS = 10
    # Friday 25 Sep 2026: 28, 29, 30 Sep, then 1–7 Oct off, 8 and 9 Oct → due Fri 9 Oct.
    assert deadlines.recommendation_due(at(D(2026, 9, 25))) == D(2026, 10, 9)
    # Sat 10 Oct, a make-up working day, counts: 10, 12–16, 19–22 Oct (23 Oct without it).
    assert deadlines.decision_due(D(2026, 10, 9)) == D(2026, 10, 22)
    assert deadlines.registration_due(at(D(2026, 12, 4))) == D(2026, 12, 8)
    # Late in the evening is still that day on the local calendar (Asia/Shanghai).
    late = timezone.make_aware(datetime.datetime(2026, 12, 4, 23, 30))
    assert deadlines.registration_due(late) == D(2026, 12, 8)


def test_the_settings_come_from_the_environment(settings):
    settings.UNIT_REVIEW_WORKING_DAYS = 1
    assert deadlines.recommendation_due(D(2026, 12, 4)) == D(2026, 12, 7)


def test_overdue_from_the_day_after_the_due_date():
    assert not deadlines.is_overdue(D(2026, 12, 4), today=D(2026, 12, 4))
    assert deadlines.is_overdue(D(2026, 12, 3), today=D(2026, 12, 4))
    assert not deadlines.is_overdue(None, today=D(2026, 12, 4))


def due(application) -> D | None:
    return ExpertApplication.objects.values_list("due_on", flat=True).get(pk=application.pk)


def test_an_application_is_due_while_it_waits_and_not_after():
    unit = factories.make_unit()
    owner = factories.make_applicant(unit)
    application = owner.application
    assert due(application) is None
    services.submit_application(application, owner)
    assert due(application) == deadlines.recommendation_due()
    services.recommend_application(application, factories.unit_account(unit))
    assert due(application) == deadlines.decision_due()
    services.approve_application(application, factories.make_reviewer())
    assert due(application) is None


@pytest.mark.parametrize("decision", ["send_back", "reject"])
def test_a_returned_or_rejected_application_is_due_no_more(decision):
    unit = factories.make_unit()
    status = S.PENDING_UNIT if decision == "send_back" else S.PENDING_BUREAU
    application = factories.make_applicant(unit, status).application
    assert due(application) is not None
    code = ReasonCode.objects.filter(active=True, requires_text=False).first()
    if decision == "send_back":
        services.return_application(application, factories.unit_account(unit), codes=[code])
    else:
        services.reject_application(application, factories.make_reviewer(), codes=[code])
    assert due(application) is None


def test_a_unit_is_due_two_working_days_after_it_registers_and_after_it_resubmits():
    unit = Unit(
        name="截止日期测试单位",
        credit_code=factories.credit_code(),
        nature="university",
        district="洪山区",
        address="武汉市洪山区珞喻路1号",
        contact_name="李华",
        contact_mobile="+8613900139000",
        email="due@example.com",
        licence=factories.licence_upload(),
    )
    account = unit_services.register_unit(unit, username="due_unit", password="Pass#2026word")
    assert Unit.objects.get(pk=unit.pk).due_on == deadlines.registration_due()
    reviewer = factories.make_reviewer()
    unit_services.reject_unit(unit, reviewer, "执照不清晰")
    assert Unit.objects.get(pk=unit.pk).due_on is None
    unit_services.resubmit_unit(Unit.objects.get(pk=unit.pk), account, [])
    resubmitted = Unit.objects.get(pk=unit.pk)
    assert resubmitted.status == UnitStatus.PENDING
    assert resubmitted.due_on == deadlines.registration_due()
    unit_services.approve_unit(resubmitted, reviewer)
    assert Unit.objects.get(pk=unit.pk).due_on is None


def test_recompute_deadlines_moves_the_due_dates_set_on_an_older_calendar(settings):
    """docs/deployment.md, each December: due dates stored on the Monday-to-Friday fallback
    (here: as if National Day 2026 were unknown) are moved once the calendar knows better."""
    from io import StringIO

    from django.core.management import call_command

    from experts import counts

    settings.UNIT_REVIEW_WORKING_DAYS = 5
    settings.BUREAU_REVIEW_WORKING_DAYS = 10
    unit = factories.make_unit()
    waiting = ExpertApplication.objects.get(
        user=factories.make_applicant(unit, S.PENDING_BUREAU, name="待审专家")
    )
    submitted = ExpertApplication.objects.get(
        user=factories.make_applicant(unit, S.PENDING_UNIT, name="待推专家")
    )
    decided = ExpertApplication.objects.get(
        user=factories.make_applicant(unit, S.APPROVED, name="已通过专家")
    )
    registering = factories.make_unit(UnitStatus.PENDING, name="待审单位")
    # Stored as Monday to Friday would have them: 10 days from Fri 25 Sep → Fri 9 Oct.
    ExpertApplication.objects.filter(pk=waiting.pk).update(
        recommended_at=at(D(2026, 9, 25)), due_on=D(2026, 10, 9)
    )
    ExpertApplication.objects.filter(pk=submitted.pk).update(
        submitted_at=at(D(2026, 9, 25)), due_on=D(2026, 10, 2)
    )
    Unit.objects.filter(pk=registering.pk).update(
        submitted_at=at(D(2026, 9, 29)), due_on=D(2026, 10, 1)
    )
    counts.recount()

    dry = StringIO()
    call_command("recompute_deadlines", "--dry-run", "--year", "2026", stdout=dry)
    assert "将变更截止日期：专家申请2条，单位注册1条" in dry.getvalue()
    waiting.refresh_from_db()
    assert waiting.due_on == D(2026, 10, 9)  # a dry run writes nothing

    out = StringIO()
    call_command("recompute_deadlines", "--year", "2026", stdout=out)
    assert "已变更截止日期：专家申请2条，单位注册1条，信息变更0条。" in out.getvalue()
    waiting.refresh_from_db()
    submitted.refresh_from_db()
    registering.refresh_from_db()
    decided.refresh_from_db()
    assert waiting.due_on == D(2026, 10, 15)  # 28–30 Sep, 8–9 Oct, Sat 10 Oct, 12–15 Oct
    assert submitted.due_on == D(2026, 10, 9)
    assert registering.due_on == D(2026, 10, 8)  # 30 Sep, then 8 Oct after the holiday
    assert decided.due_on is None
    # The kept 已超期 counts follow: on 15 Oct only the recommendation is overdue now.
    assert counts.overdue([S.PENDING_UNIT, S.PENDING_BUREAU], D(2026, 10, 15)) == {
        S.PENDING_UNIT: 1
    }
    again = StringIO()
    call_command("recompute_deadlines", "--year", "2026", stdout=again)
    assert "已变更截止日期：专家申请0条，单位注册0条" in again.getvalue()


def test_recompute_deadlines_leaves_due_dates_before_the_year_it_is_given(settings):
    """A second read of the diff: run each December, it re-applied today's working-day settings
    to every waiting item, though a change of them applies to items that start waiting
    afterwards (.env.example). A due date before the year the calendar has just learnt was
    counted on known days: it stays as it was set."""
    from io import StringIO

    from django.core.management import call_command

    settings.BUREAU_REVIEW_WORKING_DAYS = 15  # changed since the dates below were set
    unit = factories.make_unit()
    earlier = ExpertApplication.objects.get(user=factories.make_applicant(unit, S.PENDING_BUREAU))
    ExpertApplication.objects.filter(pk=earlier.pk).update(
        recommended_at=at(D(2025, 11, 3)),
        due_on=D(2025, 11, 17),  # 10 days, as set then
    )
    out = StringIO()
    call_command("recompute_deadlines", "--year", "2026", stdout=out)
    assert "检查截止日期在2026年及以后的待审核事项" in out.getvalue()
    earlier.refresh_from_db()
    assert earlier.due_on == D(2025, 11, 17)
    call_command("recompute_deadlines", "--year", "2025", stdout=out)
    earlier.refresh_from_db()
    assert earlier.due_on == D(2025, 11, 24)  # 15 working days from 3 November 2025
    with pytest.raises(CommandError, match="年份1999无效"):
        call_command("recompute_deadlines", "--year", "1999")
