"""The bureau is named as BUREAU_NAME says, wherever a page, a mail or a consent names it; a
sensitive-data consent keeps the name its person read (ExpertApplication.consent_bureau), so a
consent given reads the same after the setting changes."""

import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse

from experts import rules, services
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = pytest.mark.django_db

OTHER = "某市科学技术局"
JINJA = Path(django_settings.BASE_DIR) / "jinja"


@pytest.fixture
def other_bureau(settings):
    settings.BUREAU_NAME = OTHER
    return settings


def text_of(response) -> str:
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", response.content.decode()))


def test_no_template_names_the_bureau_in_words_of_its_own():
    named = [
        path.relative_to(JINJA).as_posix()
        for path in JINJA.rglob("*.*")
        if re.search(r"武汉市科学技术局|武汉市科技局专家库", path.read_text())
    ]
    assert named == []


def test_the_password_reset_mail_is_signed_with_the_bureaus_name(unit):
    """Rendered as 找回密码 renders it, with no request: the names come from the Jinja globals
    (set from the settings when the environment is made), given here as the context would."""
    applicant = factories.make_applicant(unit)
    names = {"BUREAU_NAME": OTHER, "PORTAL_NAME": "某市专家入库系统"}
    context = {"user": applicant, "protocol": "https", "domain": "x", "uid": "MQ", "token": "t"}

    body = render_to_string("accounts/password_reset_email.txt", {**context, **names})
    subject = render_to_string("accounts/password_reset_subject.txt", names)

    assert body.rstrip().splitlines()[-1] == OTHER
    assert subject.strip() == "某市专家入库系统：重设密码"


def test_the_password_reset_mail_goes_out_signed(client, unit):
    applicant = factories.make_applicant(unit)

    client.post(reverse("accounts:password_reset"), {"email": applicant.email})

    message = mail.outbox[0]
    assert message.body.rstrip().splitlines()[-1] == django_settings.BUREAU_NAME
    assert message.subject == f"{django_settings.PORTAL_NAME}：重设密码"


def test_the_home_page_and_the_public_notice_name_the_bureaus_pool(client, other_bureau):
    assert f"申请进入{OTHER}专家库。" in text_of(client.get(reverse("home")))
    assert f"拟入选{OTHER}专家库，现予公示。" in text_of(client.get(reverse("notice:public")))


def test_the_form_shows_the_consent_naming_the_bureau(client, unit, other_bureau):
    person = factories.make_applicant(unit, complete=False)
    client.force_login(person)

    page = client.get(reverse("experts:form")).content.decode()

    assert f'id="sensitive_consent-text">本人同意{OTHER}为专家入库审核' in page
    assert "武汉市科学技术局" not in page


def test_agreeing_records_the_name_the_text_said_and_it_reads_so_later(client, unit, settings):
    settings.BUREAU_NAME = OTHER
    person = factories.make_applicant(unit, complete=False)
    client.force_login(person)
    client.post(reverse("experts:form"), factories.application_post_data(person))
    application = ExpertApplication.objects.get(user=person)
    assert (application.consent_version, application.consent_bureau) == (
        rules.CONSENT_VERSION,
        OTHER,
    )

    settings.BUREAU_NAME = "某市科学技术和经济信息化局"  # renamed since

    agreed = rules.agreed_consent_text(application)
    assert agreed.startswith(f"本人同意{OTHER}为专家入库审核")
    assert agreed == rules.CONSENT_TEXTS[rules.CONSENT_VERSION].format(bureau=OTHER)
    assert rules.consent_text().startswith("本人同意某市科学技术和经济信息化局为")


def test_the_consents_given_before_keep_the_name_they_read(unit):
    """The texts said 武汉市科学技术局 in so many words until they took BUREAU_NAME: the
    migration records that name on every consent already given, and on nothing else."""
    agreed = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT).application
    draft = factories.make_applicant(unit, complete=False).application
    ExpertApplication.objects.update(consent_bureau="")
    migration = importlib.import_module("experts.migrations.0037_consent_bureau")

    migration.record_the_name_agreed_to(apps, None)

    agreed.refresh_from_db()
    draft.refresh_from_db()
    assert (agreed.consent_bureau, draft.consent_bureau) == (rules.FIRST_BUREAU_NAME, "")
    assert rules.agreed_consent_text(agreed).startswith("本人同意武汉市科学技术局为")
    assert rules.agreed_consent_text(draft) == ""


@pytest.mark.parametrize("when", ["under_review", "admitted"])
def test_withdrawing_the_consent_clears_the_name_with_it(unit, reviewer, when):
    if when == "admitted":
        application = factories.admitted_expert(unit, reviewer)
        services.withdraw_consent(application, application.user)
    else:
        person = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
        application = person.application
        services.withdraw_application(application, person)

    application.refresh_from_db()
    assert (application.consent_version, application.consent_at, application.consent_bureau) == (
        "",
        None,
        "",
    )
    assert rules.agreed_consent_text(application) == ""
