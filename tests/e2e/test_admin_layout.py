"""Django admin on a 1,280 px screen (issue 19 point 10): every changelist fits, no column
header or name wraps, and the history list's 时间 column is on screen. The 专业领域 picker and
the search box speak Chinese (point 9), and the favicon is served.

Screenshots land in tests/e2e/artifacts/<test>/, one per changelist."""

import datetime
import re
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessLog
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AccountLock, Blacklist, UnitStatus, User
from accounts.services import approve_unit
from audit.log import record
from audit.models import AuditEvent, Reminder
from draws import services as draws
from draws.rules import Criteria
from experts.models import (
    ApplicationStatus,
    Discipline,
    ExpertApplication,
    ExportedApplication,
    ExportJob,
    ReasonCode,
)
from experts.services import approve_application, recommend_application, return_application
from fees import services as fees
from notice.models import NoticeObjection
from sms.models import SMSMessage
from tests import factories
from tests.changes.helpers import key_request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

# Free text that may take several lines; everything else stays on one.
LONG_TEXT_COLUMNS = {
    "error_excerpt",  # 短信发送队列's 最近错误
    "overdue",  # 超期提醒's 超期数量, a sentence of counts
    "user_agent",
    "object_repr",
    "detail",
    "detail_start",  # 审计记录's 说明, its first characters
    "path_info",
}


# For each cell of the changelist: its column, whether its text takes more than one line, and
# whether it ends beyond the window's right edge.
MEASURE = """() => {
  const table = document.getElementById('result_list');
  const cells = [...table.querySelectorAll('thead th, tbody td, tbody th')];
  return cells.filter(cell => cell.innerText.trim() !== '').map(cell => {
    // The line tops of the cell's text (not of its empty sort-icon boxes).
    const lines = new Set();
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      if (!walker.currentNode.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(walker.currentNode);
      for (const r of range.getClientRects()) if (r.width > 0) lines.add(Math.round(r.top));
    }
    const column = [...cell.classList].find(c => /^(column|field)-/.test(c)) || '';
    return {
      column: column.replace(/^(column|field)-/, ''),
      text: cell.innerText.trim(),
      wraps: lines.size > 1,
      right: cell.getBoundingClientRect().right,
      // The list scrolls inside its own box (.results): a cell past its edge is cut off there
      // although it is inside the window (短信发送队列's 最近错误, ops walk item 6).
      shown: cell.closest('.results').getBoundingClientRect().right,
    };
  });
}"""


def long_name_data(reviewer):
    """Rows with names as long as real ones: a unit's full registered name, a 4-character
    personal name, every kind of record the admin lists."""
    unit = factories.make_unit(name="华中科技大学同济医学院附属协和医院")
    account = factories.unit_account(unit)
    for name in ["欧阳晓明", "司马相如", "诸葛孔明"]:
        applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name=name)
        recommend_application(applicant.application, account)
        approve_application(applicant.application, reviewer)
    approve_unit(
        factories.make_unit(UnitStatus.PENDING, name="武汉东湖新技术开发区管委会"), reviewer
    )
    message = SMSMessage.objects.create(
        to="+8613812345678", body="【武汉市科技局】您的专家入库申请已审核通过。"
    )
    # A failed one, with the provider's error as long as Twilio's are.
    SMSMessage.objects.create(
        to="+8613800000158",
        body="【武汉市科技局】欧阳晓明您好，您的专家入库申请已审核通过，请登录系统查看入库证明。",
        status=SMSMessage.Status.FAILED,
        attempts=1,
        failure_reason="手机号码无效或无法接收短信",
        last_error="Twilio 400 21614: '+86138****0158' is not a mobile number",
    )
    today = timezone.localdate()
    Reminder.objects.create(
        kind=Reminder.Kind.UNIT_SMS,
        target=str(unit.pk),
        target_name=unit.name,
        day=today,
        overdue_recommendations=12,
        sms_message=message,
        status=Reminder.Status.QUEUED,
    )
    Reminder.objects.create(
        kind=Reminder.Kind.BUREAU_DIGEST,
        target=Reminder.BUREAU,
        target_name="科技局审核员",
        day=today,
        overdue_registrations=15,
        overdue_decisions=128,
        recipients="reviewer1、reviewer2",
        status=Reminder.Status.SENT,
        sent_at=timezone.now(),
    )
    record(AuditEvent.Action.LOGIN, actor=reviewer)
    # 含敏感信息导出名单: one person of an export with the numbers (experts.exports).
    export = record(
        AuditEvent.Action.EXPORT_SENSITIVE,
        actor=reviewer,
        detail="条数：1；含敏感信息：是；理由：发放评审劳务费；筛选条件：全部",
    )
    ExportedApplication.objects.create(event=export, application=applicant.application)
    common = {
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0",
        "ip_address": "192.168.100.200",
        "http_accept": "*/*",
    }
    AccessAttempt.objects.create(
        username="zhangsan", path_info="/login/", failures_since_start=3, **common
    )
    AccessLog.objects.create(username=reviewer.username, path_info="/login/", **common)
    now = timezone.now()
    AccountLock.objects.create(
        username="zhangsan", locked_at=now, until=now + datetime.timedelta(hours=1)
    )
    # A 变更申请 waiting for the unit, and a 导出任务 under way.
    key_request(User.objects.get(real_name="欧阳晓明"), status="pending_unit")
    ExportJob.objects.create(
        requested_by=reviewer, kind=ExportJob.Kind.POOL, rows_total=53000, rows_done=12000
    )
    # 专家抽取's record (抽取记录, 抽中专家, 抽取记录事件) and a 禁入 entry.
    field = Discipline.objects.get(code="01")
    for application in ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED):
        application.disciplines.set([field])
    draw = draws.make_draw(
        reviewer,
        project_name="2027年度武汉市重点研发计划项目会议评审",
        review_at=now + datetime.timedelta(days=7),
        review_place="武汉市科学技术局三楼第一会议室",
        criteria=Criteria(),
        asks=[draws.QuotaAsk(field, 2, 1)],
    )
    first = draw.pick_set.filter(role="member").first()
    draws.answer(reviewer, draw, first.application_id, "decline", "评审当天出差")
    draws.void(reviewer, draw, "评审项目名称填写有误，按更正后的项目重新抽取")  # 抽取记录作废
    # A review held yesterday: its 专家评价 and 专家劳务费.
    held = draws.make_draw(
        reviewer,
        project_name="2026年度武汉市科技成果转化项目验收评审",
        review_at=now - datetime.timedelta(days=1),
        review_place="武汉市科学技术局三楼第一会议室",
        criteria=Criteria(),
        asks=[draws.QuotaAsk(field, 1, 0)],
    )
    member = held.pick_set.get(role="member").application_id
    draws.answer(reviewer, held, member, "confirm")
    draws.evaluate(reviewer, held, member, "basic", "对项目技术路线的意见较为笼统")
    fees.save(reviewer, held, [fees.Entry(member, Decimal(1), Decimal("1675.00"), "会议评审")])
    NoticeObjection.objects.create(
        application=first.application,
        objector="王先生（武汉某科技有限公司）",
        channel=NoticeObjection._meta.get_field("channel").choices[0][0],
        content="该专家近三年与申报单位有合作关系。",
        created_by=reviewer,
    )
    Blacklist.objects.create(
        id_number_index="0" * 64,
        until=None,
        reason="提供虚假信息；评审中泄露项目信息",
        name="欧阳晓明",
        created_by=reviewer,
    )


def operator_tab(journey):
    User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    tab = journey()
    tab.log_in("operator", factories.PASSWORD)
    return tab


def changelists(tab) -> list[tuple[str, str]]:
    """(name, URL) of every changelist linked from the admin index."""
    tab.open("/admin/")
    hrefs = tab.page.locator("#content-main a").evaluate_all("links => links.map(a => a.pathname)")
    return [
        (href.strip("/").replace("/", "-"), href)
        for href in dict.fromkeys(hrefs)
        if re.fullmatch(r"/admin/\w+/\w+/", href)
    ]


def test_every_changelist_fits_1280_without_wrapping_a_name(journey, reviewer):
    long_name_data(reviewer)
    tab = operator_tab(journey)
    page = tab.page
    lists = changelists(tab)
    assert len(lists) >= 12  # the walk reached every model

    problems = []
    for name, url in lists:
        tab.open(url)
        page.wait_for_load_state()
        page.screenshot(path=tab.folder / f"{name}.png", full_page=True)
        width = page.evaluate("document.documentElement.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, url
        for cell in page.evaluate(MEASURE):
            if cell["wraps"] and cell["column"] not in LONG_TEXT_COLUMNS:
                problems.append(f"{url} {cell['column']}: {cell['text']!r} wraps")
            if cell["right"] > width:
                problems.append(f"{url} {cell['column']}: {cell['text']!r} is off screen")
            elif cell["right"] > cell["shown"] + 1:
                problems.append(f"{url} {cell['column']}: {cell['text']!r} is cut off")
    assert problems == [], "\n".join(problems)


def test_history_list_shows_its_time_column(journey, reviewer):
    long_name_data(reviewer)
    tab = operator_tab(journey)
    tab.open("/admin/experts/applicationtransition/")
    header = tab.page.locator("#result_list thead th.column-created_at")
    expect(header).to_have_text("时间")
    box = header.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= tab.page.viewport_size["width"]
    tab.page.screenshot(path=tab.folder / "history-list.png", full_page=True)

    # The application's own page: its 审核记录, newest first, the unit named by its name.
    application = ExpertApplication.objects.get(user__real_name="欧阳晓明")
    tab.open(f"/admin/experts/expertapplication/{application.pk}/change/")
    rows = tab.page.locator("fieldset.module:has(h2:text-is('审核记录')) tbody tr.has_original")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("审核通过")
    expect(rows.nth(1)).to_contain_text("单位账号（华中科技大学同济医学院附属协和医院）")
    rows.nth(0).scroll_into_view_if_needed()
    tab.page.screenshot(path=tab.folder / "application-history-inline.png")


def test_a_long_audit_detail_keeps_its_list_row_short_and_its_record_whole(journey, unit):
    """A 退回 with many reasons and the longest text the form takes: 审计记录's list shows its
    beginning in a few lines at 1,280 px, and the record shows all of it."""
    codes = [
        ReasonCode.objects.create(code=f"long{n}", label=f"{n:02d}" + "材料不符合要求" * 6)
        for n in range(30)
    ]
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT).application
    return_application(
        application,
        factories.unit_account(unit),
        reason="请补充近五年的业绩材料。" * 80,
        codes=codes,
    )
    event = AuditEvent.objects.get(object_id=str(application.pk), action="transition")
    tab = operator_tab(journey)
    page = tab.page

    tab.open("/admin/audit/auditevent/")
    row = page.locator("#result_list tbody tr").filter(
        has=page.get_by_role("link", name=str(event.pk), exact=True)
    )
    cell = row.locator("td.field-detail_start")
    expect(cell).to_contain_text("…（点击编号查看全文）")
    page.screenshot(path=tab.folder / "audit-list.png", full_page=True)
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # A few lines in its bounded width (static/css/admin.css), the columns after it on screen.
    assert cell.bounding_box()["height"] < 200
    ip = row.locator("td.field-ip").bounding_box()
    assert ip["x"] + ip["width"] <= width

    page.get_by_role("link", name=str(event.pk), exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".field-detail .readonly")).to_have_text(event.detail)
    assert event.detail.endswith("…（说明过长，以下已截断）")
    page.screenshot(path=tab.folder / "audit-record.png", full_page=True)


def test_discipline_picker_and_search_box_speak_chinese(journey, unit):
    # A draft: one under review shows its 专业领域 as text (what was submitted).
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    tab = operator_tab(journey)
    page = tab.page
    tab.open(f"/admin/experts/expertapplication/{applicant.application.pk}/change/")
    page.screenshot(path=tab.folder / "application-change.png", full_page=True)

    expect(page.get_by_role("button", name="全选专业领域")).to_be_visible()
    expect(page.get_by_role("button", name="移除全部专业领域")).to_be_visible()
    expect(page.get_by_placeholder("过滤").first).to_be_visible()
    expect(page.get_by_text("审核记录").first).to_be_visible()
    for english in ["Choose", "Remove all", "Choose all"]:
        expect(page.get_by_text(english, exact=False)).to_have_count(0)

    # Whole numbers only after choosing a reason (point 11, admin part).
    assert applicant.id_number not in page.content()
    page.get_by_role("link", name="查看完整信息").click()
    page.get_by_label("发放评审劳务费").check()
    page.get_by_role("button", name="查看完整信息").click()
    expect(page.get_by_text(applicant.id_number)).to_be_visible()
    page.screenshot(path=tab.folder / "personal-data.png", full_page=True)

    tab.open("/admin/experts/expertapplication/")
    expect(page.get_by_role("textbox", name="搜索")).to_be_visible()
    expect(page.get_by_role("textbox", name="Search")).to_have_count(0)
    tab.open("/admin/")
    page.screenshot(path=tab.folder / "index.png", full_page=True)
    for english in ["AXES", "Access attempts", "TOTP devices", "OTP_TOTP"]:
        expect(page.get_by_text(english)).to_have_count(0)


def test_favicon_is_served(journey, live_server):
    tab = journey()
    response = tab.page.request.get(live_server.url + "/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
