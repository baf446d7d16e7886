"""The scale seeder makes data the portal itself would accept."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Unit, UnitStatus, User
from accounts.validators import clean_credit_code, clean_resident_id
from experts.models import ApplicationStatus, ApplicationTransition, ExpertApplication

pytestmark = pytest.mark.django_db


def test_seeded_units_and_applicants_are_valid_and_cover_every_status(capsys):
    call_command("seed_scale", units=12, experts=400, force=True)
    assert "申请人400条" in capsys.readouterr().out

    units = list(Unit.objects.all())
    assert len(units) == 12
    assert all(clean_credit_code(unit.credit_code) == unit.credit_code for unit in units)
    applicants = list(User.objects.filter(kind="applicant"))
    assert len({a.id_number for a in applicants}) == 400
    assert all(clean_resident_id(a.id_number) == a.id_number for a in applicants)
    # Births spread over the 40 years, so that every 年龄段 has experts even in a small seed.
    decades = {a.id_number[6:9] for a in applicants}
    assert decades == {"195", "196", "197", "198", "199"}

    statuses = dict.fromkeys(ApplicationStatus.values, 0)
    for status in ExpertApplication.objects.values_list("status", flat=True):
        statuses[status] += 1
    assert all(count > 0 for count in statuses.values()), statuses
    assert statuses["approved"] > statuses["draft"] > statuses["pending_bureau"]

    # Every submitted application has its history, ending in its current status.
    for application in ExpertApplication.objects.exclude(status="draft")[:50]:
        history = list(ApplicationTransition.objects.filter(application=application))
        assert history[0].action == "submit" and history[-1].to_status == application.status
        # Each step dated as the application says it was taken.
        assert history[0].created_at == application.submitted_at
        for row in history:
            if row.action in ("approve", "reject"):
                assert row.created_at == application.decided_at

    # Each 推荐 and decision keeps its step's start (统计分析's 办理时长).
    for row in ApplicationTransition.objects.filter(action__in=["recommend", "approve"])[:50]:
        assert row.step_started_at is not None and row.step_started_at <= row.created_at
    # The frozen were admitted, and last confirmed, long enough ago to be frozen; no date
    # comes before the one it follows.
    frozen = list(ExpertApplication.objects.filter(status="frozen"))
    assert frozen
    for application in frozen:
        assert application.confirmed_at == application.decided_at
        assert application.confirmation_lapsed()
        assert application.submitted_at <= application.recommended_at <= application.decided_at

    big = Unit.objects.filter(status=UnitStatus.APPROVED).order_by("pk").first()
    assert User.objects.filter(unit=big, kind="applicant").count() >= 400 // 20

    # 参加工作时间 as people give it: mostly filled in, after school, never in the future, so
    # that 资格提示's 有提示 / 无提示 both hold rows.
    started = list(ExpertApplication.objects.values_list("birth_date", "work_started_on"))
    given = [(born, start) for born, start in started if start is not None]
    assert 0.8 * len(started) < len(given) < len(started)
    assert all(born.year + 22 <= start.year <= born.year + 28 for born, start in given)
    assert all(start <= timezone.localdate() for _, start in given)
    waiting = ExpertApplication.objects.filter(status="pending_bureau")
    assert waiting.filter(has_eligibility_flags=False).exists()


def test_seeding_needs_debug_or_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("seed_scale", units=1, experts=1)
    assert not User.objects.exists()


def test_the_big_unit_has_the_same_mix_of_statuses_as_everyone():
    from experts.management.commands.seed_scale import seed_scale

    seed_scale(units=5, experts=2000)
    big = Unit.objects.filter(status=UnitStatus.APPROVED).order_by("pk").first()
    mine = ExpertApplication.objects.filter(unit=big)
    share = mine.filter(status="approved").count() / mine.count()
    overall = ExpertApplication.objects.filter(status="approved").count() / 2000
    assert mine.count() >= 100
    assert abs(share - overall) < 0.05, (share, overall)


@pytest.mark.postgres
def test_the_seeded_tables_are_analysed_for_the_planner_and_the_search():
    """A bulk insert leaves the statistics of the empty tables: 专家库 would search a term that
    most experts match the slow way (experts.search.is_common) until autovacuum ran."""
    from django.core.cache import cache
    from django.db import connection

    from experts import search

    # As a process that searched before the seed keeps it: nothing known.
    cache.set(f"{search.STATISTICS_KEY}:{connection.alias}", (None,))
    assert search.statistics(connection.alias) is None
    call_command("seed_scale", units=3, experts=120, force=True)

    known = search.statistics(connection.alias)
    assert known is not None and known.rows > 0
