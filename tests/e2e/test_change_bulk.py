"""批量处理 on 信息变更审核 in the browser, by visible labels: the bureau approves ticked change
requests after a confirmation page that names each (its person, unit and fields)."""

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from changes.models import ChangeRequest, ChangeStatus
from experts.models import ExpertApplication
from tests import factories
from tests.changes.helpers import admitted, key_request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_the_bureau_approves_ticked_change_requests_after_confirming(journey):
    unit = factories.make_unit(name="武汉示范大学")
    other = factories.make_unit(name="华中光电研究院")
    names = ["陈静", "李强", "王芳"]
    for name in names:
        key_request(
            admitted(unit, name=name),
            status=ChangeStatus.PENDING_BUREAU,
            new_unit=other if name == "李强" else None,
        )
    reviewer = factories.make_reviewer()

    tab = journey()
    tab.log_in(reviewer.username, factories.PASSWORD)
    page = tab.page
    page.get_by_role("link", name="已入库专家信息变更审核").click()
    expect(page.get_by_role("heading", name="信息变更审核")).to_be_visible()
    bulk = page.get_by_role("group", name="批量处理")
    expect(bulk).to_contain_text("选择全部符合当前筛选条件的 3 份变更申请")
    page.get_by_role("checkbox", name="全选本页").check()
    expect(bulk).to_contain_text("已选 3 项")
    page.get_by_role("checkbox", name="选择王芳").uncheck()
    expect(bulk).to_contain_text("已选 2 项")
    tab.snap("list-ticked")
    bulk.get_by_role("button", name="批量审核通过").click()

    expect(page.get_by_role("heading", name="批量审核通过：共 2 份变更申请")).to_be_visible()
    # In the list's order, each with its unit (a move as 原单位 → 新单位) and what it changes.
    expect(page.get_by_test_id("bulk-names").locator("li")).to_have_text(
        [
            "陈静 武汉示范大学；变更内容：专业技术职称",
            "李强 武汉示范大学 → 华中光电研究院；变更内容：专业技术职称、工作单位",
        ]
    )
    tab.snap("confirm")
    page.get_by_role("button", name="确认审核通过（2）").click()

    expect(page.get_by_test_id("bulk-summary")).to_contain_text(
        "已完成 2 份变更申请。新信息已生效，短信通知将在几秒内陆续发给专家。"
    )
    expect(page.get_by_test_id("done-names").locator("li")).to_have_text(["陈静", "李强"])
    tab.snap("result")
    page.get_by_role("link", name="返回列表").click()
    expect(page.get_by_role("row", name="王芳")).to_be_visible()
    summary = AuditEvent.objects.filter(detail__startswith="批量审核通过：2份变更申请完成")
    assert summary.count() == 1
    assert tab.dialogs == []  # the confirmation page is the question
    statuses = dict(ChangeRequest.objects.values_list("application__user__real_name", "status"))
    assert statuses == {"陈静": "approved", "李强": "approved", "王芳": "pending_bureau"}
    titles = dict(ExpertApplication.objects.values_list("user__real_name", "title"))
    assert titles == {"陈静": "研究员", "李强": "研究员", "王芳": "教授"}


def test_a_unit_ticks_change_requests_on_a_phone(journey):
    """信息变更待确认 at 390 px: the boxes, the names and the 操作 buttons all on the screen;
    批量退回 asks for its reason once."""
    unit = factories.make_unit(name="武汉示范大学")
    for name in ["赵磊", "孙丽"]:
        key_request(admitted(unit, name=name), status=ChangeStatus.PENDING_UNIT)

    tab = journey(phone=True)
    tab.log_in(factories.unit_account(unit).username, factories.PASSWORD)
    page = tab.page
    tab.open("/unit/changes/")
    page.get_by_role("checkbox", name="选择全部符合当前筛选条件的 2 份变更申请").check()
    expect(page.get_by_role("group", name="批量处理")).to_contain_text(
        "已选全部符合条件的 2 份变更申请"
    )
    button = page.get_by_role("link", name="查看并确认").first
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    tab.snap("phone-list")
    page.get_by_role("group", name="批量处理").get_by_role("button", name="批量退回").click()
    page.get_by_role("button", name="确认退回（2）").click()
    expect(page.get_by_role("alert")).to_contain_text("请填写理由，申请人将看到此理由。")
    page.get_by_label("理由").fill("职称证书尚未下发，请下发后再申请。")
    tab.snap("phone-return-reason")
    page.get_by_role("button", name="确认退回（2）").click()
    expect(page.get_by_test_id("bulk-summary")).to_contain_text("已完成 2 份变更申请。")
    tab.snap("phone-returned")
    assert set(ChangeRequest.objects.values_list("status", flat=True)) == {"rejected"}
