"""递补 under the draw's rules as of now, one review a day, the 抽取编号 the expert sees, a voided
draw's export and trail, and the small refusals of the form and the 复核 (a review secretary's
outside walk)."""

import contextlib
import datetime
import json
import random
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from draws import fairness, services
from draws.models import Draw, Event, Pick, Quota, Round
from draws.rules import Criteria
from draws.selectors import verify
from experts.models import ApplicationStatus, ExpertApplication
from sms.models import SMSMessage
from tests import factories
from tests.draws.test_draws import expert, form_data, members_of, quota, said, sheet_rows

pytestmark = pytest.mark.django_db


def day(offset: int, hour: int = 9) -> datetime.datetime:
    """`hour` o'clock, `offset` days from today, local time."""
    when = datetime.datetime.combine(
        timezone.localdate() + datetime.timedelta(days=offset), datetime.time(hour)
    )
    return timezone.make_aware(when)


def make(reviewer, field, count, reserves=0, criteria=None, review_at=None, project="项目"):
    return services.make_draw(
        reviewer,
        project_name=project,
        review_at=review_at or factories.review_day(),
        review_place="会议室",
        criteria=criteria or Criteria(),
        asks=[services.QuotaAsk(field, count, reserves)],
    )


def only(application, pool, **rules) -> Criteria:
    """Rules that leave `application` alone of `pool` eligible: to put them on a panel."""
    return Criteria(avoid_expert_ids=tuple(p.pk for p in pool if p.pk != application), **rules)


def reserves_of(draw) -> list[int]:
    rows = Pick.objects.filter(draw=draw, role=Pick.Role.RESERVE).order_by("position")
    return list(rows.values_list("application_id", flat=True))


def skips(draw) -> list[tuple[int, str]]:
    rows = Event.objects.filter(draw=draw, action=Event.Action.SKIP).order_by("pk")
    return list(rows.values_list("application_id", "reason"))


def name(pk) -> str:
    return ExpertApplication.objects.get(pk=pk).user.real_name


def with_an_open_place(reviewer, field, reserves=2, **options) -> Draw:
    """A draw of one with `reserves` 备选, its member declined: 递补 has a place to fill."""
    draw = make(reviewer, field, 1, reserves, **options)
    services.answer(reviewer, draw, members_of(draw)[0], Event.Action.DECLINE, "出差")
    return draw


@pytest.fixture
def field(db):
    from experts.models import Discipline

    return Discipline.objects.get(code="01")


@pytest.fixture
def pool(unit, other_unit):
    return [expert(unit) for _ in range(4)] + [expert(other_unit) for _ in range(2)]


def fill(client, draw):
    return client.post(reverse("draws:fill", args=[draw.pk, 1]), {"how": "reserve"}, follow=True)


# 递补 rechecks the draw's rules now --------------------------------------------------------------


def test_a_reserve_drawn_since_is_skipped_in_cool_down_and_the_next_called(
    reviewing, reviewer, pool, field
):
    draw = with_an_open_place(reviewer, field, criteria=Criteria(cooldown_days=30))
    first, second = reserves_of(draw)
    make(reviewer, field, 1, criteria=only(first, pool))  # another day: drawn elsewhere since

    page = fill(reviewing, draw)

    assert members_of(draw)[1:] == [second]
    assert first not in members_of(draw)
    assert skips(draw) == [(first, "冷却期内")]
    assert said(page)[-1] == (
        f"已递补备选专家{name(second)}。已跳过备选专家{name(first)}（冷却期内）。"
    )
    assert f"跳过备选：{name(first)}（冷却期内）" in page.content.decode()
    assert all(check.ok for check in verify(draw))


def test_a_reserve_at_the_yearly_cap_is_skipped(reviewer, pool, field):
    draw = with_an_open_place(reviewer, field, criteria=Criteria(yearly_cap=1))
    first, second = reserves_of(draw)
    make(reviewer, field, 1, criteria=only(first, pool))

    called = services.call_reserve(reviewer, draw, draw.quota_set.get())

    assert called.member.application_id == second
    assert skips(draw) == [(first, "已达年度抽取上限")]


def test_a_reserve_on_another_panel_that_day_is_skipped(reviewer, pool, field):
    draw = with_an_open_place(reviewer, field, review_at=day(5, 9))
    first, second = reserves_of(draw)
    make(reviewer, field, 1, criteria=only(first, pool), review_at=day(5, 15))

    called = services.call_reserve(reviewer, draw, draw.quota_set.get())

    assert called.member.application_id == second
    assert skips(draw) == [(first, "评审当天已在其他评审专家组中")]


def test_a_reserve_no_longer_in_the_pool_is_skipped_with_its_reason(reviewer, pool, field):
    draw = with_an_open_place(reviewer, field)
    first, second = reserves_of(draw)
    ExpertApplication.objects.filter(pk=first).update(status=ApplicationStatus.FROZEN)

    called = services.call_reserve(reviewer, draw, draw.quota_set.get())

    assert called.member.application_id == second
    # Frozen is still in the 专家库: said as its state (a second read of the day's diff).
    assert skips(draw) == [(first, "专家资格已冻结")]
    assert called.skipped == [f"{name(first)}（专家资格已冻结）"]


def test_two_rules_broken_are_both_said(reviewer, pool, field):
    draw = with_an_open_place(reviewer, field, criteria=Criteria(cooldown_days=30, yearly_cap=1))
    first, _second = reserves_of(draw)
    make(reviewer, field, 1, criteria=only(first, pool))

    services.call_reserve(reviewer, draw, draw.quota_set.get())

    assert skips(draw) == [(first, "冷却期内、已达年度抽取上限")]


def test_no_reserve_passing_records_nothing_and_says_who_and_why(reviewing, reviewer, pool, field):
    """None called, nothing recorded: a second click would only write the same skips again
    into the append-only record (a second read of the day's diff). The message names them."""
    draw = with_an_open_place(reviewer, field, reserves=1, review_at=day(6))
    [first] = reserves_of(draw)
    make(reviewer, field, 1, criteria=only(first, pool), review_at=day(6, 14))

    for _ in range(2):
        page = fill(reviewing, draw)
        assert said(page)[-1] == (
            f"该专业领域的备选专家{name(first)}（评审当天已在其他评审专家组中）"
            "均不符合当前抽取条件，请按原条件重新抽取。"
        )
    assert first not in members_of(draw) and len(members_of(draw)) == 1
    assert skips(draw) == []
    # The fresh draw is still offered.
    assert 'value="fresh"' in page.content.decode()


# One review a day --------------------------------------------------------------------------------


def test_an_expert_on_a_panel_that_day_is_not_drawn_again_that_day(reviewer, unit, field):
    taken, free = expert(unit), expert(unit)
    first = make(reviewer, field, 1, criteria=only(taken.pk, [taken, free]), review_at=day(4, 9))

    with pytest.raises(services.NotEnough):
        make(reviewer, field, 2, review_at=day(4, 16))
    assert members_of(make(reviewer, field, 1, review_at=day(4, 16))) == [free.pk]
    # Another day: both.
    assert set(members_of(make(reviewer, field, 2, review_at=day(7)))) == {taken.pk, free.pk}
    # Declined there, or that draw 作废: free that day again.
    services.answer(reviewer, first, taken.pk, Event.Action.DECLINE, "出差")
    assert (
        taken.pk
        in Round.objects.get(
            quota__draw=make(reviewer, field, 1, review_at=day(4, 10))
        ).eligible_ids
    )


def test_a_void_draw_holds_no_one_that_day(reviewer, unit, field):
    taken = expert(unit)
    first = make(reviewer, field, 1, review_at=day(4))
    services.void(reviewer, first, "项目填错")
    assert members_of(make(reviewer, field, 1, review_at=day(4, 14))) == [taken.pk]


def test_a_fresh_redraw_leaves_out_who_is_on_another_panel_that_day(reviewer, unit, field):
    one = expert(unit)
    draw = make(reviewer, field, 1, review_at=day(8))
    two = expert(unit)
    assert members_of(make(reviewer, field, 1, review_at=day(8, 15))) == [two.pk]
    three = expert(unit)
    services.answer(reviewer, draw, one.pk, Event.Action.DECLINE, "出差")

    fresh = services.redraw(reviewer, draw, draw.quota_set.get())

    assert fresh.eligible_ids == [three.pk] and fresh.picked_ids == [three.pk]


def test_the_confirmation_counts_without_those_busy_that_day(reviewing, reviewer, pool, field):
    when = day(9, 9)
    make(reviewer, field, 2, review_at=when)
    data = form_data(review_at=day(9, 14).strftime("%Y-%m-%dT%H:%M"), **quota(0, field, 1))

    page = reviewing.post(reverse("draws:new"), data).content.decode()

    assert re.search(r"<td>电子信息</td><td>1</td><td>0</td><td>4 人</td>", page)
    assert "评审当天已在其他评审专家组中的专家不抽取" in page


def test_a_draw_recorded_before_the_rule_still_verifies(reviewer, unit, field):
    """复核 re-derives from the stored eligible ids and seed: a round whose list holds an
    expert the rule leaves out today (made before the rule) is still 一致."""
    busy, other = expert(unit), expert(unit)
    make(reviewer, field, 1, criteria=only(busy.pk, [busy, other]), review_at=day(10))
    # Recorded as the code before the rule recorded it: both eligible, the same day.
    draw = Draw.objects.create(
        project_name="旧项目",
        review_at=day(10, 15),
        review_place="会议室",
        criteria=Criteria().as_json(),
        created_by=reviewer,
    )
    quota_row = Quota.objects.create(
        draw=draw, number=1, discipline=field, discipline_name=field.name, count=1, reserves=0
    )
    ids = sorted([busy.pk, other.pk])
    seed = next(
        s
        for s in (fairness.new_seed() for _ in range(100))
        if fairness.select(s, ids, 1) == [busy.pk]
    )
    drawn = Round.objects.create(
        quota=quota_row,
        number=1,
        seed=seed,
        eligible_ids=ids,
        eligible_hash=fairness.eligible_hash(ids),
        eligible_count=2,
        wanted=1,
        picked_ids=[busy.pk],
        created_by=reviewer,
    )
    Pick.as_drawn(busy, draw=draw, round=drawn, role=Pick.Role.MEMBER, position=1).save()

    assert [check.ok for check in verify(draw)] == [True]
    call_command("verify_draw", draw.pk)  # raises CommandError when it does not agree


def test_no_expert_is_ever_on_two_live_panels_of_one_day(reviewer, unit, other_unit, field):
    """Property-style: a few generated runs of draws, 不参加, 递补 and 补抽 on two days; no
    expert holds two live places (not 不参加, draw not 作废) on one day."""
    for owner in [unit] * 5 + [other_unit] * 3:
        expert(owner)
    for run in range(3):
        chance = random.Random(run)
        for _ in range(5):
            when = day(20 + run * 2 + chance.randint(0, 1), chance.choice([9, 14]))
            try:
                draw = make(reviewer, field, chance.randint(1, 2), 1, review_at=when)
            except services.NotEnough:
                continue
            member = chance.choice(members_of(draw))
            services.answer(reviewer, draw, member, Event.Action.DECLINE, "出差")
            step = services.call_reserve if chance.random() < 0.5 else services.redraw
            with contextlib.suppress(services.DrawError):  # none left to call or draw
                step(reviewer, draw, draw.quota_set.get())
            if chance.random() < 0.2:
                services.void(reviewer, draw, "试验")
    declined = set(
        Event.objects.filter(action=Event.Action.DECLINE).values_list("draw", "application")
    )
    seen = set()
    for pick in Pick.objects.filter(role=Pick.Role.MEMBER, draw__void=None).select_related("draw"):
        if (pick.draw_id, pick.application_id) in declined:
            continue
        key = (timezone.localdate(pick.draw.review_at), pick.application_id)
        assert key not in seen
        seen.add(key)


# 抽取编号: what the expert sees says which draw ---------------------------------------------------


def test_the_draw_and_the_cancellation_sms_carry_the_draw_number_and_no_project(
    reviewing, reviewer, pool, field
):
    draw = make(reviewer, field, 1, project="保密项目")
    reviewing.post(reverse("draws:notify", args=[draw.pk]))
    services.void(reviewer, draw, "项目填错")

    told, cancelled = SMSMessage.objects.order_by("pk").values_list("body", flat=True)
    assert f"您被抽取为评审专家（抽取编号{draw.pk}）。" in told
    assert f"此前通知您参加的评审（抽取编号{draw.pk}，" in cancelled
    assert "保密项目" not in told + cancelled


def test_the_expert_sees_the_draw_number_and_a_void_in_their_own_data(
    client, reviewer, pool, field
):
    draw = make(reviewer, field, 1, project="保密项目")
    chosen = ExpertApplication.objects.get(pk=members_of(draw)[0])
    services.void(reviewer, draw, "保密项目填错")
    client.force_login(chosen.user)

    home = client.get(reverse("experts:home")).content.decode()
    data = json.loads(client.get(reverse("experts:own_data_download")).content)

    assert f"抽取编号：{draw.pk}；" in home
    [row] = data["评审抽取"]
    assert row["抽取编号"] == str(draw.pk) and row["状态"] == "已取消（抽取已作废）"
    assert row["处理记录"][-1].endswith(" 抽取已作废，您无需参加")
    assert "保密项目" not in json.dumps(row, ensure_ascii=False)


# A voided draw: its export, and the trail to the next draw of the project ----------------------


def test_a_voided_draws_export_says_so_at_the_top_and_on_every_row(
    reviewing, reviewer, pool, field
):
    draw = make(reviewer, field, 2, reserves=1)
    confirmed = members_of(draw)[0]
    services.answer(reviewer, draw, confirmed, Event.Action.CONFIRM)
    reviewing.post(reverse("draws:notify", args=[draw.pk]))
    services.void(reviewer, draw, "评审改期")

    rows = sheet_rows(reviewing.post(reverse("draws:export", args=[draw.pk]), {}))

    header = rows.index(next(row for row in rows if row and row[0] == "抽取领域"))
    titles = {row[0]: row[1] for row in rows[:header] if row and row[0]}
    when = timezone.localtime(draw.void.created_at).strftime("%Y-%m-%d %H:%M")
    who = reviewer.real_name or reviewer.username
    assert titles["抽取状态"].startswith(f"已作废：{when} 由{who}作废，理由：评审改期。")
    assert [row[3] for row in rows[header + 1 :]] == [
        "已取消（原为确认参加，已短信通知取消）",
        "已取消（原为待确认，已短信通知取消）",
        "已取消（未递补）",
    ]


def test_a_new_draw_of_a_voided_project_shows_the_trail(reviewing, reviewer, pool, field):
    voided = make(reviewer, field, 1, project="甲项目")
    services.void(reviewer, voided, "结果不理想")
    make(reviewer, field, 1, project="乙项目")
    again = make(reviewer, field, 1, project="甲项目")
    who = reviewer.real_name or reviewer.username
    trail = (
        f'同一项目此前作废的抽取：<a href="{reverse("draws:detail", args=[voided.pk])}">'
        f"编号{voided.pk}</a>（结果不理想，"
    )

    page = reviewing.get(reverse("draws:detail", args=[again.pk])).content.decode()
    listed = reviewing.get(reverse("draws:list")).content.decode()

    assert trail in page and f"，{who}）" in page
    assert listed.count(trail) == 1
    own = reviewing.get(reverse("draws:detail", args=[voided.pk])).content.decode()
    assert "同一项目此前作废的抽取" not in own


def test_the_confirmation_warns_of_voided_draws_of_the_same_project(
    reviewing, reviewer, pool, field
):
    voided = make(reviewer, field, 1, project="2027年度科技计划项目评审")
    services.void(reviewer, voided, "条件填错")

    page = reviewing.post(reverse("draws:new"), form_data(**quota(0, field, 1))).content.decode()
    other = reviewing.post(
        reverse("draws:new"), form_data(project_name="别的项目", **quota(0, field, 1))
    ).content.decode()

    assert f"同一项目名称此前有1次抽取已作废：编号{voided.pk}（条件填错，" in page
    assert "此前有" not in other


def test_the_list_with_trails_reads_the_same_queries_for_one_draw_or_three(
    reviewing, reviewer, pool, field
):
    services.void(reviewer, make(reviewer, field, 1, project="甲"), "错")
    make(reviewer, field, 1, project="甲")
    with CaptureQueriesContext(connection) as one:
        reviewing.get(reverse("draws:list"))
    for project in ("乙", "乙"):
        services.void(reviewer, make(reviewer, field, 1, project=project), "错")
    make(reviewer, field, 1, project="乙")
    with CaptureQueriesContext(connection) as three:
        listed = reviewing.get(reverse("draws:list")).content.decode()
    # 甲's second draw; 乙's second (after one void) and third (after two).
    assert listed.count("同一项目此前作废的抽取") == 3
    assert len(three) == len(one)


# The small refusals -----------------------------------------------------------------------------


def test_a_count_of_0_says_at_least_one(reviewing, pool, field):
    page = reviewing.post(reverse("draws:new"), form_data(**quota(0, field, 0)))
    assert page.status_code == 400
    text = page.content.decode()
    assert "抽取人数至少为1人。" in text and "请填写抽取人数" not in text


def test_a_round_not_of_the_draw_is_said_without_a_seed(reviewing, reviewer, pool, field):
    draw = make(reviewer, field, 1)
    drawn = Round.objects.get(quota__draw=draw)
    page = reviewing.get(reverse("draws:verify", args=[draw.pk]), {"round": 999999}).content
    assert f"该抽取没有轮次编号为999999的一轮，本记录的轮次编号为：{drawn.pk}。" in page.decode()


def test_a_verify_with_a_typed_seed_is_labelled_a_trial(reviewing, reviewer, pool, field):
    draw = make(reviewer, field, 2)
    drawn = Round.objects.get(quota__draw=draw)
    url = reverse("draws:verify", args=[draw.pk])
    trial = reviewing.get(url, {"round": drawn.pk, "seed": factories.seed_that_changes(drawn)})
    text = trial.content.decode()
    assert "试算：使用您输入的种子，不是记录中的种子" in text
    assert re.search(r'data-testid="verdict">试算结果：与记录不一致<', text)
    assert "试算" not in reviewing.get(url).content.decode()


def test_each_experts_phone_on_the_draw_page_is_a_tel_link(reviewing, reviewer, pool, field):
    draw = make(reviewer, field, 1)
    mobile = ExpertApplication.objects.get(pk=members_of(draw)[0]).mobile
    page = reviewing.get(reverse("draws:detail", args=[draw.pk])).content.decode()
    assert page.count(f'href="tel:{mobile}"') == 2  # the wide column, and under the name
