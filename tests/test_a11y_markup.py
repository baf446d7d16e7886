"""What a screen reader, a keyboard or a zoomed page needs in the markup (the accessibility walk,
2026-12-06): pages told apart by their titles, controls named by their row, sections as
headings, the drawn experts' phone numbers kept at narrow widths, rows of the same labels told
apart, and the reviewer's comments leading to their fields."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from draws import services as draw_services
from draws.models import Pick
from draws.rules import Criteria
from experts.models import ApplicationStatus, Discipline
from tests import factories

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def title_of(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip()


def test_detail_pages_are_titled_with_the_persons_name(unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="吴思东")
    pk = applicant.application.pk
    page = signed_in(factories.unit_account(unit)).get(reverse("experts:unit_detail", args=[pk]))
    assert title_of(page.content.decode()).startswith("吴思东 - 专家信息查看 - ")
    page = signed_in(reviewer).get(reverse("experts:bureau_detail", args=[pk]))
    text = page.content.decode()
    assert title_of(text).startswith("吴思东 - 专家审核 - ")
    # The application's sections are headings, to be walked by a screen reader's H.
    assert re.search(r'<h2 class="card-header[^"]*" id="application-section-1">基本信息</h2>', text)


def test_list_links_name_their_row(unit):
    factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT, name="史文浩")
    page = signed_in(factories.unit_account(unit)).get(reverse("experts:unit_people"))
    assert '<span class="visually-hidden">：史文浩</span></a>' in page.content.decode()


@pytest.fixture
def draw(unit, reviewer, reference_data):
    field = Discipline.objects.get(code="01")
    for name in ("史文浩", "贺雪艳"):
        application = factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name)
        application.application.disciplines.set([field])
    return draw_services.make_draw(
        reviewer,
        project_name="项目",
        review_at=timezone.now() + datetime.timedelta(days=3),
        review_place="会议室",
        criteria=Criteria(),
        asks=[draw_services.QuotaAsk(field, 2, 0)],
    )


def test_the_draw_record_keeps_unit_title_and_phone_at_narrow_widths(draw, reviewer):
    page = signed_in(reviewer).get(reverse("draws:detail", args=[draw.pk])).content.decode()
    narrow = re.findall(
        r'<div class="d-md-none small[^"]*" data-testid="member-narrow">(.*?)</td>', page, re.S
    )
    assert len(narrow) == 2
    application = Pick.objects.filter(draw=draw).order_by("position").first().application
    assert application.unit.name in narrow[0] and application.mobile[-4:] in narrow[0]
    # Each row's buttons say whose they are.
    name = application.user.real_name
    assert f'确认参加<span class="visually-hidden">：{name}</span>' in page
    assert f'不参加<span class="visually-hidden">：{name}</span>' in page


def test_the_draw_forms_quota_rows_are_numbered_groups(reviewer, reference_data):
    page = signed_in(reviewer).get(reverse("draws:new")).content.decode()
    rows = re.findall(r'<legend class="visually-hidden">(第\d+行)</legend>', page)
    assert rows[:2] == ["第1行", "第2行"]


def test_the_returned_forms_list_of_comments_leads_to_each_field(unit):
    applicant = factories.returned_with_comments(unit)
    page = signed_in(applicant).get(reverse("experts:form")).content.decode()
    assert '<a href="#id_title" class="fw-bold alert-link">专业技术职称</a>' in page
    # A group of boxes has no input of its own: the link leads to its first box.
    assert '<a href="#id_disciplines_0_0" class="fw-bold alert-link">专业领域</a>' in page
    assert 'id="comment-title"' in page  # which the page's script names in the field's description
