"""Details of the review pages that a person relies on."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from experts.models import ApplicationStatus, ExpertApplication
from portal.templating import working_days_since
from tests import factories

pytestmark = pytest.mark.django_db


def test_waiting_time_starts_at_zero_on_the_day():
    assert working_days_since(timezone.now()) == 0
    assert working_days_since(None) == 0


def test_waiting_time_on_the_queue_leaves_holidays_out(monkeypatch):
    """已等待N个工作日 (单位注册审核): submitted on 30 September 2025, read on 8 October, it
    waited no working day (National Day), as its deadline counts."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2025, 10, 8))
    submitted = datetime.datetime(2025, 9, 30, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Wuhan
    with timezone.override("Asia/Shanghai"):
        assert working_days_since(submitted) == 0


def test_bureau_queue_leaves_out_unsubmitted_drafts(client, reviewer, unit):
    draft = factories.make_applicant(unit, ApplicationStatus.DRAFT, name="草稿人")
    factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="待审人")
    client.force_login(reviewer)
    response = client.get(reverse("experts:bureau_queue"), {"status": "all"})
    names = [row.real_name for row in response.context["rows"]]
    assert names == ["待审人"]
    # The drafts' tab holds only those a unit returned (issue 19): none here.
    assert [(value, label, n) for value, label, n in response.context["tabs"]] == [
        ("all", "全部", 1),
        ("draft", "待申请人修改", 0),
        ("pending_unit", "待单位推荐", 0),
        ("pending_bureau", "待科技局审核", 1),
        ("approved", "审核通过", 0),
        ("rejected", "审核不通过", 0),
        ("frozen", "已冻结", 0),
        ("exit_pending", "退出待确认", 0),
        ("exited", "已出库", 0),
    ]
    detail = client.get(reverse("experts:bureau_detail", args=[draft.application.pk]))
    assert "申请人尚未提交专家信息" in detail.content.decode()
    assert draft.application.bank_account not in detail.content.decode()


def test_overdue_unit_registration_is_marked(client, reviewer):
    from accounts.models import Unit, UnitStatus

    unit = factories.make_unit(UnitStatus.PENDING, name="久等单位")
    Unit.objects.filter(pk=unit.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=7),
        due_on=timezone.localdate() - datetime.timedelta(days=3),
    )
    client.force_login(reviewer)
    page = client.get(reverse("accounts:bureau_unit_queue")).content.decode()
    assert "已等待5个工作日" in page
    # Whether it is overdue is the 截止日期's to say (portal.deadlines), in Chinese working days.
    assert '<span class="badge text-bg-danger">已超期</span>' in page


def test_unit_still_reads_a_returned_application_and_the_applicant_sees_why_on_the_form(
    client, unit
):
    from experts import services

    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    services.submit_application(applicant.application, applicant)
    services.return_application(applicant.application, factories.unit_account(unit), "补充简历。")

    client.force_login(factories.unit_account(unit))
    view = client.get(reverse("experts:unit_detail", args=[applicant.application.pk]))
    assert "已退回申请人修改" in view.content.decode()
    assert "华中科技大学" in view.content.decode()

    client.force_login(applicant)
    form = client.get(reverse("experts:form")).content.decode()
    assert "专家信息管理-修改" in form
    assert "补充简历。" in form


def test_bank_account_is_masked_on_the_detail_pages_and_whole_for_the_owner(client, unit, reviewer):
    # The bureau saw it whole on every view until issue 19 point 11 (PIPL's minimum-necessary
    # rule): it is masked for the bureau too, until 查看完整信息 (tests/experts/test_reveal.py).
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    application = applicant.application
    full, masked = "6222020200112233446", "6222***********3446"

    client.force_login(factories.unit_account(unit))
    page = client.get(reverse("experts:unit_detail", args=[application.pk])).content.decode()
    assert masked in page and full not in page

    client.force_login(reviewer)
    page = client.get(reverse("experts:bureau_detail", args=[application.pk])).content.decode()
    assert masked in page and full not in page

    client.force_login(applicant)
    assert full in client.get(reverse("experts:form")).content.decode()


def test_submission_needs_the_separate_unticked_consent_and_stores_its_version(client, unit):
    from experts.services import CONSENT_VERSION

    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    client.force_login(applicant)
    page = client.get(reverse("experts:form")).content.decode()
    assert 'name="sensitive_consent"' in page
    assert 'name="sensitive_consent" checked' not in page  # never ticked for the applicant

    data = factories.application_post_data(applicant, "submit")
    del data["sensitive_consent"]
    refused = client.post(reverse("experts:form"), data)
    assert refused.status_code == 400
    assert "提交前请阅读并勾选敏感个人信息处理同意" in refused.content.decode()
    application = applicant.application
    application.refresh_from_db()
    assert (application.status, application.consent_at) == (ApplicationStatus.DRAFT, None)

    client.post(reverse("experts:form"), factories.application_post_data(applicant, "submit"))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING_UNIT
    assert application.consent_version == CONSENT_VERSION and application.consent_at is not None


def test_list_dates_are_local_minutes_like_the_date_filter():
    import datetime as dt

    from django.template import engines
    from django.utils import timezone

    moment = dt.datetime(2026, 11, 25, 16, 5, tzinfo=dt.UTC)  # 00:05 on the 26th in Wuhan
    django_dates = engines["django"].from_string('{{ m|date:"Y-m-d H:i" }}|{{ m|date:"Y-m-d" }}')
    jinja_dates = engines["jinja2"].from_string(
        "{{ m|minutes }}|{{ m|day }}|{{ none|minutes }}|{{ none|day }}"
    )
    with timezone.override("Asia/Shanghai"):
        assert django_dates.render({"m": moment}) == "2026-11-26 00:05|2026-11-26"
        rendered = jinja_dates.render({"m": moment, "none": None})
    assert rendered == "2026-11-26 00:05|2026-11-26||"


def version_on(page) -> str:
    return re.search(r'name="version" value="([^"]*)"', page.content.decode()).group(1)


def test_a_tab_left_open_does_not_save_over_a_draft_saved_since(client, unit):
    """Tab A opened, tab B saved, tab A saved: A's old fields would wipe out B's. A is refused,
    shown again as typed; sent again, it wins."""
    applicant = factories.make_applicant(unit)
    client.force_login(applicant)
    url = reverse("experts:form")
    tab_a = version_on(client.get(url))
    tab_b = version_on(client.get(url))
    assert tab_a == tab_b == ""

    saved_b = client.post(url, {"action": "save", "version": tab_b, "title": "研究员"})
    assert saved_b.status_code == 302
    refused = client.post(url, {"action": "save", "version": tab_a, "department": "数学学院"})

    assert refused.status_code == 409
    text = refused.content.decode()
    assert "专家信息已在其他窗口或设备上保存过" in text and "本次未保存" in text
    assert 'value="数学学院"' in text  # what tab A typed is on the page still
    # The latest save opens by a link (a reload would send this page's POST again).
    assert f'href="{url}" data-testid="stale-link">查看最新保存的内容' in text
    assert '<form method="post" novalidate' in text and " data-dirty>" in text
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert (application.title, application.department) == ("研究员", "")
    # The refused page carries the saved draft's version: sent again, on purpose, it saves.
    again = version_on(refused)
    assert again == application.draft_saved_at.isoformat()
    assert (
        client.post(url, {"action": "save", "version": again, "department": "数学学院"}).status_code
        == 302
    )
    assert ExpertApplication.objects.get(pk=application.pk).department == "数学学院"


def test_a_double_click_on_save_draft_saves_once_and_is_not_taken_for_another_tab(client, unit):
    applicant = factories.make_applicant(unit)
    client.force_login(applicant)
    url = reverse("experts:form")
    opened = version_on(client.get(url))
    page = {"action": "save", "version": opened, "title": "研究员", "department": "数学学院"}

    assert client.post(url, page).status_code == 302
    assert client.post(url, page).status_code == 302  # the second click: nothing to overwrite

    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert (application.title, application.department) == ("研究员", "数学学院")


def test_a_forged_version_before_any_draft_just_saves(client, unit):
    applicant = factories.make_applicant(unit)
    client.force_login(applicant)

    response = client.post(
        reverse("experts:form"), {"action": "save", "version": "forged", "title": "研究员"}
    )

    assert response.status_code == 302
    assert ExpertApplication.objects.get(pk=applicant.application.pk).title == "研究员"


def test_a_stale_tab_cannot_submit_over_a_newer_draft_either(client, unit):
    applicant = factories.make_applicant(unit)
    client.force_login(applicant)
    url = reverse("experts:form")
    old = version_on(client.get(url))
    client.post(url, {"action": "save", "version": old, "title": "研究员"})

    response = client.post(url, {"action": "submit", "version": old, "title": "讲师"})

    assert response.status_code == 409
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert (application.status, application.title) == (ApplicationStatus.DRAFT, "研究员")


def test_a_form_shown_again_with_errors_carries_the_draft_it_just_saved(client, unit):
    applicant = factories.make_applicant(unit)
    client.force_login(applicant)
    url = reverse("experts:form")
    invalid = client.post(url, {"action": "save", "version": "", "title": "研究员", "mobile": "12"})

    assert invalid.status_code == 400
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert version_on(invalid) == application.draft_saved_at.isoformat()
    # So the corrected form saves, not refused as a stale tab.
    fixed = {"action": "save", "version": version_on(invalid), "mobile": "13712345678"}
    assert client.post(url, fixed).status_code == 302


def test_the_account_follows_the_mobile_and_e_mail_the_form_last_gave(client, unit, mailoutbox):
    """找回密码 and a lock's SMS go to the account's: they follow the form's, not a blank one."""
    applicant = factories.make_applicant(unit)
    client.force_login(applicant)
    url = reverse("experts:form")
    client.post(url, {"action": "save", "email": "new@example.cn", "mobile": "13912345678"})

    applicant.refresh_from_db()
    assert (applicant.email, applicant.mobile) == ("new@example.cn", "+8613912345678")
    client.post(url, {"action": "save", "email": "", "mobile": ""})
    applicant.refresh_from_db()
    assert (applicant.email, applicant.mobile) == ("new@example.cn", "+8613912345678")

    client.logout()
    client.post(reverse("accounts:password_reset"), {"email": "new@example.cn"})
    assert [message.to for message in mailoutbox] == [["new@example.cn"]]


def test_a_unit_acts_on_what_its_list_shows(client, unit, other_unit):
    """The lists and the permission read one column (ExpertApplication.unit, the application's
    copy of its account's unit, which experts.search.refresh repairs): a row whose copy drifted
    (a shell update, an import) is decided by the unit that lists it, never by one that cannot
    see it."""
    from experts import services

    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    ExpertApplication.objects.filter(pk=applicant.application.pk).update(unit=other_unit)
    application = ExpertApplication.objects.get(pk=applicant.application.pk)

    with pytest.raises(services.WorkflowError):
        services.recommend_application(application, factories.unit_account(unit))
    services.recommend_application(application, factories.unit_account(other_unit))

    assert ExpertApplication.objects.get(pk=application.pk).status == (
        ApplicationStatus.PENDING_BUREAU
    )


def test_the_applicants_own_form_checks_birth_date_and_sex_against_the_id_number(client, unit):
    applicant = factories.make_applicant(unit)
    client.force_login(applicant)
    application = ExpertApplication.objects.get(user=applicant)
    data = factories.application_post_data(applicant, "save")
    data.update(birth_date="1950-01-01", department="新部门")

    response = client.post(reverse("experts:form"), data)

    assert "出生日期与居民身份证号码不一致。" in response.content.decode()
    saved = ExpertApplication.objects.get(pk=application.pk)
    assert saved.birth_date == application.birth_date  # refused, what else was typed is kept
    assert saved.department == "新部门"
