"""Issue 21, item 5: each 提交 keeps what was submitted; a resubmission shows what changed."""

import json

import pytest
from django.urls import reverse

from experts import services
from experts.models import ApplicationStatus, ApplicationTransition
from tests import factories

pytestmark = pytest.mark.django_db


def submitted(unit):
    """An applicant who has submitted once, through the service (so with a snapshot)."""
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    services.submit_application(applicant.application, applicant)
    return applicant


def resubmit(applicant, unit, **values):
    services.return_application(applicant.application, factories.unit_account(unit), "请修改。")
    services.save_draft(applicant.application, applicant, values)
    services.submit_application(applicant.application, applicant)


def changed_rows(html: str) -> list[str]:
    rows = html.split('data-testid="changed-row"')[1:]
    cells = [row.split('<th scope="row"', 1)[1].split("</th>")[0] for row in rows]
    return [cell.split(">", 1)[1].split(" <span")[0] for cell in cells]


def test_a_first_submission_shows_no_changes(client, unit):
    applicant = submitted(unit)
    client.force_login(factories.unit_account(unit))
    response = client.get(reverse("experts:unit_detail", args=[applicant.application.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"专家信息查看：{applicant.real_name} " in html
    assert "与上次提交相比" not in html
    assert 'data-testid="changes-not-kept"' not in html


def test_a_resubmission_after_one_kept_no_snapshot_says_it_cannot_compare(client, unit):
    """A submission made before snapshots were kept (or by seed_scale) has none: the page
    says so rather than showing nothing."""
    applicant = submitted(unit)
    with factories.rewriting_history():
        applicant.application.history.filter(action="submit").update(snapshot=None)
    resubmit(applicant, unit, department="新实验室")
    client.force_login(factories.unit_account(unit))

    html = client.get(reverse("experts:unit_detail", args=[applicant.application.pk]))

    page = html.content.decode()
    assert "上次提交早于系统开始保存提交内容，无法列出修改了哪些字段" in page
    assert "与上次提交相比" not in page


def test_a_resubmission_shows_old_and_new_side_by_side(client, unit, reviewer):
    applicant = submitted(unit)
    old_department = applicant.application.department
    assert old_department and old_department != "新实验室"
    resubmit(applicant, unit, department="新实验室", research_direction="量子通信")
    services.recommend_application(applicant.application, factories.unit_account(unit))
    client.force_login(reviewer)
    url = reverse("experts:bureau_detail", args=[applicant.application.pk])

    html = client.get(url).content.decode()

    assert "与上次提交相比" in html and "2 项已修改" in html
    assert changed_rows(html) == ["所在部门", "研究方向/擅长领域"]
    assert "<ins>新实验室</ins>" in html and "<ins>量子通信</ins>" in html
    assert f"<del>{old_department}</del>" in html  # the previous value beside the new one
    assert "毕业院校" in html.split('id="changes"')[1].split("</section>")[0]  # unchanged shown
    only = client.get(url, {"changes": "only"}).content.decode()
    section = only.split('id="changes"')[1].split("</section>")[0]
    assert changed_rows(only) == ["所在部门", "研究方向/擅长领域"]
    assert "毕业院校" not in section
    assert "显示全部字段" in section


def test_the_comparison_shows_only_while_the_resubmission_waits_for_a_decision(
    client, unit, reviewer
):
    """Once returned, the page shows the draft being revised (not the submission), and once
    decided there is nothing to decide on: neither the comparison nor its note."""
    applicant = submitted(unit)
    resubmit(applicant, unit, department="新实验室")
    application = applicant.application
    client.force_login(factories.unit_account(unit))
    url = reverse("experts:unit_detail", args=[application.pk])
    assert "与上次提交相比" in client.get(url).content.decode()

    services.return_application(application, factories.unit_account(unit), "请再修改。")
    page = client.get(url).content.decode()
    assert "与上次提交相比" not in page and "本次为再次提交" not in page

    with factories.rewriting_history():
        application.history.filter(action="submit").update(snapshot=None)
    assert "本次为再次提交" not in client.get(url).content.decode()


def test_an_unfreeze_request_shows_no_comparison(client, unit, reviewer):
    """申请解冻 waits for the bureau in 待科技局审核, but no submission waits: the last two 提交
    of the expert, years old perhaps, are not a resubmission to compare."""
    applicant = submitted(unit)
    resubmit(applicant, unit, department="新实验室")
    application = applicant.application
    services.recommend_application(application, factories.unit_account(unit))
    services.approve_application(application, reviewer)
    import datetime

    from django.utils import timezone

    from experts.models import ExpertApplication

    lapsed = timezone.now() - datetime.timedelta(days=800)  # 24 months without a confirmation
    ExpertApplication.objects.filter(pk=application.pk).update(confirmed_at=lapsed)
    frozen = services.freeze_application(ExpertApplication.objects.get(pk=application.pk))
    services.request_unfreeze(frozen, applicant)
    client.force_login(reviewer)

    page = client.get(reverse("experts:bureau_detail", args=[application.pk])).content.decode()

    assert 'data-testid="unfreezing"' in page
    assert "与上次提交相比" not in page and "本次为再次提交" not in page


def test_after_a_decisions_form_errors_the_toggle_still_leads_to_the_page(client, unit, reviewer):
    """The page comes back at the decision's POST-only URL: 只看变更 names the detail page,
    not a query on that URL (a 405), and the top of the page says the decision was not made."""
    applicant = submitted(unit)
    resubmit(applicant, unit, department="新实验室")
    services.recommend_application(applicant.application, factories.unit_account(unit))
    client.force_login(reviewer)
    url = reverse("experts:bureau_detail", args=[applicant.application.pk])

    response = client.post(reverse("experts:bureau_reject", args=[applicant.application.pk]), {})

    assert response.status_code == 400
    html = response.content.decode()
    assert f'href="{url}?changes=only#changes"' in html
    said = [str(message) for message in response.context["messages"]]
    assert said == ["操作未完成：请按页面下方表单中标出的提示修改后重新提交。"]


def test_a_change_of_disciplines_is_in_the_snapshot_and_the_diff(client, unit):
    from experts.models import Discipline

    applicant = submitted(unit)
    before = sorted(applicant.application.disciplines.values_list("name", flat=True))
    aviation = Discipline.objects.get(code="0301")
    assert aviation.name not in before
    services.return_application(applicant.application, factories.unit_account(unit), "请修改。")
    services.save_draft(applicant.application, applicant, {}, disciplines=[aviation])
    services.submit_application(applicant.application, applicant)
    client.force_login(factories.unit_account(unit))

    html = client.get(reverse("experts:unit_detail", args=[applicant.application.pk]))
    html = html.content.decode()

    assert changed_rows(html) == ["专业领域"]
    row = html.split('data-testid="changed-row"')[1].split("</tr>")[0]
    assert f"<ins>{aviation.name}（{aviation.parent.name}）</ins>" in row
    assert all(name in row.split("<ins>")[0] for name in before)  # the old picks, struck out
    latest = applicant.application.history.filter(snapshot__isnull=False).order_by("-pk")[0]
    assert aviation.name in json.dumps(latest.snapshot, ensure_ascii=False)


def test_a_changed_bank_account_shows_only_that_it_changed_and_stays_encrypted(client, unit):
    applicant = submitted(unit)
    old_account = applicant.application.bank_account
    resubmit(applicant, unit, bank_account="6222020200112233999")
    client.force_login(factories.unit_account(unit))

    html = client.get(reverse("experts:unit_detail", args=[applicant.application.pk]))
    html = html.content.decode()

    assert changed_rows(html) == ["银行账号"]
    assert "6222020200112233999" not in html and old_account not in html
    # Every stored snapshot, whole: the numbers in it are ciphertext, never the digits.
    snapshots = ApplicationTransition.objects.filter(snapshot__isnull=False)
    stored = " ".join(
        json.dumps(snapshot, ensure_ascii=False)
        for snapshot in snapshots.values_list("snapshot", flat=True)
    )
    assert "6222020200112233999" not in stored and old_account not in stored
    assert applicant.id_number not in stored
    assert "研究方向/擅长领域" in stored  # the other fields are kept as shown


def test_revealing_the_numbers_shows_them_in_the_changes_too(client, unit, reviewer):
    applicant = submitted(unit)
    resubmit(applicant, unit, bank_account="6222020200112233999")
    services.recommend_application(applicant.application, factories.unit_account(unit))
    client.force_login(reviewer)

    response = client.post(
        reverse("experts:bureau_reveal", args=[applicant.application.pk]),
        {"reveal-numbers": "bank_account", "reveal-reason": "check_bank"},
    )

    section = response.content.decode().split('id="changes"')[1].split("</section>")[0]
    assert "<ins>6222020200112233999</ins>" in section
