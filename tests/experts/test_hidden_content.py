"""A draft outside every review is the applicant's own, whatever was submitted before: after
撤回同意 or a 重新申请 the unit's and the bureau's detail pages show no form and no file, and say
why (found by a code read: a withdrawn application's whole form, mobile included, stayed on the
bureau's page while 专家审核 no longer listed it). Drafts a review still holds (退回,
修改中（曾审核不通过）) stay readable."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from experts import services
from experts.models import ApplicationAttachment, ApplicationStatus
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus
FORM = 'id="application-section-1"'


@pytest.fixture(autouse=True)
def _private(private_storage):
    return private_storage


def with_file(application) -> ApplicationAttachment:
    content = factories.png_bytes()
    return ApplicationAttachment.objects.create(
        application=application,
        kind="title",
        file=ContentFile(content, name="证书.png"),
        original_name="证书.png",
        size=len(content),
        sha256="0" * 64,
    )


def pages(client, application, unit, reviewer) -> dict[str, tuple[str, int]]:
    """What the unit and the bureau get: each detail page's text and the file's status."""
    seen = {}
    file = application.attachments.get()
    for who, user, url in [
        ("unit", factories.unit_account(unit), "experts:unit_detail"),
        ("bureau", reviewer, "experts:bureau_detail"),
    ]:
        client.force_login(user)
        page = client.get(reverse(url, args=[application.pk])).content.decode()
        download = client.get(reverse("experts:attachment", args=[file.pk]))
        seen[who] = (page, download.status_code)
    return seen


def test_a_withdrawn_consent_takes_the_form_off_the_reviewers_pages(client, unit, reviewer):
    person = factories.make_applicant(unit, S.PENDING_BUREAU)
    application = person.application
    with_file(application)
    assert all(FORM in page for page, _ in pages(client, application, unit, reviewer).values())

    services.withdraw_application(application, person)

    for page, download in pages(client, application, unit, reviewer).values():
        assert FORM not in page and "证书.png" not in page
        assert 'data-testid="content-hidden"' in page and "申请人已撤回同意" in page
        assert "尚未提交" not in page
        assert download == 404
    # Its owner still reads and downloads it.
    client.force_login(person)
    file = application.attachments.get()
    assert client.get(reverse("experts:attachment", args=[file.pk])).status_code == 200


def test_a_new_application_after_an_exit_is_the_applicants_until_submitted(client, unit, reviewer):
    application = factories.admitted_expert(unit, reviewer)
    with_file(application)
    services.request_exit(application, application.user)
    services.confirm_exit(application, reviewer)
    client.force_login(application.user)
    client.post(reverse("experts:applicant_act", args=["reapply"]))
    application.refresh_from_db()
    assert application.status == S.DRAFT

    for page, download in pages(client, application, unit, reviewer).values():
        assert FORM not in page and "申请人正在重新填写专家信息" in page
        assert download == 404


def test_a_returned_draft_is_still_the_reviews(client, unit, reviewer):
    person = factories.make_applicant(unit, S.PENDING_UNIT)
    application = person.application
    with_file(application)
    services.return_application(application, factories.unit_account(unit), reason="补材料")

    for page, download in pages(client, application, unit, reviewer).values():
        assert FORM in page and 'data-testid="content-hidden"' not in page
        assert download == 200
