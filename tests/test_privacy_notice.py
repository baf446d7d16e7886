"""个人信息保护说明 (PIPL arts. 13-17, officer's walk S4/S5): a public page in the deployment's
own names, linked from every page's footer, above the fields of both registrations and beside
the sensitive-data consent; both registrations agree to it, its version and time stored."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Unit, User
from audit.models import RETENTION
from experts.rules import consent_text
from portal import privacy
from tests import factories
from tests.accounts.test_registration import individual_data, unit_data

pytestmark = pytest.mark.django_db

NOTICE_URL = "/privacy/"
UNTICKED = "请阅读《个人信息保护说明》，勾选同意后再注册。"


def footer(response) -> str:
    return response.content.decode().split('<footer class="portal-footer', 1)[1]


def before_the_fields(response) -> str:
    """The page from its <main> to its first fieldset: what a person reads before typing."""
    page = response.content.decode()
    return page.split('<main id="main"', 1)[1].split("<fieldset", 1)[0]


def errors_under(response, name) -> list[str]:
    return response.context["form"].errors.get(name, [])


def test_the_notice_url_is_privacy():
    assert reverse("privacy") == NOTICE_URL


def test_a_visitor_reads_the_notice_in_the_deployments_names(client, settings):
    settings.BUREAU_NAME = "某市科学技术局"
    settings.HELP_LINE = "027-12345678"
    settings.PRIVACY_SMS_PROVIDER = "某某云通信有限公司（数据存储于中国境内）"
    settings.PRIVACY_EMAIL_PROVIDER = "某市政务邮件系统"
    settings.PUBLIC_NOTICE_DAYS = 7
    settings.LOGIN_LOG_KEEP_DAYS = 30
    settings.SMS_KEEP_DAYS = 90
    settings.EXPORT_KEEP_HOURS = 12

    response = client.get(NOTICE_URL)

    assert response.status_code == 200
    text = re.sub(r"<[^>]+>", "", response.content.decode())
    assert "<title>个人信息保护说明 - " in response.content.decode()
    assert f"版本：{privacy.NOTICE_VERSION}" in text
    assert "个人信息处理者：某市科学技术局。" in text
    assert "027-12345678" in text
    assert "本系统当前的短信服务：某某云通信有限公司（数据存储于中国境内）。" in text
    assert "通过某市政务邮件系统发送" in text
    assert "公示期为审核通过之日起7个工作日" in text
    assert "登录记录30天" in text
    assert "短信（手机号码和内容）90天" in text
    assert "导出的专家名单文件12小时后自动删除" in text
    # Who sees the numbers, operators included, and the public pages.
    assert "系统运维人员" in text
    assert "姓名、工作单位、专业领域和专业技术职称" in text
    assert 'href="/notice/"' in response.content.decode()
    assert 'href="/certificate/verify/"' in response.content.decode()
    # The footer names the same bureau, on this page and the others.
    assert "某市科学技术局" in footer(response)
    assert "某市科学技术局" in footer(client.get(reverse("accounts:login")))


def retention_said(page: str, kind: str) -> str:
    """What the notice's table 六、保存多久 says of `kind`."""
    return re.search(rf'<th scope="row">{kind}</th><td>([^<]*)</td>', page).group(1)


def test_the_notice_states_the_audit_retention_the_database_keeps(client):
    """网络安全法 §21 asks for network logs kept no less than six months, and the trail's trigger
    refuses to delete a row younger than RETENTION (186 days): the notice said 至少180天 after
    the retention grew, a period shorter than the one kept and than six calendar months."""
    said = retention_said(client.get(NOTICE_URL).content.decode(), "安全审计记录")

    assert [int(days) for days in re.findall(r"(\d+)天", said)] == [RETENTION.days]
    assert said == (
        f"至少{RETENTION.days}天（不少于六个月），依据《网络安全法》第二十一条和网络安全等级保护要求"
    )


def test_twilio_is_named_abroad_when_the_bureau_names_no_provider(client, settings):
    settings.SMS_BACKEND = "sms.backends.twilio.TwilioBackend"
    settings.PRIVACY_SMS_PROVIDER = ""

    text = client.get(NOTICE_URL).content.decode()

    assert "Twilio Inc.（美国）" in text
    assert "中华人民共和国境外" in text


def test_sms_kept_for_good_is_said_so(client, settings):
    settings.SMS_KEEP_DAYS = None
    text = re.sub(r"<[^>]+>", "", client.get(NOTICE_URL).content.decode())
    assert "短信（手机号码和内容）长期保存，直至科技局按档案管理规定删除" in text


def test_without_public_notice_the_page_does_not_promise_one(client, settings):
    settings.PUBLIC_NOTICE_ENABLED = False
    page = client.get(NOTICE_URL).content.decode()
    assert "专家入库公示" not in page
    assert 'href="/notice/"' not in page
    # 证书查验 stays: it does not depend on 公示.
    assert 'href="/certificate/verify/"' in page


def test_every_page_links_the_notice_in_its_footer(client, unit):
    applicant = factories.make_applicant(unit)
    pages = [
        reverse("home"),
        reverse("accounts:login"),
        reverse("accounts:register"),
        reverse("accounts:register_individual"),
        reverse("accounts:register_unit"),
        reverse("certificates:verify"),
        NOTICE_URL,
        "/no-such-page/",
    ]
    for url in pages:
        response = client.get(url)
        assert f'href="{NOTICE_URL}"' in footer(response), url
    client.force_login(applicant)
    for url in (reverse("experts:home"), reverse("experts:form"), reverse("experts:own_data")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'href="{NOTICE_URL}"' in footer(response), url


@pytest.mark.parametrize("name", ["accounts:register_individual", "accounts:register_unit"])
def test_both_registrations_link_the_notice_above_the_fields(client, unit, name):
    response = client.get(reverse(name))
    assert f'href="{NOTICE_URL}"' in before_the_fields(response)
    # And the box to tick, unticked, before the button.
    page = response.content.decode()
    box = re.search(r'<input[^>]*name="privacy_notice"[^>]*>', page).group(0)
    assert "checked" not in box
    assert page.index('name="privacy_notice"') < page.index('type="submit" class="btn btn-primary')


def test_the_long_form_links_the_notice_beside_the_consent(client, unit):
    client.force_login(factories.make_applicant(unit, complete=False))
    page = client.get(reverse("experts:form")).content.decode()
    consent = page.split('id="sensitive_consent-text"', 1)[1].split('name="sensitive_consent"')[0]
    assert f'href="{NOTICE_URL}"' in consent


def test_the_consent_no_longer_says_only_the_unit_and_reviewers_see_the_numbers():
    assert "仅由" not in consent_text()
    assert "系统运维人员" in consent_text()


def test_an_individual_registration_unticked_creates_nothing_and_keeps_what_was_typed(client, unit):
    data = individual_data(unit)
    del data["privacy_notice"]

    response = client.post(reverse("accounts:register_individual"), data)

    assert response.status_code == 200
    assert not User.objects.filter(username="wangwu").exists()
    assert errors_under(response, "privacy_notice") == [UNTICKED]
    page = response.content.decode()
    # The summary at the top names it, linked to the box.
    assert f"个人信息保护说明</a>：{UNTICKED}" in page
    for name in ("username", "real_name", "id_number", "mobile", "email"):
        assert f'value="{data[name]}"' in page, name
    assert re.search(rf'<option value="{unit.pk}"[^>]*selected', page)
    # The passwords are asked again, as after any error.
    assert errors_under(response, "password1") == ["请重新输入密码。"]


def test_a_unit_registration_unticked_creates_nothing_and_keeps_what_was_typed(client):
    data = unit_data()
    del data["privacy_notice"]

    response = client.post(reverse("accounts:register_unit"), data)

    assert response.status_code == 200
    assert not Unit.objects.filter(name="武汉示范大学").exists()
    assert not User.objects.filter(username="shifan").exists()
    assert errors_under(response, "privacy_notice") == [UNTICKED]
    page = response.content.decode()
    for name in ("name", "contact_name", "contact_mobile", "email", "username"):
        assert f'value="{data[name]}"' in page, name


def test_a_ticked_box_stays_ticked_when_another_field_is_wrong(client, unit):
    response = client.post(
        reverse("accounts:register_individual"), individual_data(unit, mobile="1234")
    )
    assert errors_under(response, "privacy_notice") == []
    box = re.search(r'<input[^>]*name="privacy_notice"[^>]*>', response.content.decode())
    assert "checked" in box.group(0)


def test_an_individual_registration_stores_the_notice_version_and_time(client, unit):
    before = timezone.now()
    response = client.post(reverse("accounts:register_individual"), individual_data(unit))
    assert response.status_code == 302
    person = User.objects.get(username="wangwu")
    assert person.privacy_notice_version == privacy.NOTICE_VERSION
    assert before <= person.privacy_notice_at <= timezone.now()


def test_a_unit_registration_stores_the_notice_version_and_time_on_its_account(client):
    before = timezone.now()
    response = client.post(reverse("accounts:register_unit"), unit_data())
    assert response.status_code == 302
    account = User.objects.get(username="shifan")
    assert account.privacy_notice_version == privacy.NOTICE_VERSION
    assert before <= account.privacy_notice_at <= timezone.now()


def test_the_agreement_is_in_the_persons_own_data(client, unit):
    client.post(reverse("accounts:register_individual"), individual_data(unit))
    page = client.get(reverse("experts:own_data")).content.decode()
    assert f"《个人信息保护说明》（版本：{privacy.NOTICE_VERSION}）" in page


def test_the_notice_says_where_consent_is_withdrawn_as_the_workflow_allows_it(client, db):
    """The notice said to call the bureau to withdraw before admission; the applicant can do it
    on 我的专家状态 from every state the transition 撤回同意 starts from."""
    from experts.models import ApplicationStatus, ExpertApplication

    sources = {
        transition.source
        for transition in ExpertApplication().get_all_status_transitions()
        if transition.name == "withdraw_application"
    }
    text = re.sub(r"<[^>]+>", "", client.get(NOTICE_URL).content.decode())

    assert sources >= {ApplicationStatus.PENDING_UNIT, ApplicationStatus.PENDING_BUREAU}
    assert ApplicationStatus.REJECTED in sources
    assert "在其他阶段撤回同意，请联系科技局" not in text
    assert "审核中（待单位推荐、待科技局审核）或审核不通过的申请随之撤回" in text
    assert "为通知评审事宜导出含完整手机号码的联系名单" in text
    # 修改专家信息 changes 手机 at once and the account follows (accounts.services.follow_contact):
    # the notice no longer sends people to the bureau for it.
    assert "账号信息（如证件号码、手机号码）需要更正的，请联系科技局" not in text
    assert "账号的通知短信和找回密码邮件随之改用新的号码和邮箱" in text
