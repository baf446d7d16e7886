"""新建抽取's 抽取名额 beyond four rows (增加一行, up to ten), and 回避专家 by 姓名（单位名称）."""

import re

import pytest
from django.urls import reverse

from draws.forms import MAX_QUOTA_ROWS, DrawForm
from draws.models import Draw, Pick, Quota
from draws.rules import Criteria
from draws.selectors import verify
from experts.models import Discipline
from tests import factories
from tests.draws.test_draws import FUTURE, expert, form_data, quota

pytestmark = pytest.mark.django_db


def rows_shown(page) -> int:
    """The quota rows on the page (the empty row kept in a <template> for portal.js aside)."""
    html = re.sub(r"<template.*?</template>", "", page.content.decode(), flags=re.S)
    return html.count('data-testid="quota-row"')


def token_of(page) -> str:
    return re.search(r'name="token" value="([0-9a-f]{32})"', page.content.decode()).group(1)


def with_rows(n: int, **overrides) -> dict:
    """form_data with `n` rows, all empty unless overridden."""
    data = form_data(**{"quota-TOTAL_FORMS": str(n)})
    for row in range(n):
        data.setdefault(f"quota-{row}-discipline", "")
        data.setdefault(f"quota-{row}-count", "")
        data.setdefault(f"quota-{row}-reserves", "")
    data.update(overrides)
    return data


def disciplines(n: int) -> list[Discipline]:
    """`n` fields with no parent (so no row is inside another's field)."""
    return list(Discipline.objects.filter(parent=None).order_by("code")[:n])


# 增加一行 ----------------------------------------------------------------------------------


def test_the_form_opens_with_four_rows_and_an_add_row_button(reviewing):
    page = reviewing.get(reverse("draws:new"))
    text = page.content.decode()
    assert rows_shown(page) == 4
    assert re.search(r'<button type="submit" name="add_row" value="1"[^>]*>增加一行</button>', text)
    assert f"最多{MAX_QUOTA_ROWS}行。" in text
    # Enter in a field still goes on to the confirmation: the form's first submit button.
    first = re.search(r"<form method=\"post\" novalidate>.*?<button([^>]*)>([^<]*)<", text, re.S)
    assert first.group(2) == "下一步：核对抽取条件" and "add_row" not in first.group(1)


def test_add_row_shows_the_form_again_with_one_more_row_and_all_typed_kept(
    reviewing, unit, reviewer
):
    field, second = disciplines(2)
    data = form_data(
        project_name="保留的项目",
        review_place="三楼会议室",
        avoid_experts="王五",  # not in the pool: refused only when the form is sent on
        unit_natures=["enterprise"],
        cooldown_days="30",
        **quota(0, field, 2, 1),
        **{"quota-1-discipline": str(second.pk), "quota-1-count": "abc"},
        add_row="1",
    )
    page = reviewing.post(reverse("draws:new"), data)

    text = page.content.decode()
    assert page.status_code == 200
    assert rows_shown(page) == 5
    assert 'name="quota-TOTAL_FORMS" value="5"' in text
    assert 'id="form-errors"' not in text and "is-invalid" not in text  # nothing marked yet
    assert 'value="保留的项目"' in text and 'value="三楼会议室"' in text
    assert f'value="{FUTURE}"' in text and 'value="30"' in text
    assert re.search(r">\s*王五</textarea>", text)
    assert re.search(r'<input[^>]*name="unit_natures"[^>]*value="enterprise"[^>]*checked', text)
    assert re.search(
        rf'<select name="quota-0-discipline"[^>]*>.*?<option value="{field.pk}" selected>',
        text,
        re.S,
    )
    assert re.search(r'name="quota-0-count" value="2"', text)
    assert re.search(r'name="quota-0-reserves" value="1"', text)
    assert re.search(r'name="quota-1-count" value="abc"', text)  # kept as typed, even refused
    assert re.search(r'<select name="quota-4-discipline"[^>]*autofocus', text)
    assert not Draw.objects.exists()


def test_a_fifth_row_is_drawn_through_the_confirmation_page(reviewing, unit):
    fields = disciplines(5)
    for field in fields:
        expert(unit, code=field.code)
    data = with_rows(5, **quota(4, fields[4], 1), **quota(0, fields[0], 1))

    confirm = reviewing.post(reverse("draws:new"), data)

    text = confirm.content.decode()
    assert confirm.status_code == 200 and "确认抽取" in text
    assert re.search(rf"<td>{fields[4].name}</td><td>1</td><td>0</td><td>1 人</td>", text)
    assert 'name="quota-TOTAL_FORMS" value="5"' in text and 'name="quota-4-discipline"' in text
    back = reviewing.post(reverse("draws:new"), {**data, "edit": "1"})
    assert rows_shown(back) == 5
    done = reviewing.post(
        reverse("draws:new"), {**data, "confirmed": "1", "token": token_of(confirm)}
    )
    draw = Draw.objects.get()
    assert done.status_code == 302
    assert list(Quota.objects.filter(draw=draw).values_list("discipline_name", flat=True)) == [
        fields[0].name,
        fields[4].name,
    ]


def test_ten_rows_at_most_then_no_more_are_added(reviewing):
    page = reviewing.post(reverse("draws:new"), with_rows(MAX_QUOTA_ROWS, add_row="1"))
    text = page.content.decode()
    assert page.status_code == 200 and rows_shown(page) == MAX_QUOTA_ROWS
    assert re.search(r'data-max-rows="10" hidden>增加一行</button>', text)
    assert "已达上限：最多10行。" in text
    nine = reviewing.post(reverse("draws:new"), with_rows(9, add_row="1"))
    assert rows_shown(nine) == 10 and "已达上限：最多10行。" in nine.content.decode()


def test_an_eleventh_row_forged_is_refused_in_words_and_nothing_saved(reviewing, unit):
    fields = disciplines(1)
    expert(unit, code=fields[0].code)
    data = with_rows(
        11, project_name="保留的项目", **quota(0, fields[0], 1), **quota(10, fields[0], 1)
    )
    for confirmed in ({}, {"confirmed": "1", "token": "a" * 32}):
        page = reviewing.post(reverse("draws:new"), {**data, **confirmed})
        text = page.content.decode()
        assert page.status_code == 400
        message = "抽取名额最多填写10行（每行一个专业领域），请合并或删减后再提交。"
        assert message in text.split('id="form-errors"')[1].split("</div>")[0]
        assert 'value="保留的项目"' in text
    assert not Draw.objects.exists() and not Pick.objects.exists()


def test_from_the_pool_the_form_still_opens_with_four_rows(reviewing):
    field = disciplines(1)[0]
    page = reviewing.get(reverse("draws:new"), {"discipline": str(field.pk)})
    assert rows_shown(page) == 4
    assert re.search(rf'<option value="{field.pk}" selected>', page.content.decode())


# 回避专家 -----------------------------------------------------------------------------------


@pytest.fixture
def namesakes(db):
    """Two experts named 张伟 at two units, one 李娜, and two others in the same field."""
    north = factories.make_unit(name="北湖大学")
    south = factories.make_unit(name="中铁（武汉）建设有限公司")
    return {
        "north": expert(north, name="张伟"),
        "south": expert(south, name="张伟"),
        "li": expert(north, name="李娜"),
        "others": [expert(north), expert(south)],
    }


def confirm(reviewing, avoid: str):
    field = Discipline.objects.get(code="01")
    return reviewing.post(
        reverse("draws:new"), form_data(**quota(0, field, 1), avoid_experts=avoid)
    )


def test_a_bare_name_of_several_avoids_all_and_the_confirmation_lists_their_units(
    reviewing, namesakes
):
    page = confirm(reviewing, "张伟")
    text = page.content.decode()
    assert page.status_code == 200
    said = re.search(r'data-testid="avoid-same-name">(.*?)</span>', text).group(1)
    assert said == "（同名2人，均回避；工作单位：中铁（武汉）建设有限公司、北湖大学）"
    assert (
        "如只需回避其中一位，请点击“返回修改”，按“姓名（单位名称）”填写，"
        "例如“张伟（中铁（武汉）建设有限公司）”。"
    ) in text
    # Two of five avoided: three left to draw from.
    assert re.search(r"<td>电子信息</td><td>1</td><td>0</td><td>3 人</td>", text)


@pytest.mark.parametrize(
    "typed",
    ["张伟（北湖大学）", "张伟(北湖大学)", " 张伟 （ 北湖大学 ） ", "张伟(北湖大学）"],
)
def test_a_name_at_a_unit_avoids_only_that_expert(reviewing, namesakes, typed):
    page = confirm(reviewing, typed + "\n李娜")
    text = page.content.decode()
    assert page.status_code == 200
    assert "张伟（北湖大学）、李娜" in text and 'data-testid="avoid-same-name"' not in text
    assert 'data-testid="avoid-narrow"' not in text
    assert re.search(r"<td>电子信息</td><td>1</td><td>0</td><td>3 人</td>", text)

    done = reviewing.post(
        reverse("draws:new"),
        {
            **form_data(
                **quota(0, Discipline.objects.get(code="01"), 3), avoid_experts=typed + "\n李娜"
            ),
            "confirmed": "1",
            "token": token_of(page),
        },
    )
    draw = Draw.objects.get()
    assert done.status_code == 302
    criteria = Criteria.from_json(draw.criteria)
    assert criteria.avoid_expert_names == ("张伟（北湖大学）", "李娜")
    assert criteria.avoid_expert_ids == tuple(sorted([namesakes["north"].pk, namesakes["li"].pk]))
    drawn = set(Pick.objects.filter(draw=draw).values_list("application_id", flat=True))
    assert drawn == {namesakes["south"].pk, *(a.pk for a in namesakes["others"])}
    assert all(check.ok for check in verify(draw))
    record = reviewing.get(reverse("draws:detail", args=[draw.pk])).content.decode()
    assert "张伟（北湖大学）、李娜" in record


def test_a_unit_name_holding_brackets_and_a_comma_is_read_whole(reviewing, namesakes):
    page = confirm(reviewing, "张伟（中铁（武汉）建设有限公司），李娜")
    assert page.status_code == 200
    assert "张伟（中铁（武汉）建设有限公司）、李娜" in page.content.decode()


def test_a_name_at_a_unit_with_no_such_expert_is_refused_naming_it(reviewing, namesakes):
    page = confirm(reviewing, "张伟（南湖大学）\n李娜（中铁（武汉）建设有限公司）")
    text = page.content.decode()
    assert page.status_code == 400
    summary = text.split('id="form-errors"')[1].split("</div>")[0]
    assert (
        "回避专家“张伟（南湖大学）”：南湖大学没有名为张伟的“审核通过”在库专家，"
        "请核对姓名和单位名称（须与已注册单位的名称一致，括号全角、半角均可）；"
        "名为张伟的在库专家的工作单位：中铁（武汉）建设有限公司、北湖大学。"
    ) in summary
    assert (
        "回避专家“李娜（中铁（武汉）建设有限公司）”：中铁（武汉）建设有限公司没有名为李娜的"
        in summary
    )
    assert "张伟（南湖大学）" in text.split("</textarea>")[-2]  # what was typed stays
    assert not Draw.objects.exists()


@pytest.mark.parametrize(
    "typed", ["张伟（北湖大学", "张伟（）", "（北湖大学）", "张伟（北湖大学）教授"]
)
def test_a_line_read_as_neither_form_is_refused(reviewing, namesakes, typed):
    page = confirm(reviewing, typed)
    assert page.status_code == 400
    assert (
        f"回避专家“{typed}”无法识别，请每行填写一个姓名，或按“姓名（单位名称）”填写。"
        in page.content.decode()
    )


def test_the_help_says_what_a_name_and_a_name_at_a_unit_avoid(reviewing):
    text = reviewing.get(reverse("draws:new")).content.decode()
    assert (
        "需要回避的专家，每行一个。只填姓名时，同名的专家均回避；"
        "按“姓名（单位名称）”填写时，只回避该单位的这位专家。"
    ) in text


# A unit's name whichever brackets were typed ---------------------------------------------


@pytest.mark.parametrize(
    ("registered", "typed"),
    [
        ("中铁（武汉）建设有限公司", "中铁(武汉)建设有限公司"),
        ("中铁（武汉）建设有限公司", "中铁 ( 武汉 ) 建设有限公司"),
        ("华测(北京)检测有限公司", "华测（北京）检测有限公司"),
        ("华测(北京)检测有限公司", "华测（北京)检测有限公司"),
    ],
)
def test_a_name_at_a_unit_matches_the_unit_whichever_brackets(reviewer, registered, typed):
    """姓名（单位名称）: the unit's name compared with its brackets either width, spaces
    around them aside, both ways; the record keeps the line as typed."""
    at_unit = expert(factories.make_unit(name=registered), name="张伟")
    expert(factories.make_unit(name="北湖大学"), name="张伟")
    field = Discipline.objects.get(code="01")
    form = DrawForm(
        form_data(**quota(0, field, 1), avoid_experts=f"张伟（{typed}）"), user=reviewer
    )
    assert form.is_valid(), form.errors
    criteria = form.criteria()
    assert criteria.avoid_expert_ids == (at_unit.pk,)
    assert criteria.avoid_expert_names == (f"张伟（{typed}）",)


@pytest.mark.parametrize(
    ("registered", "typed"),
    [
        ("中铁（武汉）建设有限公司", "中铁(武汉)建设有限公司"),
        ("中铁（武汉）建设有限公司", "中铁 （武汉） 建设有限公司"),
        ("华测(北京)检测有限公司", "华测（北京）检测有限公司"),
    ],
)
def test_an_avoided_unit_matches_whichever_brackets(reviewer, registered, typed):
    unit = factories.make_unit(name=registered)
    factories.make_unit(name="中铁武汉建设有限公司")  # the same words without brackets: another
    field = Discipline.objects.get(code="01")
    form = DrawForm(form_data(**quota(0, field, 1), avoid_units=typed), user=reviewer)
    assert form.is_valid(), form.errors
    criteria = form.criteria()
    assert criteria.avoid_unit_ids == (unit.pk,)
    assert criteria.avoid_unit_names == (typed,)  # as typed
    assert form.avoid_unit_matches == {typed: 1}


def test_one_unit_typed_twice_in_two_brackets_counts_once(reviewer):
    unit = factories.make_unit(name="中铁（武汉）建设有限公司")
    field = Discipline.objects.get(code="01")
    typed = "中铁(武汉)建设有限公司\n中铁（武汉）建设有限公司"
    form = DrawForm(form_data(**quota(0, field, 1), avoid_units=typed), user=reviewer)
    assert form.is_valid(), form.errors
    assert form.criteria().avoid_unit_ids == (unit.pk,)
    assert form.criteria().avoid_unit_names == ("中铁(武汉)建设有限公司",)


def test_one_expert_typed_twice_in_two_brackets_counts_once(reviewer):
    """The record and the confirmation name each 回避专家 once, as first typed."""
    at_unit = expert(factories.make_unit(name="中铁（武汉）建设有限公司"), name="张伟")
    field = Discipline.objects.get(code="01")
    typed = "张伟（中铁(武汉)建设有限公司）\n张伟(中铁（武汉）建设有限公司)"
    form = DrawForm(form_data(**quota(0, field, 1), avoid_experts=typed), user=reviewer)
    assert form.is_valid(), form.errors
    criteria = form.criteria()
    assert criteria.avoid_expert_ids == (at_unit.pk,)
    assert criteria.avoid_expert_names == ("张伟（中铁(武汉)建设有限公司）",)
