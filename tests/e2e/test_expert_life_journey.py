"""An admitted expert's life in one browser walk (issue 23's "Done means"): the expert downloads
the 入库证明, changes unit and title (and a mobile, which applies at once), the old unit is
told, the new unit confirms, the bureau approves; the expert downloads the certificate again
(the new unit on it, the same code) and 下载我的个人信息 (the change in it); a stranger with no
account checks the code on 证书查验.

Each step's page is also shot at 390 px (a phone). The PDF pages are drawn as PNG and, with the
walk's screenshots, copied to /tmp/shots-life/ to be looked at (Chinese glyphs, not boxes)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from certificates.models import Certificate
from experts.models import ApplicationStatus
from experts.services import approve_application
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

SHOTS = Path("/tmp/shots-life")
OLD_UNIT = "武汉示范大学"
NEW_UNIT = "光谷先进制造研究院"


def go_home(tab):
    """我的专家状态 in the main navigation (a form's breadcrumb has the same link)."""
    navigation = tab.page.get_by_role("navigation", name="主导航")
    navigation.get_by_role("link", name="我的专家状态").click()


def download_certificate(tab, name: str) -> str:
    """下载入库证明 from the expert's home: the PDF's text (whitespace removed); its page is
    drawn as SHOTS/<name>-1.png."""
    go_home(tab)
    with tab.page.expect_download() as downloading:
        tab.page.get_by_role("link", name="下载入库证明").click()
    download = downloading.value
    assert download.suggested_filename == "专家入库证明.pdf"
    saved = tab.folder / "pdf" / f"{name}.pdf"
    saved.parent.mkdir(exist_ok=True)
    download.save_as(saved)
    text = subprocess.run(
        ["pdftotext", "-layout", str(saved), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert text.count("\f") == 1, "the certificate is one page"
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(saved), str(SHOTS / name)], check=True)
    assert (SHOTS / f"{name}-1.png").stat().st_size > 10_000
    return re.sub(r"\s+", "", text)


def test_an_expert_changes_unit_and_title_then_downloads_and_a_stranger_verifies(journey):
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    old_unit = factories.make_unit(name=OLD_UNIT)
    new_unit = factories.make_unit(name=NEW_UNIT)
    expert = factories.make_applicant(old_unit, ApplicationStatus.PENDING_BUREAU, name="王建国")
    reviewer = factories.make_reviewer()
    approve_application(expert.application, factories.make_reviewer())
    factories.past_notice(expert.application)

    # The admitted expert's certificate names the unit in force: the old one.
    tab = journey()
    tab.log_in(expert.username, factories.PASSWORD)
    expect(tab.page.get_by_test_id("expert-status")).to_have_text("审核通过")
    tab.snap("expert-home-admitted")
    before = download_certificate(tab, "certificate-before")
    certificate = Certificate.objects.get()
    assert "王建国" in before and OLD_UNIT in before and certificate.display_code in before
    assert NEW_UNIT not in before

    # The expert asks for a new unit and a new title.
    tab.page.get_by_role("link", name="修改专家信息").click()
    expect(tab.page.get_by_label("专业技术职称")).to_have_value("教授")
    # A key field, marked as such: changing it waits for the units' and the bureau's review.
    unit_field = tab.page.get_by_label(re.compile(r"^\s*工作单位\s+需审核\*?\s*$"))
    tab.page.get_by_label("搜索所属单位").fill("光谷")
    # The search has answered when the list's first line is its own.
    expect(unit_field.locator("option").first).to_have_text("请选择所属单位")
    unit_field.select_option(label=NEW_UNIT)
    tab.page.get_by_label("专业技术职称").fill("研究员")
    # A new 职称 carries its certificate.
    tab.page.get_by_label("职称证书", exact=True).set_input_files(
        {"name": "职称证书.png", "mimeType": "image/png", "buffer": factories.png_bytes()}
    )
    tab.page.get_by_label("手机").fill("13900001111")  # a contact detail: applies at once
    tab.snap("expert-form")
    tab.page.get_by_role("button", name="保存修改").first.click()
    expect(tab.page.get_by_text("手机已修改并生效。")).to_be_visible()
    pending = tab.page.get_by_test_id("pending-change")
    expect(pending).to_contain_text("专业技术职称、工作单位")
    expect(pending).to_contain_text("待单位确认")
    tab.snap("expert-home-pending")
    tab.phone_snap("expert-home-pending")
    tab.page.get_by_role("link", name="修改专家信息").click()
    tab.phone_snap("expert-form")

    # The old unit is told its expert is moving away, with nothing to confirm.
    old_tab = journey()
    old_tab.log_in(factories.unit_account(old_unit).username, factories.PASSWORD)
    old_tab.page.get_by_role("navigation").get_by_role("link", name="用户账号管理").click()
    expect(old_tab.page.get_by_test_id("moving-away")).to_contain_text(
        f"本单位专家王建国申请将工作单位变更为“{NEW_UNIT}”"
    )
    old_tab.snap("old-unit-notice")
    old_tab.phone_snap("old-unit-notice")

    # The new unit confirms.
    new_tab = journey()
    new_tab.log_in(factories.unit_account(new_unit).username, factories.PASSWORD)
    new_tab.page.get_by_role("navigation").get_by_role("link", name="用户账号管理").click()
    new_tab.page.get_by_role("link", name="信息变更待确认").click()
    new_tab.page.get_by_role("row", name="王建国").get_by_role("link", name="确认").click()
    expect(new_tab.page.get_by_test_id("new-unit")).to_contain_text(NEW_UNIT)
    expect(new_tab.page.get_by_test_id("changed-row")).to_have_count(2)
    new_tab.snap("new-unit-detail")
    new_tab.phone_snap("new-unit-detail")
    new_tab.page.get_by_role("button", name="确认", exact=True).click()
    expect(new_tab.page.get_by_text("已确认王建国的变更申请，将由市科技局审核。")).to_be_visible()

    # The bureau approves.
    bureau = journey()
    bureau.log_in(reviewer.username, factories.PASSWORD)
    bureau.page.get_by_role("link", name="专家审核").first.click()
    bureau.page.get_by_role("link", name="已入库专家信息变更审核").click()
    bureau.page.get_by_role("row", name="王建国").get_by_role("link", name="审核").click()
    bureau.snap("bureau-detail")
    bureau.phone_snap("bureau-detail")
    bureau.page.get_by_role("button", name="审核通过", exact=True).click()
    expect(bureau.page.get_by_text("王建国的变更申请已通过")).to_be_visible()
    assert any("新信息将立即生效" in question for question in bureau.dialogs)

    # The expert's home: the change 已通过, still 审核通过.
    go_home(tab)
    expect(tab.page.get_by_test_id("change-history")).to_contain_text("已通过")
    expect(tab.page.get_by_test_id("expert-status")).to_have_text("审核通过")
    tab.snap("expert-home-approved")
    tab.phone_snap("expert-home-approved")
    assert User.objects.get(pk=expert.pk).unit_id == new_unit.pk
    # The form, read-only while nothing is pending, holds the values now in force.
    tab.open("/expert/form/")
    expect(tab.page.get_by_text(NEW_UNIT).first).to_be_visible()
    expect(tab.page.get_by_text("研究员").first).to_be_visible()
    tab.snap("expert-readonly-new-values")

    # The certificate again: the same admission, the new unit, and a new code (one code, one
    # paper: the old paper's code now reads 已失效).
    after = download_certificate(tab, "certificate-after")
    renewed = Certificate.objects.exclude(pk=certificate.pk).get()
    assert renewed.admitted_at == certificate.admitted_at and renewed.code != certificate.code
    assert "王建国" in after and renewed.display_code in after
    assert certificate.display_code not in after
    assert NEW_UNIT in after
    assert OLD_UNIT not in after
    assert "/certificate/verify/" in after  # where the paper sends a stranger

    # 我的个人信息: the page, then the JSON, with the change in both.
    tab.page.get_by_role("link", name="查看和下载我的个人信息").click()
    expect(tab.page.get_by_role("heading", name="我的个人信息")).to_be_visible()
    expect(tab.page.get_by_role("heading", name="专家信息（审核通过）")).to_be_visible()
    history = tab.page.get_by_role("region", name="审核记录")
    expect(history.get_by_role("row").filter(has_text="信息变更")).to_contain_text(
        "专业技术职称、工作单位"
    )
    expect(tab.page.get_by_role("table", name="信息变更")).to_contain_text(f"工作单位：{NEW_UNIT}")
    tab.snap("own-data")
    with tab.page.expect_download() as downloading:
        tab.page.get_by_role("link", name="下载我的个人信息（JSON）").click()
    data = json.loads(Path(downloading.value.path()).read_text(encoding="utf-8"))
    form = {row["项目"]: row["内容"] for row in data["专家信息"]}
    assert data["账号"]["姓名"] == "王建国"
    assert data["账号"]["所属单位"] == NEW_UNIT
    assert (form["工作单位"], form["专业技术职称"]) == (NEW_UNIT, "研究员")
    changes = [row for row in data["审核记录"] if row["操作"] == "信息变更"]
    assert [row["意见或理由"] for row in changes] == ["专业技术职称、工作单位"]
    assert changes[0]["状态变化"] == "仍为审核通过"
    # The requests themselves: the reviewed one with each step, and the mobile, in force at once.
    request, mobile = data["信息变更"]
    assert (mobile["变更字段"], mobile["状态"]) == ("手机", "已生效")
    assert mobile["变更后"] == ["手机：13900001111"] and mobile["处理记录"] == []
    assert request["状态"] == "已通过"
    assert f"工作单位：{OLD_UNIT}" in request["变更前"]
    assert f"工作单位：{NEW_UNIT}" in request["变更后"]
    assert [step.split(" ", 2)[2] for step in request["处理记录"]] == [
        "申请人提交：专业技术职称、工作单位",
        f"单位账号（{NEW_UNIT}）确认",
        "科技局审核员审核通过",
    ]
    # What changed, and that the paper downloaded before the move is no longer valid.
    assert any(
        sms["内容"].endswith(
            "您提交的专家信息变更申请（专业技术职称、工作单位）已审核通过，变更后的信息已生效。"
            "您此前下载的入库证明已失效，请登录系统重新下载。"
        )
        for sms in data["短信"]
    )
    assert "提交变更申请：专业技术职称、工作单位" in [event["说明"] for event in data["安全审计"]]

    # A stranger, never logged in, opens the address printed on the paper and types its code:
    # the old paper's reads 已失效 and says why, the new one's 有效.
    stranger = journey()
    stranger.open("/certificate/verify/")
    expect(stranger.page.get_by_role("heading", name="证书查验")).to_be_visible()
    stranger.page.get_by_label("验证码").fill(certificate.display_code)
    stranger.page.get_by_role("button", name="查验").click()
    result = stranger.page.get_by_test_id("certificate-result")
    expect(result.get_by_test_id("certificate-state")).to_have_text("已失效")
    expect(result.get_by_test_id("invalid-reason")).to_contain_text("持证人信息已变更")
    stranger.snap("stranger-verify-old-paper")
    stranger.page.get_by_label("验证码").fill(renewed.display_code)
    stranger.page.get_by_role("button", name="查验").click()
    result = stranger.page.get_by_test_id("certificate-result")
    expect(result.get_by_test_id("certificate-state")).to_have_text("有效")
    expect(result).to_contain_text("王*国")
    expect(result).to_contain_text(NEW_UNIT)
    expect(result).not_to_contain_text("王建国")
    expect(result).not_to_contain_text(OLD_UNIT)
    expect(stranger.page.get_by_role("button", name="退出", exact=True)).to_have_count(0)
    stranger.snap("stranger-verify-valid")

    # Kept beside the PDF pages, to be looked at.
    for shot in tab.folder.glob("*.png"):
        shutil.copy(shot, SHOTS / shot.name)
