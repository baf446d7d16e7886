"""The manual, walked in a real browser by its visible labels, one person per tab."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Unit, UnitStatus
from experts.models import ApplicationStatus
from notice import periods as notice_periods
from portal.dates import chinese_date
from sms.models import SMSMessage
from sms.outbox import send_due
from tests import factories
from tests.e2e.test_clerk_registration import agree

# A live server needs committed data, so these tests commit and the database is emptied after
# each; the `reference_data` fixture puts back what the migrations load.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

PASSWORD = factories.PASSWORD


def exactly(page, label: str):
    """The field labelled exactly `label` (a required field's label ends in an asterisk)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\*?\s*$"))


def fill_expert_form(tab, *, complete: bool) -> None:
    page = tab.page
    page.get_by_label("专业技术职称").fill("研究员")
    page.get_by_label("民族").select_option(label="汉族")
    page.get_by_label("政治面貌").select_option(label="群众")
    if not complete:
        return
    page.get_by_label("最高学历").select_option(label="博士研究生")
    page.get_by_label("最高学位").select_option(label="博士")
    page.get_by_label("毕业院校").fill("武汉大学")
    page.get_by_label("所学专业").fill("光学工程")
    page.get_by_label("现从事专业").fill("光电子器件")
    page.get_by_label("职称级别").select_option(label="正高级")
    page.get_by_label("所在部门").fill("光电实验室")
    page.get_by_label("办公电话").fill("027-87654321")
    page.get_by_label("通讯地址").fill("武汉市东湖高新区高新大道999号")
    page.get_by_label("电子信息").check()
    page.get_by_label("新材料").check()
    page.get_by_label("研究方向/擅长领域").fill("半导体激光器")
    page.get_by_label("工作简历").fill("2008年至今在武汉光谷研究院工作。")
    page.get_by_label("主要业绩与成果").fill("主持国家自然科学基金项目3项。")
    page.get_by_label("开户银行").fill("中国银行武汉东湖支行")
    page.get_by_label("银行账号").fill("6216600100001234564")
    page.get_by_label("本人已阅读并同意上述诚信承诺").check()
    page.get_by_label("本人同意上述敏感个人信息处理（单独同意）").check()


def expect_status(tab, label: str) -> None:
    expect(tab.page.get_by_test_id("expert-status")).to_have_text(label)


def test_unit_registration_to_bureau_approval(journey, tmp_path):
    reviewer = factories.make_reviewer("bureau_e2e")
    licence = tmp_path / "营业执照.png"
    licence.write_bytes(factories.png_bytes((400, 300)))
    code = factories.credit_code()

    # 1. The unit registers with its licence scan.
    unit_tab = journey()
    page = unit_tab.page
    unit_tab.open("/")
    unit_tab.snap("home")
    page.get_by_role("link", name="用户注册").first.click()
    unit_tab.snap("register-choice")
    page.get_by_role("link", name="新用户注册：单位").click()
    page.get_by_label("单位名称").fill("武汉光谷研究院")
    page.get_by_label("统一社会信用代码").fill(code)
    page.get_by_label("单位性质").select_option(label="科研院所")
    page.get_by_label("所在区").select_option(label="东湖新技术开发区")
    page.get_by_label("单位地址").fill("武汉市东湖高新区高新大道999号")
    exactly(page, "联系人").fill("王芳")
    page.get_by_label("联系人手机").fill("13900139001")
    page.get_by_label("电子邮箱").fill("office@example.org")
    page.get_by_label("营业执照或法人证书扫描件").set_input_files(licence)
    page.get_by_label("用户名").fill("guanggu")
    exactly(page, "密码").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    agree(page)
    unit_tab.snap("register-unit-filled")
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_test_id("unit-pending")).to_contain_text("已提交科技局审核")
    unit_tab.snap("unit-pending")
    unit = Unit.objects.get(credit_code=code)
    assert unit.status == UnitStatus.PENDING

    # The bureau approves it from the 单位注册审核 queue.
    bureau = journey()
    bureau.log_in(reviewer.username, PASSWORD)
    bureau.page.get_by_role("link", name="单位注册审核").click()
    expect(bureau.page.get_by_role("table")).to_contain_text("武汉光谷研究院")
    bureau.snap("unit-queue")
    bureau.page.get_by_role("row", name="武汉光谷研究院").get_by_role("link", name="审核").click()
    bureau.snap("unit-review")
    bureau.page.get_by_role("button", name="审核通过", exact=True).click()
    expect(bureau.page.get_by_role("alert").first).to_contain_text("已通过“武汉光谷研究院”")
    assert bureau.dialogs[-1] == "确认审核通过“武汉光谷研究院”的注册申请吗？"
    bureau.snap("unit-approved")
    unit.refresh_from_db()
    assert unit.status == UnitStatus.APPROVED

    # The unit completes 信息更改 and saves.
    page.reload()
    page.get_by_role("link", name="信息更改").first.click()
    page.get_by_label("法定代表人").fill("赵强")
    page.get_by_label("单位电话").fill("027-87654321")
    unit_tab.snap("unit-profile")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").first).to_contain_text("单位信息已保存")
    unit_tab.snap("unit-profile-saved")

    # 2. An individual registers under that unit and starts at 信息未填写.
    person = journey()
    p = person.page
    person.open("/")
    p.get_by_role("link", name="用户注册").first.click()
    p.get_by_role("link", name="新用户注册：个人").click()
    p.get_by_label("用户名").fill("liuyang")
    exactly(p, "密码").fill(PASSWORD)
    p.get_by_label("确认密码").fill(PASSWORD)
    p.get_by_label("姓名").fill("刘洋")
    p.get_by_label("证件号码").fill(factories.resident_id(birth="19780512", sex="female"))
    p.get_by_label("手机号码").fill("13812345678")
    p.get_by_label("电子邮箱").fill("liuyang@example.com")
    p.get_by_label("搜索所属单位").fill("光谷")
    expect(exactly(p, "所属单位")).to_have_value(str(unit.pk))
    agree(p)
    person.snap("register-individual")
    p.get_by_role("button", name="注册").click()
    expect(p.get_by_role("alert").first).to_contain_text("注册成功")
    expect_status(person, "信息未填写")  # signed in by the registration itself
    person.snap("applicant-home")

    # A draft is saved, survives logging out, then the whole form is submitted.
    p.get_by_role("link", name="申请成为专家").click()
    fill_expert_form(person, complete=False)
    p.get_by_role("button", name="保存草稿").first.click()
    expect(p.get_by_role("alert").first).to_contain_text("草稿已保存")
    person.snap("draft-saved")
    person.log_out()
    person.log_in("liuyang", PASSWORD)
    p.get_by_role("link", name="继续填写").click()  # home shows the saved draft (issue 19)
    expect(p.get_by_label("专业技术职称")).to_have_value("研究员")
    fill_expert_form(person, complete=True)
    person.snap("form-complete")
    p.get_by_role("button", name="提交").first.click()
    assert "确认提交吗" in person.dialogs[-1]
    expect_status(person, "待单位推荐")
    person.snap("submitted")

    # 3. The unit recommends it: 用户账号管理 → 专家信息查看 → 提交.
    page.get_by_role("link", name="用户账号管理").first.click()
    expect(page.get_by_role("row", name="刘洋")).to_contain_text("待单位推荐")
    unit_tab.snap("unit-people")
    page.get_by_role("row", name="刘洋").get_by_role("link", name="专家信息查看").click()
    unit_tab.snap("unit-view")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("alert").first).to_contain_text("待科技局审核")
    unit_tab.snap("unit-recommended")

    # 4. The bureau approves; the applicant sees 审核通过 and one SMS is queued for them.
    bureau.page.get_by_role("link", name="专家审核").click()
    bureau.page.get_by_role("row", name="刘洋").get_by_role("link", name="审核").click()
    bureau.snap("expert-review")
    bureau.page.get_by_role("button", name="审核通过").click()
    expect(bureau.page.get_by_role("alert").first).to_contain_text(
        "审核通过，短信通知将在几秒内发给申请人"
    )
    bureau.snap("expert-approved")
    p.reload()
    expect_status(person, "审核通过")
    person.snap("applicant-approved")
    ends = notice_periods.ends_on(timezone.localdate())
    assert list(SMSMessage.objects.filter(to="+8613812345678").values_list("body", flat=True)) == [
        "【武汉市科技局专家入库系统】刘洋您好，您的专家入库申请已审核通过，拟入选市科技局专家库，"
        f"现正公示至{chinese_date(ends)}；公示期满无异议即正式入库，届时可登录本系统下载入库证明。"
    ]


def test_rejection_then_revise_and_resubmit(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="陈静")
    reviewer = factories.make_reviewer()

    bureau = journey()
    bureau.log_in(reviewer.username, PASSWORD)
    bureau.page.get_by_role("row", name="陈静").get_by_role("link", name="审核").click()
    bureau.page.get_by_role("button", name="审核不通过").click()
    expect(
        bureau.page.get_by_text("请勾选至少一项理由或填写理由说明，申请人将看到此理由。")
    ).to_be_visible()
    bureau.snap("reject-without-reason")
    bureau.page.get_by_label("理由说明").fill("主要业绩与成果缺少佐证材料。")
    bureau.page.get_by_role("button", name="审核不通过").click()
    expect(bureau.page.get_by_role("alert").first).to_contain_text(
        "审核不通过，短信通知将在几秒内发给申请人"
    )
    bureau.page.goto(bureau.base_url + f"/bureau/experts/{applicant.application.pk}/")
    expect(bureau.page.get_by_test_id("sms-state")).to_have_text("排队中")
    bureau.snap("rejected")
    assert SMSMessage.objects.filter(to=applicant.application.mobile).count() == 1
    send_due()  # the worker's pass

    person = journey()
    person.log_in(applicant.username, PASSWORD)
    expect_status(person, "审核不通过")
    expect(person.page.get_by_test_id("sms-state")).to_contain_text("已发送")
    person.snap("applicant-rejected-sms-sent")
    expect(person.page.get_by_role("status")).to_contain_text("主要业绩与成果缺少佐证材料。")
    person.snap("applicant-rejected")
    person.page.get_by_role("button", name="修改专家信息").click()
    expect(person.page.get_by_role("status")).to_contain_text("主要业绩与成果缺少佐证材料。")
    person.page.get_by_label("主要业绩与成果").fill("主持国家重点研发计划项目2项，附验收证书。")
    person.snap("revising")
    person.page.get_by_role("button", name="提交").first.click()
    expect_status(person, "待单位推荐")
    person.snap("resubmitted")


def test_unit_returns_an_application_with_a_reason(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="赵磊")

    unit_tab = journey()
    unit_tab.log_in(factories.unit_account(unit).username, PASSWORD)
    unit_tab.page.get_by_role("link", name="用户账号管理").first.click()
    unit_tab.page.get_by_role("row", name="赵磊").get_by_role("link", name="专家信息查看").click()
    unit_tab.page.get_by_label("理由说明").fill("工作简历缺少2015年以后的经历。")
    unit_tab.page.get_by_role("button", name="退回").click()
    expect(unit_tab.page.get_by_role("alert").first).to_contain_text("已退回赵磊的专家信息")
    unit_tab.snap("returned")

    person = journey()
    person.log_in(applicant.username, PASSWORD)
    expect_status(person, "已退回（待修改）")
    expect(person.page.get_by_role("status")).to_contain_text("工作简历缺少2015年以后的经历。")
    person.snap("applicant-sees-return")


def test_applicant_pages_on_a_phone(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    phone = journey(phone=True)
    phone.log_in(applicant.username, PASSWORD)
    expect_status(phone, "信息未填写")
    phone.snap("phone-home")
    phone.page.get_by_role("link", name="申请成为专家").click()
    phone.snap("phone-form")
    assert_fits(phone, "the form")

    for n in range(3):
        factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name=f"欧阳明{n}")
    unit_phone = journey(phone=True)
    unit_phone.log_in(factories.unit_account(unit).username, PASSWORD)
    unit_phone.page.get_by_role("button", name="展开导航").click()
    unit_phone.page.get_by_role("navigation", name="主导航").get_by_role(
        "link", name="用户账号管理"
    ).click()
    expect(unit_phone.page.get_by_role("row", name="欧阳明0")).to_contain_text("待单位推荐")
    unit_phone.snap("phone-unit-people")
    assert_fits(unit_phone, "用户账号管理")


def assert_fits(tab, what: str) -> None:
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{what} is {width}px wide on a 390px screen"


def test_typed_answers_survive_a_session_timeout(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    person = journey()
    person.log_in(applicant.username, PASSWORD)
    person.page.get_by_role("link", name="申请成为专家").click()
    person.page.get_by_label("工作简历").fill("1998年至今在武汉示范大学任教，主讲光学。")
    person.page.get_by_label("现代农业").check()
    person.page.wait_for_timeout(600)  # the copy is written a moment after typing stops

    # The session ends (timeout): the next page asks to log in again.
    person.context.clear_cookies()
    person.log_in(applicant.username, PASSWORD)
    person.page.get_by_role("link", name="申请成为专家").click()
    banner = person.page.get_by_role("alert").filter(has_text="尚未保存的内容")
    expect(banner).to_be_visible()
    person.snap("restore-offered")
    banner.get_by_role("button", name="恢复未保存的内容").click()
    expect(person.page.get_by_label("工作简历")).to_have_value(
        "1998年至今在武汉示范大学任教，主讲光学。"
    )
    person.page.get_by_role("button", name="保存草稿").first.click()
    expect(person.page.get_by_role("alert").first).to_contain_text("草稿已保存")

    application = applicant.application
    application.refresh_from_db()
    assert application.resume == "1998年至今在武汉示范大学任教，主讲光学。"
    assert list(application.disciplines.values_list("name", flat=True)) == ["现代农业"]
    # Once saved, the copy is not offered again.
    person.page.reload()
    expect(person.page.get_by_role("button", name="恢复未保存的内容")).to_be_hidden()


def test_logging_out_leaves_no_typed_answers_in_the_browser(journey):
    """A shared computer: 退出 asks about what is typed and not saved, then clears the copy."""
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    person = journey()
    person.log_in(applicant.username, PASSWORD)
    person.page.get_by_role("link", name="申请成为专家").click()
    person.page.get_by_label("通讯地址").fill("武汉市洪山区珞喻路1号")
    person.page.wait_for_timeout(600)  # the copy is written a moment after typing stops
    stored = "Object.keys(localStorage).filter(k => k.startsWith('expert-form-')).length"
    assert person.page.evaluate(stored) == 1

    person.log_out()

    assert person.dialogs[-1] == "本页有尚未保存的填写内容，退出后将不再保留。确定退出吗？"
    assert person.page.evaluate(stored) == 0


def test_a_phone_reads_the_reason_and_the_sms_without_scrolling_sideways(journey, reviewer):
    """审核记录 and 短信通知 stack each row on a phone, each value beside its column's name."""
    from experts.services import reject_application

    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    reject_application(applicant.application, reviewer, reason="主要业绩与成果缺少佐证材料。")
    phone = journey(phone=True)
    phone.log_in(applicant.username, PASSWORD)

    history = phone.page.get_by_role("region", name="审核记录")
    reason = history.get_by_role("cell", name="主要业绩与成果缺少佐证材料。")
    expect(reason).to_be_visible()
    box = reason.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    message = phone.page.get_by_role("region", name="短信通知").get_by_text("原因：", exact=False)
    box = message.bounding_box()
    assert box["x"] + box["width"] <= 390
    phone.snap("phone-history-stacked")
    assert_fits(phone, "申请人首页")


def test_a_tab_left_open_is_told_another_saved_first_and_keeps_what_it_typed(journey):
    unit = factories.make_unit(name="武汉示范大学")
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    person = journey()
    person.log_in(applicant.username, PASSWORD)
    person.page.get_by_role("link", name="申请成为专家").click()
    tab_a = person.page
    tab_b = person.context.new_page()
    tab_b.goto(tab_a.url)
    tab_b.get_by_label("所学专业").fill("光学工程")
    tab_b.get_by_role("button", name="保存草稿").first.click()
    expect(tab_b.get_by_role("alert").first).to_contain_text("草稿已保存")

    tab_a.get_by_label("所在部门").fill("物理学院")
    tab_a.get_by_role("button", name="保存草稿").first.click()

    expect(tab_a.get_by_role("alert").first).to_contain_text("专家信息已在其他窗口或设备上保存过")
    expect(tab_a.get_by_label("所在部门")).to_have_value("物理学院")
    # The page holds what was typed: no offer of an older copy, and a link to the latest save.
    expect(tab_a.get_by_role("button", name="恢复未保存的内容")).to_be_hidden()
    person.snap("stale-tab")
    tab_a.get_by_role("link", name="查看最新保存的内容").click()
    expect(tab_a.get_by_label("所学专业")).to_have_value("光学工程")
    applicant.application.refresh_from_db()
    assert applicant.application.major == "光学工程" and applicant.application.department == ""
