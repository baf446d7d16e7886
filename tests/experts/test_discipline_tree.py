"""专业领域 in two levels (issue 22): the sub-fields loaded by migration experts 0019, the
applicant's form grouping them under their fields, and the seeded data using them."""

import re

import pytest
from django.urls import reverse

from experts.choices import DISCIPLINES, SUB_DISCIPLINES
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from experts.selectors import discipline_names
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_field_has_its_sub_fields_and_the_fields_stay_top_level():
    fields = Discipline.objects.filter(parent=None)
    assert sorted(fields.values_list("code", "name")) == sorted(DISCIPLINES)
    for field in fields:
        children = list(field.children.values_list("code", flat=True))
        assert 3 <= len(children) <= 6, field.name
        assert all(code.startswith(field.code) for code in children)
    assert Discipline.objects.filter(parent__isnull=False).count() == len(SUB_DISCIPLINES)


def test_the_form_groups_sub_fields_under_their_field_and_saves_one(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    page = client.get(reverse("experts:form")).content.decode()
    heading, whole, sub = (
        page.index("<strong>电子信息</strong>"),
        page.index("电子信息（整个领域）"),
        page.index("通信技术"),
    )
    assert heading < whole < sub < page.index("<strong>生物与新医药</strong>")

    software, comms = Discipline.objects.get(code="0101"), Discipline.objects.get(code="0104")
    data = factories.application_post_data(applicant, "save")
    data["disciplines"] = [str(software.pk), str(comms.pk)]
    client.post(reverse("experts:form"), data)
    application = ExpertApplication.objects.get(user=applicant)
    assert set(application.disciplines.all()) == {software, comms}
    assert discipline_names(application) == ["软件（电子信息）", "通信技术（电子信息）"]
    # A field's name finds its sub-fields' experts in the search box too.
    assert "电子信息 软件 电子信息 通信技术" in application.search_text

    again = client.get(reverse("experts:form")).content.decode()
    checked = re.findall(r'name="disciplines" value="(\d+)"[^>]* checked>', again)
    assert sorted(checked) == sorted([str(software.pk), str(comms.pk)])


def test_a_whole_field_and_its_own_sub_fields_are_not_ticked_together(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    before = set(applicant.application.disciplines.all())
    field = Discipline.objects.get(code="01")
    comms, parts = Discipline.objects.get(code="0104"), Discipline.objects.get(code="0105")
    data = factories.application_post_data(applicant, "save")
    data["disciplines"] = [str(d.pk) for d in (field, comms, parts)]

    response = client.post(reverse("experts:form"), data)

    assert response.status_code == 400
    said = f"已勾选“电子信息（整个领域）”，已包含其下的{comms.name}；{parts.name}，"
    assert said + "请取消“整个领域”或取消这些子领域。" in response.content.decode()
    assert (
        set(ExpertApplication.objects.get(pk=applicant.application.pk).disciplines.all()) == before
    )
    # Another field's sub-field beside a whole field is two things, and saves.
    other = Discipline.objects.get(code="0201")
    data["disciplines"] = [str(field.pk), str(other.pk)]
    assert client.post(reverse("experts:form"), data).status_code == 302


def test_submitting_with_no_field_says_to_pick_one(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    data = factories.application_post_data(applicant, "submit")
    data.pop("disciplines", None)

    response = client.post(reverse("experts:form"), data)

    assert response.status_code == 400 and "请至少选择一个专业领域。" in response.content.decode()


def test_a_forged_discipline_is_refused_and_nothing_saved(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    before = set(applicant.application.disciplines.values_list("pk", flat=True))
    data = factories.application_post_data(applicant, "save")
    data["disciplines"] = ["99999999"]
    response = client.post(reverse("experts:form"), data)
    assert response.status_code == 400
    assert "99999999" in response.content.decode()
    assert set(applicant.application.disciplines.values_list("pk", flat=True)) == before


def test_seeded_experts_pick_sub_fields_and_whole_fields():
    from experts.management.commands.seed_scale import seed_scale

    seed_scale(units=3, experts=200)
    picks = ExpertApplication.disciplines.through.objects
    assert picks.filter(discipline__parent__isnull=False).count() > 50
    assert picks.filter(discipline__parent__isnull=True).count() > 10
    # The search text names what was picked, as the portal writes it.
    application = ExpertApplication.objects.filter(disciplines__parent__isnull=False).first()
    assert application.disciplines.first().name in application.search_text


def test_renaming_a_field_rewrites_its_sub_fields_experts_search_text(admin_client, unit):
    from experts.search import refresh

    applicant = factories.make_applicant(unit, ApplicationStatus.APPROVED)
    applicant.application.disciplines.set([Discipline.objects.get(code="0301")])
    refresh(ExpertApplication.objects.filter(pk=applicant.application.pk))
    field = Discipline.objects.get(code="03")
    admin_client.post(
        reverse("admin:experts_discipline_change", args=[field.pk]),
        {"code": "03", "name": "航空航天与低空经济", "parent": ""},
    )
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert "航空航天与低空经济 航空技术" in application.search_text
