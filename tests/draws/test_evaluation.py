"""专家评价: after a review, the bureau reviewer grades each expert who confirmed; the record
keeps every grade (a later one corrects the earlier), the pages show the latest, and a draw may
leave out experts graded 不称职 or 无故缺席 in the last N years."""

import datetime
import json

import pgtrigger
import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from draws import services
from draws.models import Draw, Evaluation, Event, Pick
from draws.rules import Criteria, eligible_ids, refusals
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from tests import factories
from tests.draws.test_draws import expert, form_data, make, members_of, quota, said

pytestmark = pytest.mark.django_db

G = Evaluation.Grade
CONFIRM = Event.Action.CONFIRM


@pytest.fixture
def field(db):
    return Discipline.objects.get(code="01")


def held(draw, days_ago=1) -> Draw:
    """`draw` as if its review was held `days_ago` days ago (the record is append-only: its
    review time moves only with the trigger ignored, as a test arranging an earlier day)."""
    with pgtrigger.ignore("draws.Draw:draw_no_update"):
        Draw.objects.filter(pk=draw.pk).update(
            review_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
    draw.refresh_from_db()
    return draw


def sat(reviewer, field, experts, days_ago=1) -> Draw:
    """A draw of exactly `experts` (every other expert avoided), each 确认参加, held
    `days_ago` days ago."""
    chosen = [application.pk for application in experts]
    others = tuple(ExpertApplication.objects.exclude(pk__in=chosen).values_list("pk", flat=True))
    draw = make(reviewer, field, len(experts), criteria=Criteria(avoid_expert_ids=others))
    for application in experts:
        services.answer(reviewer, draw, application.pk, CONFIRM)
    return held(draw, days_ago)


def panel_of(reviewer, unit, field, size=2) -> tuple[Draw, list[int]]:
    """A review held yesterday, `size` members all 确认参加: the draw and its members' ids."""
    experts = [expert(unit) for _ in range(size)]
    draw = sat(reviewer, field, experts)
    return draw, members_of(draw)


def refused(reviewer, draw, application_id, grade, comment="") -> str:
    """What evaluate() says refusing."""
    with pytest.raises(services.DrawError) as refusal:
        services.evaluate(reviewer, draw, application_id, grade, comment)
    return str(refusal.value)


def evaluated_in_audit() -> list[str]:
    return list(
        AuditEvent.objects.filter(action=AuditEvent.Action.DRAW, detail__contains="评价")
        .order_by("at", "pk")
        .values_list("detail", flat=True)
    )


# The service's refusals: each said, nothing saved ------------------------------------------------


def test_a_voided_draw_is_not_evaluated(reviewer, unit, field):
    draw, (first, _) = panel_of(reviewer, unit, field)
    services.void(reviewer, draw, "项目名称填错")
    assert refused(reviewer, draw, first, G.EXCELLENT) == "该抽取记录已作废，不能再进行操作。"
    assert not Evaluation.objects.exists() and evaluated_in_audit() == []


def test_a_review_not_yet_held_is_not_evaluated(reviewer, unit, field):
    expert(unit)
    draw = make(reviewer, field, 1)
    [member] = members_of(draw)
    services.answer(reviewer, draw, member, CONFIRM)
    assert (
        refused(reviewer, draw, member, G.EXCELLENT) == "评审时间尚未到，评审结束后才能评价专家。"
    )
    assert not Evaluation.objects.exists() and evaluated_in_audit() == []


def test_only_a_member_who_confirmed_is_evaluated(reviewer, unit, field):
    for _ in range(4):
        expert(unit)
    draw = make(reviewer, field, 2, reserves=1)
    pending, declined = members_of(draw)
    services.answer(reviewer, draw, declined, Event.Action.DECLINE, "出差")
    reserve = Pick.objects.get(draw=draw, role=Pick.Role.RESERVE).application_id
    outsider = expert(unit, code="02").pk
    held(draw)
    for application_id in (pending, declined):
        name = Pick.objects.filter(application_id=application_id).first().expert_name
        said_now = refused(reviewer, draw, application_id, G.COMPETENT)
        assert said_now == f"{name}未确认参加本次评审，不能评价。"
    for application_id in (reserve, outsider):
        assert refused(reviewer, draw, application_id, G.COMPETENT) == "该专家不是本次抽中的专家。"
    assert not Evaluation.objects.exists() and evaluated_in_audit() == []


@pytest.mark.parametrize("grade", [G.BASIC, G.INCOMPETENT, G.ABSENT])
def test_a_grade_below_competent_needs_its_comment(reviewer, unit, field, grade):
    draw, (first, _) = panel_of(reviewer, unit, field)
    name = Pick.objects.get(draw=draw, application_id=first).expert_name
    with pytest.raises(services.CommentNeeded) as refused:
        services.evaluate(reviewer, draw, first, grade, "   ")
    assert str(refused.value) == f"评价{name}为“{grade.label}”时，请填写评价说明。"
    assert not Evaluation.objects.exists() and evaluated_in_audit() == []


def test_a_grade_not_offered_is_refused(reviewer, unit, field):
    draw, (first, _) = panel_of(reviewer, unit, field)
    assert refused(reviewer, draw, first, "perfect") == "请选择评价等级。"
    assert not Evaluation.objects.exists()


def test_an_evaluation_is_saved_and_audited(reviewer, unit, field):
    draw, (first, second) = panel_of(reviewer, unit, field)
    services.evaluate(reviewer, draw, first, G.EXCELLENT)
    saved = services.evaluate(reviewer, draw, second, G.INCOMPETENT, " 未阅读材料 ")
    assert (saved.grade, saved.comment, saved.actor) == (G.INCOMPETENT, "未阅读材料", reviewer)
    name = Pick.objects.get(draw=draw, application_id=second).expert_name
    assert evaluated_in_audit()[-1] == (
        f"专家评价：{name}（专家编号 {second}），不称职；说明：未阅读材料"
    )


# Corrections supersede, and both are kept ---------------------------------------------------------


def test_a_correction_supersedes_and_both_are_kept(reviewing, reviewer, unit, field):
    draw, (first, _) = panel_of(reviewer, unit, field)
    name = Pick.objects.get(draw=draw, application_id=first).expert_name
    services.evaluate(reviewer, draw, first, G.ABSENT, "未到会")
    services.evaluate(reviewer, draw, first, G.COMPETENT, "")

    assert list(
        Evaluation.objects.filter(draw=draw).order_by("pk").values_list("grade", flat=True)
    ) == [G.ABSENT, G.COMPETENT]
    assert (
        evaluated_in_audit()[-1]
        == f"专家评价：{name}（专家编号 {first}），称职（更正，原为无故缺席）"
    )
    page = reviewing.get(reverse("draws:detail", args=[draw.pk])).content.decode()
    row = page.split(f'data-testid="evaluation-{first}"')[1].split("</li>")[0]
    assert '<span class="badge text-bg-primary" data-testid="grade">称职</span>' in row
    assert 'data-testid="corrected">已更正</span>' in row
    assert "更正前：无故缺席（未到会）" in row
    # The rule reads the latest grade: corrected to 称职, the expert is drawn again.
    assert first in eligible_ids(reviewer, Criteria(poor_grade_years=3), field.pk)


# The form, by HTTP -------------------------------------------------------------------------------


def test_the_form_saves_a_grade_and_the_page_shows_who_and_when(reviewing, reviewer, unit, field):
    draw, (first, second) = panel_of(reviewer, unit, field)
    url = reverse("draws:detail", args=[draw.pk])
    page = reviewing.get(url).content.decode()
    assert 'id="evaluations-title">专家评价</h2>' in page
    assert page.count(f'action="{reverse("draws:evaluate", args=[draw.pk])}"') == 2

    done = reviewing.post(
        reverse("draws:evaluate", args=[draw.pk]),
        {"application": first, "grade": "excellent", "comment": "意见中肯"},
    )
    assert (done.status_code, done.url) == (302, url + "#evaluations")
    evaluation = Evaluation.objects.get()
    assert (evaluation.application_id, evaluation.grade) == (first, G.EXCELLENT)
    page = reviewing.get(url).content.decode()
    row = page.split(f'data-testid="evaluation-{first}"')[1].split("</li>")[0]
    assert "优秀" in row and "说明：意见中肯" in row and "已更正" not in row
    assert reviewer.real_name in row
    assert timezone.localtime(evaluation.created_at).strftime("%Y-%m-%d %H:%M") in row
    other = page.split(f'data-testid="evaluation-{second}"')[1].split("</li>")[0]
    assert 'data-testid="grade">待评价</span>' in other


def test_the_form_without_a_needed_comment_keeps_the_grade_and_marks_the_field(
    reviewing, reviewer, unit, field
):
    draw, (first, _) = panel_of(reviewer, unit, field)
    refused = reviewing.post(
        reverse("draws:evaluate", args=[draw.pk]), {"application": first, "grade": "incompetent"}
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    row = page.split(f'data-testid="evaluation-{first}"')[1].split("</li>")[0]
    assert '<option value="incompetent" selected>不称职</option>' in row
    assert 'class="invalid-feedback d-block">评价为“不称职”时，请填写评价说明。</div>' in row
    assert not Evaluation.objects.exists()


def test_a_grade_not_chosen_is_said(reviewing, reviewer, unit, field):
    draw, (first, _) = panel_of(reviewer, unit, field)
    response = reviewing.post(
        reverse("draws:evaluate", args=[draw.pk]), {"application": first, "grade": ""}
    )
    assert said(response) == ["请选择评价等级。"]
    assert not Evaluation.objects.exists()


def test_units_and_applicants_may_not_evaluate(client, reviewer, unit, field):
    draw, (first, _) = panel_of(reviewer, unit, field)
    applicant = factories.make_applicant(unit, ApplicationStatus.APPROVED)
    url = reverse("draws:evaluate", args=[draw.pk])
    for user in (factories.unit_account(unit), applicant):
        client.force_login(user)
        posted = client.post(url, {"application": first, "grade": "excellent"})
        assert posted.status_code == 403
        assert client.get(reverse("draws:detail", args=[draw.pk])).status_code == 403
    client.force_login(reviewer)
    missing = reverse("draws:evaluate", args=[draw.pk + 1000])
    assert client.post(missing, {"application": first, "grade": "excellent"}).status_code == 404
    assert client.get(url).status_code == 405
    assert not Evaluation.objects.exists()


def test_before_the_review_the_page_has_no_evaluation_form(reviewing, reviewer, unit, field):
    expert(unit)
    draw = make(reviewer, field, 1)
    services.answer(reviewer, draw, members_of(draw)[0], CONFIRM)
    page = reviewing.get(reverse("draws:detail", args=[draw.pk])).content.decode()
    assert 'data-testid="evaluations"' not in page
    assert reverse("draws:evaluate", args=[draw.pk]) not in page


def test_the_record_page_reads_the_same_queries_for_one_member_or_five(
    reviewing, reviewer, unit, field
):
    counts = []
    for size in (1, 5):
        draw, members = panel_of(reviewer, unit, field, size)
        for application_id in members:
            services.evaluate(reviewer, draw, application_id, G.ABSENT, "未到会")
            services.evaluate(reviewer, draw, application_id, G.COMPETENT)
        with CaptureQueriesContext(connection) as queries:
            page = reviewing.get(reverse("draws:detail", args=[draw.pk]))
        assert page.content.decode().count('data-testid="corrected"') == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


# 待评价 on the list -------------------------------------------------------------------------------


def test_the_list_says_how_many_are_still_to_evaluate(reviewing, reviewer, unit, field):
    draw, (first, second) = panel_of(reviewer, unit, field)
    expert(unit)
    ahead = make(reviewer, field, 1)  # not held yet: nothing to evaluate
    services.answer(reviewer, ahead, members_of(ahead)[0], CONFIRM)
    url = reverse("draws:list")

    with CaptureQueriesContext(connection) as before:
        listed = reviewing.get(url).content.decode()
    # One draw's: said in its row's narrow cell and its wide one, as 确认情况 is.
    assert listed.count('data-testid="to-evaluate"') == 2
    assert 'data-testid="to-evaluate">待评价 2</span>' in listed

    services.evaluate(reviewer, draw, first, G.EXCELLENT)
    with CaptureQueriesContext(connection) as after:
        listed = reviewing.get(url).content.decode()
    assert 'data-testid="to-evaluate">待评价 1</span>' in listed
    assert len(after) == len(before)

    services.evaluate(reviewer, draw, second, G.COMPETENT)
    assert 'data-testid="to-evaluate"' not in reviewing.get(url).content.decode()


# The draw rule ---------------------------------------------------------------------------------


@pytest.fixture
def graded(reviewer, unit, field):
    """Five experts in 电子信息: `recent` graded 不称职 at a review a year ago, `old` 无故缺席
    four years ago, `corrected` 无故缺席 a year ago but corrected to 称职, and two never
    graded."""
    recent, old, corrected, *fresh = [expert(unit) for _ in range(5)]
    last_year = sat(reviewer, field, [recent, corrected], days_ago=365)
    services.evaluate(reviewer, last_year, recent.pk, G.INCOMPETENT, "未履行评审职责")
    services.evaluate(reviewer, last_year, corrected.pk, G.ABSENT, "未到会")
    services.evaluate(reviewer, last_year, corrected.pk, G.COMPETENT, "")
    long_ago = sat(reviewer, field, [old], days_ago=4 * 365 + 1)
    services.evaluate(reviewer, long_ago, old.pk, G.ABSENT, "未到会")
    return {"recent": recent, "old": old, "corrected": corrected, "fresh": fresh}


def test_the_rule_leaves_out_a_poor_grade_within_n_years_only(reviewer, field, graded):
    named = [graded["recent"], graded["old"], graded["corrected"], *graded["fresh"]]
    everyone = sorted(application.pk for application in named)
    ruled = eligible_ids(reviewer, Criteria(poor_grade_years=3), field.pk)
    assert ruled == sorted(set(everyone) - {graded["recent"].pk})
    assert eligible_ids(reviewer, Criteria(poor_grade_years=5), field.pk) == sorted(
        set(everyone) - {graded["recent"].pk, graded["old"].pk}
    )
    # Off by default, and a record made before the rule (no key) draws as before.
    assert eligible_ids(reviewer, Criteria(), field.pk) == everyone
    assert Criteria.from_json({"cooldown_days": 0}).poor_grade_years == 0
    assert refusals(
        reviewer,
        Criteria(poor_grade_years=3),
        field.pk,
        graded["recent"].pk,
        review_at=timezone.now() + datetime.timedelta(days=30),
        draw_id=None,
    ) == ["近期专家评价为不称职或无故缺席"]


def test_the_rule_is_one_query_per_quota(reviewer, field, graded):
    """As the cool-down: the rule is a subquery of the eligible set's own query."""
    for criteria in (Criteria(), Criteria(poor_grade_years=3, cooldown_days=30, yearly_cap=2)):
        with CaptureQueriesContext(connection) as queries:
            eligible_ids(reviewer, criteria, field.pk)
        assert len(queries) == 1


def test_a_reserve_graded_poorly_since_the_draw_is_passed_over(reviewer, unit, field):
    member, reserve = expert(unit), expert(unit)
    draw = make(reviewer, field, 1, reserves=1, criteria=Criteria(poor_grade_years=3))
    [drawn] = members_of(draw)
    called = reserve.pk if drawn == member.pk else member.pk
    # Between the draw and its review the 备选 sits another review and is graded 不称职.
    elsewhere = sat(reviewer, field, [ExpertApplication.objects.get(pk=called)], days_ago=2)
    services.evaluate(reviewer, elsewhere, called, G.INCOMPETENT, "未履行评审职责")
    services.answer(reviewer, draw, drawn, Event.Action.DECLINE, "出差")
    with pytest.raises(services.DrawError) as refusal:
        services.call_reserve(reviewer, draw, draw.quota_set.get())
    name = Pick.objects.get(draw=draw, application_id=called).expert_name
    assert f"{name}（近期专家评价为不称职或无故缺席）" in str(refusal.value)


def test_the_draw_and_its_redraw_apply_the_rule(reviewer, field, graded):
    criteria = Criteria(poor_grade_years=3)
    draw = make(reviewer, field, 3, criteria=criteria)
    drawn = Pick.objects.filter(draw=draw).values_list("application_id", flat=True)
    assert graded["recent"].pk not in drawn
    eligible = set(draw.quota_set.get().round_set.get().eligible_ids)
    assert graded["recent"].pk not in eligible and graded["old"].pk in eligible
    # 补抽: one declines; the one expert left is the one the rule allows, never `recent`.
    services.answer(reviewer, draw, members_of(draw)[0], Event.Action.DECLINE, "出差")
    fresh = services.redraw(reviewer, draw, draw.quota_set.get())
    [left] = eligible - set(drawn)
    assert fresh.eligible_ids == [left] and fresh.picked_ids == [left]
    # Once that one declines too, nobody is left but `recent`: 补抽 refuses.
    services.answer(reviewer, draw, left, Event.Action.DECLINE, "出差")
    with pytest.raises(services.DrawError, match="已没有，不足以补足1个空缺名额"):
        services.redraw(reviewer, draw, draw.quota_set.get())


def test_the_rule_is_set_on_the_form_and_shown_on_the_record(reviewing, reviewer, field, graded):
    data = form_data(poor_grade_years="3", **quota(0, field, 2))
    confirm = reviewing.post(reverse("draws:new"), data).content.decode()
    assert "排除近3年有“不称职”或“无故缺席”评价的专家" in confirm
    assert "<td>4 人</td>" in confirm  # five in the field, `recent` left out
    token = confirm.split('name="token" value="')[1].split('"')[0]
    reviewing.post(reverse("draws:new"), {**data, "confirmed": "1", "token": token})
    draw = Draw.objects.latest("pk")
    assert draw.criteria["poor_grade_years"] == 3
    for name in ("draws:detail", "draws:record"):
        page = reviewing.get(reverse(name, args=[draw.pk])).content.decode()
        assert "专家评价</dt>" in page
        assert "排除近3年有“不称职”或“无故缺席”评价的专家</dd>" in page
    refused = reviewing.post(
        reverse("draws:new"), form_data(poor_grade_years="-1", **quota(0, field, 1))
    )
    assert "年数不能为负数。" in refused.content.decode()


# The printed record, the expert's page, their own data, admin -----------------------------------


def test_the_printed_record_shows_each_members_evaluation(reviewing, reviewer, unit, field):
    draw, (first, second) = panel_of(reviewer, unit, field)
    services.evaluate(reviewer, draw, first, G.EXCELLENT)
    services.evaluate(reviewer, draw, first, G.BASIC, "发言较少")
    page = reviewing.get(reverse("draws:record", args=[draw.pk])).content.decode()
    table = page.split('data-testid="record-evaluations"')[1].split("</table>")[0]
    names = dict(Pick.objects.filter(draw=draw).values_list("application_id", "expert_name"))
    assert (
        f"<td>{names[first]}</td>" in table
        and '基本称职<div class="small">已更正，原为优秀</div>' in table
    )
    assert "<td>发言较少</td>" in table
    assert f"<td>{names[second]}</td>" in table and "未评价" in table
    assert "五、操作记录" in page


def test_the_experts_page_shows_their_evaluation_record(client, reviewer, unit, field, graded):
    client.force_login(reviewer)
    url = reverse("experts:bureau_detail", args=[graded["corrected"].pk])
    page = client.get(url).content.decode()
    card = page.split('data-testid="evaluation-record"')[1].split("</section>")[0]
    assert "评价记录：共 1 次评审" in card
    counts = card.split('data-testid="evaluation-counts">')[1].split("</p>")[0]
    assert [part.split(">")[1] for part in counts.split("</span>")[:-1]] == [
        "优秀 0 次",
        "称职 1 次",
        "基本称职 0 次",
        "不称职 0 次",
        "无故缺席 0 次",
    ]
    assert (
        "（已更正）" in card
        and Draw.objects.get(
            evaluation__application=graded["corrected"], evaluation__grade=G.COMPETENT
        ).project_name
        in card
    )

    # Two reviews or one: the same queries.
    recent = graded["recent"]
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("experts:bureau_detail", args=[recent.pk]))
    again = sat(reviewer, field, [recent], days_ago=30)
    services.evaluate(reviewer, again, recent.pk, G.EXCELLENT)
    with CaptureQueriesContext(connection) as two:
        page = client.get(reverse("experts:bureau_detail", args=[recent.pk])).content.decode()
    card = page.split('data-testid="evaluation-record"')[1].split("</section>")[0]
    assert "评价记录：共 2 次评审" in card and "优秀 1 次" in card and "不称职 1 次" in card
    assert card.index("优秀</span>") < card.index("不称职</span>")  # newest first
    assert len(one) == len(two)


def test_the_experts_own_data_holds_their_evaluations(client, reviewer, unit, field):
    draw, (first, _) = panel_of(reviewer, unit, field)
    services.evaluate(reviewer, draw, first, G.ABSENT, "未到会")
    services.evaluate(reviewer, draw, first, G.COMPETENT)
    person = Pick.objects.get(draw=draw, application_id=first).application.user
    client.force_login(person)
    data = json.loads(client.get(reverse("experts:own_data_download")).content)
    rows = data["专家评价"]
    assert [(row["抽取编号"], row["评价"], row["评价说明"], row["状态"]) for row in rows] == [
        (str(draw.pk), "无故缺席", "未到会", "已更正（以后一次评价为准）"),
        (str(draw.pk), "称职", "", "有效"),
    ]
    assert {row["评价人"] for row in rows} == {"科技局审核员"}
    assert draw.project_name not in json.dumps(rows, ensure_ascii=False)
    page = client.get(reverse("experts:own_data")).content.decode()
    assert ">专家评价</h2>" in page and "无故缺席" in page


def test_admin_lists_evaluations_read_only(client, reviewer, unit, field):
    draw, (first, _) = panel_of(reviewer, unit, field)
    services.evaluate(reviewer, draw, first, G.INCOMPETENT, "未履行评审职责")
    operator = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(operator)
    listing = client.get(reverse("admin:draws_evaluation_changelist")).content.decode()
    assert "未履行评审职责" in listing and "不称职" in listing
    assert client.get(reverse("admin:draws_evaluation_add")).status_code == 403


# Append-only ------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_database_refuses_to_rewrite_or_delete_an_evaluation(reviewer, unit, field):
    draw, (first, _) = panel_of(reviewer, unit, field)
    evaluation = services.evaluate(reviewer, draw, first, G.INCOMPETENT, "未履行评审职责")
    rows = Evaluation.objects.filter(pk=evaluation.pk)
    table = Evaluation._meta.db_table
    with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
        rows.update(grade=G.EXCELLENT)
    with pytest.raises(DatabaseError, match="Cannot delete"), transaction.atomic():
        rows.delete()
    with (
        pytest.raises(DatabaseError, match="Cannot update"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET comment = '' WHERE id = %s", [evaluation.pk])
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(DatabaseError, match="Cannot truncate"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert rows.values_list("grade", "comment").get() == (G.INCOMPETENT, "未履行评审职责")
