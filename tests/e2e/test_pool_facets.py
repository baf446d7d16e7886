"""专家库 with facets, as a bureau reviewer uses it (issue 22 part 1): filters chosen by their
visible labels, each option showing its count, on a desktop and on a phone; and the
applicant's 专业领域, grouped by field."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Unit
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def expert(unit, name, level, age, codes, status=ApplicationStatus.APPROVED):
    user = factories.make_applicant(unit, status, name=name)
    born = datetime.date(timezone.localdate().year - age, 1, 1)
    ExpertApplication.objects.filter(user=user).update(title_level=level, birth_date=born)
    user.application.disciplines.set(Discipline.objects.filter(code__in=codes))


def make_pool():
    university = factories.make_unit(name="武汉示范大学")
    company = factories.make_unit(name="江汉光电科技有限公司")
    Unit.objects.filter(pk=company.pk).update(nature="enterprise", district="江汉区")
    expert(university, "王敏", "senior", 46, ["0101"])
    expert(university, "李强", "associate", 31, ["01"])
    expert(company, "张伟", "senior", 66, ["0101", "0104"])
    expert(company, "赵磊", "intermediate", 56, ["08"])
    expert(company, "钱冻", "senior", 50, ["0101"], ApplicationStatus.FROZEN)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_reviewer_filters_the_pool_by_labels_and_reads_the_counts(journey, phone):
    make_pool()
    tab = journey(phone=phone)
    tab.log_in(factories.make_reviewer().username, factories.PASSWORD)
    tab.open("/bureau/pool/")
    expect(tab.page.get_by_role("heading", name="专家库")).to_contain_text("4 人")
    # Counts before any filter: every option, 0 included.
    level = tab.page.get_by_label("职称级别")
    expect(level.locator("option")).to_have_text(
        ["全部职称级别", "正高级（2）", "副高级（1）", "中级（1）", "其他（0）"]
    )
    tab.snap("pool")

    tab.page.get_by_label("专业领域").select_option(label="电子信息（含子领域）（3）")
    tab.page.get_by_role("button", name="筛选").click()
    expect(tab.page.get_by_role("heading", name="专家库")).to_contain_text("3 人")
    expect(tab.page.get_by_role("row", name="赵磊")).to_have_count(0)
    # Under 电子信息: 中级 has no one now, and says 0.
    expect(level.locator("option")).to_have_text(
        ["全部职称级别", "正高级（2）", "副高级（1）", "中级（0）", "其他（0）"]
    )
    level.select_option(label="正高级（2）")
    tab.page.get_by_label("年龄段").select_option(label="65岁及以上（1）")
    tab.page.get_by_role("button", name="筛选").click()
    expect(tab.page.get_by_role("heading", name="专家库")).to_contain_text("1 人")
    expect(tab.page.get_by_role("row", name="张伟")).to_have_count(1)
    expect(tab.page.get_by_label("单位", exact=True)).to_contain_text("江汉光电科技有限公司（1）")
    assert "age=65%2B" in tab.page.url and "title_level=senior" in tab.page.url
    assert "unit=&" not in tab.page.url + "&" and "district=&" not in tab.page.url + "&"
    tab.snap("pool-filtered")

    # A shared link with a forged value: the rest still works, and the page says so.
    tab.open("/bureau/pool/?unit=abc&title_level=senior")
    expect(tab.page.get_by_role("alert")).to_have_text("筛选条件“单位：abc”无效，已忽略。")
    expect(tab.page.get_by_role("heading", name="专家库")).to_contain_text("2 人")
    tab.snap("pool-forged")
    tab.page.get_by_role("link", name="清除筛选").click()
    expect(tab.page.get_by_role("heading", name="专家库")).to_contain_text("4 人")

    # 专家状态: the frozen expert is not among the 4, and is listed, marked, on request.
    expect(tab.page.get_by_role("row", name="钱冻")).to_have_count(0)
    tab.page.get_by_label("专家状态").select_option(label="已冻结（1）")
    tab.page.get_by_role("button", name="筛选").click()
    expect(tab.page.get_by_role("heading", name="专家库")).to_contain_text("1 人")
    expect(tab.page.get_by_role("row", name="钱冻")).to_contain_text("已冻结")
    expect(tab.page.get_by_role("status")).to_contain_text("不参加专家抽取")
    expect(tab.page.get_by_label("职称级别")).to_contain_text("正高级（1）")
    tab.snap("pool-frozen")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_applicant_picks_sub_fields_grouped_under_their_field(journey, phone):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, name="孙丽")
    tab = journey(phone=phone)
    tab.log_in(applicant.username, factories.PASSWORD)
    tab.open("/expert/form/")
    tab.page.get_by_label("电子信息（整个领域）").uncheck()
    tab.page.get_by_label("通信技术").check()
    tab.page.get_by_label("高分子材料").check()
    tab.page.locator("#div_id_disciplines").scroll_into_view_if_needed()
    tab.page.locator("#div_id_disciplines").screenshot(
        path=tab.folder / f"disciplines-{'phone' if phone else 'desktop'}.png"
    )
    tab.page.get_by_role("button", name="保存草稿").first.click()
    expect(tab.page.get_by_role("alert").first).to_contain_text("草稿已保存")
    tab.snap("form-saved")
    picked = ExpertApplication.objects.get(user=applicant).disciplines.values_list(
        "code", flat=True
    )
    assert sorted(picked) == ["0104", "0403", "08"]
