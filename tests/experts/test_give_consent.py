"""同意敏感个人信息处理 for an admitted expert who never gave it here: one imported from the
bureau's previous system (import_roster). Until they agree, the portal does not process their
ID and bank numbers; the home page says so and links the page that takes the consent."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from experts.models import ApplicationStatus, ExpertApplication
from experts.permissions import may_process_sensitive_numbers
from experts.rules import CONSENT_VERSION
from tests import factories

pytestmark = pytest.mark.django_db


def without_consent(unit, status=ApplicationStatus.APPROVED):
    """An expert as import_roster leaves one: admitted, no consent given here."""
    person = factories.make_applicant(unit, status)
    ExpertApplication.objects.filter(user=person).update(
        consent_version="", consent_at=None, consent_bureau=""
    )
    return person


def consents() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_CONSENT))


@pytest.mark.parametrize("status", [ApplicationStatus.APPROVED, ApplicationStatus.FROZEN])
def test_an_imported_expert_reads_the_consent_and_gives_it(client, unit, settings, status):
    settings.BUREAU_NAME = "武汉市科学技术局"
    person = without_consent(unit, status)
    client.force_login(person)

    home = client.get(reverse("experts:home")).content.decode()
    assert 'data-testid="consent-needed"' in home
    assert reverse("experts:give_consent") in home
    assert "撤回同意并申请退出" not in home  # nothing to withdraw yet
    page = client.get(reverse("experts:give_consent")).content.decode()
    assert 'data-testid="consent-text"' in page and "武汉市科学技术局" in page

    response = client.post(reverse("experts:give_consent"), {"agreed": "on"}, follow=True)

    application = ExpertApplication.objects.get(user=person)
    assert (application.consent_version, application.consent_bureau) == (
        CONSENT_VERSION,
        "武汉市科学技术局",
    )
    assert application.consent_at is not None and may_process_sensitive_numbers(application)
    assert "已同意敏感个人信息处理" in response.content.decode()
    assert 'data-testid="consent-needed"' not in response.content.decode()
    [event] = consents()
    assert (event.username, event.object_id, event.detail) == (
        person.username,
        str(application.pk),
        f"同意书版本：{CONSENT_VERSION}",
    )


def test_the_box_must_be_ticked_and_nothing_is_saved_until_it_is(client, unit):
    person = without_consent(unit)
    client.force_login(person)

    response = client.post(reverse("experts:give_consent"), {})

    assert response.status_code == 200
    assert "请勾选“我已阅读并同意”后再提交。" in response.content.decode()
    assert ExpertApplication.objects.get(user=person).consent_at is None
    assert consents() == []


@pytest.mark.parametrize(
    "status", [ApplicationStatus.APPROVED, ApplicationStatus.DRAFT, ApplicationStatus.PENDING_UNIT]
)
def test_someone_with_a_consent_or_not_admitted_is_not_asked(client, unit, status):
    """An admitted expert who agreed on the form; an applicant, who agrees on the form."""
    person = factories.make_applicant(unit, status)
    if status != ApplicationStatus.APPROVED:
        ExpertApplication.objects.filter(user=person).update(consent_version="", consent_at=None)
    before = ExpertApplication.objects.values_list("consent_version", "consent_at").get(user=person)
    client.force_login(person)

    assert (
        'data-testid="consent-needed"' not in client.get(reverse("experts:home")).content.decode()
    )
    assert client.get(reverse("experts:give_consent")).url == reverse("experts:home")
    response = client.post(reverse("experts:give_consent"), {"agreed": "on"})

    assert response.url == reverse("experts:home")
    after = ExpertApplication.objects.values_list("consent_version", "consent_at").get(user=person)
    assert after == before
    assert consents() == []


def test_a_second_post_records_nothing_more(client, unit):
    """Two tabs, or the back button: the consent is given once."""
    person = without_consent(unit)
    client.force_login(person)
    client.post(reverse("experts:give_consent"), {"agreed": "on"})
    given = ExpertApplication.objects.get(user=person).consent_at

    client.post(reverse("experts:give_consent"), {"agreed": "on"})

    assert ExpertApplication.objects.get(user=person).consent_at == given
    assert len(consents()) == 1


def test_a_reviewer_may_not_consent_for_the_expert(client, unit, reviewer):
    person = without_consent(unit)
    client.force_login(reviewer)

    client.post(reverse("experts:give_consent"), {"agreed": "on"})

    assert ExpertApplication.objects.get(user=person).consent_at is None


def imported(unit):
    """An expert import_roster brought in: admitted, imported_at set, no consent given here."""
    from django.utils import timezone

    person = without_consent(unit)
    ExpertApplication.objects.filter(user=person).update(imported_at=timezone.now())
    return person


def test_an_imported_expert_who_asks_to_leave_before_consenting_may_change_their_mind(client, unit):
    """They never withdrew a consent: the page does not say they did, and the exit may be
    withdrawn as anyone's may."""
    person = imported(unit)
    client.force_login(person)
    client.post(reverse("experts:applicant_act", args=["exit"]))

    home = client.get(reverse("experts:home")).content.decode()
    assert ExpertApplication.objects.get(user=person).status == ApplicationStatus.EXIT_PENDING
    assert "您已申请退出专家库" in home and "您已撤回敏感个人信息处理同意" not in home

    client.post(reverse("experts:applicant_act", args=["withdraw_exit"]))

    assert ExpertApplication.objects.get(user=person).status == ApplicationStatus.APPROVED


def test_an_imported_expert_who_consented_and_withdrew_it_leaves_for_good(client, unit):
    person = imported(unit)
    client.force_login(person)
    client.post(reverse("experts:give_consent"), {"agreed": "on"})
    client.post(reverse("experts:applicant_act", args=["withdraw_consent"]))

    home = client.get(reverse("experts:home")).content.decode()
    assert "您已撤回敏感个人信息处理同意并申请退出专家库" in home
    client.post(reverse("experts:applicant_act", args=["withdraw_exit"]))

    assert ExpertApplication.objects.get(user=person).status == ApplicationStatus.EXIT_PENDING
