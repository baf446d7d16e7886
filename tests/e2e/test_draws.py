"""专家抽取 as a bureau reviewer does it, by visible labels: a draw with avoidance, the
confirmation page, the record, 不参加 and 递补, the 复核 with a tampered seed; and the drawn
expert's own home page (issue 22 part 2)."""

import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from draws.models import Draw, Event, Pick, Round
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

NAMES = ["王敏", "李强", "张伟", "刘洋", "陈静", "杨帆"]


def experts(unit, names):
    field = Discipline.objects.get(code="01")
    made = []
    for name in names:
        application = factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
        application.application.disciplines.set([field])
        made.append(application)
    ExpertApplication.objects.update(title_level="senior")
    return made


def test_reviewer_draws_a_panel_with_avoidance_and_verifies_it(journey):
    own = factories.make_unit(name="武汉示范大学")
    applying = factories.make_unit(name="申报单位科技公司")
    experts(own, NAMES)
    experts(applying, ["赵磊", "孙丽"])

    tab = journey()
    tab.log_in(factories.make_reviewer().username, factories.PASSWORD)
    tab.page.get_by_role("link", name="专家抽取").first.click()
    tab.snap("list-empty")
    tab.page.get_by_role("link", name="新建抽取").click()
    tab.page.get_by_label("项目名称").fill("2027年度重点研发计划评审")
    review_at = timezone.localtime() + datetime.timedelta(days=10)
    tab.page.get_by_label("评审时间").fill(review_at.strftime("%Y-%m-%dT09:30"))
    tab.page.get_by_label("评审地点").fill("市科技局三楼会议室")
    rows = tab.page.get_by_test_id("quota-row")
    rows.nth(0).get_by_label("专业领域").select_option(label="电子信息（含全部子领域）")
    rows.nth(0).get_by_label("抽取人数").fill("9")  # more than are eligible
    rows.nth(0).get_by_label("备选人数").fill("1")
    tab.page.get_by_label("回避单位").fill("申报单位科技公司")
    tab.page.get_by_label("回避专家").fill("杨帆")
    tab.page.get_by_role("button", name="下一步：核对抽取条件").click()
    expect(tab.page.get_by_role("alert")).to_contain_text(
        "符合条件的专家只有5人，少于要抽取的10人（含备选）"
    )
    expect(tab.page.get_by_label("项目名称")).to_have_value("2027年度重点研发计划评审")
    tab.snap("refused")

    tab.page.get_by_test_id("quota-row").nth(0).get_by_label("抽取人数").fill("3")
    tab.page.get_by_role("button", name="下一步：核对抽取条件").click()
    expect(tab.page.get_by_test_id("confirm-quotas")).to_contain_text("5 人")
    tab.snap("confirm")
    tab.page.get_by_role("button", name="确认抽取").click()
    expect(tab.page.get_by_role("heading", name="2027年度重点研发计划评审")).to_be_visible()
    tab.snap("record")

    members = list(Pick.objects.filter(role=Pick.Role.MEMBER).order_by("position"))
    assert len(members) == 3
    drawn_names = {pick.application.user.real_name for pick in members}
    assert not drawn_names & {"赵磊", "孙丽", "杨帆"}

    first = members[0].application.user.real_name
    row = tab.page.get_by_role("row", name=first)
    # With no reason the page says, in Chinese, that one is needed, and records nothing: no
    # "不能更改" question before it.
    asked = len(tab.dialogs)
    row.get_by_role("button", name="不参加").click()
    expect(tab.page.get_by_text("请填写不参加的理由。")).to_be_visible()
    expect(tab.page.get_by_text(f"请填写{first}不参加的理由。")).to_be_visible()
    expect(tab.page.get_by_label(f"{first}不参加理由")).to_be_focused()  # where to type it
    tab.snap("decline-needs-reason")
    assert len(tab.dialogs) == asked
    assert not Event.objects.filter(action=Event.Action.DECLINE).exists()
    row = tab.page.get_by_role("row", name=first)
    row.get_by_role("textbox").fill("评审当天出差")
    row.get_by_role("button", name="不参加").click()
    expect(tab.page.get_by_role("row", name=first)).to_contain_text("评审当天出差")
    tab.page.get_by_role("button", name="递补备选专家").click()
    expect(tab.page.get_by_role("alert").filter(has_text="已递补备选专家")).to_be_visible()
    second = members[1].application.user.real_name
    tab.page.get_by_role("row", name=second).get_by_role("button", name="确认参加").click()
    expect(tab.page.get_by_role("row", name=second)).to_contain_text("确认参加")
    tab.page.get_by_role("button", name="短信通知专家").click()
    expect(tab.page.get_by_text("短信将在几秒内发出")).to_be_visible()
    tab.snap("record-after-steps")

    tab.page.get_by_role("link", name="复核").click()
    expect(tab.page.get_by_test_id("verdict")).to_have_text("一致")
    tab.snap("verify")
    seed = tab.page.get_by_label("用其他随机种子验算（64位十六进制）")
    seed.fill("xyz123")
    tab.page.get_by_role("button", name="验算").click()
    expect(tab.page.get_by_role("alert")).to_contain_text("电子信息 · 第1轮：随机种子应为64位")
    expect(seed).to_be_focused()
    expect(seed).to_have_value("xyz123")  # kept, to be corrected
    tab.snap("verify-bad-seed")
    tampered = factories.seed_that_changes(Round.objects.get())  # one field, one round
    seed.fill(tampered)
    tab.page.get_by_role("button", name="验算").click()
    # A seed typed is a trial, said beside its badge: no screenshot of it reads as a failed 复核.
    expect(tab.page.get_by_test_id("verdict")).to_have_text("试算结果：与记录不一致")
    expect(tab.page.get_by_text("试算：使用您输入的种子，不是记录中的种子")).to_be_visible()
    expect(tab.page.get_by_text("不是记录中保存的种子")).to_be_visible()
    tab.snap("verify-tampered")

    # The record exports to a real spreadsheet, masked.
    draw = Draw.objects.get()
    tab.page.get_by_role("link", name=f"抽取记录 {draw.pk}").click()
    tab.page.get_by_role("link", name="导出Excel").click()
    tab.snap("export")
    with tab.page.expect_download() as download:
        tab.page.get_by_role("button", name="导出").click()
    assert download.value.suggested_filename == f"专家抽取记录-{draw.pk}.xlsx"
    content = io.BytesIO(Path(download.value.path()).read_bytes())
    book = openpyxl.load_workbook(content, read_only=True)
    rows = [row for row in book.active.iter_rows(values_only=True) if row and row[0]]
    assert ("项目名称", "2027年度重点研发计划评审") in [row[:2] for row in rows]
    assert [row[1] for row in rows if row[0] == "电子信息"] == ["抽中", "抽中", "抽中", "递补"]

    # The drawn expert sees the review's time and place, not the project, on their home.
    drawn = members[1].application.user
    assert Round.objects.count() == 1
    tab.log_out()
    tab.log_in(drawn.username, factories.PASSWORD)
    draws = tab.page.get_by_test_id("my-draws")
    expect(draws).to_contain_text("市科技局三楼会议室")
    expect(draws).to_contain_text("确认参加")
    expect(draws).not_to_contain_text("重点研发")
    tab.snap("expert-home")


def test_the_record_reads_on_a_phone(journey):
    unit = factories.make_unit(name="武汉示范大学")
    experts(unit, NAMES[:3])
    reviewer = factories.make_reviewer()
    from draws import services
    from draws.rules import Criteria

    services.make_draw(
        reviewer,
        project_name="手机查看的评审",
        review_at=timezone.now() + datetime.timedelta(days=3),
        review_place="会议室",
        criteria=Criteria(),
        asks=[services.QuotaAsk(Discipline.objects.get(code="01"), 2, 1)],
    )
    tab = journey(phone=True)
    tab.log_in(reviewer.username, factories.PASSWORD)
    tab.open("/bureau/draws/")
    tab.page.get_by_role("link", name="查看").click()
    expect(tab.page.get_by_role("button", name="不参加").first).to_be_visible()
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width
    tab.snap("record-phone")
    tab.open("/bureau/draws/new/")
    tab.snap("new-phone")


def test_a_reserve_drawn_elsewhere_since_is_skipped_and_said_so_on_wide_and_phone(journey):
    """递补 checks the draw's rules now: the first 备选, drawn onto another panel since and so in
    the 冷却期, is passed over (跳过备选 in the record, with why) and the next one called."""
    from draws import services
    from draws.rules import Criteria

    unit = factories.make_unit(name="武汉示范大学")
    made = experts(unit, NAMES[:4])
    reviewer = factories.make_reviewer()
    field = Discipline.objects.get(code="01")
    # The same project drawn before and voided: the later draw's page and row say so.
    voided = services.make_draw(
        reviewer,
        project_name="冷却期内的递补",
        review_at=timezone.now() + datetime.timedelta(days=4),
        review_place="会议室",
        criteria=Criteria(),
        asks=[services.QuotaAsk(field, 1, 0)],
    )
    services.void(reviewer, voided, "评审地点填错")
    draw = services.make_draw(
        reviewer,
        project_name="冷却期内的递补",
        review_at=timezone.now() + datetime.timedelta(days=5),
        review_place="会议室",
        criteria=Criteria(cooldown_days=30),
        asks=[services.QuotaAsk(field, 1, 2)],
    )
    [member] = Pick.objects.filter(draw=draw, role=Pick.Role.MEMBER)
    services.answer(reviewer, draw, member.application_id, Event.Action.DECLINE, "出差")
    first, second = Pick.objects.filter(draw=draw, role=Pick.Role.RESERVE).order_by("position")
    others = tuple(e.application.pk for e in made if e.application.pk != first.application_id)
    services.make_draw(
        reviewer,
        project_name="另一项评审",
        review_at=timezone.now() + datetime.timedelta(days=9),
        review_place="会议室",
        criteria=Criteria(avoid_expert_ids=others),
        asks=[services.QuotaAsk(field, 1, 0)],
    )

    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    tab.open("/bureau/draws/")
    trail = f"同一项目此前作废的抽取：编号{voided.pk}（评审地点填错，"
    expect(tab.page.get_by_test_id("void-trail")).to_contain_text(trail)
    tab.snap("list-with-trail")
    tab.open(f"/bureau/draws/{draw.pk}/")
    expect(tab.page.get_by_test_id("void-trail")).to_contain_text(trail)
    tab.page.get_by_role("button", name="递补备选专家").click()
    expect(tab.page.get_by_role("alert").filter(has_text="已递补备选专家")).to_contain_text(
        f"已递补备选专家{second.expert_name}。已跳过备选专家{first.expert_name}（冷却期内）。"
    )
    log = tab.page.get_by_role("region", name="操作记录")
    expect(log).to_contain_text(f"跳过备选：{first.expert_name}（冷却期内）")
    expect(log).to_contain_text(f"递补：{second.expert_name}")
    expect(tab.page.get_by_role("row", name=second.expert_name)).to_contain_text("待确认")
    # The number the reviewer calls next is a tel: link.
    expect(tab.page.locator(f'a[href="tel:{second.application.mobile}"]:visible')).to_have_count(1)
    tab.snap("skipped-reserve")

    # The same record on a phone's width (one login: a second would reuse the 6-digit code).
    tab.page.set_viewport_size({"width": 390, "height": 844})
    tab.open(f"/bureau/draws/{draw.pk}/")
    expect(tab.page.get_by_role("region", name="操作记录")).to_contain_text("跳过备选")
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width
    tab.snap("skipped-reserve-phone")


def test_a_reviewer_picks_the_avoided_units_instead_of_typing_them(journey):
    """回避单位 typed or picked: 查找已注册单位 finds a registered unit by part of its name, and
    添加 puts its full name on a line of its own, once."""
    factories.make_unit(name="申报单位科技公司")
    factories.make_unit(name="另一家申报研究院")
    tab = journey()
    tab.log_in(factories.make_reviewer().username, factories.PASSWORD)
    tab.open("/bureau/draws/new/")
    lines = tab.page.get_by_label("回避单位", exact=True)
    lines.fill("武汉示范大学")

    said = tab.page.locator(".avoid-unit-picker [aria-live=polite]")
    tab.page.get_by_label("查找已注册单位").fill("科技公司")
    expect(tab.page.get_by_label("匹配的已注册单位")).to_have_value("申报单位科技公司")
    expect(said).to_have_text("已选择：申报单位科技公司。按回车或“添加”加入回避单位。")
    tab.page.get_by_role("button", name="添加", exact=True).click()
    expect(lines).to_have_value("武汉示范大学\n申报单位科技公司")
    tab.page.get_by_role("button", name="添加", exact=True).click()
    expect(tab.page.get_by_text("“申报单位科技公司”已在回避单位中。")).to_be_visible()

    tab.page.get_by_label("查找已注册单位").fill("申报")
    results = tab.page.get_by_label("匹配的已注册单位")
    expect(results.locator("option")).to_have_count(3)  # the prompt and the two units
    expect(said).to_have_text("找到2个已注册单位，请在列表中选择一个，再按“添加”。")
    results.select_option(label="另一家申报研究院")
    tab.page.get_by_role("button", name="添加", exact=True).click()
    expect(lines).to_have_value("武汉示范大学\n申报单位科技公司\n另一家申报研究院")
    tab.snap("avoid-units-picked")


def test_enter_in_the_unit_finder_adds_the_unit_and_does_not_submit_the_draw(journey):
    """Enter in 查找已注册单位 searches at once; the one match is added as 添加 adds it, and
    the draw form is not sent. Several matches, or none: it says what to do, and adds nothing."""
    factories.make_unit(name="申报单位科技公司")
    factories.make_unit(name="另一家申报研究院")
    tab = journey()
    tab.log_in(factories.make_reviewer().username, factories.PASSWORD)
    tab.open("/bureau/draws/new/")
    page = tab.page
    page.evaluate("window.notReloaded = true")  # gone if the form were sent and a page loaded
    lines = page.get_by_label("回避单位", exact=True)
    finder = page.get_by_label("查找已注册单位")
    said = page.locator(".avoid-unit-picker [aria-live=polite]")

    finder.fill("科技公司")
    finder.press("Enter")  # at once, before the typing's own search is due

    expect(lines).to_have_value("申报单位科技公司")
    expect(said).to_have_text("已添加“申报单位科技公司”。")
    tab.snap("avoid-unit-entered")
    finder.fill("申报")
    finder.press("Enter")
    expect(said).to_have_text("找到2个已注册单位，请在列表中选择一个，再按“添加”。")
    finder.fill("不存在的单位")
    finder.press("Enter")
    expect(said).to_have_text("没有匹配的已注册单位。请核对单位名称，或改用统一社会信用代码查找。")
    expect(lines).to_have_value("申报单位科技公司")
    tab.snap("avoid-unit-none")
    assert page.evaluate("window.notReloaded") is True
    assert page.url.endswith("/bureau/draws/new/")
    assert not Draw.objects.exists()


def test_the_sign_sheet_prints_the_panel_alone(journey):
    """打印签到表 on the record: the panel as it stands (确认参加, then 待确认 apart), 打印
    opening the browser's print dialog, and on paper no site header, footer or buttons."""
    from draws import services
    from draws.rules import Criteria

    unit = factories.make_unit(name="武汉示范大学")
    experts(unit, NAMES[:4])
    reviewer = factories.make_reviewer()
    draw = services.make_draw(
        reviewer,
        project_name="签到表的评审",
        review_at=timezone.now() + datetime.timedelta(days=6),
        review_place="市科技局三楼会议室",
        criteria=Criteria(),
        asks=[services.QuotaAsk(Discipline.objects.get(code="01"), 3, 1)],
    )
    first, second, third = Pick.objects.filter(draw=draw, role=Pick.Role.MEMBER).order_by(
        "position"
    )
    services.answer(reviewer, draw, first.application_id, Event.Action.CONFIRM)
    services.answer(reviewer, draw, second.application_id, Event.Action.CONFIRM)

    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    tab.open(f"/bureau/draws/{draw.pk}/")
    tab.page.get_by_role("link", name="打印签到表").click()
    page = tab.page
    expect(page.get_by_role("heading", name="评审专家签到表")).to_be_visible()
    confirmed = page.get_by_role("table", name="确认参加的专家", exact=True)
    expect(confirmed.get_by_role("columnheader")).to_have_text(
        ["序号", "姓名", "工作单位", "职称", "专业领域", "签名"]
    )
    expect(confirmed.get_by_role("row")).to_have_count(3)  # the heads and two experts
    expect(confirmed).to_contain_text(first.expert_name)
    expect(page.get_by_role("table", name="尚未确认参加的专家（待确认）")).to_contain_text(
        third.expert_name
    )
    page.evaluate("window.print = function () { window.printed = true; }")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.printed") is True
    tab.snap("sheet")

    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.locator(".portal-header")).to_be_hidden()
    expect(page.locator(".portal-footer")).to_be_hidden()
    expect(page.get_by_role("navigation", name="breadcrumb")).to_be_hidden()
    expect(confirmed).to_be_visible()
    # The sideways scroller (a focusable region on screen) clips nothing on paper.
    scroller = page.get_by_role("region", name="确认参加的专家", exact=True)
    assert scroller.evaluate("element => getComputedStyle(element).overflowX") == "visible"
    tab.snap("sheet-print")
    page.emulate_media(media="screen")
    assert scroller.evaluate("element => getComputedStyle(element).overflowX") == "auto"
    assert scroller.get_attribute("tabindex") == "0"

    # Frozen since the draw: off the sheet, and the note says what to do.
    ExpertApplication.objects.filter(pk=third.application_id).update(
        status=ApplicationStatus.FROZEN
    )
    page.reload()
    expect(page.get_by_role("table", name="尚未确认参加的专家（待确认）")).to_have_count(0)
    expect(page.get_by_test_id("sheet-note")).to_contain_text(
        "1 人已冻结或已不在专家库，未列入，请记录其不参加并递补或补抽"
    )
    tab.snap("sheet-frozen")
    page.emulate_media(media="print")
    tab.snap("sheet-frozen-print")
    page.emulate_media(media="screen")
    tab.phone_snap("sheet-frozen")

    services.void(reviewer, draw, "项目名称填错")
    page.reload()
    expect(page.get_by_test_id("sheet-void")).to_contain_text("已作废")
    expect(page.get_by_test_id("sheet-void")).to_contain_text("理由：项目名称填错。")
    expect(page.get_by_test_id("sheet-void")).to_contain_text("没有签到表，请勿据此签到")
    expect(page.get_by_role("heading", name="评审专家签到表（已作废）")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    expect(page.get_by_text(first.expert_name)).to_have_count(0)
    tab.snap("sheet-voided")
    page.emulate_media(media="print")
    expect(page.get_by_test_id("sheet-void")).to_be_visible()
    expect(page.get_by_role("link", name="返回抽取记录")).to_be_hidden()
    tab.snap("sheet-voided-print")
    page.emulate_media(media="screen")
    tab.phone_snap("sheet-voided")
    page.get_by_role("link", name="返回抽取记录").click()
    expect(page).to_have_url(tab.base_url + f"/bureau/draws/{draw.pk}/")


def test_add_row_adds_a_quota_row_in_place_up_to_ten(journey):
    """增加一行 with JavaScript: a fifth row in place (no page loaded, the typing kept), its
    专业领域 focused; at ten rows the button goes and the page says the limit."""
    tab = journey()
    tab.log_in(factories.make_reviewer().username, factories.PASSWORD)
    tab.open("/bureau/draws/new/")
    page = tab.page
    page.evaluate("window.notReloaded = true")
    page.get_by_label("项目名称").fill("五个领域的评审")
    rows = page.get_by_test_id("quota-row")
    expect(rows).to_have_count(4)
    page.get_by_role("button", name="增加一行").click()
    expect(rows).to_have_count(5)
    expect(rows.nth(4).get_by_label("专业领域")).to_be_focused()
    expect(page.get_by_role("group", name="第5行")).to_be_visible()
    rows.nth(4).get_by_label("专业领域").select_option(label="电子信息（含全部子领域）")
    rows.nth(4).get_by_label("抽取人数").fill("2")
    expect(page.get_by_label("项目名称")).to_have_value("五个领域的评审")
    assert page.evaluate("window.notReloaded") is True
    tab.snap("five-rows")
    for _ in range(5):
        page.get_by_role("button", name="增加一行").click()
    expect(rows).to_have_count(10)
    expect(page.get_by_role("button", name="增加一行")).to_be_hidden()
    expect(page.get_by_text("已达上限：最多10行。")).to_be_visible()
    assert page.locator("input[name=quota-TOTAL_FORMS]").input_value() == "10"


def test_a_name_of_several_experts_is_said_with_their_units_before_the_draw(journey):
    """回避专家 张伟, two of that name: the confirmation says both are avoided and where they
    work, and how to name one only; 张伟（单位） then avoids that one."""
    experts(factories.make_unit(name="武汉示范大学"), ["张伟", "王敏", "李强"])
    experts(factories.make_unit(name="江城理工学院"), ["张伟", "刘洋"])
    tab = journey()
    tab.log_in(factories.make_reviewer().username, factories.PASSWORD)
    tab.open("/bureau/draws/new/")
    page = tab.page
    page.get_by_label("项目名称").fill("同名回避的评审")
    review_at = timezone.localtime() + datetime.timedelta(days=12)
    page.get_by_label("评审时间").fill(review_at.strftime("%Y-%m-%dT09:30"))
    page.get_by_label("评审地点").fill("会议室")
    row = page.get_by_test_id("quota-row").nth(0)
    row.get_by_label("专业领域").select_option(label="电子信息（含全部子领域）")
    row.get_by_label("抽取人数").fill("1")
    page.get_by_label("回避专家").fill("张伟")
    page.get_by_role("button", name="下一步：核对抽取条件").click()
    expect(page.get_by_test_id("avoid-same-name")).to_have_text(
        "（同名2人，均回避；工作单位：武汉示范大学、江城理工学院）"
    )
    expect(page.get_by_test_id("avoid-narrow")).to_contain_text("例如“张伟（武汉示范大学）”")
    expect(page.get_by_test_id("confirm-quotas")).to_contain_text("3 人")
    tab.snap("confirm-same-name")
    page.get_by_role("button", name="返回修改").click()
    page.get_by_label("回避专家").fill("张伟（江城理工学院）")
    page.get_by_role("button", name="下一步：核对抽取条件").click()
    expect(page.get_by_test_id("confirm-quotas")).to_contain_text("4 人")
    expect(page.get_by_test_id("avoid-same-name")).to_have_count(0)
