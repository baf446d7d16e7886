"""Issue 21, item 2: each waiting row carries the day its step is due, set and cleared by the
transitions (portal.deadlines), in Chinese working days."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts import services as unit_services
from accounts.models import Unit, UnitStatus
from audit.models import AuditEvent
from experts import counts, due_dates, services
from experts.models import ApplicationStatus, ExpertApplication, ReasonCode
from portal import deadlines, workdays
from tests import factories
from tests.factories import known_until

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
    """docs/deployment.md, each December: due dates in the next year set on the fallback (here:
    in December 2025, when the calendar knew 2025 at most) move once the calendar knows 2026,
    by exactly the holidays and make-up days learnt: each keeps the working days it was given,
    whatever the settings say now."""
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
    settings.UNIT_REVIEW_WORKING_DAYS = 1
    settings.BUREAU_REVIEW_WORKING_DAYS = 45
    with known_until(2025):
        # The fallback for 2026: 元旦 Thu 1 Jan only, 春节 16–19 Feb (除夕 to 初三); not the
        # announced 1–3 Jan with Sun 4 Jan worked, nor 15–23 Feb with Sat 14 and 28 Feb worked.
        decision = deadlines.decision_due(D(2025, 12, 18))
        recommendation = deadlines.recommendation_due(D(2025, 12, 31))
        registration = deadlines.registration_due(D(2025, 12, 30))
    assert (decision, recommendation, registration) == (
        D(2026, 2, 26),
        D(2026, 1, 2),
        D(2026, 1, 2),
    )
    ExpertApplication.objects.filter(pk=waiting.pk).update(
        recommended_at=at(D(2025, 12, 18)), due_on=decision
    )
    ExpertApplication.objects.filter(pk=submitted.pk).update(
        submitted_at=at(D(2025, 12, 31)), due_on=recommendation
    )
    Unit.objects.filter(pk=registering.pk).update(
        submitted_at=at(D(2025, 12, 30)), due_on=registration
    )
    counts.recount()
    # Changed since: they apply to items that start waiting from now on, not to these.
    settings.UNIT_REVIEW_WORKING_DAYS = 5
    settings.BUREAU_REVIEW_WORKING_DAYS = 10

    dry = StringIO()
    call_command("recompute_deadlines", "--dry-run", "--year", "2026", stdout=dry)
    assert "将变更截止日期：专家申请2条，单位注册1条" in dry.getvalue()
    waiting.refresh_from_db()
    assert waiting.due_on == D(2026, 2, 26)  # a dry run writes nothing
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.RECOMPUTE_DEADLINES).exists()

    out = StringIO()
    call_command("recompute_deadlines", "--year", "2026", stdout=out)
    assert "已变更截止日期：专家申请2条，单位注册1条，信息变更0条。" in out.getvalue()
    waiting.refresh_from_db()
    submitted.refresh_from_db()
    registering.refresh_from_db()
    decided.refresh_from_db()
    # 45 days: Sun 4 Jan for Fri 2 Jan, then Sat 14 Feb worked and Fri 20, Mon 23 Feb off.
    assert waiting.due_on == D(2026, 2, 27)
    assert submitted.due_on == D(2026, 1, 4)  # 1 day: the Sunday worked, not 5 days
    assert registering.due_on == D(2026, 1, 4)  # 2 days: 31 Dec, then Sunday 4 Jan
    assert decided.due_on is None
    # The kept 已超期 counts follow: on 5 Jan only the recommendation is overdue now.
    assert counts.overdue([S.PENDING_UNIT, S.PENDING_BUREAU], D(2026, 1, 5)) == {S.PENDING_UNIT: 1}
    event = AuditEvent.objects.get(action=AuditEvent.Action.RECOMPUTE_DEADLINES)
    assert (event.username, event.role) == ("recompute_deadlines", "系统")
    assert event.detail == (
        f"工作日历已知至{workdays.last_known_year()}年；检查截止日期在2026年及以后的待审核事项"
        "3条，变更截止日期：专家申请2条，单位注册1条，信息变更0条"
    )


def test_recompute_deadlines_run_again_moves_nothing(settings):
    """Run twice, or after items started waiting on the upgraded calendar: the first run's
    audit event says the calendar it put every due date on, so nothing is counted back on the
    fallback again (on which 27 Feb would be 46 working days: 28 Feb)."""
    settings.BUREAU_REVIEW_WORKING_DAYS = 45
    unit = factories.make_unit()
    moved, later = (
        ExpertApplication.objects.get(user=factories.make_applicant(unit, S.PENDING_BUREAU))
        for _ in range(2)
    )
    with known_until(2025):
        ExpertApplication.objects.filter(pk=moved.pk).update(
            recommended_at=at(D(2025, 12, 18)), due_on=deadlines.decision_due(D(2025, 12, 18))
        )
    call_command("recompute_deadlines", "--year", "2026", stdout=StringIO())
    moved.refresh_from_db()
    assert moved.due_on == D(2026, 2, 27)
    # Set on the installed calendar, after the run.
    ExpertApplication.objects.filter(pk=later.pk).update(
        recommended_at=at(D(2025, 12, 18)), due_on=deadlines.decision_due(D(2025, 12, 18))
    )
    out = StringIO()
    call_command("recompute_deadlines", "--year", "2026", stdout=out)
    last = workdays.last_known_year()
    assert f"{last}年及以前的截止日期已于" in out.getvalue()
    assert f"检查截止日期在{last + 1}年及以后的待审核事项0条" in out.getvalue()
    assert "已变更截止日期：专家申请0条" in out.getvalue()
    moved.refresh_from_db()
    later.refresh_from_db()
    assert (moved.due_on, later.due_on) == (D(2026, 2, 27), D(2026, 2, 27))
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RECOMPUTE_DEADLINES).count() == 2


def test_recompute_deadlines_with_no_new_year_learnt_moves_nothing(settings):
    """The operator's walk: with BUREAU_REVIEW_WORKING_DAYS=20 an application recommended on
    Mon 7 Dec 2026 was due Tue 5 Jan 2027 (2027 on the fallback); the web then ran with the
    default 10 and recompute_deadlines was run, the calendar unchanged. It moved the date to
    21 December; it stays, as .env.example promises. So does one waiting since September,
    counted on the calendar that knew 2026 then, across 国庆."""
    unit = factories.make_unit()
    walk, overdue = (
        ExpertApplication.objects.get(user=factories.make_applicant(unit, S.PENDING_BUREAU))
        for _ in range(2)
    )
    with known_until(2026):
        settings.BUREAU_REVIEW_WORKING_DAYS = 20
        due_on = deadlines.decision_due(D(2026, 12, 7))
        assert due_on == D(2027, 1, 5)
        ExpertApplication.objects.filter(pk=walk.pk).update(
            recommended_at=at(D(2026, 12, 7)), due_on=due_on
        )
        settings.BUREAU_REVIEW_WORKING_DAYS = 10
        ExpertApplication.objects.filter(pk=overdue.pk).update(
            recommended_at=at(D(2026, 9, 25)), due_on=deadlines.decision_due(D(2026, 9, 25))
        )
        out = StringIO()
        call_command("recompute_deadlines", stdout=out)
    assert (
        "检查截止日期在2026年及以后的待审核事项2条，已变更截止日期：专家申请0条" in out.getvalue()
    )
    walk.refresh_from_db()
    overdue.refresh_from_db()
    assert (walk.due_on, overdue.due_on) == (D(2027, 1, 5), D(2026, 10, 15))


def test_recompute_deadlines_never_undoes_a_decision_taken_meanwhile(monkeypatch):
    """An application approved between the command's read and its write keeps no due date."""
    unit = factories.make_unit()
    waiting = ExpertApplication.objects.get(user=factories.make_applicant(unit, S.PENDING_BUREAU))
    with known_until(2025):
        ExpertApplication.objects.filter(pk=waiting.pk).update(
            recommended_at=at(D(2025, 12, 18)), due_on=deadlines.decision_due(D(2025, 12, 18))
        )
    counted = due_dates.add_workdays

    def decided_while_counting(start, count):
        ExpertApplication.objects.filter(pk=waiting.pk).update(status=S.APPROVED, due_on=None)
        return counted(start, count)

    monkeypatch.setattr(due_dates, "add_workdays", decided_while_counting)
    result = due_dates.recompute(from_year=2026)
    assert (result.checked, result.applications) == (1, 0)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.due_on) == (S.APPROVED, None)


def test_recompute_deadlines_leaves_due_dates_before_the_year_it_is_given(settings):
    """A due date before the year the calendar has just learnt is not read; one in it keeps the
    working days it was given, though BUREAU_REVIEW_WORKING_DAYS changed since (a change
    applies to items that start waiting afterwards, .env.example)."""
    settings.BUREAU_REVIEW_WORKING_DAYS = 15  # changed since the dates below were set
    unit = factories.make_unit()
    earlier = ExpertApplication.objects.get(user=factories.make_applicant(unit, S.PENDING_BUREAU))
    ExpertApplication.objects.filter(pk=earlier.pk).update(
        recommended_at=at(D(2025, 11, 3)),
        due_on=D(2025, 11, 17),  # 10 days, as set then
    )
    out = StringIO()
    call_command("recompute_deadlines", "--dry-run", "--year", "2026", stdout=out)
    assert "检查截止日期在2026年及以后的待审核事项0条" in out.getvalue()
    call_command("recompute_deadlines", "--year", "2025", stdout=out)
    assert (
        "检查截止日期在2025年及以后的待审核事项1条，已变更截止日期：专家申请0条" in out.getvalue()
    )
    earlier.refresh_from_db()
    assert earlier.due_on == D(2025, 11, 17)
    with pytest.raises(CommandError, match="年份1999无效"):
        call_command("recompute_deadlines", "--year", "1999")
