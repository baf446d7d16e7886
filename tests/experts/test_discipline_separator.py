"""An expert's 专业领域 are listed with ； between them wherever a page lists them: two names
of the classification hold a 、 of their own (资源勘查、高效开采与综合利用技术, 高性能、
智能化仪器仪表), so a 、-joined list does not say where one field ends
(experts.choices.join_disciplines)."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from certificates.rules import details_index, printed
from changes import fields as change_fields
from experts import services, snapshots
from experts.models import ApplicationStatus, Discipline
from portal.crypto import blind_index
from tests import factories

pytestmark = pytest.mark.django_db

# Two sub-fields whose names hold a 、, and a field: in code order.
PICKED = ["0706", "0802", "12"]
LISTED = (
    "资源勘查、高效开采与综合利用技术（资源与环境）；"
    "高性能、智能化仪器仪表（先进制造与自动化）；财务与知识产权"
)


def expert(unit, status):
    applicant = factories.make_applicant(unit, status, name="钱学")
    applicant.application.disciplines.set(Discipline.objects.filter(code__in=PICKED))
    return applicant


def test_the_unit_the_bureau_and_the_applicant_read_where_each_field_ends(client, unit, reviewer):
    applicant = expert(unit, ApplicationStatus.PENDING_UNIT)
    pk = applicant.application.pk
    pages = []
    for viewer, url in [
        (factories.unit_account(unit), reverse("experts:unit_detail", args=[pk])),
        (reviewer, reverse("experts:bureau_detail", args=[pk])),
        (applicant, reverse("experts:form")),
        (applicant, reverse("experts:own_data")),
    ]:
        client.force_login(viewer)
        pages.append(client.get(url).content.decode())

    assert [LISTED in page for page in pages] == [True, True, True, True]


def test_the_public_notice_and_the_certificate_separate_the_fields(client, unit):
    application = expert(unit, ApplicationStatus.APPROVED).application
    names = "资源勘查、高效开采与综合利用技术；高性能、智能化仪器仪表；财务与知识产权"

    assert names in client.get(reverse("notice:public")).content.decode()
    assert printed(application)["disciplines"] == names


def test_a_certificate_issued_before_keeps_its_details_hash(unit):
    """The hash a certificate keeps was of the 、-joined names: a new separator in it would
    make every certificate issued before read 已失效."""
    application = expert(unit, ApplicationStatus.APPROVED).application
    names = "资源勘查、高效开采与综合利用技术、高性能、智能化仪器仪表、财务与知识产权"

    kept = blind_index("\n".join([application.user.real_name, unit.name, names]))

    assert details_index(application) == kept


def test_a_change_requests_diff_separates_the_fields(unit):
    picked = list(Discipline.objects.filter(code__in=PICKED).values_list("pk", flat=True))

    assert change_fields.shown({"disciplines": picked})["disciplines"] == LISTED


def test_a_submission_kept_before_reads_and_compares_as_one_kept_now(unit, reviewer):
    """A snapshot of version 1 kept the 专业领域 、-joined: read back by the classification's
    names, it compares equal to today's and shows as today's."""
    applicant = expert(unit, ApplicationStatus.DRAFT)
    application = applicant.application
    services.submit_application(application, applicant)
    services.return_application(application, factories.unit_account(unit), "请补充。")
    first = application.history.get(action="submit")
    rows = first.snapshot["rows"]
    for row in rows:
        if row[1] == "专业领域":
            row[2] = row[2].replace("；", "、")
    first.snapshot = {"version": 1, "rows": rows}
    with factories.rewriting_history():  # as an earlier version of the portal kept it
        first.save(update_fields=["snapshot"])
    services.submit_application(application, applicant)

    previous, current = snapshots.last_two_submissions(application)
    change = next(c for c in snapshots.compare(previous, current) if c.label == "专业领域")

    assert (change.old, change.new, change.changed) == (LISTED, LISTED, False)


def test_an_old_snapshot_whose_names_no_longer_split_is_shown_as_kept():
    kept = {
        "version": 1,
        "rows": [["专业领域与成果", "专业领域", "已改名的领域、软件（电子信息）", False]],
    }

    assert snapshots.rows(kept)[0][2] == "已改名的领域、软件（电子信息）"


def test_my_data_lists_the_versions_with_the_fields_separated(client, unit):
    applicant = expert(unit, ApplicationStatus.DRAFT)
    services.submit_application(applicant.application, applicant)
    client.force_login(applicant)

    data = json.loads(client.get(reverse("experts:own_data_download")).content)

    (version,) = data["提交版本"]
    shown = {row["项目"]: row["内容"] for row in version["内容"]}
    assert shown["专业领域"] == LISTED


def test_no_field_may_be_named_with_the_separator(reference_data):
    discipline = Discipline(code="13", name="软件；硬件")

    with pytest.raises(ValidationError) as refused:
        discipline.full_clean()

    assert refused.value.message_dict["name"] == ["名称中不能含有“；”。"]
