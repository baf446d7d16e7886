"""A draft outside every review is the applicant's own, whatever was submitted before: after
撤回同意 or a 重新申请 the unit's and the bureau's detail pages show no form and no file, and say
why (found by a code read: a withdrawn application's whole form, mobile included, stayed on the
bureau's page while 专家审核 no longer listed it). Drafts a review still holds (退回,
修改中（曾审核不通过）) stay readable."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.validators import display_mobile
from experts import services
from experts.models import UNSUBMITTED, ApplicationAttachment, ApplicationStatus, ExpertApplication
from portal.templating import masked_mobile
from sms import templates
from sms.outbox import queue_sms
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus
FORM = 'id="application-section-1"'
SMS_LIST = '<section aria-labelledby="sms-title"'


def form_of(page: str) -> str:
    """The page but its SMS list (includes/sms.html, the bureau's page's last section)."""
    return page.split(SMS_LIST, 1)[0]


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
    ExpertApplication.objects.filter(pk=application.pk).update(
        title="独特职称甲", eligibility_flags=["年龄超过65岁"]
    )
    application.refresh_from_db()
    with_file(application)
    queue_sms(
        application.mobile,
        templates.EXIT_CONFIRMED,
        {"name": application.user.real_name},
        about=application,
    )
    for page, _ in pages(client, application, unit, reviewer).values():
        assert FORM in page and "独特职称甲" in page and "年龄超过65岁" in page
        shown = (display_mobile(application.mobile), masked_mobile(application.mobile))
        assert any(mobile in form_of(page) for mobile in shown)

    services.withdraw_application(application, person)

    seen = pages(client, application, unit, reviewer)
    # The bureau's page keeps the portal's own SMS list, its numbers masked (test_consent).
    assert masked_mobile(application.mobile) in seen["bureau"][0].split(SMS_LIST, 1)[1]
    for page, download in seen.values():
        assert FORM not in page and "证书.png" not in page
        assert "独特职称甲" not in page and "年龄超过65岁" not in page
        # Neither whole nor masked (a bare four digits could be anywhere: a token, an id).
        assert display_mobile(application.mobile) not in form_of(page)
        assert masked_mobile(application.mobile) not in form_of(page)
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


def test_the_units_list_shows_nothing_of_such_a_form_nor_finds_it_by_it(client, unit):
    """用户账号管理 lists the person (name, account) but not the form's 职称, 手机 or 资格提示,
    and its search and content filters do not find the draft by what the form says."""
    kept = factories.make_applicant(unit, S.PENDING_UNIT, name="甲留审")
    gone = factories.make_applicant(unit, S.PENDING_UNIT, name="乙撤回")
    for person in (kept, gone):
        ExpertApplication.objects.filter(pk=person.application.pk).update(
            title=f"独特职称{person.real_name}",
            eligibility_flags=["年龄超过65岁"],
            has_eligibility_flags=True,
        )
    services.withdraw_application(gone.application, gone)
    gone.application.refresh_from_db()
    client.force_login(factories.unit_account(unit))
    url = reverse("experts:unit_people")

    listed = client.get(url).content.decode()
    assert "乙撤回" in listed and "甲留审" in listed
    assert "独特职称乙撤回" not in listed and "独特职称甲留审" in listed
    rows = {
        name: next(r for r in listed.split("<tr") if name in r) for name in ("甲留审", "乙撤回")
    }
    assert "年龄超过65岁" in rows["甲留审"] and "年龄超过65岁" not in rows["乙撤回"]
    assert masked_mobile(kept.application.mobile) in rows["甲留审"]
    assert masked_mobile(gone.application.mobile) not in rows["乙撤回"]
    by_title = client.get(url, {"q": "独特职称"}).content.decode()
    assert "甲留审" in by_title and "乙撤回" not in by_title
    assert "乙撤回" in client.get(url, {"q": "乙撤回"}).content.decode()  # by name, still
    flagged = client.get(url, {"eligibility": "flagged"}).content.decode()
    assert "甲留审" in flagged and "乙撤回" not in flagged


@pytest.mark.parametrize(
    "status,returned,revising",
    [(status, returned, revising) for status in S for returned in (0, 1) for revising in (0, 1)],
)
def test_applicants_own_is_unsubmitted_in_python(unit, status, returned, revising):
    """The property and the Q that keeps such drafts out of 专家审核 say the same of every row."""
    person = factories.make_applicant(unit, S.DRAFT)
    stamp = timezone.now()
    ExpertApplication.objects.filter(pk=person.application.pk).update(
        status=status,
        returned_at=stamp if returned else None,
        revising_at=stamp if revising else None,
    )
    application = ExpertApplication.objects.get(pk=person.application.pk)
    in_sql = ExpertApplication.objects.filter(UNSUBMITTED, pk=application.pk).exists()
    assert application.applicants_own == in_sql
