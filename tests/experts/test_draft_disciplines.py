"""保存草稿 with an error elsewhere keeps the 专业领域 ticked, as it keeps the other correct
fields; a 专业领域 that is itself wrong is not saved, as any wrong field."""

import re

import pytest
from django.urls import reverse

from experts.models import ApplicationStatus, Discipline, ExpertApplication, FacetDiscipline
from tests import factories

pytestmark = pytest.mark.django_db


def by_code(*codes):
    return [Discipline.objects.get(code=code) for code in codes]


def test_draft_with_a_wrong_bank_account_keeps_the_valid_disciplines(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    before = ExpertApplication.objects.get(pk=applicant.application.pk)
    old_account = before.bank_account
    picked = by_code("0104", "0401")  # 通信技术, 金属材料: none of the make_applicant picks
    assert not set(picked) & set(before.disciplines.all())
    data = factories.application_post_data(
        applicant, "save", bank_account="12ab", department="草稿学院"
    )
    data["disciplines"] = [str(d.pk) for d in picked]

    response = client.post(reverse("experts:form"), data)

    assert response.status_code == 400
    assert "已填写的正确内容已保存为草稿" in response.content.decode()
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert set(application.disciplines.all()) == set(picked)
    assert application.department == "草稿学院"  # another correct field, saved alongside
    assert application.bank_account == old_account  # the wrong one is not
    # The m2m_changed receiver ran: 专家库's 专业领域 rows follow the picks.
    facets = FacetDiscipline.objects.filter(application_id=application.pk)
    assert {row.discipline_id for row in facets} >= {d.pk for d in picked}
    # A fresh session opens the draft with them ticked.
    client.logout()
    client.force_login(applicant)
    page = client.get(reverse("experts:form")).content.decode()
    checked = re.findall(r'name="disciplines" value="(\d+)"[^>]* checked>', page)
    assert sorted(checked) == sorted(str(d.pk) for d in picked)


def test_draft_with_a_whole_field_and_its_sub_field_keeps_the_picks_saved_before(client, unit):
    """电子信息（整个领域） with 通信技术 is itself wrong: like any wrong field it is not saved
    (the picks saved before stay) and the page says why under 专业领域."""
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    before = set(applicant.application.disciplines.all())
    data = factories.application_post_data(applicant, "save", bank_account="12ab")
    data["disciplines"] = [str(d.pk) for d in by_code("01", "0104", "0401")]

    response = client.post(reverse("experts:form"), data)

    assert response.status_code == 400
    assert "已勾选“电子信息（整个领域）”，已包含其下的通信技术" in response.content.decode()
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert set(application.disciplines.all()) == before
