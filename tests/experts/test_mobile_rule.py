"""One rule for an expert's 手机 on the pages (experts.permissions.may_read_mobile): whole to the
bureau on every page about that one expert (the application, a 变更申请, a draw: reviewers phone
the people they review and draw), whole to the expert's own unit, masked to a unit asked to take
the expert in. Found by a reviewer's walk: the 变更申请's page masked what the application's
page beside it showed whole."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.validators import display_mobile
from changes.models import ChangeStatus
from draws import services as draws
from draws.rules import Criteria
from experts.models import Discipline
from portal.templating import masked_mobile
from tests import factories
from tests.changes.helpers import admitted, application_of, key_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def test_a_reviewer_reads_one_experts_mobile_whole_on_each_page_about_them(client, reviewer, unit):
    person = admitted(unit, name="王建国")
    application = application_of(person)
    change = key_request(person, status=ChangeStatus.PENDING_BUREAU)
    field = Discipline.objects.get(code="01")
    application.disciplines.set([field])
    draw = draws.make_draw(
        reviewer,
        project_name="项目",
        review_at=timezone.now() + timedelta(days=7),
        review_place="市科技局会议室",
        criteria=Criteria(),
        asks=[draws.QuotaAsk(field, 1, 0)],
    )
    whole, masked = display_mobile(application.mobile), masked_mobile(application.mobile)
    assert whole != masked

    client.force_login(reviewer)
    for url in (
        reverse("experts:bureau_detail", args=[application.pk]),
        reverse("changes:bureau_detail", args=[change.pk]),
        reverse("draws:detail", args=[draw.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert whole in page and masked not in page, url


def test_on_a_change_request_the_experts_own_unit_reads_it_whole_a_unit_taking_them_in_masked(
    client, unit, other_unit
):
    person = admitted(unit, name="王建国")
    application = application_of(person)
    whole, masked = display_mobile(application.mobile), masked_mobile(application.mobile)
    staying = key_request(person, status=ChangeStatus.PENDING_UNIT)

    client.force_login(factories.unit_account(unit))
    own = client.get(reverse("changes:unit_detail", args=[staying.pk])).content.decode()
    assert whole in own and masked not in own
    # As on the unit's page of its own person.
    detail = client.get(reverse("experts:unit_detail", args=[application.pk])).content.decode()
    assert whole in detail

    staying.delete()
    moving = key_request(person, status=ChangeStatus.PENDING_UNIT, new_unit=other_unit)
    client.force_login(factories.unit_account(other_unit))
    taking = client.get(reverse("changes:unit_detail", args=[moving.pk])).content.decode()
    assert masked in taking and whole not in taking
