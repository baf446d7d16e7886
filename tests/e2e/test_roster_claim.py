"""An expert the bureau brought in from its previous system (import_roster), in the browser:
they set their first password by 找回密码 with the imported e-mail address, sign in, agree to
the 个人信息保护说明, and read on 我的专家状态 that the portal does not process their numbers
until they give the sensitive-data consent, which they then give. Screenshots and axe at each
step, on a desktop and on a phone."""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from openpyxl import Workbook
from playwright.sync_api import expect

from accounts.models import User
from experts.models import ExpertApplication
from experts.permissions import may_process_sensitive_numbers
from tests import factories
from tests.e2e.test_clerk_registration import exactly

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
PASSWORD = "Claim#Secret2026"


def imported(unit, tmp_path, email: str) -> User:
    """One admitted expert of the previous system, through the operator's command."""
    operator = User.objects.create_superuser("roster_operator", "op@example.com", "Op#Pass2026x")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "证件类型", "证件号码", "工作单位统一社会信用代码", "手机", "专业领域"])
    sheet["G1"], sheet["H1"], sheet["I1"] = "入库时间", "电子邮箱", "职称级别"
    sheet.append(
        [
            "何晓燕",
            "居民身份证",
            factories.resident_id(40_901, birth="19750304", sex="female"),
            unit.credit_code,
            "13912340001",
            "软件",
            "2021-03-15",
            email,
            "正高级",
        ]
    )
    path = tmp_path / "roster.xlsx"
    workbook.save(path)
    out = io.StringIO()
    call_command(
        "import_roster", str(path), "--operator", operator.username, "--commit", stdout=out
    )
    assert "已导入1名专家" in out.getvalue()
    return User.objects.get(email=email)


@pytest.mark.parametrize("phone", [False, True])
def test_an_imported_expert_claims_the_account_and_gives_the_consent(
    journey, tmp_path, phone, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    unit = factories.make_unit(name="武汉示范大学")
    person = imported(unit, tmp_path, "hexiaoyan@example.com")
    tab = journey(phone=phone)
    page = tab.page

    tab.open("/login/")
    page.get_by_role("link", name="找回密码").click()
    page.get_by_label("电子邮箱").fill("hexiaoyan@example.com")
    page.get_by_role("button", name="发送重设链接").click()
    page.wait_for_load_state()
    [message] = mail.outbox
    assert person.username in message.body
    link = re.search(r"https?://\S+/password/reset/\S+", message.body).group(0)
    tab.open(urlsplit(link).path)
    tab.snap("set-password")
    exactly(page, "证件号码").fill(person.id_number)
    exactly(page, "新密码").fill(PASSWORD)
    page.get_by_label("新密码确认").fill(PASSWORD)
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_load_state()

    tab.log_in(person.username, PASSWORD)
    tab.open("/expert/")
    notice = page.get_by_test_id("consent-needed")
    expect(notice).to_contain_text("尚未在本系统同意敏感个人信息处理")
    expect(page.get_by_test_id("in-pool")).not_to_contain_text("撤回敏感个人信息处理同意")
    tab.snap("home-consent-needed")

    notice.get_by_role("link", name="阅读并同意").click()
    expect(page.get_by_role("heading", name="同意敏感个人信息处理", level=1)).to_be_visible()
    page.get_by_role("button", name="同意", exact=True).click()
    expect(page.get_by_text("请勾选“我已阅读并同意”后再提交。")).to_be_visible()
    tab.snap("consent-unticked")
    assert not may_process_sensitive_numbers(ExpertApplication.objects.get(user=person))

    page.get_by_label("我已阅读并同意上述敏感个人信息处理").check()
    page.get_by_role("button", name="同意", exact=True).click()
    expect(page.get_by_text("已同意敏感个人信息处理。")).to_be_visible()
    expect(page.get_by_test_id("consent-needed")).to_have_count(0)
    tab.snap("home-consented")
    assert may_process_sensitive_numbers(ExpertApplication.objects.get(user=person))
