"""专家抽取 limited by 专家库's own filters (单位性质, 所在区, 年龄段): the eligible set is the
pool's under the same conditions, the draw never leaves it, the record states the rules and
keeps the day ages are judged on, records made before the rules verify and show as before,
a forged value is refused, and 专家库 opens a new draw with its current filters."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Unit, User
from draws import services
from draws.models import Draw, Pick, Quota, Round
from draws.rules import Criteria, eligible_ids
from draws.selectors import verify
from experts.filters import PoolFilter
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from experts.selectors import applications_for
from tests import factories
from tests.draws.test_draws import form_data, quota, sheet_rows, summary_of

pytestmark = pytest.mark.django_db

OPTICS_VALLEY = "东湖新技术开发区"
UNDER_55 = ("lt35", "35-44", "45-54")
# A record's criteria as every draw stored them before 单位性质, 所在区 and 年龄段 were rules.
OLD_CRITERIA = {
    "avoid_unit_ids": [],
    "avoid_unit_names": [],
    "avoid_expert_ids": [],
    "avoid_expert_names": [],
    "cooldown_days": 0,
    "yearly_cap": 0,
    "min_title_level": "",
}


def aged(years: int) -> datetime.date:
    """A birth date `years` full years before today (1 January: the age all year long)."""
    return datetime.date(timezone.localdate().year - years, 1, 1)


def expert(unit, name, age, code="01", status=ApplicationStatus.APPROVED):
    application = factories.make_applicant(unit, status, name=name).application
    application.disciplines.set(Discipline.objects.filter(code=code))
    ExpertApplication.objects.filter(pk=application.pk).update(birth_date=aged(age))
    return application


@pytest.fixture
def field(db):
    return Discipline.objects.get(code="01")


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)


@pytest.fixture
def scene(db):
    """电子信息's approved experts: two of an enterprise in 东湖新技术开发区 under 55, one of it
    aged 60, one of an enterprise in 江汉区, one of a university in 洪山区; and some who must
    never be drawn (another field, a pending application)."""
    firm = factories.make_unit(name="光谷芯片公司")
    Unit.objects.filter(pk=firm.pk).update(nature="enterprise", district=OPTICS_VALLEY)
    other_firm = factories.make_unit(name="江汉软件公司")
    Unit.objects.filter(pk=other_firm.pk).update(nature="enterprise", district="江汉区")
    university = factories.make_unit(name="洪山大学")  # 高等院校, 洪山区
    return {
        "young": expert(firm, "甲青年", 40),
        "middle": expert(firm, "乙中年", 50),
        "senior": expert(firm, "丙资深", 60),
        "jianghan": expert(other_firm, "丁江汉", 30),
        "university": expert(university, "戊高校", 40),
        "elsewhere": expert(firm, "己外领域", 40, code="02"),
        "waiting": expert(firm, "庚待审", 40, status=ApplicationStatus.PENDING_BUREAU),
    }


def ids(scene, *names) -> list[int]:
    return sorted(scene[name].pk for name in names)


def panel() -> Criteria:
    """Enterprises in 东湖新技术开发区, under 55: the bureau's panel."""
    return Criteria(unit_natures=("enterprise",), districts=(OPTICS_VALLEY,), age_bands=UNDER_55)


def make(reviewer, discipline, count, criteria, reserves=0) -> Draw:
    return services.make_draw(
        reviewer,
        project_name="光谷企业项目评审",
        review_at=factories.review_day(),
        review_place="会议室",
        criteria=criteria,
        asks=[services.QuotaAsk(discipline, count, reserves)],
    )


# The rules narrow the eligible set, by the pool's own conditions ------------------------------


def test_a_panel_from_enterprises_in_a_district_under_55(reviewer, scene, field):
    assert eligible_ids(reviewer, panel(), field.pk) == ids(scene, "young", "middle")
    everyone = ids(scene, "young", "middle", "senior", "jianghan", "university")
    assert eligible_ids(reviewer, Criteria(), field.pk) == everyone


@pytest.mark.parametrize(
    ("criteria", "filters"),
    [
        (dict(unit_natures=("enterprise",)), {"nature": "enterprise"}),
        (dict(unit_natures=("university",)), {"nature": "university"}),
        (dict(districts=(OPTICS_VALLEY,)), {"district": OPTICS_VALLEY}),
        (dict(districts=("江汉区",)), {"district": "江汉区"}),
        (dict(age_bands=("lt35",)), {"age": "lt35"}),
        (dict(age_bands=("35-44",)), {"age": "35-44"}),
        (dict(age_bands=("55-64",)), {"age": "55-64"}),
        (dict(age_bands=("65+",)), {"age": "65+"}),
    ],
)
def test_each_rule_keeps_whom_the_pools_filter_keeps(reviewer, scene, field, criteria, filters):
    """One option of a rule is the pool's list with that option chosen, in the same field."""
    pool = PoolFilter({**filters, "discipline": str(field.pk)}, queryset=applications_for(reviewer))
    kept = sorted(pool.qs.values_list("pk", flat=True))
    assert eligible_ids(reviewer, Criteria(**criteria), field.pk) == kept


def test_several_options_of_a_rule_keep_the_experts_of_any(reviewer, scene, field):
    both = Criteria(unit_natures=("enterprise", "university"))
    assert eligible_ids(reviewer, both, field.pk) == ids(
        scene, "young", "middle", "senior", "jianghan", "university"
    )
    ages = Criteria(age_bands=("lt35", "55-64"))
    assert eligible_ids(reviewer, ages, field.pk) == ids(scene, "senior", "jianghan")


def test_the_draw_never_takes_anyone_outside_the_rules(reviewer, scene, field):
    draw = make(reviewer, field, 1, panel(), reserves=1)
    drawn = Round.objects.get(quota__draw=draw)
    assert drawn.eligible_ids == ids(scene, "young", "middle")
    picked = set(Pick.objects.filter(draw=draw).values_list("application_id", flat=True))
    assert picked == set(ids(scene, "young", "middle"))
    with pytest.raises(services.NotEnough) as short:
        make(reviewer, field, 3, panel())
    assert (short.value.eligible, short.value.wanted) == (2, 3)


# The form: the rules offered as the pool offers them; the counts under them ---------------------


def test_the_form_offers_the_pools_options(client, reviewer):
    client.force_login(reviewer)
    page = client.get(reverse("draws:new")).content.decode()
    for label in ("单位性质", "所在区", "年龄段", "高等院校", "企业", OPTICS_VALLEY, "35岁以下"):
        assert label in page
    assert "65岁及以上" in page and "按抽取当日的年龄计算" in page


def test_confirmation_counts_and_states_the_rules_then_the_record_keeps_them(
    client, reviewer, scene, field
):
    client.force_login(reviewer)
    data = form_data(
        **quota(0, field, 1, 1),
        unit_natures=["university", "enterprise"],
        districts=[OPTICS_VALLEY],
        age_bands=list(UNDER_55),
    )
    confirm = client.post(reverse("draws:new"), data)
    text = confirm.content.decode()
    assert confirm.status_code == 200
    assert re.search(r"<td>电子信息</td><td>1</td><td>1</td><td>2 人</td>", text)
    # In the form's order, whatever the order ticked.
    assert '单位性质</dt><dd class="col-sm-9">高等院校、企业</dd>' in text
    assert f'所在区</dt><dd class="col-sm-9">{OPTICS_VALLEY}</dd>' in text
    assert "35岁以下、35—44岁、45—54岁（按抽取当日计算）" in text
    # The confirmation carries every ticked value on.
    assert text.count('name="age_bands"') == 3
    token = re.search(r'name="token" value="([0-9a-f]{32})"', text).group(1)

    done = client.post(reverse("draws:new"), {**data, "confirmed": "1", "token": token})

    draw = Draw.objects.get()
    assert done.status_code == 302
    today = timezone.localdate()
    assert draw.criteria["unit_natures"] == ["university", "enterprise"]
    assert draw.criteria["districts"] == [OPTICS_VALLEY]
    assert draw.criteria["age_bands"] == list(UNDER_55)
    assert draw.criteria["ages_on"] == today.isoformat()
    assert Round.objects.get(quota__draw=draw).eligible_ids == ids(scene, "young", "middle")
    detail = client.get(done.url).content.decode()
    assert '单位性质</dt><dd class="col-sm-9">高等院校、企业</dd>' in detail
    assert f'所在区</dt><dd class="col-sm-9">{OPTICS_VALLEY}</dd>' in detail
    day = f"{today.year}年{today.month}月{today.day}日"
    assert f"35岁以下、35—44岁、45—54岁（按{day}计算）" in detail


def test_more_asked_than_the_rules_leave_names_how_many_they_leave(client, reviewer, scene, field):
    client.force_login(reviewer)
    # Enterprises' experts under 55: three of the five (the 60-year-old and 高等院校's are not).
    data = form_data(**quota(0, field, 3, 1), unit_natures=["enterprise"], age_bands=list(UNDER_55))
    for confirmed in ({}, {"confirmed": "1"}):
        page = client.post(reverse("draws:new"), {**data, **confirmed})
        assert page.status_code == 400
        assert "符合条件的专家只有3人，少于要抽取的4人（含备选）" in summary_of(page)
        # What was ticked stays ticked.
        assert re.search(
            r'<input[^>]*name="unit_natures"[^>]*value="enterprise"[^>]*checked',
            (page.content.decode()),
        )
    assert not Draw.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit_natures": ["enterprise", "bank"]}, "请在列表中选择单位性质。"),
        ({"districts": ["浦东新区"]}, "请在列表中选择所在区。"),
        ({"age_bands": ["70+"]}, "请在列表中选择年龄段。"),
    ],
)
def test_a_forged_option_is_refused_and_nothing_saved(
    client, reviewer, scene, field, change, message
):
    client.force_login(reviewer)
    data = form_data(**quota(0, field, 1), project_name="保留的项目", **change)
    for confirmed in ({}, {"confirmed": "1", "token": "ab" * 16}):
        page = client.post(reverse("draws:new"), {**data, **confirmed})
        assert page.status_code == 400
        assert message in summary_of(page)
        assert 'value="保留的项目"' in page.content.decode()
    assert not Draw.objects.exists() and not Pick.objects.exists()


# The record: 复核, 补抽, what it states, old records ---------------------------------------------


def test_a_record_under_the_new_rules_verifies(reviewer, scene, field):
    draw = make(reviewer, field, 1, panel(), reserves=1)
    assert [check.ok for check in verify(draw)] == [True]
    out = io.StringIO()
    call_command("verify_draw", draw.pk, stdout=out)
    assert f"抽取记录 {draw.pk} 复核一致" in out.getvalue()


def record(reviewer, field, criteria: dict, count=1) -> tuple[Draw, Quota]:
    """A draw's record as stored with `criteria` (JSON as it was written), its quota not yet
    drawn: a 补抽 draws it under the record's rules."""
    draw = Draw.objects.create(
        project_name="早前的抽取",
        review_at=timezone.now() + datetime.timedelta(days=3),
        review_place="会议室",
        criteria=criteria,
        created_by=reviewer,
    )
    quota = Quota.objects.create(
        draw=draw, number=1, discipline=field, discipline_name=field.name, count=count, reserves=0
    )
    return draw, quota


def test_a_redraw_judges_ages_on_the_draws_own_day(reviewer, scene, field):
    """Drawn twenty years ago for those under 35: a 补抽 today takes whom the rule took then
    (today's 40- and 50-year-olds were 20 and 30), not today's under-35s."""
    then = datetime.date(timezone.localdate().year - 20, 6, 1)
    criteria = Criteria(unit_natures=("enterprise",), age_bands=("lt35",), ages_on=then.isoformat())
    draw, quota = record(reviewer, field, criteria.as_json())

    drawn = services.redraw(reviewer, draw, quota)

    assert drawn.eligible_ids == ids(scene, "young", "middle", "jianghan")
    assert eligible_ids(reviewer, criteria, field.pk) == drawn.eligible_ids
    today = Criteria(unit_natures=("enterprise",), age_bands=("lt35",))
    assert eligible_ids(reviewer, today, field.pk) == ids(scene, "jianghan")
    assert all(check.ok for check in verify(draw))
    assert f"35岁以下（按{then.year}年6月1日计算）" in Criteria.from_json(draw.criteria).in_words()


def test_a_record_made_before_the_rules_loads_redraws_verifies_and_says_no_limit(
    client, reviewer, scene, field
):
    draw, quota = record(reviewer, field, OLD_CRITERIA)
    criteria = Criteria.from_json(draw.criteria)
    assert (criteria.unit_natures, criteria.districts, criteria.age_bands) == ((), (), ())

    drawn = services.redraw(reviewer, draw, quota)

    # The whole field's approved experts, as before the rules existed.
    assert drawn.eligible_ids == ids(scene, "young", "middle", "senior", "jianghan", "university")
    assert all(check.ok for check in verify(draw))
    out = io.StringIO()
    call_command("verify_draw", draw.pk, stdout=out)
    assert f"抽取记录 {draw.pk} 复核一致" in out.getvalue()
    client.force_login(reviewer)
    page = client.get(reverse("draws:detail", args=[draw.pk])).content.decode()
    for label in ("单位性质", "所在区", "年龄段"):
        assert f'{label}</dt><dd class="col-sm-9">不限</dd>' in page
    assert Draw.objects.get(pk=draw.pk).criteria == OLD_CRITERIA  # the record is as it was


def test_the_export_and_admin_state_the_rules(client, reviewer, operator, scene, field):
    draw = make(reviewer, field, 1, panel())
    client.force_login(reviewer)
    rows = sheet_rows(client.post(reverse("draws:export", args=[draw.pk]), {}))
    titles = {row[0]: row[1] for row in rows if row and row[0]}
    today = timezone.localdate()
    rules = titles["抽取条件"]
    assert f"单位性质：企业；所在区：{OPTICS_VALLEY}；" in rules
    assert (
        f"年龄段：35岁以下、35—44岁、45—54岁（按{today.year}年{today.month}月{today.day}日计算）"
        in rules
    )
    client.force_login(operator)
    admin = client.get(reverse("admin:draws_draw_change", args=[draw.pk])).content.decode()
    assert f"单位性质：企业；所在区：{OPTICS_VALLEY}；年龄段：35岁以下" in admin


def test_a_record_with_the_rules_reads_as_many_queries_as_one_without(
    client, reviewer, scene, field
):
    client.force_login(reviewer)
    old, quota = record(reviewer, field, OLD_CRITERIA)
    services.redraw(reviewer, old, quota)
    new = make(reviewer, field, 1, panel())
    counts = []
    for draw in (old, new):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("draws:detail", args=[draw.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# 专家库 → 按当前条件抽取 ------------------------------------------------------------------------


def test_the_pool_offers_a_draw_from_its_filters_once_one_is_chosen(client, reviewer, scene):
    client.force_login(reviewer)
    pool = reverse("experts:pool")
    assert "按当前条件抽取" not in client.get(pool).content.decode()
    assert "按当前条件抽取" not in client.get(pool, {"q": "青年"}).content.decode()
    query = f"nature=enterprise&district={OPTICS_VALLEY}&age=35-44"
    page = client.get(f"{pool}?{query}").content.decode()
    link = re.search(r'<a [^>]*href="([^"]*)"[^>]*data-testid="draw-from-pool"', page).group(1)
    assert link.startswith(reverse("draws:new") + "?") and "age=35-44" in link
    frozen = client.get(pool, {"nature": "enterprise", "status": "frozen"}).content.decode()
    assert "按当前条件抽取" not in frozen


def test_the_new_draw_opens_with_the_pools_filters(client, reviewer, scene, field):
    client.force_login(reviewer)
    query = {
        "discipline": str(field.pk),
        "title_level": "associate",
        "nature": "enterprise",
        "district": OPTICS_VALLEY,
        "age": "45-54",
        "unit": str(scene["young"].unit_id),
        "q": "芯片",
    }
    page = client.get(reverse("draws:new"), query)
    text = page.content.decode()
    assert page.status_code == 200

    def ticked(name, value) -> bool:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*value="{value}"[^>]*>', text).group(0)
        return "checked" in tag

    assert ticked("unit_natures", "enterprise") and not ticked("unit_natures", "university")
    assert ticked("districts", OPTICS_VALLEY) and not ticked("districts", "江汉区")
    assert ticked("age_bands", "45-54") and not ticked("age_bands", "lt35")
    assert re.search(rf'<option value="{field.pk}" selected>', text)
    assert re.search(r'<option value="associate" selected>副高级及以上</option>', text)
    note = re.search(r'data-testid="from-pool">(.*?)</div>', text, re.S).group(1)
    assert "已按专家库的当前筛选条件填入：专业领域（第1行）、职称级别要求（副高级及以上）、" in note
    assert "单位性质、所在区、年龄段" in note
    assert "专家库的单位、关键词条件不是抽取条件，未填入。" in note

    # Sent as it opened (the rest filled in), it counts under the pool's rules.
    data = form_data(
        **quota(0, field, 1),
        min_title_level="associate",
        unit_natures=["enterprise"],
        districts=[OPTICS_VALLEY],
        age_bands=["45-54"],
        **{"quota-INITIAL_FORMS": "1"},
    )
    confirm = client.post(reverse("draws:new"), data)
    assert re.search(
        r"<td>电子信息</td><td>1</td><td>0</td><td>1 人</td>", confirm.content.decode()
    )


def test_a_level_the_form_has_no_rule_for_and_forged_pool_values_are_left_out(
    client, reviewer, scene
):
    client.force_login(reviewer)
    page = client.get(reverse("draws:new"), {"title_level": "other", "nature": "bank", "age": "x"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "checked" not in text
    note = re.search(r'data-testid="from-pool">(.*?)</div>', text, re.S).group(1)
    assert "职称级别（其他）条件不是抽取条件" in note and "已按" not in note
    assert re.search(r'<option value="" selected>不限</option>', text)


def test_only_the_filters_chosen_are_said_filled_in(client, reviewer, scene):
    """专家库's form sends its empty selects too (without JavaScript): they fill in nothing."""
    client.force_login(reviewer)
    query = {"q": "", "discipline": "", "title_level": "", "nature": "enterprise", "age": ""}
    text = client.get(reverse("draws:new"), query).content.decode()
    note = re.search(r'data-testid="from-pool">(.*?)</div>', text, re.S).group(1)
    assert "已按专家库的当前筛选条件填入：单位性质。" in note
    assert "未填入" not in note


def test_the_form_opened_plain_says_nothing_of_the_pool(client, reviewer):
    client.force_login(reviewer)
    assert 'data-testid="from-pool"' not in client.get(reverse("draws:new")).content.decode()
