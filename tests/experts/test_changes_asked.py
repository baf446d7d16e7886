"""与上次提交相比 answers the reviewer's question: was the return answered? A resubmission after
a 退回 or 审核不通过 first says what that decision asked (its reasons, its text, each field
comment), and every commented field is in the comparison, changed or not, with its comment
and 已修改 / 未修改 beside it; 只看变更 keeps them. 证明材料 is one such field."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from experts import services
from experts.models import ApplicationStatus, ExpertApplication, ReasonCode
from tests import factories
from tests.experts.test_plain_queries import DETAIL_QUERIES

pytestmark = pytest.mark.django_db
S = ApplicationStatus


def scan(colour: str = "white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def add_file(applicant, name: str, colour: str = "white"):
    return services.add_attachment(
        applicant.application, applicant, "title", SimpleUploadedFile(name, scan(colour))
    )


def fresh(applicant) -> ExpertApplication:
    return ExpertApplication.objects.get(pk=applicant.application.pk)


@pytest.fixture
def submitted(unit, private_storage):
    """An applicant who has submitted once, with one 证明材料."""
    applicant = factories.make_applicant(unit, S.DRAFT, name="钱芳")
    add_file(applicant, "职称证书.jpg")
    services.submit_application(applicant.application, applicant)
    return applicant


def code_pk(name: str) -> int:
    return ReasonCode.objects.get(code=name).pk


def return_by_http(client, unit, applicant, **comments):
    """The unit's 退回 through its form: 证明材料不清晰 and 专业领域不符, a text, and a
    comment on each field named in `comments` (field name → comment)."""
    client.force_login(factories.unit_account(unit))
    data = {
        "codes": [code_pk("evidence"), code_pk("discipline")],
        "reason": "请按批注修改后重新提交。",
    }
    for n, (field, note) in enumerate(comments.items(), start=1):
        data |= {f"field_{n}": field, f"note_{n}": note}
    response = client.post(reverse("experts:unit_return", args=[applicant.application.pk]), data)
    assert response.status_code == 302, response.content.decode()


def section_of(html: str) -> str:
    return html.split('id="changes"')[1].split("</section>")[0]


def row_of(html: str, label: str) -> str:
    """The comparison's row of `label`, its tags out: 所在部门 已修改 审核批注 … old new."""
    rows = section_of(html).split("<tr")[2:]
    found = [
        row for row in rows if row.split('scope="row"', 1)[1].split(">", 1)[1].startswith(label)
    ]
    assert len(found) == 1, label
    return " ".join(re.sub(r"<[^>]+>", " ", "<tr" + found[0]).split())


def row_labels(html: str) -> list[str]:
    rows = section_of(html).split('<th scope="row"')[1:]
    return [row.split(">", 1)[1].split(" <span")[0].split("<")[0].strip() for row in rows]


def asked_text(html: str) -> str:
    block = html.split('data-testid="asked">')[1].split("</div>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", block).split()).replace(" ：", "：")


def unit_page(client, unit, applicant, **params) -> str:
    client.force_login(factories.unit_account(unit))
    url = reverse("experts:unit_detail", args=[applicant.application.pk])
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_first_submission_says_nothing_was_asked(client, unit, submitted):
    html = unit_page(client, unit, submitted)

    assert 'data-testid="asked"' not in html
    assert "本次提交回应" not in html and "与上次提交相比" not in html


def test_the_comparison_first_says_what_the_return_asked_and_marks_each_commented_field(
    client, unit, submitted
):
    """The walk's case: returned for 证明材料不清晰 and 专业领域不符 with comments on 专业领域
    and 证明材料, both left as they were; only 所在部门 changed."""
    return_by_http(
        client,
        unit,
        submitted,
        department="请写到二级学院",
        disciplines="请只选与职称一致的领域",
        attachments="职称证书扫描件看不清",
    )
    services.save_draft(fresh(submitted), submitted, {"department": "光电信息学院"})
    services.submit_application(fresh(submitted), submitted)

    html = unit_page(client, unit, submitted)

    assert asked_text(html) == (
        f"本次提交回应的退回理由（{_minutes_of_return(submitted)}，单位账号（{unit.name}））"
        " 证明材料不清晰 专业领域不符 请按批注修改后重新提交。 需修改的字段"
        " 所在部门：请写到二级学院 已修改"
        " 专业领域：请只选与职称一致的领域 未修改"
        " 证明材料：职称证书扫描件看不清 未修改"
    )
    assert 'data-testid="unanswered-count">2 项批注字段未修改<' in html
    assert row_of(html, "所在部门").startswith("所在部门 已修改 审核批注 请写到二级学院 ")
    assert row_of(html, "专业领域").startswith("专业领域 未修改 审核批注 请只选与职称一致的领域 ")
    assert row_of(html, "证明材料") == (
        "证明材料 未修改 审核批注 职称证书扫描件看不清"
        f" {_file_line(submitted)} {_file_line(submitted)}"
    )
    assert row_of(html, "毕业院校").startswith("毕业院校 ")  # no mark on a field not asked about
    assert "未修改" not in row_of(html, "毕业院校") and "已修改" not in row_of(html, "毕业院校")


def _minutes_of_return(applicant) -> str:
    from portal.templating import minutes

    row = applicant.application.history.get(action="send_back")
    return minutes(row.created_at)


def _file_line(applicant) -> str:
    attachment = applicant.application.attachments.get()
    return f"职称证书：{attachment.original_name}（{attachment.size_text}）"


def test_only_changes_keeps_the_commented_fields_changed_or_not(client, unit, submitted):
    return_by_http(
        client, unit, submitted, disciplines="请只选与职称一致的领域", attachments="看不清"
    )
    services.save_draft(fresh(submitted), submitted, {"department": "光电信息学院"})
    services.submit_application(fresh(submitted), submitted)

    html = unit_page(client, unit, submitted, changes="only")

    assert row_labels(html) == ["所在部门", "专业领域", "证明材料"]
    assert html.count('data-testid="changed-row"') == 1
    assert html.count('data-testid="commented-row"') == 2


def test_a_commented_field_changed_is_marked_changed(client, unit, submitted):
    return_by_http(client, unit, submitted, research_direction="请写具体方向")
    services.save_draft(fresh(submitted), submitted, {"research_direction": "量子通信"})
    services.submit_application(fresh(submitted), submitted)

    html = unit_page(client, unit, submitted)

    assert row_of(html, "研究方向/擅长领域").startswith(
        "研究方向/擅长领域 已修改 审核批注 请写具体方向 "
    )
    assert row_of(html, "研究方向/擅长领域").endswith(" 量子通信")
    assert "研究方向/擅长领域：请写具体方向 已修改" in asked_text(html)
    assert 'data-testid="unanswered-count"' not in html


def test_files_added_and_removed_since_the_return_are_named(client, unit, submitted):
    return_by_http(client, unit, submitted, attachments="职称证书扫描件看不清")
    old = submitted.application.attachments.get()
    old_line = f"职称证书：{old.original_name}（{old.size_text}）"
    services.delete_attachment(old, submitted)
    new = add_file(submitted, "职称证书（清晰）.jpg", colour="gray")
    new_line = f"职称证书：{new.original_name}（{new.size_text}）"
    services.submit_application(fresh(submitted), submitted)

    html = unit_page(client, unit, submitted)

    assert row_of(html, "证明材料") == (
        "证明材料 已修改 新增1份，删除1份 审核批注 职称证书扫描件看不清"
        f" {old_line} （已删除） {new_line} （新增）"
    )
    row = section_of(html).split('data-testid="changed-row"')[1].split("</tr>")[0]
    assert f"<del>{old_line}</del>" in row and f"<ins>{new_line}</ins>" in row
    assert "证明材料：职称证书扫描件看不清 已修改" in asked_text(html)


def test_a_file_added_beside_the_kept_one_marks_only_the_new_one(client, unit, submitted):
    return_by_http(client, unit, submitted, attachments="请补充学位证书")
    kept = submitted.application.attachments.get()
    kept_line = f"职称证书：{kept.original_name}（{kept.size_text}）"
    added = add_file(submitted, "学位证书.jpg", colour="black")
    services.submit_application(fresh(submitted), submitted)

    html = unit_page(client, unit, submitted)

    assert row_of(html, "证明材料") == (
        "证明材料 已修改 新增1份 审核批注 请补充学位证书"
        f" {kept_line} {kept_line} 职称证书：学位证书.jpg（{added.size_text}） （新增）"
    )


def test_the_bureau_reads_what_its_rejection_asked(client, unit, submitted, reviewer):
    account = factories.unit_account(unit)
    services.recommend_application(fresh(submitted), account)
    client.force_login(reviewer)
    response = client.post(
        reverse("experts:bureau_reject", args=[submitted.application.pk]),
        {"codes": [code_pk("title")], "field_1": "title", "note_1": "请填写职称全称"},
    )
    assert response.status_code == 302
    services.revise_application(fresh(submitted), submitted)
    services.submit_application(fresh(submitted), submitted)
    services.recommend_application(fresh(submitted), account)

    html = client.get(reverse("experts:bureau_detail", args=[submitted.application.pk]))
    html = html.content.decode()

    asked = asked_text(html)
    assert asked.startswith("本次提交回应的审核不通过理由（")
    assert f"科技局审核员（{reviewer.username}）" in asked  # the bureau sees who decided
    assert asked.endswith("职称不符合要求 需修改的字段 专业技术职称：请填写职称全称 未修改")
    assert row_of(html, "专业技术职称").startswith("专业技术职称 未修改 审核批注 请填写职称全称 ")
    assert row_labels(
        client.get(
            reverse("experts:bureau_detail", args=[submitted.application.pk]), {"changes": "only"}
        ).content.decode()
    ) == ["专业技术职称"]


def test_a_commented_masked_number_shows_only_that_it_changed(client, unit, submitted):
    old_account = submitted.application.bank_account
    return_by_http(client, unit, submitted, bank_account="请填写工资卡账号")
    services.save_draft(fresh(submitted), submitted, {"bank_account": "6222020200112233999"})
    services.submit_application(fresh(submitted), submitted)

    html = unit_page(client, unit, submitted)

    row = row_of(html, "银行账号")
    assert row.startswith("银行账号 已修改 审核批注 请填写工资卡账号 ")
    assert "6222020200112233999" not in html and old_account not in html


def test_a_comment_on_a_field_no_snapshot_keeps_says_it_cannot_compare(client, unit, submitted):
    return_by_http(client, unit, submitted, sensitive_consent="请重新阅读后同意")
    services.submit_application(fresh(submitted), submitted)

    html = unit_page(client, unit, submitted)

    assert row_of(html, "敏感个人信息处理同意") == (
        "敏感个人信息处理同意 无法比较 审核批注 请重新阅读后同意"
        " 提交内容中不保存此项，无法比较，请在下方专家信息中查看。"
    )
    assert "敏感个人信息处理同意：请重新阅读后同意 无法比较" in asked_text(html)


def test_without_the_previous_snapshot_the_page_still_says_what_was_asked(client, unit, submitted):
    return_by_http(client, unit, submitted, disciplines="请只选与职称一致的领域")
    with factories.rewriting_history():
        submitted.application.history.filter(action="submit").update(snapshot=None)
    services.submit_application(fresh(submitted), submitted)

    html = unit_page(client, unit, submitted)

    assert 'data-testid="changes-not-kept"' in html
    assert "请对照以下退回或审核不通过理由查看" in html
    assert asked_text(html).endswith("需修改的字段 专业领域：请只选与职称一致的领域")


@pytest.mark.parametrize("url_name", DETAIL_QUERIES)
def test_what_was_asked_costs_no_query(client, unit, reviewer, submitted, url_name):
    """The decision answered is read from the history the page shows: the same queries as a
    page without one (tests/experts/test_plain_queries.py), however many fields it commented."""
    account = factories.unit_account(unit)
    services.return_application(
        fresh(submitted),
        account,
        "请修改。",
        field_comments=[
            {"field": name, "label": label, "comment": "请修改"}
            for name, label in [("department", "所在部门"), ("resume", "工作简历")]
        ]
        + [{"field": "attachments", "label": "证明材料", "comment": "看不清"}],
    )
    services.submit_application(fresh(submitted), submitted)
    if url_name == "experts:bureau_detail":
        services.recommend_application(fresh(submitted), account)
    client.force_login(account if url_name == "experts:unit_detail" else reviewer)
    url = reverse(url_name, args=[submitted.application.pk])
    client.get(url)  # Django's ContentType cache, as in test_plain_queries

    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()

    assert html.count('data-testid="commented-row"') == 3
    assert len(captured) == DETAIL_QUERIES[url_name], "\n".join(q["sql"] for q in captured)


# The reason form offers 证明材料, and the applicant reads the comment beside their files.


def test_the_reason_form_offers_attachments_as_a_field_to_comment_on(client, unit, submitted):
    html = unit_page(client, unit, submitted)

    group = '<optgroup label="证明材料">\n  <option value="attachments">证明材料</option>'
    assert html.count('<option value="attachments">证明材料</option>') == 3  # each of the rows
    assert re.sub(r"\s+", " ", group) in re.sub(r"\s+", " ", html)


def test_the_applicant_reads_the_attachments_comment_beside_the_card(client, unit, submitted):
    return_by_http(client, unit, submitted, attachments="职称证书扫描件看不清")
    client.force_login(submitted)

    html = client.get(reverse("experts:form")).content.decode()

    card = html.split('id="attachments"')[1].split("</section>")[0]
    assert (
        '<p class="alert alert-warning small py-1 px-2 mb-3" id="comment-attachments"'
        ' data-testid="field-comment"><span class="badge text-bg-warning me-1">审核批注</span>'
        "职称证书扫描件看不清</p>"
    ) in card
    reason = html.split('data-testid="latest-reason"')[1].split("</div>")[0]
    assert (
        '<a href="#comment-attachments" class="fw-bold alert-link">证明材料</a>'
        "：职称证书扫描件看不清" in reason
    )
    home = client.get(reverse("experts:home")).content.decode()
    assert '<span class="fw-bold">证明材料</span>：职称证书扫描件看不清' in home  # no card there


def test_after_a_rejection_the_read_only_page_shows_the_attachments_comment(
    client, unit, submitted, reviewer
):
    services.recommend_application(fresh(submitted), factories.unit_account(unit))
    client.force_login(reviewer)
    client.post(
        reverse("experts:bureau_reject", args=[submitted.application.pk]),
        {"codes": [code_pk("evidence")], "field_1": "attachments", "note_1": "缺少学位证书"},
    )
    client.force_login(submitted)

    html = client.get(reverse("experts:form")).content.decode()

    card = html.split('id="attachments"')[1].split("</section>")[0]
    assert 'id="comment-attachments" data-testid="field-comment"' in card
    assert "缺少学位证书" in card
