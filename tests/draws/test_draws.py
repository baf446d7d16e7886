"""专家抽取: the form and its refusals, the draw, the record's steps, the 复核, who sees what."""

import datetime
import hashlib
import io
import os
import re
import subprocess
import threading
from pathlib import Path

import openpyxl
import pgtrigger
import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import UnitStatus
from audit.models import AuditEvent
from draws import fairness, services
from draws.forms import DrawForm
from draws.models import Draw, Event, Pick, Quota, Round, Void
from draws.rules import Criteria
from draws.selectors import verify
from experts import services as experts_services
from experts.choices import TitleLevel
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from portal.templating import masked_id_number
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db

FUTURE = (timezone.localtime() + datetime.timedelta(days=7)).strftime("%Y-%m-%dT09:30")


def expert(unit, code="01", level=TitleLevel.SENIOR, name=None, status=ApplicationStatus.APPROVED):
    """An expert of `unit` in 专业领域 `code` only, at 职称级别 `level`."""
    application = factories.make_applicant(unit, status, name=name).application
    application.disciplines.set(Discipline.objects.filter(code=code))
    ExpertApplication.objects.filter(pk=application.pk).update(title_level=level)
    return application


QUOTA_FIELDS = ("discipline", "count", "reserves")


def said(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request)]


def form_data(**overrides) -> dict:
    data = {
        "project_name": "2027年度科技计划项目评审",
        "review_at": FUTURE,
        "review_place": "市科技局三楼会议室",
        "avoid_units": "",
        "avoid_experts": "",
        "min_title_level": "",
        "cooldown_days": "0",
        "yearly_cap": "0",
        "quota-TOTAL_FORMS": "4",
        "quota-INITIAL_FORMS": "0",
        "quota-MIN_NUM_FORMS": "0",
        "quota-MAX_NUM_FORMS": "4",
    }
    for n in range(4):
        data.update(
            {f"quota-{n}-discipline": "", f"quota-{n}-count": "", f"quota-{n}-reserves": ""}
        )
    data.update(overrides)
    return data


def quota(row, discipline, count, reserves=0) -> dict:
    return {
        f"quota-{row}-discipline": str(discipline.pk),
        f"quota-{row}-count": str(count),
        f"quota-{row}-reserves": str(reserves),
    }


@pytest.fixture
def field(db):
    return Discipline.objects.get(code="01")


@pytest.fixture
def pool(unit, other_unit):
    """Six experts in 电子信息: four of `unit`, two of `other_unit`; one more elsewhere."""
    experts = [expert(unit) for _ in range(4)] + [expert(other_unit) for _ in range(2)]
    expert(unit, code="02")
    return experts


# The draw itself -------------------------------------------------------------------------------


def test_the_selection_is_the_lowest_ranks_and_reproducible():
    seed = "ab" * 32
    ids = list(range(1, 41))
    chosen = fairness.select(seed, ids, 5)
    assert chosen == sorted(ids, key=lambda pk: fairness.rank(seed, pk))[:5]
    assert fairness.select(seed, list(reversed(ids)), 5) == chosen  # the order given is no matter
    assert fairness.select("cd" * 32, ids, 5) != chosen
    assert len(fairness.new_seed()) == 64 and fairness.new_seed() != fairness.new_seed()


def test_the_eligible_hash_pins_the_set():
    assert fairness.eligible_hash([3, 1, 2]) == fairness.eligible_hash([1, 2, 3])
    assert fairness.eligible_hash([1, 2, 3]) != fairness.eligible_hash([1, 2, 4])


# The form and its refusals: nothing is saved, and what was typed is kept -----------------------


def test_the_form_then_the_confirmation_then_the_draw(reviewing, pool, field):
    page = reviewing.get(reverse("draws:new"))
    assert page.status_code == 200 and "抽取名额" in page.content.decode()

    data = form_data(**quota(0, field, 2, 1))
    confirm = reviewing.post(reverse("draws:new"), data)
    text = confirm.content.decode()
    assert confirm.status_code == 200 and "确认抽取" in text
    assert re.search(r"<td>电子信息</td><td>2</td><td>1</td><td>6 人</td>", text)
    assert not Draw.objects.exists()  # the confirmation page draws nothing

    # 确认抽取 carries the confirmation page's one-time number; without it, nothing is drawn.
    token = re.search(r'name="token" value="([0-9a-f]{32})"', text).group(1)
    again = reviewing.post(reverse("draws:new"), {**data, "confirmed": "1"})
    assert again.status_code == 200 and not Draw.objects.exists()
    done = reviewing.post(reverse("draws:new"), {**data, "confirmed": "1", "token": token})
    draw = Draw.objects.get()
    assert done.status_code == 302 and done.url == reverse("draws:detail", args=[draw.pk])
    drawn = Round.objects.get(quota__draw=draw)
    assert drawn.eligible_ids == sorted(p.pk for p in pool)
    assert drawn.eligible_count == 6 and len(drawn.seed) == 64
    assert drawn.picked_ids == fairness.select(drawn.seed, drawn.eligible_ids, 3)
    members = Pick.objects.filter(draw=draw, role=Pick.Role.MEMBER).order_by("position")
    reserves = Pick.objects.filter(draw=draw, role=Pick.Role.RESERVE)
    assert [p.application_id for p in members] == drawn.picked_ids[:2]
    assert [p.application_id for p in reserves] == drawn.picked_ids[2:]

    detail = reviewing.get(done.url).content.decode()
    for pick in members:
        assert pick.application.user.real_name in detail
    assert drawn.seed in detail

    # Sent again (the back button, a double click): the same record, no second panel.
    twice = reviewing.post(
        reverse("draws:new"), {**data, "confirmed": "1", "token": token}, follow=True
    )
    assert twice.redirect_chain == [(done.url, 302)]
    assert f"本次抽取已于此前确认（抽取记录编号 {draw.pk}），重复提交未再次抽取。" in (
        twice.content.decode()
    )
    assert Draw.objects.count() == 1 and Round.objects.count() == 1


def test_the_confirmation_warns_of_a_row_inside_an_earlier_rows_field(reviewing, pool, field):
    """A field and its own sub-field in two rows are each counted in full, but the first row
    drawn may take the second's experts: the page says so before 确认抽取."""
    software = Discipline.objects.get(code="0101")
    expert(pool[0].unit, code="0101")
    data = form_data(**quota(0, field, 1), **quota(1, software, 1))
    page = reviewing.post(reverse("draws:new"), data).content.decode()
    assert "第2行“软件”与第1行“电子信息”同属一个领域：第1行先抽" in page
    apart = form_data(**quota(0, field, 1), **quota(1, Discipline.objects.get(code="02"), 1))
    assert (
        'data-testid="overlaps"' not in reviewing.post(reverse("draws:new"), apart).content.decode()
    )


def test_editing_from_the_confirmation_keeps_what_was_typed(reviewing, pool, field):
    data = form_data(**quota(0, field, 2), project_name="保留的项目名称")
    page = reviewing.post(reverse("draws:new"), {**data, "edit": "1"})
    assert page.status_code == 200
    assert 'value="保留的项目名称"' in page.content.decode()
    assert not Draw.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quota-0-count": "-1"}, "人数不能为负数"),
        ({"quota-0-reserves": "-2"}, "人数不能为负数"),
        ({"quota-0-discipline": "999999"}, "请选择列表中的专业领域"),
        ({"quota-0-discipline": "abc"}, "请选择列表中的专业领域"),
        ({"quota-0-count": "", "quota-0-discipline": ""}, "请至少填写一个专业领域"),
        ({"avoid_units": "不存在的单位"}, "回避单位“不存在的单位”不存在或未通过审核"),
        ({"avoid_experts": "查无此人"}, "回避专家“查无此人”不是“审核通过”的在库专家"),
        ({"review_at": "2020-01-01T09:00"}, "评审时间不能早于现在"),
        ({"review_at": "明天"}, "请输入有效的评审时间"),
        ({"cooldown_days": "-5"}, "冷却期不能为负数"),
        ({"min_title_level": "forged"}, "请选择列表中的职称级别要求"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_saved(reviewing, pool, field, change, message):
    data = form_data(**{**quota(0, field, 2), **change})
    for confirmed in ({}, {"confirmed": "1"}):
        page = reviewing.post(reverse("draws:new"), {**data, **confirmed})
        assert page.status_code == 400
        assert message in page.content.decode()
        # …named in the summary at the top too, a quota row's by its number.
        summary = page.content.decode().split('id="form-errors"')[1].split("</div>")[0]
        assert message in summary
        if any(key.startswith("quota-0") and value for key, value in change.items()):
            assert "第1行" in summary
    assert not Draw.objects.exists() and not Pick.objects.exists()


def test_more_than_eligible_is_refused_with_how_many_are(reviewing, pool, field):
    data = form_data(**quota(0, field, 5, 2))
    for confirmed in ({}, {"confirmed": "1"}):
        page = reviewing.post(reverse("draws:new"), {**data, **confirmed})
        assert page.status_code == 400
        assert "符合条件的专家只有6人，少于要抽取的7人（含备选）" in page.content.decode()
    assert not Draw.objects.exists()


def summary_of(page) -> str:
    return page.content.decode().split('id="form-errors"')[1].split("</div>")[0]


def tag(page, element_id: str) -> str:
    [found] = re.findall(rf'<(?:input|select)[^>]*\bid="{element_id}"[^>]*>', page.content.decode())
    return found


def test_no_quota_at_all_is_said_at_the_first_rows_field(reviewing, pool, field):
    page = reviewing.post(reverse("draws:new"), form_data())

    assert page.status_code == 400
    assert (
        '<a href="#id_quota-0-discipline" class="alert-link">第1行专业领域</a>：'
        "请至少填写一个专业领域及其抽取人数。"
    ) in summary_of(page)
    select = tag(page, "id_quota-0-discipline")
    assert "is-invalid" in select and 'aria-invalid="true"' in select
    assert 'aria-describedby="id_quota-0-discipline_error"' in select
    assert re.search(
        r'<div id="id_quota-0-discipline_error"[^>]*>\s*<p[^>]*><strong>'
        r"请至少填写一个专业领域及其抽取人数。</strong>",
        page.content.decode(),
    )


def test_too_few_eligible_is_said_at_the_rows_count_named_by_its_row_on_the_form(
    reviewing, pool, field
):
    """Row 1 left empty, row 2 asks for more than are eligible: 第2行, not 第1行 (the second
    row filled), in the summary, linked to that row's 抽取人数, which is marked; the message
    under the field does not name the row again."""
    page = reviewing.post(reverse("draws:new"), form_data(**quota(1, field, 5, 2)))

    assert page.status_code == 400
    shortfall = "“电子信息”符合条件的专家只有6人，少于要抽取的7人（含备选）。请减少人数或放宽条件。"
    assert summary_of(page).count("<li>") == 1
    assert (
        f'<a href="#id_quota-1-count" class="alert-link">第2行抽取人数</a>：{shortfall}'
    ) in summary_of(page)
    count = tag(page, "id_quota-1-count")
    assert "is-invalid" in count and 'aria-invalid="true"' in count
    assert 'aria-describedby="id_quota-1-count_error"' in count
    assert re.search(
        rf'<div id="id_quota-1-count_error"[^>]*>\s*<p[^>]*><strong>{shortfall}</strong>',
        page.content.decode(),
    )
    assert "is-invalid" not in tag(page, "id_quota-0-count")


def test_a_row_short_only_when_drawn_is_named_by_its_row_on_the_form(reviewing, pool, field):
    """Rows 2 and 4 filled: 电子信息 takes all eight, then 软件 (inside it) has no one left.
    The confirmation's warning and the draw's refusal name rows 2 and 4, as the form shows them."""
    software = Discipline.objects.get(code="0101")
    expert(pool[0].unit, code="0101")
    expert(pool[0].unit, code="0101")
    data = form_data(**quota(1, field, 8), **quota(3, software, 1))
    confirm = reviewing.post(reverse("draws:new"), data).content.decode()
    assert "第4行“软件”与第2行“电子信息”同属一个领域：第2行先抽" in confirm
    token = re.search(r'name="token" value="([0-9a-f]{32})"', confirm).group(1)

    page = reviewing.post(reverse("draws:new"), {**data, "confirmed": "1", "token": token})

    assert page.status_code == 400
    assert (
        '<a href="#id_quota-3-count" class="alert-link">第4行抽取人数</a>：'
        "“软件”符合条件的专家只有0人，少于要抽取的1人（含备选）。"
    ) in summary_of(page)
    assert "is-invalid" in tag(page, "id_quota-3-count")
    assert not Draw.objects.exists()


def refused_draw(reviewer, asks) -> services.NotEnough:
    """The NotEnough a draw of `asks` is refused with."""
    with pytest.raises(services.NotEnough) as refused:
        services.make_draw(
            reviewer,
            project_name="p",
            review_at=timezone.now(),
            review_place="x",
            criteria=Criteria(),
            asks=asks,
        )
    return refused.value


def test_the_service_names_the_row_an_ask_was_typed_in(reviewer, pool, field):
    asks = [services.QuotaAsk(field, 4, 0, row=2), services.QuotaAsk(field, 3, 0, row=4)]
    assert str(refused_draw(reviewer, asks)).startswith("第4行“电子信息”符合条件的专家只有2人")


def test_a_second_quota_short_after_the_first_saves_nothing(reviewer, pool, field):
    # 6 experts, asked for 4 then 3 of the same set (a field and itself via another row is
    # refused by the form; here the service is called directly): the second is short.
    short = refused_draw(reviewer, [services.QuotaAsk(field, 4, 0), services.QuotaAsk(field, 3, 0)])
    assert (short.eligible, short.wanted) == (2, 3)
    assert not Draw.objects.exists() and not Pick.objects.exists()


# The rules ------------------------------------------------------------------------------------


def make(reviewer, discipline, count, reserves=0, criteria=None, review_at=None) -> Draw:
    return services.make_draw(
        reviewer,
        project_name="项目",
        review_at=review_at or factories.review_day(),
        review_place="会议室",
        criteria=criteria or Criteria(),
        asks=[services.QuotaAsk(discipline, count, reserves)],
    )


def drawn_ids(draw) -> set[int]:
    return set(Pick.objects.filter(draw=draw).values_list("application_id", flat=True))


def test_avoided_units_and_experts_are_never_drawn(reviewer, pool, field, unit, other_unit):
    avoided = pool[0]
    criteria = Criteria(avoid_unit_ids=(other_unit.pk,), avoid_expert_ids=(avoided.pk,))
    draw = make(reviewer, field, 3, criteria=criteria)
    assert drawn_ids(draw) == {p.pk for p in pool[1:4]}


def test_a_field_takes_its_sub_fields(reviewer, unit, field):
    sub = Discipline.objects.create(code="0199", name="测试子领域", parent=field)
    own = expert(unit)
    in_sub = factories.make_applicant(unit, ApplicationStatus.APPROVED).application
    in_sub.disciplines.set([sub])
    assert drawn_ids(make(reviewer, field, 2)) == {own.pk, in_sub.pk}
    assert drawn_ids(make(reviewer, sub, 1)) == {in_sub.pk}


def test_only_approved_experts_at_the_level_asked(reviewer, unit, field):
    senior = expert(unit, level=TitleLevel.SENIOR)
    expert(unit, level=TitleLevel.INTERMEDIATE)
    expert(unit, status=ApplicationStatus.PENDING_BUREAU)
    criteria = Criteria(min_title_level=TitleLevel.ASSOCIATE)
    assert drawn_ids(make(reviewer, field, 1, criteria=criteria)) == {senior.pk}
    with pytest.raises(services.NotEnough):
        make(reviewer, field, 2, criteria=criteria)


def test_cool_down_and_yearly_cap(reviewer, unit, field):
    first, second = expert(unit), expert(unit)
    earlier = make(reviewer, field, 1)
    chosen = drawn_ids(earlier).pop()
    other = ({first.pk, second.pk} - {chosen}).pop()
    assert drawn_ids(make(reviewer, field, 1, criteria=Criteria(cooldown_days=30))) == {other}
    # Both have been drawn once this year now: a cap of one leaves nobody.
    with pytest.raises(services.NotEnough):
        make(reviewer, field, 1, criteria=Criteria(yearly_cap=1))
    assert len(drawn_ids(make(reviewer, field, 1, criteria=Criteria(yearly_cap=2)))) == 1


def test_the_form_says_what_0_means_and_that_every_pick_counts(reviewing):
    """冷却期 and 每人每年最多 start at 0: the form says that is no limit, and that a pick counts
    whatever the expert answers (a reviewer's walk: 23 eligible became 19, by declined picks)."""
    page = reviewing.get(reverse("draws:new")).content.decode()

    assert "每次抽中都计入，之后不参加的也计入；作废的抽取不计入。0 表示不设冷却期。" in page
    assert "每次抽中都计入，之后不参加的也计入；作废的抽取不计入。0 表示不限次数。" in page


def test_a_declined_pick_still_counts_for_the_cool_down_and_the_cap(
    reviewing, reviewer, unit, field
):
    """As the form says: the rule reads the picks, not the answers."""
    first, second = expert(unit), expert(unit)
    earlier = make(reviewer, field, 1)
    chosen = drawn_ids(earlier).pop()
    url = reverse("draws:answer", args=[earlier.pk])
    reviewing.post(url, {"application": chosen, "action": "decline", "reason": "出差"})
    assert Event.objects.filter(draw=earlier, action=Event.Action.DECLINE).exists()

    other = ({first.pk, second.pk} - {chosen}).pop()
    assert drawn_ids(make(reviewer, field, 1, criteria=Criteria(cooldown_days=30))) == {other}
    with pytest.raises(services.NotEnough):
        make(reviewer, field, 1, criteria=Criteria(yearly_cap=1))


# Steps on the record: answers, 补抽, SMS ------------------------------------------------------


def members_of(draw) -> list[int]:
    rows = Pick.objects.filter(draw=draw, role=Pick.Role.MEMBER).order_by("position")
    return list(rows.values_list("application_id", flat=True))


def test_decline_then_call_the_reserve_then_redraw(reviewing, reviewer, pool, field):
    draw = make(reviewer, field, 2, reserves=1)
    quota = draw.quota_set.get()
    first, second = members_of(draw)
    reserve = Pick.objects.get(draw=draw, role=Pick.Role.RESERVE).application_id

    url = reverse("draws:answer", args=[draw.pk])
    reviewing.post(url, {"application": first, "action": "confirm"})
    refused = reviewing.post(url, {"application": second, "action": "decline"}, follow=True)
    assert "请填写不参加的理由" in refused.content.decode()
    reviewing.post(url, {"application": second, "action": "decline", "reason": "出差"})
    assert services.open_places(draw, quota) == 1
    again = reviewing.post(url, {"application": second, "action": "confirm"}, follow=True)
    assert "已记录为不参加，不能再更改" in again.content.decode()

    fill = reverse("draws:fill", args=[draw.pk, 1])
    forged = reviewing.post(fill, {"how": "anything"}, follow=True)
    assert "请求无效" in forged.content.decode()
    assert services.open_places(draw, quota) == 1  # no 备选 called up by a forged value
    reviewing.post(fill, {"how": "reserve"})
    assert members_of(draw) == [first, second, reserve]
    assert services.open_places(draw, quota) == 0
    full = reviewing.post(fill, {"how": "fresh"}, follow=True)
    assert "没有空缺名额" in full.content.decode()

    reviewing.post(url, {"application": reserve, "action": "decline", "reason": "回避"})
    reviewing.post(fill, {"how": "fresh"})
    fresh = Round.objects.get(quota=quota, number=2)
    assert fresh.eligible_count == 3  # six less the three this draw has chosen
    assert not set(fresh.eligible_ids) & {first, second, reserve}
    assert members_of(draw)[-1] == fresh.picked_ids[0]
    assert all(check.ok for check in verify(draw))


def test_a_reserve_who_left_the_pool_is_not_offered_for_a_call_up(reviewing, reviewer, pool, field):
    """递补 takes a 备选 still 审核通过: one who has since asked to leave is marked so, and
    the page offers 按原条件重新抽取 only."""
    draw = make(reviewer, field, 1, reserves=1)
    reserve = Pick.objects.get(draw=draw, role=Pick.Role.RESERVE).application
    ExpertApplication.objects.filter(pk=reserve.pk).update(status=ApplicationStatus.EXIT_PENDING)
    url = reverse("draws:answer", args=[draw.pk])
    reviewing.post(url, {"application": members_of(draw)[0], "action": "decline", "reason": "出差"})

    page = reviewing.get(reverse("draws:detail", args=[draw.pk])).content.decode()

    assert f"{reserve.user.real_name}（当前为“退出待确认”，不能递补）" in page
    assert 'value="reserve"' not in page and 'value="fresh"' in page


def test_a_draw_made_in_error_is_voided_with_a_reason_and_takes_no_more_steps(
    client, reviewing, reviewer, pool, field
):
    """作废: appended with the reason, nothing removed; the experts already told are told they
    need not come; no step is taken after it; its picks count for no cool-down; the expert's
    home says 已取消."""
    draw = make(reviewer, field, 2)
    first, second = members_of(draw)
    services.answer(reviewer, draw, second, Event.Action.DECLINE, "出差")
    services.notify(reviewer, draw)  # the first is told; the second declined
    SMSMessage.objects.all().delete()
    url = reverse("draws:void", args=[draw.pk])
    refused = reviewing.post(url, {"reason": "  "}, follow=True)
    assert "请填写作废理由" in refused.content.decode()

    page = reviewing.post(url, {"reason": "项目名称填错"}, follow=True).content.decode()

    assert "已作废本次抽取" in page and "理由：项目名称填错" in page
    assert '<span class="badge text-bg-secondary">已取消</span>' in page  # not 待确认
    assert 'value="fresh"' not in page and "短信通知专家</button>" not in page
    told = ExpertApplication.objects.get(pk=first)
    [sms] = SMSMessage.objects.all()
    assert sms.to == told.mobile and "专家抽取已作废，您无需参加" in sms.body
    assert Pick.objects.filter(draw=draw).count() == 2  # the record stays whole
    again = reviewing.post(url, {"reason": "再次"}, follow=True)
    assert "该抽取记录已作废，不能再进行操作" in again.content.decode()
    answered = reviewing.post(
        reverse("draws:answer", args=[draw.pk]),
        {"application": first, "action": "confirm"},
        follow=True,
    )
    assert "该抽取记录已作废" in answered.content.decode()
    assert not Event.objects.filter(action=Event.Action.CONFIRM).exists()
    # Its picks count for no cool-down: both may be drawn again at once.
    later = make(reviewer, field, 6, criteria=Criteria(cooldown_days=30))
    assert {first, second} <= set(members_of(later))
    listed = reviewing.get(reverse("draws:list")).content.decode()
    assert "已作废</span>" in listed
    client.force_login(told.user)
    assert "已取消（抽取已作废）" in client.get(reverse("experts:home")).content.decode()


def test_an_old_tabs_void_of_a_draw_voided_meanwhile_is_told_it_is_void(
    reviewing, reviewer, pool, field
):
    """Whatever the old tab's form carries (here no reason), the answer is the draw's state."""
    draw = make(reviewer, field, 2)
    services.void(reviewer, draw, "录入错误")

    done = reviewing.post(reverse("draws:void", args=[draw.pk]), {"reason": ""})

    assert said(done) == ["该抽取记录已作废，不能再进行操作。"]
    assert Void.objects.filter(draw=draw).count() == 1


def test_a_refused_void_comes_back_open_with_its_error_beside_the_reason(
    reviewing, reviewer, pool, field
):
    """作废 with no reason: the page again (not a redirect, which would fold the section and
    hide the field the message is about), 作废本次抽取 open, the error under the reason and
    the field marked invalid for portal.js to focus; nothing voided."""
    draw = make(reviewer, field, 2)
    refused = reviewing.post(reverse("draws:void", args=[draw.pk]), {"reason": "  "})

    assert refused.status_code == 400
    page = refused.content.decode()
    [section] = re.findall(r'<section[^>]*id="void".*?</section>', page, re.S)
    assert re.search(r"<details[^>]*\bopen\b", section)
    [field_tag] = re.findall(r'<input id="void-reason"[^>]*>', section)
    assert "is-invalid" in field_tag and 'aria-describedby="void-reason-error"' in field_tag
    assert re.search(r'<div id="void-reason-error"[^>]*>请填写作废理由。</div>', section)
    assert not Draw.objects.get(pk=draw.pk).voided
    # The record's page itself opens with the section folded and no error.
    shown = reviewing.get(reverse("draws:detail", args=[draw.pk])).content.decode()
    assert "is-invalid" not in shown and not re.search(r"<details[^>]*\bopen\b", shown)


def test_a_decline_without_its_reason_comes_back_with_the_error_under_that_reason(
    reviewing, reviewer, pool, field
):
    """不参加 with no reason: the page again (400), that expert's reason field marked and
    described by the error under it, the message at the top naming the expert; nothing saved."""
    draw = make(reviewer, field, 2)
    first, second = members_of(draw)
    name = ExpertApplication.objects.get(pk=second).user.real_name

    page = reviewing.post(
        reverse("draws:answer", args=[draw.pk]),
        {"application": second, "action": "decline", "reason": "  "},
    )

    assert page.status_code == 400
    assert said(page) == [f"请填写{name}不参加的理由。"]
    field_tag = tag(page, f"reason-{second}")
    assert "is-invalid" in field_tag and 'aria-invalid="true"' in field_tag
    assert f'aria-describedby="reason-{second}-error"' in field_tag
    html = page.content.decode()
    assert re.search(rf'<div id="reason-{second}-error"[^>]*>请填写不参加的理由。</div>', html)
    assert html.count("请填写不参加的理由。") == 1  # the banner names the expert instead
    assert "is-invalid" not in tag(page, f"reason-{first}")
    assert not Event.objects.exists()


def test_a_reason_ending_a_sentence_is_not_given_a_full_stop_more(reviewing, reviewer, pool, field):
    draw = make(reviewer, field, 2)
    url = reverse("draws:void", args=[draw.pk])
    page = reviewing.post(url, {"reason": "项目名称填错，重新抽取。"}, follow=True)

    banner = re.search(r'data-testid="void">(.*?)</div>', page.content.decode()).group(1)
    assert "理由：项目名称填错，重新抽取。作废的抽取" in banner
    other = make(reviewer, field, 2)
    services.void(reviewer, other, "条件填错！")
    banner = reviewing.get(reverse("draws:detail", args=[other.pk])).content.decode()
    assert "理由：条件填错！作废的抽取" in banner  # a sentence's own end is its end


def test_the_void_speaks_of_sms_only_when_someone_was_told(reviewing, reviewer, pool, field):
    """No one texted yet: 已作废 and nothing of SMS. Two texted: how many are told it is off."""
    quiet = make(reviewer, field, 2)
    page = reviewing.get(reverse("draws:detail", args=[quiet.pk])).content.decode()
    assert 'data-confirm="确认作废本次抽取吗？作废后不能恢复。"' in page  # its question too
    done = reviewing.post(reverse("draws:void", args=[quiet.pk]), {"reason": "录入错误"})
    assert said(done) == ["已作废本次抽取。"]
    assert not SMSMessage.objects.exists()

    told = make(reviewer, field, 2)
    services.notify(reviewer, told)
    SMSMessage.objects.all().delete()
    page = reviewing.get(reverse("draws:detail", args=[told.pk])).content.decode()
    assert "确认作废本次抽取吗？已短信通知的2位专家将收到取消通知，作废后不能恢复。" in page
    done = reviewing.post(reverse("draws:void", args=[told.pk]), {"reason": "录入错误"})
    assert said(done)[-1:] == [
        "已作废本次抽取；已向此前短信通知的2位专家发送取消通知，短信将在几秒内发出。"
    ]
    assert SMSMessage.objects.count() == 2


def test_a_redraw_with_no_one_left_says_so_and_saves_nothing(reviewing, reviewer, pool, field):
    """The six of the pool all chosen (five and a 备选): a 补抽 finds no one, and the message
    speaks of the saved draw's rules, which cannot be changed, not of the new-draw form's."""
    draw = make(reviewer, field, 5, reserves=1)
    url = reverse("draws:answer", args=[draw.pk])
    reviewing.post(url, {"application": members_of(draw)[0], "action": "decline", "reason": "出差"})

    page = reviewing.post(reverse("draws:fill", args=[draw.pk, 1]), {"how": "fresh"}, follow=True)

    html = page.content.decode()
    assert "符合原抽取条件、且未被本次抽取选中过的专家已没有" in html
    assert "不足以补足1个空缺名额，未补抽" in html and "请减少人数" not in html
    assert Round.objects.filter(quota__draw=draw).count() == 1


def test_a_drawn_expert_who_is_leaving_is_marked_and_a_decline_needs_its_reason(
    reviewing, reviewer, pool, field
):
    draw = make(reviewer, field, 2)
    leaving = members_of(draw)[0]
    ExpertApplication.objects.filter(pk=leaving).update(status=ApplicationStatus.EXIT_PENDING)

    page = reviewing.get(reverse("draws:detail", args=[draw.pk])).content.decode()

    assert page.count('data-testid="not-in-pool">退出待确认</span>') == 1
    # The browser asks for the reason before the confirmation dialog; 确认参加 needs none.
    assert 'placeholder="不参加理由" maxlength="200" required>' in page
    assert 'value="confirm" formnovalidate' in page


def test_the_exit_confirmation_lists_the_reviews_the_expert_is_still_down_for(
    reviewing, reviewer, pool, field
):
    draw = make(reviewer, field, 2)
    staying, leaving = members_of(draw)
    services.answer(reviewer, draw, staying, Event.Action.DECLINE, "出差")
    for pk in (staying, leaving):
        ExpertApplication.objects.filter(pk=pk).update(status=ApplicationStatus.EXIT_PENDING)

    def reviews(pk) -> str:
        page = reviewing.get(reverse("experts:bureau_detail", args=[pk])).content.decode()
        return page.split('data-testid="coming-reviews"', 1)[1] if "coming-reviews" in page else ""

    listed = reviews(leaving)
    assert draw.project_name in listed and "待确认" in listed
    assert reverse("draws:detail", args=[draw.pk]) in listed
    assert reviews(staying) == ""  # declined: nothing to arrange


def test_a_review_already_held_is_not_listed_for_the_exit(reviewing, reviewer, pool, field):
    held = services.make_draw(
        reviewer,
        project_name="已举行的项目",
        review_at=timezone.now() - datetime.timedelta(days=1),
        review_place="会议室",
        criteria=Criteria(),
        asks=[services.QuotaAsk(field, 1, 0)],
    )
    leaving = members_of(held)[0]
    ExpertApplication.objects.filter(pk=leaving).update(status=ApplicationStatus.EXIT_PENDING)
    page = reviewing.get(reverse("experts:bureau_detail", args=[leaving])).content.decode()
    assert "coming-reviews" not in page and "确认退出" in page


def test_an_expert_who_left_the_pool_cannot_be_confirmed_but_can_be_declined(
    reviewing, reviewer, pool, field
):
    draw = make(reviewer, field, 2)
    staying, leaving = members_of(draw)
    ExpertApplication.objects.filter(pk=leaving).update(status=ApplicationStatus.EXIT_PENDING)
    name = ExpertApplication.objects.get(pk=leaving).user.real_name
    page = reviewing.get(reverse("draws:detail", args=[draw.pk])).content.decode()
    # One 确认参加 (the member still 审核通过), two 不参加.
    assert page.count('value="confirm"') == 1 and page.count('value="decline"') == 2
    confirm_form = page.split('value="confirm"')[0].rsplit("<form", 1)[1]
    assert f'name="application" value="{staying}"' in confirm_form

    refused = reviewing.post(
        reverse("draws:answer", args=[draw.pk]), {"application": leaving, "action": "confirm"}
    )

    assert said(refused)[-1] == (
        f"{name}当前为“退出待确认”状态，不能参加评审，不能记录确认参加。请记录不参加，并按需补抽。"
    )
    assert not Event.objects.filter(application_id=leaving).exists()
    services.answer(reviewer, draw, leaving, Event.Action.DECLINE, "已申请退出")
    assert Event.objects.get(application_id=leaving).action == Event.Action.DECLINE


def test_a_stranger_to_the_draw_cannot_be_answered(reviewer, pool, field):
    draw = make(reviewer, field, 1)
    outsider = next(p.pk for p in pool if p.pk not in members_of(draw))
    with pytest.raises(services.DrawError, match="不是本次抽中的专家"):
        services.answer(reviewer, draw, outsider, Event.Action.CONFIRM)


def test_the_notice_writes_the_review_day_without_leading_zeros(reviewing, reviewer, pool, field):
    """As the other SMS and the 入库证明 write a day (a dates walk read 2027年01月03日)."""
    year = timezone.localdate().year + 1
    draw = services.make_draw(
        reviewer,
        project_name="项目",
        review_at=timezone.make_aware(datetime.datetime(year, 1, 3, 9, 5)),
        review_place="会议室",
        criteria=Criteria(),
        asks=[services.QuotaAsk(field, 1, 0)],
    )
    reviewing.post(reverse("draws:notify", args=[draw.pk]))
    assert f"评审时间地点：{year}年1月3日 09:05，会议室。" in SMSMessage.objects.get().body


def test_notify_texts_time_and_place_once_and_not_the_project(reviewing, reviewer, pool, field):
    draw = make(reviewer, field, 2)
    declined = members_of(draw)[1]
    services.answer(reviewer, draw, declined, Event.Action.DECLINE, "生病")
    reviewing.post(reverse("draws:notify", args=[draw.pk]))
    messages = list(SMSMessage.objects.all())
    assert len(messages) == 1
    body = messages[0].body
    assert "会议室" in body and timezone.localtime(draw.review_at).strftime("%H:%M") in body
    assert "项目" not in body
    again = reviewing.post(reverse("draws:notify", args=[draw.pk]))
    assert SMSMessage.objects.count() == 1
    assert said(again)[-1:] == ["抽中的专家均已通知或已记录不参加，没有需要通知的专家。"]


def test_notify_leaves_out_an_expert_who_left_the_pool_and_names_them(
    reviewing, reviewer, pool, field
):
    """An expert frozen or leaving since the draw is not asked to the review by SMS; the
    reviewer is told whom, to record 不参加 and call 补抽."""
    draw = make(reviewer, field, 2)
    staying, frozen = members_of(draw)
    ExpertApplication.objects.filter(pk=frozen).update(status=ApplicationStatus.FROZEN)
    name = ExpertApplication.objects.get(pk=frozen).user.real_name

    response = reviewing.post(reverse("draws:notify", args=[draw.pk]))

    [message] = SMSMessage.objects.all()
    assert message.to == ExpertApplication.objects.get(pk=staying).mobile
    assert said(response) == [
        "已将评审时间和地点短信通知1位专家，短信将在几秒内发出。",
        f"{name}（已冻结）当前不是“审核通过”状态，不能参加评审，未发短信通知。"
        "请为其记录“不参加”，并按需补抽。",
    ]
    assert not Event.objects.filter(application_id=frozen, action=Event.Action.NOTIFY).exists()


# The 复核 -------------------------------------------------------------------------------------


def test_verify_agrees_and_a_tampered_seed_shows_the_mismatch(reviewing, reviewer, pool, field):
    draw = make(reviewer, field, 3)
    drawn = Round.objects.get(quota__draw=draw)
    page = reviewing.get(reverse("draws:verify", args=[draw.pk])).content.decode()
    assert "一致" in page and "不一致" not in page

    tampered = factories.seed_that_changes(drawn)
    page = reviewing.get(
        reverse("draws:verify", args=[draw.pk]), {"round": drawn.pk, "seed": tampered}
    ).content.decode()
    assert "不一致" in page and "不是记录中保存的种子" in page
    bad = reviewing.get(reverse("draws:verify", args=[draw.pk]), {"round": drawn.pk, "seed": "x"})
    assert "随机种子应为64位十六进制数字" in bad.content.decode()
    # Pasted with spaces and in capitals: the same seed.
    pasted = reviewing.get(
        reverse("draws:verify", args=[draw.pk]),
        {"round": drawn.pk, "seed": f"  {tampered.upper()} "},
    ).content.decode()
    assert "不一致" in pasted
    # A round that is not a number, or not this draw's: said so, never a silent "一致".
    other = make(reviewer, field, 1)
    elsewhere = Round.objects.get(quota__draw=other).pk
    for round_value in ("abc", "1.5", str(elsewhere), "99999999"):
        page = reviewing.get(
            reverse("draws:verify", args=[draw.pk]), {"round": round_value, "seed": tampered}
        )
        assert page.status_code == 200
        text = page.content.decode()
        assert "所选轮次不属于本抽取记录" in text and "不是记录中保存的种子" not in text

    call_command("verify_draw", draw.pk)
    with pytest.raises(CommandError, match="复核不一致"):
        call_command("verify_draw", draw.pk, "--round", drawn.pk, "--seed", tampered)
    # Another draw's round: refused, never a silent "一致" with the seed dropped.
    with pytest.raises(
        CommandError, match=f"不属于抽取记录 {draw.pk}。本记录的轮次编号：{drawn.pk}"
    ):
        call_command("verify_draw", draw.pk, "--round", elsewhere, "--seed", tampered)
    shown = reviewing.get(reverse("draws:verify", args=[draw.pk])).content.decode()
    assert f"轮次编号 {drawn.pk}" in shown


def test_a_bad_seed_is_kept_in_its_rounds_field_and_its_round_named(
    reviewing, reviewer, pool, field
):
    """Two rounds (a 补抽 made the second); a bad seed typed for the second: kept as typed in
    that round's field, marked, the error under it; the top names the round; the first
    round's field keeps its stored seed, unmarked."""
    draw = make(reviewer, field, 2)
    reviewing.post(
        reverse("draws:answer", args=[draw.pk]),
        {"application": members_of(draw)[0], "action": "decline", "reason": "出差"},
    )
    services.redraw(reviewer, draw, draw.quota_set.get())
    first, second = Round.objects.filter(quota__draw=draw).order_by("number")

    page = reviewing.get(
        reverse("draws:verify", args=[draw.pk]), {"round": second.pk, "seed": "xyz123"}
    )

    html = page.content.decode()
    [top] = re.findall(r'<div class="alert alert-danger" role="alert">(.*?)</div>', html)
    assert top == (
        f'<a href="#seed-{second.pk}" class="alert-link">电子信息 · 第2轮</a>：'
        "随机种子应为64位十六进制数字（0-9、a-f）。"
    )
    typed = tag(page, f"seed-{second.pk}")
    assert 'value="xyz123"' in typed
    assert "is-invalid" in typed and 'aria-invalid="true"' in typed
    assert f'aria-describedby="seed-{second.pk}-error"' in typed
    assert re.search(
        rf'<div id="seed-{second.pk}-error"[^>]*>随机种子应为64位十六进制数字（0-9、a-f）。</div>',
        html,
    )
    stored = tag(page, f"seed-{first.pk}")
    assert f'value="{first.seed}"' in stored and "is-invalid" not in stored


def readme_check_by_hand() -> str:
    """The README's loop that ranks a round's downloaded list by hand."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    return next(line for line in readme.splitlines() if line.startswith("for id in $(tr"))


def test_a_round_is_checked_by_hand_from_its_downloaded_list(
    reviewing, reviewer, pool, field, tmp_path
):
    draw = make(reviewer, field, 2, reserves=1)
    drawn = Round.objects.get(quota__draw=draw)
    page = reviewing.get(reverse("draws:verify", args=[draw.pk])).content.decode()
    url = reverse("draws:eligible", args=[draw.pk, drawn.pk])
    assert f'href="{url}"' in page and "下载名单" in page
    # Each name with its number, which is what the list and the hand check speak of.
    first = ExpertApplication.objects.get(pk=drawn.picked_ids[0])
    assert f'{first.user.real_name}<span class="text-body-secondary">（{first.pk}）</span>' in page

    response = reviewing.get(url)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f"draw-{draw.pk}-round-{drawn.pk}-eligible.txt" in response["Content-Disposition"]
    listed = response.content
    assert listed.decode() == ",".join(str(pk) for pk in sorted(e.pk for e in pool))
    assert hashlib.sha256(listed).hexdigest() == drawn.eligible_hash  # sha256sum's answer
    # The README's loop, run as written on the file, names the drawn experts, then the 备选.
    name = f"draw-{draw.pk}-round-{drawn.pk}-eligible.txt"
    (tmp_path / name).write_bytes(listed)
    loop = readme_check_by_hand().replace("draw-7-round-12-eligible.txt", name)
    ranked = subprocess.run(
        ["bash", "-c", loop],
        cwd=tmp_path,
        env={"SEED": drawn.seed, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert [int(pk) for pk in ranked[1::2][:3]] == drawn.picked_ids


def test_a_rounds_list_is_the_bureaus_and_the_draws_own(client, reviewer, pool, field, unit):
    draw, other = make(reviewer, field, 1), make(reviewer, field, 1)
    elsewhere = Round.objects.get(quota__draw=other)
    client.force_login(reviewer)
    assert client.get(reverse("draws:eligible", args=[draw.pk, elsewhere.pk])).status_code == 404
    client.force_login(factories.unit_account(unit))
    assert client.get(reverse("draws:eligible", args=[other.pk, elsewhere.pk])).status_code == 403


@pytest.mark.postgres
def test_verify_sees_a_record_altered_behind_the_triggers(reviewer, pool, field):
    # Only with the table's protection switched off (pgtrigger.ignore) can a row change: the
    # 复核 then tells which part no longer agrees.
    draw = make(reviewer, field, 2)
    drawn = Round.objects.get(quota__draw=draw)
    with pgtrigger.ignore("draws.Round:draw_round_no_update"):
        Round.objects.filter(pk=drawn.pk).update(eligible_ids=drawn.eligible_ids[:-1])
    check = verify(draw)[0]
    assert not check.hash_ok and not check.ok
    with pgtrigger.ignore("draws.Round:draw_round_no_update"):
        Round.objects.filter(pk=drawn.pk).update(
            eligible_ids=drawn.eligible_ids, seed=factories.seed_that_changes(drawn)
        )
    check = verify(draw)[0]
    assert check.hash_ok and not check.match and not check.ok


@pytest.mark.postgres
def test_the_record_cannot_be_altered(reviewer, pool, field):
    draw = make(reviewer, field, 2)
    Event.objects.create(
        draw=draw, application=pool[0], action=Event.Action.CONFIRM, actor=reviewer
    )
    now = timezone.now()
    for query, change in (
        (Draw.objects.filter(pk=draw.pk), {"created_at": now}),
        (Quota.objects.filter(draw=draw), {"count": 9}),
        (Round.objects.filter(quota__draw=draw), {"created_at": now}),
        (Pick.objects.filter(draw=draw), {"created_at": now}),
        (Event.objects.filter(draw=draw), {"reason": "事后改写"}),
    ):
        assert query.exists()
        with pytest.raises(DatabaseError), transaction.atomic():
            query.update(**change)
        with pytest.raises(DatabaseError), transaction.atomic():
            query.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Round.objects.filter(quota__draw=draw).update(seed="0" * 64)
    assert all(check.ok for check in verify(draw))


# Who sees what --------------------------------------------------------------------------------


def test_units_and_applicants_never_see_draws(client, reviewer, pool, field, unit):
    draw = make(reviewer, field, 1)
    for user in (factories.unit_account(unit), pool[0].user):
        client.force_login(user)
        for url in (reverse("draws:list"), reverse("draws:detail", args=[draw.pk])):
            assert client.get(url).status_code == 403


def test_an_expert_sees_only_their_own_draws_on_home(client, reviewer, pool, field):
    draw = make(reviewer, field, 1)
    chosen = ExpertApplication.objects.get(pk=members_of(draw)[0])
    other = next(p for p in pool if p.pk != chosen.pk)
    client.force_login(chosen.user)
    page = client.get(reverse("experts:home")).content.decode()
    assert "评审抽取" in page and "会议室" in page and "待确认" in page
    assert "尚未确认的，工作人员将与您联系" in page
    assert "项目" not in page.split("评审抽取", 1)[1].split("</section>", 1)[0]
    client.force_login(other.user)
    assert "评审抽取" not in client.get(reverse("experts:home")).content.decode()


def test_an_expert_whose_admission_was_revoked_after_a_draw_still_sees_it(
    client, reviewing, reviewer, pool, field
):
    """Texted about a review, then 撤销入库 (公示异议): the review stays on their page, as one
    they need not attend (only an expert in the pool can be confirmed), and the bureau's page
    says to record 不参加 and 补抽."""
    from experts.services import revoke_admission

    draw = make(reviewer, field, 1)
    chosen = ExpertApplication.objects.get(pk=members_of(draw)[0])
    ExpertApplication.objects.filter(pk=chosen.pk).update(decided_at=timezone.now())
    revoke_admission(ExpertApplication.objects.get(pk=chosen.pk), reviewer, reason="异议属实")
    assert ExpertApplication.objects.get(pk=chosen.pk).status == ApplicationStatus.REJECTED

    bureau = reviewing.get(reverse("experts:bureau_detail", args=[chosen.pk])).content.decode()
    notice = bureau.split('data-testid="coming-reviews"', 1)[1].split("</div>", 1)[0]
    assert "入库已撤销，请到对应的抽取记录中记录“不参加”并补抽" in notice
    assert draw.project_name in notice
    client.force_login(chosen.user)  # the same client as `reviewing`: from here the expert
    page = client.get(reverse("experts:home")).content.decode()
    assert 'data-testid="my-draws"' in page and "会议室" in page
    listed = page.split('data-testid="my-draws"', 1)[1].split("</section>", 1)[0]
    assert "无需参加（已不在专家库）" in listed and "待确认" not in listed
    assert "工作人员将与您联系" not in listed  # no one will: they need not attend
    # 我的个人信息 says the same of it.
    own = client.get(reverse("experts:own_data_download")).json()
    assert [draw["状态"] for draw in own["评审抽取"]] == ["无需参加（已不在专家库）"]


def test_an_expert_asking_to_leave_is_warned_of_the_review_ahead_and_told_it_after(
    client, reviewer, pool, field
):
    """申请退出 names the review still ahead (the bureau must arrange another expert in time);
    once asked, the unanswered review reads 无需参加 for that reason, not 已不在专家库: the exit
    is not yet confirmed (an outside walk of an expert's year)."""
    draw = make(reviewer, field, 1)
    chosen = ExpertApplication.objects.get(pk=members_of(draw)[0])
    ExpertApplication.objects.filter(pk=chosen.pk).update(decided_at=timezone.now())
    client.force_login(chosen.user)

    page = client.get(reverse("experts:home")).content.decode()
    when = timezone.localtime(draw.review_at).strftime("%Y-%m-%d %H:%M")
    warning = f"您已被抽取参加{when}的评审，申请退出后请及时与市科技局联系，确定是否仍参加。"
    assert page.count(warning) == 2  # 申请退出 and 撤回同意并申请退出

    client.post(reverse("experts:applicant_act", args=["exit"]))
    assert ExpertApplication.objects.get(pk=chosen.pk).status == ApplicationStatus.EXIT_PENDING
    listed = client.get(reverse("experts:home")).content.decode()
    listed = listed.split('data-testid="my-draws"', 1)[1].split("</section>", 1)[0]
    assert "无需参加（您已申请退出专家库）" in listed and "已不在专家库" not in listed


def test_a_voided_draw_is_no_review_to_arrange_for_an_exit(reviewing, reviewer, pool, field):
    draw = make(reviewer, field, 1)
    leaving = members_of(draw)[0]
    services.void(reviewer, draw, "录入错误")
    ExpertApplication.objects.filter(pk=leaving).update(status=ApplicationStatus.EXIT_PENDING)

    page = reviewing.get(reverse("experts:bureau_detail", args=[leaving])).content.decode()

    assert "coming-reviews" not in page and "确认退出" in page


def test_the_record_page_reads_a_fixed_number_of_queries(reviewing, reviewer, unit, field):
    for _ in range(12):
        expert(unit)
    small, large = make(reviewer, field, 1), make(reviewer, field, 6, reserves=4)
    counts = []
    for draw in (small, large):
        services.answer(reviewer, draw, members_of(draw)[0], Event.Action.DECLINE, "出差")
        with CaptureQueriesContext(connection) as queries:
            assert reviewing.get(reverse("draws:detail", args=[draw.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_pending_unit_is_not_a_unit_to_avoid(reviewer, unit, field):
    pending = factories.make_unit(UnitStatus.PENDING)
    form = DrawForm(form_data(avoid_units=f"{unit.name}\n{pending.name}"), user=reviewer)
    assert not form.is_valid()
    assert form.errors["avoid_units"] == [
        f"回避单位“{pending.name}”不存在或未通过审核，请填写已通过审核单位的完整名称"
        "（未通过审核的单位没有入库专家，无需回避）。"
    ]


def test_every_approved_unit_of_an_avoided_name_is_avoided(reviewing, reviewer, field):
    """A unit's name is not unique (its credit code is): both units of one name are avoided,
    and the confirmation says so."""
    first = factories.make_unit(UnitStatus.APPROVED, name="同名研究院")
    second = factories.make_unit(UnitStatus.APPROVED, name="同名研究院")
    for owner in (first, second, factories.make_unit(UnitStatus.APPROVED)):
        expert(owner)
    data = form_data(avoid_units="同名研究院", **quota(0, field, 1))

    form = DrawForm(data, user=reviewer)
    assert form.is_valid(), form.errors
    assert form.criteria().avoid_unit_ids == tuple(sorted([first.pk, second.pk]))
    page = reviewing.post(reverse("draws:new"), data).content.decode()
    assert "同名研究院（同名2个单位，均回避）" in page
    assert re.search(r"<td>电子信息</td><td>1</td><td>0</td><td>1 人</td>", page)


RACES = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_draws_at_once_respect_each_others_cool_down(reference_data):
    """Two reviewers draw one expert each from a field of two, with a cool-down, at the same
    moment (RACES times, each on a fresh sub-field): the field's lock makes the second see the
    first's pick, so they always differ. Without the lock about one race in three draws the
    same expert twice."""
    unit = factories.make_unit(UnitStatus.APPROVED)
    field = Discipline.objects.get(code="01")
    reviewers = [factories.make_reviewer(), factories.make_reviewer()]
    for race in range(RACES):
        sub = Discipline.objects.create(code=f"01{90 + race}", name=f"子领域{race}", parent=field)
        pool = set()
        for _ in range(2):
            application = expert(unit)
            application.disciplines.set([sub])
            pool.add(application.pk)
        barrier = threading.Barrier(2)
        results, errors = [], []

        def draw(reviewer, sub=sub, barrier=barrier, results=results, errors=errors):
            try:
                barrier.wait()
                made = make(reviewer, sub, 1, criteria=Criteria(cooldown_days=30))
                results.append(drawn_ids(made))
            except Exception as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=draw, args=(r,)) for r in reviewers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(results) == 2 and results[0] | results[1] == pool, race


# The export ----------------------------------------------------------------------------------


def sheet_rows(response) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response)), read_only=True)
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]


def test_a_draw_exports_its_experts_masked_and_audited(reviewing, reviewer, pool, field):
    draw = make(reviewer, field, 2, reserves=2)
    declined = members_of(draw)[0]
    services.answer(reviewer, draw, declined, Event.Action.DECLINE, "出差")
    called = services.call_reserve(reviewer, draw, draw.quota_set.get()).member.application_id
    url = reverse("draws:export", args=[draw.pk])
    assert '共 <span data-testid="export-count">4</span> 人' in reviewing.get(url).content.decode()

    response = reviewing.post(url, {})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = sheet_rows(response)
    header = rows.index(next(row for row in rows if row and row[0] == "抽取领域"))
    titles = {row[0]: row[1] for row in rows[:header] if row and row[0]}
    assert titles["项目名称"] == "项目" and titles["抽取记录编号"] == draw.pk
    assert titles["是否含敏感信息"].startswith("否")
    assert "抽取条件" in titles and "筛选条件" not in titles
    # What a 复核 needs besides the eligible ids: each row's quota, and each round's seed.
    drawn = Round.objects.get(quota__draw=draw)
    assert titles[f"抽取名额：{field.name}"] == (
        f"抽取2人，备选2人。第1轮符合条件{drawn.eligible_count}人，随机种子{drawn.seed}"
    )
    body = rows[header + 1 :]
    assert [row[1] for row in body] == ["抽中", "抽中", "递补", "备选"]
    assert body[0][3] == "不参加（出差）" and body[3][3] == "未递补"
    names = {ExpertApplication.objects.get(pk=pk).user.real_name for pk in drawn_ids(draw)}
    assert {row[4] for row in body} == names
    # The pool's columns follow the lead ones (experts.exports.COLUMNS), labels not codes.
    named = [dict(zip(rows[header], row, strict=True)) for row in body]
    assert {(line["最高学历"], line["单位性质"], line["所在区"]) for line in named} == {
        ("博士研究生", "高等院校", "洪山区")
    }
    called_user = ExpertApplication.objects.get(pk=called).user
    assert called_user.id_number not in str(rows)  # masked
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.object_id == str(draw.pk) and "条数：4" in event.detail


def test_the_export_names_a_fresh_rounds_member_and_who_was_told(reviewing, reviewer, pool, field):
    draw = make(reviewer, field, 1)
    services.answer(reviewer, draw, members_of(draw)[0], Event.Action.DECLINE, "出差")
    services.redraw(reviewer, draw, draw.quota_set.get())
    services.notify(reviewer, draw)

    rows = sheet_rows(reviewing.post(reverse("draws:export", args=[draw.pk]), {}))

    header = rows.index(next(row for row in rows if row and row[0] == "抽取领域"))
    body = rows[header + 1 :]
    assert [(row[1], row[3]) for row in body] == [
        ("抽中", "不参加（出差）"),
        ("补抽", "待确认，已短信通知"),
    ]


def test_a_draw_exports_in_full_only_with_a_reason(reviewing, reviewer, pool, field):
    draw = make(reviewer, field, 1)
    url = reverse("draws:export", args=[draw.pk])
    refused = reviewing.post(url, {"scope": "full"})
    assert refused.status_code == 400
    assert "选择“含敏感信息”时，请填写理由" in refused.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT_SENSITIVE).exists()
    rows = sheet_rows(reviewing.post(url, {"scope": "full", "reason": "核对劳务费账户"}))
    chosen = ExpertApplication.objects.get(pk=members_of(draw)[0])
    assert chosen.user.id_number in str(rows)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT_SENSITIVE)
    assert "理由：核对劳务费账户" in event.detail


def test_a_full_export_masks_the_numbers_of_one_who_withdrew_the_consent(
    reviewing, reviewer, pool, field
):
    """PIPL walk S2: no consent, no numbers, whatever the export's tick."""
    draw = make(reviewer, field, 2)
    withdrawn, staying = (ExpertApplication.objects.get(pk=pk) for pk in members_of(draw)[:2])
    experts_services.withdraw_consent(withdrawn, withdrawn.user)
    rows = sheet_rows(
        reviewing.post(reverse("draws:export", args=[draw.pk]), {"scope": "full", "reason": "核对"})
    )
    text = str(rows)
    assert staying.user.id_number in text
    assert withdrawn.user.id_number not in text
    assert masked_id_number(withdrawn.user.id_number) in text


@pytest.mark.parametrize(
    ("level", "said"),
    [
        ("", "不限"),
        ("senior", "正高级"),
        ("associate", "副高级及以上"),
        ("intermediate", "中级及以上"),
    ],
)
def test_the_record_names_the_level_as_the_form_offers_it(level, said):
    """正高级 is the highest: the record does not say 正高级及以上, as the form does not."""
    assert Criteria(min_title_level=level).title_label() == said
    offered = dict(DrawForm.base_fields["min_title_level"].choices)
    assert offered[level] == said


def test_a_repeated_field_is_said_at_the_row_that_repeats_it(reviewing, pool, field):
    """Rows 1 and 3 name the same 专业领域: said under row 3's, naming row 1, linked."""
    page = reviewing.post(
        reverse("draws:new"), form_data(**quota(0, field, 1), **quota(2, field, 1))
    )

    assert page.status_code == 400
    said = "与第1行的专业领域相同，请合并为一行。"
    assert (
        f'<a href="#id_quota-2-discipline" class="alert-link">第3行专业领域</a>：{said}'
    ) in summary_of(page)
    assert "is-invalid" in tag(page, "id_quota-2-discipline")
    assert "is-invalid" not in tag(page, "id_quota-0-discipline")


def test_the_list_says_how_each_panel_stands_in_the_same_queries_for_one_draw_or_three(
    reviewing, reviewer, pool, field
):
    """确认情况: of the places asked, how many confirmed, declined, are still to answer, and a
    place left open by a 不参加 until 递补 fills it (as the draw's page counts them)."""
    draw = make(reviewer, field, 3, reserves=1)
    first, second, _third = members_of(draw)
    services.answer(reviewer, draw, first, "confirm")
    services.answer(reviewer, draw, second, "decline", "评审当天出差")
    url = reverse("draws:list")
    with CaptureQueriesContext(connection) as one:
        listed = reviewing.get(url).content.decode()
    assert "已确认 1/3" in listed and "待确认 1" in listed and "不参加 1" in listed
    assert "空缺 1" in listed
    # Each row has a cell under each heading.
    table = listed.split("<table", 1)[1].split("</table>", 1)[0]
    headings = len(re.findall(r"<th[\s>]", table))
    rows = table.split("<tbody", 1)[1].split("<tr")[1:]
    assert headings == 6 and all(len(re.findall(r"<td[\s>]", row)) == headings for row in rows)

    services.call_reserve(reviewer, draw, draw.quota_set.get())
    filled = reviewing.get(url).content.decode()
    assert "已确认 1/3" in filled and "待确认 2" in filled and "空缺" not in filled

    make(reviewer, field, 1)
    make(reviewer, field, 2)
    with CaptureQueriesContext(connection) as three:
        reviewing.get(url)
    assert len(three) == len(one)
