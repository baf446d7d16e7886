"""Registration forms: clear Chinese messages, nothing typed lost, only approved units offered."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.middleware import LOGGED_IN_AT
from accounts.models import Unit, UnitStatus, User
from portal.workflow import WorkflowError
from tests import factories

pytestmark = pytest.mark.django_db


def individual_data(unit, **overrides):
    data = {
        "username": "wangwu",
        "password1": factories.PASSWORD,
        "password2": factories.PASSWORD,
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
    TOTPDevice.objects.create(user=person, name="手机", confirmed=True)
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
    applicant = User(
        username="wangwu",
        real_name="王五",
        id_type="resident",
        id_number=factories.resident_id(9001),
        mobile="+8613712345678",
        email="wangwu@example.com",
        unit=unit,
    )
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
