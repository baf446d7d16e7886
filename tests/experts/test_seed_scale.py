"""The scale seeder makes data the portal itself would accept, shaped as a bureau's year."""

import collections
import datetime
import hashlib
import io
import itertools
import json

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone

from accounts.models import Unit, UnitStatus, User
from accounts.validators import clean_credit_code, clean_resident_id
from audit.models import AuditEvent
from changes import fields as change_fields
from changes.models import ChangeCount, ChangeRequest, ChangeStatus, ChangeTransition
from draws import statistics as draw_statistics
from draws.models import Draw, Event, Pick, Quota, Round, Void
from draws.rules import Criteria
from draws.selectors import verify
from experts import counts, lifecycle, snapshots
from experts.models import (
    ApplicationStatus,
    ApplicationTransition,
    ExpertApplication,
    ReasonCode,
)
from portal import deadlines
from portal.workdays import is_workday
from sms.models import SMSMessage

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
        # Each step dated as the application says it was taken (the last 提交: a form
        # returned was submitted again).
        submissions = [row for row in history if row.action == "submit"]
        assert submissions[-1].created_at == application.submitted_at
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


def test_the_demos_sample_is_seeded_once_and_gives_the_demo_unit_people_to_review(settings):
    """scripts/serve runs `seed_scale --once` after seed_demo at every start."""
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_scale", units=3, experts=60, once=True, stdout=io.StringIO())
    again = io.StringIO()
    call_command("seed_scale", units=3, experts=60, once=True, stdout=again)

    assert ExpertApplication.objects.exclude(user__username="expert").count() == 60
    assert "已有示例数据，未再生成。" in again.getvalue()
    # The demo's approved unit is the first approved one: the sample's big unit.
    demo_unit = User.objects.get(username="unit").unit
    assert ExpertApplication.objects.filter(unit=demo_unit, status="pending_unit").exists()
    # Some of the sample is overdue: the daily reminders reach the demo's reviewer by e-mail.
    call_command("send_reminders", force=True, stdout=io.StringIO())
    assert [message.to for message in mail.outbox] == [["bureau@example.com"]]


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


def test_the_names_units_and_statuses_stay_as_the_benchmark_knows_them():
    """bench/search_terms.py and the benchmark's reference rows read the seeded names, units and
    statuses: a year's history is drawn from generators of its own, so these are the same as
    before it was added (the digest of the seed without it)."""
    from experts.management.commands.seed_scale import seed_scale

    seed_scale(units=5, experts=200)
    rows = list(
        ExpertApplication.objects.order_by("user__username").values_list(
            "user__username",
            "user__real_name",
            "unit__name",
            "status",
            "title",
            "current_specialty",
            "search_text",
        )
    )
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()
    assert digest == "2242614a61fe5e1ba05b28a1631fb2febe0ee8bfd600bcc800e83a9930c350c2"


@pytest.fixture
def year():
    """A small seed with a year's history: 5 units, 200 applicants."""
    from experts.management.commands.seed_scale import seed_scale

    return seed_scale(units=5, experts=200)


def test_forms_were_returned_with_reasons_and_submitted_again_with_snapshots(
    year, client, reviewer
):
    codes = dict(ReasonCode.objects.values_list("code", "label"))
    returns = list(ApplicationTransition.objects.filter(action="send_back"))
    assert returns
    for row in returns:
        assert row.actor_role == "单位账号" and (row.reasons or row.comment)
        assert all(codes[reason["code"]] == reason["label"] for reason in row.reasons)
        assert 1 <= len(row.field_comments) <= 2
        for comment in row.field_comments:
            field = ExpertApplication._meta.get_field(comment["field"])
            assert comment["label"] == field.verbose_name and comment["comment"]

    again = ExpertApplication.objects.exclude(status="draft").filter(
        pk__in=ApplicationTransition.objects.filter(action="send_back").values("application")
    )
    # One submitted application in eight.
    submitted = ExpertApplication.objects.exclude(status="draft").count()
    assert again.count() == year["退回后再次提交"] == submitted // 8
    for application in again:
        history = list(application.history.all())
        assert [row.action for row in history[:3]] == ["submit", "send_back", "submit"]
        first, back, latest = history[:3]
        assert first.created_at < back.created_at < latest.created_at
        assert latest.created_at == application.submitted_at and application.returned_at is None
        # Its history reads as the services write it: the 提交 left the returned draft.
        assert [row.from_returned for row in history[:3]] == [False, False, True]
        # What the unit commented on is what changed between the two submissions.
        previous, current = snapshots.last_two_submissions(application)
        changed = {
            change.label for change in snapshots.compare(previous, current) if change.changed
        }
        assert {comment["label"] for comment in back.field_comments} <= changed
        # The applicant heard of the return by SMS, dated when it was returned (not of a
        # 信息变更's return, whose SMS is about the application too).
        sms = application.sms_messages.filter(body__contains="退回").exclude(
            body__contains="变更申请"
        )
        assert [message.created_at for message in sms] == [back.created_at]

    # A resubmission waiting for a review shows what changed on its page.
    waiting = again.filter(status__in=["pending_unit", "pending_bureau"]).first()
    client.force_login(reviewer)
    page = client.get(reverse("experts:bureau_detail", args=[waiting.pk])).content.decode()
    assert "与上次提交相比" in page and "项已修改" in page

    # Drafts still returned (已退回（待修改）): submitted once, returned, kept as such.
    returned = ExpertApplication.objects.filter(status="draft", returned_at__isnull=False)
    assert returned.count() == ExpertApplication.objects.filter(status="draft").count() // 8
    for application in returned:
        history = list(application.history.all())
        assert [row.action for row in history] == ["submit", "send_back"]
        assert history[0].created_at == application.submitted_at
        assert history[1].created_at == application.returned_at
        assert history[0].snapshot is not None


def test_change_requests_are_in_every_state_with_their_history(year):
    requests = list(ChangeRequest.objects.select_related("application__user"))
    assert {request.status for request in requests} == set(ChangeStatus.values)
    assert any(request.new_unit_id for request in requests)  # some move to another unit
    for request in requests:
        application = request.application
        history = list(request.history.all())
        if request.status == ChangeStatus.APPLIED:
            # Applied at once: no review, a row 修改联系方式 on the application instead.
            assert not history and request.created_at == request.decided_at
            assert application.history.filter(
                action="update_contact", created_at=request.decided_at
            ).exists()
            continue
        assert history[0].action == "submit" and history[0].created_at == request.created_at
        # Each field it names changes, as the portal's own requests (changes.fields.changed).
        pairs = zip(request.before["rows"], request.after["rows"], strict=True)
        assert all(old[2] != new[2] for old, new in pairs), request.changed_labels
        assert history[-1].to_status == request.status
        assert history[-1].created_at == request.updated_at
        assert [row.created_at for row in history] == sorted(row.created_at for row in history)
        if request.decided_at:
            assert history[-1].created_at == request.decided_at
        # Due while it waits, from the step that began the wait, as the transitions set it.
        started = timezone.localdate(history[-1].created_at)
        due = {
            ChangeStatus.PENDING_UNIT: deadlines.recommendation_due(started),
            ChangeStatus.PENDING_BUREAU: deadlines.decision_due(started),
        }.get(request.status)
        assert request.due_on == due, request.status
        if request.status == ChangeStatus.APPROVED:
            # Its values are the ones in force now, applied by a row 信息变更.
            values = change_fields.decode(request.values)
            if "unit" in values:
                assert values["unit"] == application.unit_id == request.new_unit_id
            else:
                assert values["title"] == application.title
            assert application.history.filter(
                action="apply_change", created_at=request.decided_at
            ).exists()
            assert application.confirmed_at >= request.decided_at
    change_events = AuditEvent.objects.filter(object_type="changes.changerequest")
    assert change_events.count() == ChangeTransition.objects.count()


def test_a_minority_of_waiting_items_is_overdue_and_confirmations_vary(year):
    today = timezone.localdate()
    waiting = list(ExpertApplication.objects.filter(status__in=["pending_unit", "pending_bureau"]))
    overdue = [application for application in waiting if application.due_on < today]
    assert 0.10 <= len(overdue) / len(waiting) <= 0.20, (len(overdue), len(waiting))
    assert sum(counts.overdue(["pending_unit", "pending_bureau"]).values()) == len(overdue)
    for application in waiting:
        assert application.submitted_at <= timezone.now()
        if application.status == "pending_unit":
            assert application.due_on == deadlines.recommendation_due(application.submitted_at)
        else:
            assert application.due_on == deadlines.decision_due(application.recommended_at)
            assert application.submitted_at < application.recommended_at

    approved = list(ExpertApplication.objects.filter(status="approved"))
    now = timezone.now()
    assert all(a.decided_at <= a.confirmed_at <= now for a in approved)
    # Admitted over the past years; most confirmed within the year, a few reminded, a handful
    # at most for the daily job to remind or freeze today.
    years = {(now - a.decided_at).days // 365 for a in approved}
    assert {0, 1, 2, 3} <= years
    reminded = [a for a in approved if a.confirm_reminded_at]
    assert 0 < len(reminded) < 0.25 * len(approved)
    assert all(a.confirm_due for a in reminded)
    assert lifecycle.lapsed().count() <= 0.02 * len(approved)
    assert lifecycle.due_for_reminder().count() <= 0.02 * len(approved)
    assert ApplicationTransition.objects.filter(action="confirm_info").exists()


def test_every_step_has_its_audit_row_and_every_decision_its_sms(year):
    history = list(ApplicationTransition.objects.order_by("pk"))
    events = AuditEvent.objects.filter(
        object_type="experts.expertapplication", action=AuditEvent.Action.TRANSITION
    )
    assert events.count() == len(history)
    dated = {(int(object_id), at) for object_id, at in events.values_list("object_id", "at")}
    assert all((row.application_id, row.created_at) in dated for row in history)
    event = events.get(object_id=str(history[0].application_id), at=history[0].created_at)
    assert event.detail == "提交：信息未填写 → 待单位推荐" and event.role == "申请人"
    # A 退回's row says why, as the portal's own does (portal.workflow.reasons_said).
    returned = next(row for row in history if row.action == "send_back")
    event = events.get(object_id=str(returned.application_id), at=returned.created_at)
    assert event.detail.startswith("退回：待单位推荐 → 已退回（待修改）；理由：")
    assert returned.reason_labels()[0] in event.detail

    messages = SMSMessage.objects.all()
    assert messages.exists()
    from experts.management.commands.seed_scale import Records

    # Sent, but for one in FAILED_EVERY that the provider refused (the outbox's 发送失败).
    failed = messages.filter(status=SMSMessage.Status.FAILED)
    assert set(messages.values_list("status", flat=True)) == {
        SMSMessage.Status.SENT,
        SMSMessage.Status.FAILED,
    }
    assert failed.count() == messages.count() // Records.FAILED_EVERY
    assert not failed.filter(sent_at__isnull=False).exists()
    assert {message.state for message in failed} == {"发送失败（手机号码无效或无法接收短信）"}
    # The provider's error quotes the number: masked, as the outbox masks a real one.
    for message in failed:
        assert message.to.removeprefix("+86") not in message.last_error
        assert f"****{message.to[-4:]}" in message.last_error
    for row in ApplicationTransition.objects.filter(action__in=["approve", "reject"]):
        (message,) = messages.filter(object_id=row.application_id, created_at=row.created_at)
        assert message.sent_at is None or message.sent_at > message.created_at
        assert ("审核通过" if row.action == "approve" else "审核不通过") in message.body
    reminded = ExpertApplication.objects.filter(confirm_reminded_at__isnull=False)
    reminders = AuditEvent.objects.filter(action=AuditEvent.Action.REMINDED)
    assert sorted(reminders.values_list("at", flat=True)) == sorted(
        reminded.values_list("confirm_reminded_at", flat=True)
    )


def test_what_the_portal_keeps_agrees_with_the_rows(year):
    """The kept counts, search texts and 资格提示 are as the portal's own repairs would make them:
    recounting, refreshing and recomputing change nothing."""
    from changes import counts as change_counts
    from experts import eligibility, search
    from experts.models import DueCount, StatusCount, UnitStatusCount

    def kept():
        return (
            sorted(StatusCount.objects.values_list("status", "n", "returned")),
            sorted(UnitStatusCount.objects.values_list("unit_id", "status", "n")),
            sorted(DueCount.objects.values_list("status", "due_on", "n")),
            sorted(ChangeCount.objects.values_list("status", "unit_id", "n"), key=str),
        )

    before = kept()
    assert dict(StatusCount.objects.values_list("status", "returned"))["draft"] > 0
    assert ChangeCount.objects.filter(status="pending_unit", n__gt=0).exists()
    counts.recount()
    change_counts.recount()
    assert kept() == before
    assert search.refresh(ExpertApplication.objects.all()) == 0
    assert eligibility.recompute()[1] == 0
    # The decided keep the flags of their last 提交 (found by a walk: none had any).
    rules = eligibility.active_rules()
    decided = ExpertApplication.objects.filter(status__in=["approved", "rejected"])
    assert decided.filter(has_eligibility_flags=True).exists()
    for application in decided:
        assert application.eligibility_flags == eligibility.flags_for(application, rules)


def test_every_applications_history_runs_in_date_order(settings):
    """Found by a walk of the demo: a frozen expert's 退回 and first 提交 were dated after the
    admission they led to (the freeze moved the admission back, not the return). In date order
    each step starts from the state the one before it ended in."""
    from experts.management.commands.seed_scale import seed_scale

    seed_scale(units=5, experts=400)

    out_of_order = []
    rows = ApplicationTransition.objects.order_by("application_id", "created_at", "pk")
    last = {}
    for row in rows.values("application_id", "action", "from_status", "to_status"):
        before = last.get(row["application_id"])
        if before is not None and row["from_status"] != before["to_status"]:
            out_of_order.append((row["application_id"], before["action"], row["action"]))
        last[row["application_id"]] = row
    assert out_of_order == []
    assert ExpertApplication.objects.filter(status="frozen").exists()


@pytest.fixture
def drawn():
    """A seed whose years hold enough 专家抽取 to have every kind of step: 8 units, 400
    applicants."""
    from experts.management.commands.seed_scale import seed_scale

    return seed_scale(units=8, experts=400)


def test_every_seeded_draw_verifies_and_keeps_the_rules(drawn):
    draws = list(Draw.objects.all())
    assert drawn["专家抽取"] == len(draws) > 0
    for draw in draws:
        checks = verify(draw)
        assert checks and all(check.ok for check in checks), draw.pk
        # Made in office hours of a working day, whatever the hour the seed ran at (a draw
        # made again after a 作废 up to two hours after it).
        made = timezone.localtime(draw.created_at)
        assert is_workday(made.date()) and 9 <= made.hour < 19, made
    # 复核 as the command does it, on the latest draw with a 补抽.
    latest = Round.objects.filter(number__gt=1).order_by("-created_at").first().quota.draw
    out = io.StringIO()
    call_command("verify_draw", latest.pk, stdout=out)
    assert "一致" in out.getvalue() and "不一致" not in out.getvalue()

    approved = dict(
        ExpertApplication.objects.filter(status="approved").values_list("pk", "decided_at")
    )
    units = dict(ExpertApplication.objects.values_list("pk", "unit_id"))
    for drawn_round in Round.objects.select_related("quota__draw"):
        criteria = Criteria.from_json(drawn_round.quota.draw.criteria)
        eligible = drawn_round.eligible_ids
        # Only experts approved (and still so) when the round was drawn, avoidance kept.
        assert all(approved[pk] < drawn_round.created_at for pk in eligible)
        assert not {units[pk] for pk in eligible} & set(criteria.avoid_unit_ids)
        assert not set(eligible) & set(criteria.avoid_expert_ids)
    for pick in Pick.objects.select_related("round"):
        assert approved[pick.application_id] < pick.created_at
        assert pick.application_id in pick.round.eligible_ids

    # One review a day: no expert on two live panels reviewing the same day (not 不参加).
    declined = set(Event.objects.filter(action="decline").values_list("draw_id", "application_id"))
    live = Pick.objects.filter(role="member", draw__void__isnull=True).select_related("draw")
    days = collections.Counter(
        (pick.application_id, timezone.localdate(pick.draw.review_at))
        for pick in live
        if (pick.draw_id, pick.application_id) not in declined
    )
    assert max(days.values()) == 1
    # The cool-down: no member drawn within the days their draw's rules stated since the last.
    members = collections.defaultdict(list)
    for pick in live:
        members[pick.application_id].append(pick)
    for picks in members.values():
        picks.sort(key=lambda pick: pick.created_at)
        for earlier, later in itertools.pairwise(picks):
            cooldown = later.draw.criteria["cooldown_days"]
            if cooldown and later.draw_id != earlier.draw_id:
                assert later.created_at - earlier.created_at >= datetime.timedelta(days=cooldown)


def test_the_seeded_draws_are_in_proportion_with_answers_fills_and_voids(drawn):
    from experts.management.commands import seed_scale as seeding

    # As many draws as the pool called for each 30 days (fewer where no field had enough).
    admitted = sorted(
        ExpertApplication.objects.filter(status="approved").values_list("decided_at", flat=True)
    )
    expected, start, now = 0.0, admitted[0], timezone.now()
    while start < now:
        expected += seeding.draws_a_period(sum(1 for at in admitted if at < start))
        start += seeding.DRAW_PERIOD
    # (A project whose draw was 作废 is drawn again; one more in the last days.)
    made = Draw.objects.count() - Void.objects.count() - 1
    assert 0.8 * int(expected) <= made <= int(expected)
    assert Draw.objects.filter(created_at__gte=now - datetime.timedelta(days=365)).count() >= 20
    for quota in Quota.objects.all():
        assert 3 <= quota.count <= 7 and quota.reserves <= 2
    assert {quota.draw_id for quota in Quota.objects.all()} == set(
        Draw.objects.values_list("pk", flat=True)
    )
    assert (
        1
        <= max(Quota.objects.values("draw").annotate(n=Count("pk")).values_list("n", flat=True))
        <= 3
    )

    actions = collections.Counter(Event.objects.values_list("action", flat=True))
    # Most confirm; some decline, with the reasons people give; the latest not yet answered.
    assert actions["confirm"] > 4 * actions["decline"] > 0
    assert set(Event.objects.filter(action="decline").values_list("reason", flat=True)) <= set(
        seeding.DECLINE_REASONS
    )
    assert actions["notify"] > actions["confirm"] + actions["decline"]
    assert actions["call"] > 0 and Round.objects.filter(number__gt=1).exists()
    assert Void.objects.exists()
    assert Draw.objects.filter(review_at__gt=now).exists()
    # 统计分析's figures count them.
    figures = draw_statistics.collect(
        User.objects.get(username__startswith="scale_reviewer_"),
        timezone.localdate() - datetime.timedelta(days=365),
        timezone.localdate(),
    )
    assert sum(row[1] for row in figures["draw_months"].rows) > 0
    answers = dict(figures["draw_charts"][0].rows)
    assert answers["确认参加"] > 0 and answers["不参加"] > 0
    assert figures["draw_experts"].rows


def test_every_seeded_step_has_its_audit_row_and_every_notice_its_sms(drawn):
    audits = AuditEvent.objects.filter(action=AuditEvent.Action.DRAW, object_type="draws.draw")
    steps = (
        Draw.objects.count()
        + Event.objects.count()
        + Round.objects.filter(number__gt=1).count()
        + Void.objects.count()
    )
    assert audits.count() == steps > Draw.objects.count() > 0
    dated = set(audits.values_list("object_id", "at"))
    for event in Event.objects.all():
        assert (str(event.draw_id), event.created_at) in dated
    for draw in Draw.objects.all():
        first = audits.get(object_id=str(draw.pk), at=draw.created_at)
        assert first.detail.startswith("抽取：") and first.role == "科技局审核员"
        assert first.object_repr == str(draw)
    for notice in Event.objects.filter(action="notify").select_related("draw"):
        (message,) = SMSMessage.objects.filter(
            object_id=notice.application_id,
            created_at=notice.created_at,
            body__contains=f"抽取编号{notice.draw_id}",
        )
        assert "您被抽取为评审专家" in message.body
    # Every step on a draw comes after the draw, and no void draw was told anything.
    assert not Event.objects.filter(created_at__lt=F("draw__created_at")).exists()
    assert not Event.objects.filter(draw__void__isnull=False).exists()


SEQUENCED_APPS = ["accounts", "experts", "changes", "audit", "sms", "draws"]


def test_the_seeded_draws_are_the_same_for_the_same_seed():
    from experts.management.commands.seed_scale import seed_scale

    def record():
        name = dict(ExpertApplication.objects.values_list("pk", "user__username"))
        return [
            (
                draw.project_name,
                timezone.localdate(draw.review_at).isoformat(),
                [
                    (r.quota.discipline_name, r.seed, [name[pk] for pk in r.picked_ids])
                    for r in Round.objects.filter(quota__draw=draw).order_by(
                        "quota__number", "number"
                    )
                ],
                [
                    (event.action, name[event.application_id], event.reason)
                    for event in Event.objects.filter(draw=draw).order_by("created_at", "pk")
                ],
            )
            for draw in Draw.objects.order_by("created_at", "pk")
        ]

    def reset_sequences():
        """Keys as in a fresh database: the draws rank experts by their keys (draws.fairness),
        and the sequences moved on with earlier tests and the rolled-back seed (the SQL of the
        sqlsequencereset command, which sets each to the table's largest key)."""
        out = io.StringIO()
        call_command("sqlsequencereset", *SEQUENCED_APPS, stdout=out, no_color=True)
        with connection.cursor() as cursor:
            for statement in out.getvalue().splitlines():
                if statement.startswith("SELECT setval"):
                    cursor.execute(statement)

    class Again(Exception):
        pass

    now = timezone.now()  # one moment for both runs (see seed_scale)
    reset_sequences()
    with pytest.raises(Again), transaction.atomic():
        seed_scale(units=5, experts=300, seed=7, now=now)
        first = record()
        raise Again
    assert not Draw.objects.exists()
    reset_sequences()
    seed_scale(units=5, experts=300, seed=7, now=now)
    assert record() == first and first
