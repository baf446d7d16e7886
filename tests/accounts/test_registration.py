"""Registration forms: clear Chinese messages, nothing typed lost, only approved units offered."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import services
from accounts.middleware import LOGGED_IN_AT
from accounts.models import Authenticator, Unit, UnitStatus, User
from portal.workflow import WorkflowError
from tests import factories
from tests.accounts.test_signals import new_applicant

pytestmark = pytest.mark.django_db


def individual_data(unit, **overrides):
    data = {
        "username": "wangwu",
        "password1": factories.PASSWORD,
        "password2": factories.PASSWORD,
        "privacy_notice": "on",
        "real_name": "王五",
        "id_type": "resident",
        "id_number": factories.resident_id(9001),
        "mobile": "13712345678",
        "email": "wangwu@example.com",
        "unit": unit.pk,
    }
    data.update(overrides)
    return data


def unit_data(**overrides):
    data = {
        "name": "武汉示范大学",
        "credit_code": factories.credit_code(),
        "nature": "university",
        "district": "洪山区",
        "address": "武汉市洪山区珞喻路1037号",
        "contact_name": "王芳",
        "contact_mobile": "13900139001",
        "email": "office@example.edu.cn",
        "licence": factories.licence_upload("营业执照.png"),
        "username": "shifan",
        "password1": factories.PASSWORD,
        "password2": factories.PASSWORD,
        "privacy_notice": "on",
    }
    data.update(overrides)
    return data


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_registered_person_is_signed_in_and_lands_on_their_home(client, unit):
    response = client.post(reverse("accounts:register_individual"), individual_data(unit))
    assert response.status_code == 302
    assert response.url == reverse("experts:home")
    home = client.get(response.url)
    assert home.status_code == 200
    assert home.context["user"] == User.objects.get(username="wangwu")
    assert messages_of(home) == ["注册成功，您已登录。"]
    # Signed in as by the login page: the 12-hour session limit counts from now.
    assert LOGGED_IN_AT in client.session


def test_a_registered_unit_is_signed_in_and_told_once_that_the_bureau_reviews_it(client):
    response = client.post(reverse("accounts:register_unit"), unit_data(), follow=True)
    assert response.redirect_chain == [(reverse("accounts:unit_home"), 302)]
    assert response.context["user"] == User.objects.get(username="shifan")
    assert LOGGED_IN_AT in client.session
    # One message: the page's 待审核 box, no green message repeating it above.
    assert messages_of(response) == []
    page = response.content.decode()
    assert page.count("已提交科技局审核") == 1
    assert page.count('class="alert') == 1


def test_signing_in_at_registration_does_not_pass_the_second_factor(client, unit):
    client.post(reverse("accounts:register_individual"), individual_data(unit))
    person = User.objects.get(username="wangwu")
    assert client.get(reverse("experts:home")).status_code == 200
    # Once the account owes a second factor (here: it enrolled an authenticator), the session
    # opened by the registration reaches no page before a code is entered.
    Authenticator.objects.create(user=person, name="手机", confirmed=True)
    response = client.get(reverse("experts:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two_factor"))


def test_second_registration_of_a_credit_code_names_the_problem_and_the_help_line(client, unit):
    response = client.post(
        reverse("accounts:register_unit"),
        {"name": "重复单位", "credit_code": unit.credit_code.lower(), "licence": ""},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["credit_code"]
    assert errors == [
        "该统一社会信用代码的单位已注册，请勿重复注册。如需找回单位账号，请致电 027-85870766。"
    ]
    assert Unit.objects.count() == 1
    assert 'value="重复单位"' in response.content.decode()


def test_individual_cannot_choose_a_unit_that_is_not_approved(client):
    pending = factories.make_unit(UnitStatus.PENDING)
    response = client.post(reverse("accounts:register_individual"), individual_data(pending))
    assert response.context["form"].errors["unit"] == ["请选择已通过审核的单位。"]
    assert not User.objects.filter(username="wangwu").exists()


def test_unit_search_offers_approved_units_only(client, unit):
    pending = factories.make_unit(UnitStatus.PENDING, name="测试待审单位")
    rejected = factories.make_unit(UnitStatus.REJECTED, name="测试未过单位")
    disabled = factories.make_unit(UnitStatus.APPROVED, name="测试停用单位")
    type(disabled).objects.filter(pk=disabled.pk).update(is_active=False)
    results = client.get(reverse("accounts:unit_search"), {"q": "测试"}).json()["results"]
    ids = {row["id"] for row in results}
    assert unit.pk in ids
    assert pending.pk not in ids and rejected.pk not in ids and disabled.pk not in ids
    # Nor may one register under it: its people could not sign in.
    response = client.post(reverse("accounts:register_individual"), individual_data(disabled))
    assert response.context["form"].errors["unit"] == ["请选择已通过审核的单位。"]


@pytest.mark.parametrize(
    "change", [{"is_active": False}, {"status": UnitStatus.PENDING}], ids=["停用", "撤回审核"]
)
def test_a_unit_closed_after_the_form_was_checked_takes_nobody(unit, change):
    # The form offered the unit; an operator switches it off or reverses its approval before
    # the save: the service checks the same rule again under its lock.
    applicant = new_applicant(unit)
    Unit.objects.filter(pk=unit.pk).update(**change)

    with pytest.raises(WorkflowError, match="所选单位尚未通过审核或已停用，请选择其他单位。"):
        services.register_individual(applicant, password=factories.PASSWORD)

    assert not User.objects.filter(username="wangwu").exists()


def test_one_person_one_account(client, unit):
    first = client.post(reverse("accounts:register_individual"), individual_data(unit))
    assert first.status_code == 302
    again = client.post(
        reverse("accounts:register_individual"),
        individual_data(unit, username="wangwu2", id_number=factories.resident_id(9001).lower()),
    )
    assert "该证件号码已注册过账号" in again.context["form"].errors["id_number"][0]
    assert User.objects.filter(real_name="王五").count() == 1


def test_registration_errors_are_in_chinese_and_keep_what_was_typed(client, unit):
    response = client.post(
        reverse("accounts:register_individual"),
        individual_data(unit, password2="Other#Pass2026", mobile="1234", id_number="4201"),
    )
    errors = response.context["form"].errors
    assert errors["password2"] == ["两次输入的密码不一致。"]
    assert "手机号码" in errors["mobile"][0]
    assert "您输入了4位" in errors["id_number"][0]
    page = response.content.decode()
    assert 'value="王五"' in page and 'value="wangwu@example.com"' in page


def test_a_weak_password_is_refused_in_chinese(client, unit):
    response = client.post(
        reverse("accounts:register_individual"),
        individual_data(unit, password1="12345678", password2="12345678"),
    )
    messages = " ".join(response.context["form"].errors["password1"])
    assert "密码" in messages and "常见" in messages


def test_applicant_starts_at_information_not_filled_with_birth_date_from_the_id(client, unit):
    number = factories.resident_id(9002, birth="19660704", sex="female")
    client.post(reverse("accounts:register_individual"), individual_data(unit, id_number=number))
    application = User.objects.get(username="wangwu").application
    assert application.get_status_display() == "信息未填写"
    assert application.birth_date.isoformat() == "1966-07-04"
    assert application.gender == "female"
    assert application.mobile == "+8613712345678"


def test_a_weak_password_is_named_even_when_the_two_passwords_differ(client, unit):
    response = client.post(
        reverse("accounts:register_individual"),
        individual_data(unit, password1="12345678", password2="12345679"),
    )
    errors = response.context["form"].errors
    assert errors["password2"] == ["两次输入的密码不一致。"]
    assert "常见" in " ".join(errors["password1"])


def test_a_browser_asking_for_english_gets_chinese_messages(client, unit):
    """The portal has one language: Django's own messages come in Chinese for every browser."""
    response = client.post(reverse("accounts:login"), {}, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    page = response.content.decode()
    assert "这个字段是必填项" in page and "This field is required" not in page


def test_a_chinese_mail_domain_is_kept_as_typed_and_mail_still_reaches_it(client, unit):
    """A browser sends 例子.中国 in its ASCII form (xn--…): the person sees what they typed."""
    from django.core import mail

    data = individual_data(unit, email="wangwu@xn--fsqu00a.xn--fiqs8s")

    response = client.post(reverse("accounts:register_individual"), data)
    client.logout()
    client.post(reverse("accounts:password_reset"), {"email": "wangwu@例子.中国"})

    assert response.status_code == 302
    assert User.objects.get(username="wangwu").email == "wangwu@例子.中国"
    # Sent to the ASCII form, which every mail server takes.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].message()["To"] == "wangwu@xn--fsqu00a.xn--fiqs8s"


SAME_NAME = (
    "已有同名单位注册。单位名称应与营业执照或法人证书上的全称一致；如本单位已注册，"
    "请勿重复注册，如需找回单位账号，请致电 027-85870766。"
)


def test_a_units_name_already_registered_is_refused(client, unit):
    """People choose their unit by its name: two units of one name could not be told apart."""
    response = client.post(reverse("accounts:register_unit"), unit_data(name=f" {unit.name} "))

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [SAME_NAME]
    assert Unit.objects.count() == 1


def test_a_rejected_unit_cannot_resubmit_under_another_units_name(client, unit):
    """Found by a walk: the resubmission took an approved unit's name, and the person
    registering then saw the name twice."""
    rejected = factories.make_unit(UnitStatus.REJECTED, name="名称有误的单位")
    client.force_login(User.objects.get(unit=rejected))
    data = {
        "name": unit.name,
        "credit_code": rejected.credit_code,
        "nature": rejected.nature,
        "district": rejected.district,
        "address": rejected.address,
        "contact_name": rejected.contact_name,
        "contact_mobile": "13900139000",
        "email": rejected.email,
    }

    response = client.post(reverse("accounts:unit_resubmit"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [SAME_NAME]
    rejected.refresh_from_db()
    assert (rejected.status, rejected.name) == (UnitStatus.REJECTED, "名称有误的单位")


def test_a_rejected_registrations_name_may_be_registered_again(client):
    factories.make_unit(UnitStatus.REJECTED, name="武汉示范大学")

    response = client.post(reverse("accounts:register_unit"), unit_data())

    assert response.status_code == 302
    assert Unit.objects.filter(name="武汉示范大学").count() == 2


def error_summary(response) -> list[str]:
    """The lines of the error summary at the top of the page, as a person reads them."""
    html = response.content.decode()
    summary = re.search(r'<div class="alert alert-danger"[^>]*id="form-errors".*?</ul>', html, re.S)
    lines = re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)
    return [re.sub(r"<[^>]+>", "", line).strip() for line in lines]


def errors_under(response, field: str) -> list[str]:
    """The error texts under the box `field`."""
    html = response.content.decode()
    box = re.search(rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', html, re.S)
    return re.findall(r"<strong>(.*?)</strong>", box.group(1)) if box else []


AGAIN_ALL = "出于安全原因，请重新选择扫描件并重新输入密码、确认密码后再提交。"
AGAIN_PASSWORDS = "出于安全原因，请重新输入密码、确认密码后再提交。"


def test_a_unit_registration_error_comes_first_and_the_emptied_boxes_are_asked_for_once(
    client, unit
):
    """Found by a unit's walk: the scan's note stood above 用户名's real error, and the
    emptied passwords failed the next 提交 as 这个字段是必填项."""
    factories.unit_account(unit)  # holds a username the next registration also asks for
    taken = User.objects.get(unit=unit).username
    url = reverse("accounts:register_unit")

    response = client.post(url, unit_data(username=taken))

    assert error_summary(response) == ["用户名：该用户名已被注册，请换一个。", AGAIN_ALL]
    assert errors_under(response, "licence") == ["请重新选择扫描件。"]
    assert errors_under(response, "password1") == ["请重新输入密码。"]
    assert errors_under(response, "password2") == ["请重新输入确认密码。"]
    # The boxes are marked, and the password is not written back into the page.
    page = response.content.decode()
    for name in ("licence", "password1", "password2"):
        assert re.search(rf'<input [^>]*name="{name}"[^>]*aria-invalid="true"', page)
    assert factories.PASSWORD not in page

    # Sent again as a browser would, the boxes empty: the portal's words, not Django's.
    again = client.post(url, unit_data(username="shifan2", licence="", password1="", password2=""))
    assert error_summary(again) == [
        "营业执照或法人证书扫描件：请选择营业执照或法人证书扫描件。",
        "密码：请输入密码。",
        "确认密码：请再次输入密码。",
    ]
    assert client.post(url, unit_data(username="shifan2")).status_code == 302


def test_an_individual_registration_error_asks_for_both_passwords_again(client, unit):
    url = reverse("accounts:register_individual")

    response = client.post(url, individual_data(unit, mobile="1234"))

    summary = error_summary(response)
    assert len(summary) == 2 and summary[0].startswith("手机号码：")
    assert summary[1] == AGAIN_PASSWORDS
    assert errors_under(response, "password1") == ["请重新输入密码。"]
    assert errors_under(response, "password2") == ["请重新输入确认密码。"]
    assert factories.PASSWORD not in response.content.decode()

    again = client.post(url, individual_data(unit, password1="", password2=""))
    assert error_summary(again) == ["密码：请输入密码。", "确认密码：请再次输入密码。"]
    assert not User.objects.filter(username="wangwu").exists()


def test_a_password_refused_for_itself_is_said_before_the_request_to_type_both_again(client, unit):
    response = client.post(
        reverse("accounts:register_individual"),
        individual_data(unit, password1="12345678", password2="12345678"),
    )
    summary = error_summary(response)
    assert summary[0].startswith("密码：") and "常见" in summary[0]
    assert summary[-1] == AGAIN_PASSWORDS
    assert not any(line.startswith("确认密码：") for line in summary)


def test_a_refused_scan_alone_is_not_asked_for_again_for_security(client):
    response = client.post(
        reverse("accounts:register_unit"),
        unit_data(licence=SimpleUploadedFile("营业执照.exe", b"MZ not a scan")),
    )
    # The file's own error says what to do; only the passwords are asked for again.
    summary = error_summary(response)
    assert len(summary) == 2 and summary[0].startswith("营业执照或法人证书扫描件：")
    assert summary[1] == AGAIN_PASSWORDS
    assert "请重新选择扫描件。" not in errors_under(response, "licence")


def test_a_rejected_unit_resubmitting_is_asked_to_choose_the_scan_again(client):
    rejected = factories.make_unit(UnitStatus.REJECTED, name="名称有误的单位")
    client.force_login(User.objects.get(unit=rejected))
    data = {
        "name": "名称已改正的单位",
        "credit_code": rejected.credit_code,
        "nature": rejected.nature,
        "district": rejected.district,
        "address": rejected.address,
        "contact_name": rejected.contact_name,
        "contact_mobile": "1234",
        "email": rejected.email,
        "licence": factories.licence_upload("新营业执照.png"),
    }

    response = client.post(reverse("accounts:unit_resubmit"), data)

    summary = error_summary(response)
    assert len(summary) == 2 and summary[0].startswith("联系人手机：")
    assert summary[1] == "出于安全原因，请重新选择扫描件后再提交。"
    assert errors_under(response, "licence") == ["请重新选择扫描件。"]


@pytest.mark.parametrize("username", ["13800000056", "zs42010619611012000X", "wang_13800000056"])
def test_a_personal_number_is_refused_as_a_username(client, unit, username):
    """A username is listed and kept in the audit trail for years: never an ID number or a
    mobile (PIPL walk). The rest of what was typed comes back."""
    data = individual_data(unit, username=username)

    response = client.post(reverse("accounts:register_individual"), data)

    assert response.status_code == 200
    assert errors_under(response, "username") == [
        "用户名不能使用证件号码、手机号码等长串数字，请换一个。"
    ]
    assert data["real_name"] in response.content.decode()
    assert not User.objects.filter(username=username).exists()
