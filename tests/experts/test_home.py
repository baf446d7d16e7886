"""What the applicant's home and the unit's and bureau's lists say about a returned
application, a saved draft, and the next step (issue 19 points 1, 2, 5, 6, 7)."""

import importlib
import re
import types

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from experts import rules, services
from experts.forms import INTEGRITY_PLEDGE
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = pytest.mark.django_db

RETURNED = "已退回（待修改）"


def returned_applicant(unit, name="赵磊", reason="工作简历缺少2015年以后的经历。"):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name=name)
    services.return_application(applicant.application, factories.unit_account(unit), reason)
    return applicant


def primary_buttons(page: str) -> list[str]:
    """The text of each primary action (btn-primary) on a page."""
    return [
        re.sub(r"<[^>]+>", "", text).strip()
        for text in re.findall(r'class="btn btn-primary[^"]*"[^>]*>(.*?)</(?:a|button)>', page)
    ]


def expert_status(page: str) -> str:
    """The text of 专家状态 on the applicant's home, badges and all."""
    shown = re.search(r'data-testid="expert-status">(.*?)</p>', page).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", shown)).strip()


def test_a_returned_application_keeps_its_status_and_is_marked_until_submitted(unit):
    applicant = returned_applicant(unit)
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert application.status == ApplicationStatus.DRAFT
    assert application.returned

    services.submit_application(application, applicant)
    application.refresh_from_db()
    assert (application.status, application.returned_at) == (ApplicationStatus.PENDING_UNIT, None)


def test_home_after_return_leads_with_the_reason_and_one_resubmit_button(client, unit):
    applicant = returned_applicant(unit)
    client.force_login(applicant)
    page = client.get(reverse("experts:home")).content.decode()

    # The returned state alone: "信息未填写" beside it read as if the full form were empty.
    assert expert_status(page) == RETURNED
    reason = page.index("工作简历缺少2015年以后的经历。")
    assert reason < page.index("修改并重新提交")
    assert primary_buttons(page) == ["修改并重新提交"]
    assert "申请成为专家" not in page
    # The form is full, but the unit asked for changes: not an invitation to send it unchanged.
    assert "必填信息已全部填写，请按退回意见修改后重新提交。" in page
    assert "可以提交" not in page


def test_home_shows_a_saved_draft_with_its_time_and_what_is_still_missing(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    client.force_login(applicant)
    assert "草稿已保存" not in client.get(reverse("experts:home")).content.decode()

    data = factories.application_post_data(applicant, "save")
    for name in ("resume", "achievements", "bank_account"):
        del data[name]
    client.post(reverse("experts:form"), data)

    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert application.draft_saved_at is not None
    page = client.get(reverse("experts:home")).content.decode()
    local = timezone.localtime(application.draft_saved_at)
    assert f"草稿已保存（{local:%Y-%m-%d %H:%M}）" in page
    assert "还有 3 项必填信息未填写" in page
    assert "（工作简历、主要业绩与成果、银行账号）" in page
    assert primary_buttons(page) == ["继续填写"]
    # The page names what the check 提交 makes would name.
    assert services.missing_for_submission(application) == [
        "工作简历",
        "主要业绩与成果",
        "银行账号",
    ]


def test_a_draft_missing_many_fields_names_them_behind_a_toggle(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    client.force_login(applicant)
    client.post(reverse("experts:form"), {"action": "save", "title": "研究员"})

    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    missing = services.missing_for_submission(application)
    page = client.get(reverse("experts:home")).content.decode()
    assert "诚信承诺" in missing and "敏感个人信息处理同意" in missing  # as 提交 names them
    assert len(missing) > 5 and f"还有 {len(missing)} 项必填信息未填写" in page
    toggle = page[page.index('data-testid="missing-list"') :]
    assert "查看未填写的必填项" in toggle and "、".join(missing) in toggle


def test_a_complete_saved_draft_says_it_may_be_submitted(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    client.force_login(applicant)
    client.post(reverse("experts:form"), factories.application_post_data(applicant, "save"))
    page = client.get(reverse("experts:home")).content.decode()
    assert "必填信息已全部填写，可以提交。" in page
    assert "还有" not in page


def test_a_full_draft_revised_after_rejection_asks_for_the_changes(client, unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    services.reject_application(applicant.application, reviewer, "缺少佐证材料。")
    services.revise_application(ExpertApplication.objects.get(user=applicant), applicant)
    client.force_login(applicant)
    page = client.get(reverse("experts:home")).content.decode()
    # The state, and beside it that it is being changed after 审核不通过 (as the unit and the
    # bureau see it, who still list it).
    assert expert_status(page) == "信息未填写 修改中（曾审核不通过）"
    assert "必填信息已全部填写，请按审核不通过意见修改后重新提交。" in page
    assert "可以提交" not in page


def test_home_after_rejection_has_one_primary_action(client, unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    services.reject_application(applicant.application, reviewer, "缺少佐证材料。")
    client.force_login(applicant)
    page = client.get(reverse("experts:home")).content.decode()
    assert primary_buttons(page) == ["修改专家信息"]
    assert re.search(r'class="btn btn-primary btn-lg"[^>]*>修改专家信息<', page)
    assert re.search(r'class="btn btn-outline-secondary"[^>]*>查看已提交的专家信息<', page)
    assert page.index("缺少佐证材料。") < page.index("修改专家信息</button>")


@pytest.mark.parametrize(
    "status", [ApplicationStatus.PENDING_UNIT, ApplicationStatus.APPROVED, ApplicationStatus.DRAFT]
)
def test_every_home_state_has_at_most_one_primary_action(client, unit, status):
    applicant = factories.make_applicant(unit, status)
    client.force_login(applicant)
    page = client.get(reverse("experts:home")).content.decode()
    # An admitted expert's one next step is 修改专家信息 (信息变更, changes).
    primary = status in (ApplicationStatus.DRAFT, ApplicationStatus.APPROVED)
    assert len(primary_buttons(page)) == (1 if primary else 0)


def test_each_consent_shows_its_full_text_above_its_own_checkbox(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT, complete=False)
    client.force_login(applicant)
    page = client.get(reverse("experts:form")).content.decode()

    pledge_text = page.index(f'id="integrity_pledge-text">{INTEGRITY_PLEDGE}</p>')
    pledge_box = page.index('name="integrity_pledge"')
    consent_text = page.index(f'id="sensitive_consent-text">{rules.consent_text()}</p>')
    consent_box = page.index('name="sensitive_consent"')
    assert pledge_text < pledge_box < consent_text < consent_box
    # The same box for both, and no longer the small grey help text under the checkbox.
    box = 'class="border rounded p-2 bg-body-tertiary mb-2"'
    assert page.count(box) == 2
    assert page.count(rules.consent_text()) == 1
    assert 'aria-describedby="sensitive_consent-text"' in page
    assert 'aria-describedby="integrity_pledge-text"' in page


def test_unit_people_marks_returned_rows_and_filters_them(client, unit):
    returned_applicant(unit, name="赵磊")
    factories.make_applicant(unit, ApplicationStatus.DRAFT, name="钱多")
    factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="孙立")
    client.force_login(factories.unit_account(unit))

    every = client.get(reverse("experts:unit_people"))
    rows = {row.real_name: row for row in every.context["rows"]}
    assert [name for name, row in rows.items() if row.returned] == ["赵磊"]
    assert every.content.decode().count(RETURNED + "</span>") == 1
    # 钱多's first draft alone says 信息未填写; 赵磊's returned one says only 已退回（待修改）.
    assert every.content.decode().count("信息未填写</span>") == 1
    assert "只看已退回（待修改）" in every.content.decode()
    # Not where it could find nothing (a unit's walk found it on 待单位推荐).
    waiting = client.get(reverse("experts:unit_people"), {"status": "pending_unit"})
    assert "只看已退回（待修改）" not in waiting.content.decode()

    only = client.get(reverse("experts:unit_people"), {"returned": "true"})
    assert [row.real_name for row in only.context["rows"]] == ["赵磊"]
    tabs = {value: n for value, _, n in only.context["tabs"]}
    assert tabs["all"] == 1 and tabs[ApplicationStatus.DRAFT] == 1
    assert "只显示已退回（待修改）的账号" in only.content.decode()
    # The search keeps the filter.
    assert '<input type="hidden" name="returned" value="true">' in only.content.decode()


def test_unit_people_puts_the_title_under_the_name_and_shortens_the_button_on_phones(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    ExpertApplication.objects.filter(user=applicant).update(title="教授级高级工程师")
    client.force_login(factories.unit_account(unit))
    page = client.get(reverse("experts:unit_people")).content.decode()
    short = (
        '<span class="d-none d-md-inline">{0}</span><span class="d-md-none">'
        '<span aria-hidden="true">{1}</span><span class="visually-hidden">{0}</span></span>'
    )
    assert short.format("专家信息查看", "查看") in page
    # 专业技术职称 a column on wide screens, a line under the name on phones.
    assert '<th scope="col" class="d-none d-md-table-cell">专业技术职称</th>' in page
    assert '<div class="d-md-none small text-body-secondary">教授级高级工程师</div>' in page


def test_bureau_queue_shows_returned_applications_in_their_own_tab(client, unit, reviewer):
    returned_applicant(unit, name="赵磊")
    factories.make_applicant(unit, ApplicationStatus.DRAFT, name="钱多")
    factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="孙立")
    client.force_login(reviewer)

    response = client.get(reverse("experts:bureau_queue"), {"status": ApplicationStatus.DRAFT})
    assert [row.real_name for row in response.context["rows"]] == ["赵磊"]
    tabs = {value: (label, n) for value, label, n in response.context["tabs"]}
    # The tab of the drafts back with their applicants (returned, or revised after 审核不通过).
    assert tabs[ApplicationStatus.DRAFT] == ("待申请人修改", 1)
    assert tabs["all"] == ("全部", 2)
    page = response.content.decode()
    # The state by itself, as the applicant and the unit see it.
    assert page.count(RETURNED + "</span>") == 1 and "信息未填写</span>" not in page

    every = client.get(reverse("experts:bureau_queue"), {"status": "all"})
    assert sorted(row.real_name for row in every.context["rows"]) == ["孙立", "赵磊"]


def test_migration_marks_drafts_whose_latest_action_is_a_return(unit):
    migration = importlib.import_module("experts.migrations.0013_returned_and_draft_saved")
    returned = returned_applicant(unit, name="赵磊").application
    resubmitted = returned_applicant(unit, name="钱多").application
    services.submit_application(resubmitted, resubmitted.user)
    ExpertApplication.objects.update(returned_at=None)

    migration.set_times(apps, types.SimpleNamespace(connection=connection))

    marked = dict(ExpertApplication.objects.values_list("user__real_name", "returned_at"))
    latest = returned.history.get(action="send_back").created_at
    assert marked == {"赵磊": latest, "钱多": None}
