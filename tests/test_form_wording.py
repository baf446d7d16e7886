"""Length errors speak the portal's words, and an over-long value is not sent back whole."""

import pytest
from django import forms
from django.urls import reverse

from accounts import forms as account_forms
from accounts.models import User
from experts import forms as expert_forms
from experts.models import ExpertApplication
from tests import factories

GENERIC = ("确保", "字符数", "Ensure")


def portal_forms():
    """Every form the portal renders or admin uses, bound to no data yet."""
    applicant = User(username="wording", real_name="测试")
    return [
        account_forms.UnitDetailsForm,
        account_forms.UnitAdminForm,
        account_forms.UnitRegistrationForm,
        account_forms.UnitProfileForm,
        account_forms.IndividualRegistrationForm,
        account_forms.TwoFactorForm,
        account_forms.ReasonForm,
        account_forms.CommentForm,
        account_forms.LoginForm,
        account_forms.AdminLoginForm,
        account_forms.PortalPasswordResetForm,
        lambda data: expert_forms.ExpertApplicationForm(
            data, instance=ExpertApplication(user=applicant)
        ),
        lambda data: expert_forms.ExpertApplicationForm(
            data, instance=ExpertApplication(user=applicant), for_submission=True
        ),
        lambda data: expert_forms.ApplicationAdminForm(
            data, instance=ExpertApplication(user=applicant)
        ),
    ]


def make(form_class, data):
    if form_class in (account_forms.LoginForm, account_forms.AdminLoginForm):
        return form_class(None, data)
    return form_class(data)


@pytest.mark.django_db
@pytest.mark.parametrize("form_index", range(len(portal_forms())))
def test_every_char_field_refuses_too_long_values_in_our_words(form_index):
    form_class = portal_forms()[form_index]
    limited = {
        name: field.max_length
        for name, field in make(form_class, None).fields.items()
        if isinstance(field, forms.CharField) and field.max_length
    }
    assert limited, "every portal form has a limited text field"
    data = {name: "9" * (limit + 1) for name, limit in limited.items()}
    form = make(form_class, data)
    assert not form.is_valid()
    for name in limited:
        text = " ".join(str(message) for message in form.errors.get(name, []))
        assert not any(word in text for word in GENERIC), (name, text)
    # Every message of the whole form, not only the limited fields'.
    everything = str(form.errors)
    assert not any(word in everything for word in GENERIC), everything


def test_messages_name_the_field_and_both_lengths():
    form = account_forms.UnitDetailsForm({"credit_code": "9" * 19, "name": "单" * 101})
    assert not form.is_valid()
    assert "统一社会信用代码应为18位，当前19位。" in form.errors["credit_code"]
    assert form.fields["name"].max_length == 100
    assert form.errors["name"] == ["单位名称不能超过100字，当前101字。"]
    reason = account_forms.ReasonForm({"reason": "理" * 1001})
    assert not reason.is_valid()
    assert reason.errors["reason"] == ["理由不能超过1000字，当前1001字。"]
    code = account_forms.TwoFactorForm({"code": "1234567"})
    assert not code.is_valid()
    assert code.errors["code"] == ["验证码应为6位，当前7位。"]
    short = account_forms.TwoFactorForm({"code": "123"})
    assert not short.is_valid()
    assert short.errors["code"] == ["请输入6位验证码。"]  # its own wording is kept


def test_the_password_reset_page_uses_the_portal_form(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "a" * 250 + "@x.cn"})
    assert response.status_code == 200
    assert not any(word in response.content.decode() for word in GENERIC)
    assert "不能超过254字，当前255字" in response.content.decode()


def test_a_refused_long_value_is_shown_cut_to_its_limit():
    form = account_forms.ReasonForm({"reason": "理" * 5000})
    assert not form.is_valid()
    html = str(form["reason"])
    assert "理" * 1000 in html and "理" * 1001 not in html
    # A little over the limit is shown whole, for the person to shorten.
    near = account_forms.ReasonForm({"reason": "理" * 1200})
    assert not near.is_valid()
    assert "理" * 1200 in str(near["reason"])


def test_a_two_megabyte_resume_gets_a_small_page_and_keeps_the_rest_of_the_draft(client, unit):
    applicant = factories.make_applicant(unit, complete=False)
    client.force_login(applicant)
    limit = ExpertApplication._meta.get_field("resume").max_length
    data = factories.application_post_data(applicant, "save")
    data.update(resume="简" * 700_000, major="材料科学")  # about 2 MB of UTF-8
    refused = client.post(reverse("experts:form"), data)
    assert refused.status_code == 400
    assert len(refused.content) < 200_000
    page = refused.content.decode()
    assert f"工作简历不能超过{limit}字，当前700000字" in page
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert application.major == "材料科学"  # the valid fields are saved
    assert len(application.resume) <= limit  # the refused one is not


def test_a_textarea_counts_a_line_break_once_as_the_browser_does():
    """The page counts a line break as one character while the person types; the browser then
    sends it as CR LF. A text the page said was within its limit is within it here too."""
    text = "\r\n".join(["理" * 332] * 3 + ["由"])  # 1,000 characters, 1,003 as sent
    reason = account_forms.ReasonForm({"reason": text})
    assert reason.is_valid(), reason.errors
    assert reason.cleaned_data["reason"] == text.replace("\r\n", "\n")
    over = account_forms.ReasonForm({"reason": text + "。"})
    assert over.errors["reason"] == ["理由不能超过1000字，当前1001字。"]


def test_a_textarea_has_no_maxlength_to_cut_a_paste_but_its_limit_for_the_counter():
    form = account_forms.ReasonForm()
    html = str(form["reason"])
    assert "maxlength" not in html
    assert 'data-max-chars="1000"' in html


def test_an_empty_required_field_says_what_to_fill_in(client, db):
    """Found on the unit registration's screenshot: every empty box read Django's
    这个字段是必填项; each now says what it asks for (a form's own message stays)."""
    page = client.post(reverse("accounts:register_unit"), {}).content.decode()
    assert "请填写单位名称。" in page and "请选择单位性质。" in page
    assert "请选择营业执照或法人证书扫描件。" in page  # the form's own
    assert "这个字段是必填项" not in page
