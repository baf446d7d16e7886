"""The manual (2.3): "审核通过后需登录系统点击‘信息更改’完善单位信息，并点击‘保存’。" A unit
recommends, returns or confirms nobody before it has (found by the manual's walk: a unit with
no 法定代表人 or 单位电话 recommended at once)."""

import pytest
from django.urls import reverse

from accounts.models import Unit
from changes import services as change_services
from changes.models import ChangeKind, ChangeRequest, ChangeStatus
from experts import services
from experts.models import ApplicationStatus, ExpertApplication
from portal.workflow import WorkflowError
from tests import factories
from tests.changes.helpers import admitted, key_request

pytestmark = pytest.mark.django_db
S = ApplicationStatus
NEEDED = "请先点击“信息更改”完善单位信息（法定代表人、单位电话）并保存，再办理推荐、退回或确认。"


@pytest.fixture
def bare_unit():
    """An approved unit that has not completed 信息更改."""
    unit = factories.make_unit()
    Unit.objects.filter(pk=unit.pk).update(legal_representative="", office_phone="")
    unit.refresh_from_db()
    return unit


def test_the_services_refuse_a_unit_without_its_details(reference_data, bare_unit):
    application = factories.make_applicant(bare_unit, S.PENDING_UNIT).application
    account = factories.unit_account(bare_unit)
    with pytest.raises(WorkflowError, match="信息更改"):
        services.recommend_application(application, account)
    with pytest.raises(WorkflowError, match="信息更改"):
        services.return_application(application, account, reason="材料不全")
    assert ExpertApplication.objects.get(pk=application.pk).status == S.PENDING_UNIT


def test_the_detail_page_points_at_信息更改_instead_of_offering_the_decisions(
    client, reference_data, bare_unit
):
    application = factories.make_applicant(bare_unit, S.PENDING_UNIT, name="待推荐人").application
    client.force_login(factories.unit_account(bare_unit))
    page = client.get(reverse("experts:unit_detail", args=[application.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="unit-profile-needed"' in text and reverse("accounts:unit_profile") in text
    assert reverse("experts:unit_recommend", args=[application.pk]) not in text

    posted = client.post(reverse("experts:unit_recommend", args=[application.pk]), follow=True)
    assert NEEDED in posted.content.decode()
    assert ExpertApplication.objects.get(pk=application.pk).status == S.PENDING_UNIT

    # The list offers no 批量处理 either, and says why.
    listed = client.get(reverse("experts:unit_people"), {"status": S.PENDING_UNIT})
    text = listed.content.decode()
    assert "待推荐人" in text and 'data-testid="unit-profile-needed"' in text
    assert reverse("experts:unit_bulk") not in text


def test_once_saved_the_unit_recommends(client, reference_data, bare_unit):
    application = factories.make_applicant(bare_unit, S.PENDING_UNIT).application
    Unit.objects.filter(pk=bare_unit.pk).update(
        legal_representative="王国强", office_phone="027-87654321"
    )
    client.force_login(factories.unit_account(bare_unit))
    text = client.get(reverse("experts:unit_detail", args=[application.pk])).content.decode()
    assert 'data-testid="unit-profile-needed"' not in text
    client.post(reverse("experts:unit_recommend", args=[application.pk]))
    assert ExpertApplication.objects.get(pk=application.pk).status == S.PENDING_BUREAU


def test_a_change_is_not_confirmed_by_a_unit_without_its_details(client, reference_data, bare_unit):
    expert = admitted(bare_unit, name="变更专家")
    change = key_request(expert, status=ChangeStatus.PENDING_UNIT)
    account = factories.unit_account(bare_unit)
    with pytest.raises(WorkflowError, match="信息更改"):
        change_services.confirm_change(change, account)
    with pytest.raises(WorkflowError, match="信息更改"):
        change_services.return_change(change, account, "不属实")
    client.force_login(account)
    text = client.get(reverse("changes:unit_detail", args=[change.pk])).content.decode()
    assert 'data-testid="unit-profile-needed"' in text
    assert reverse("changes:unit_confirm", args=[change.pk]) not in text
    assert (
        ChangeRequest.objects.get(pk=change.pk, kind=ChangeKind.KEY).status
        == ChangeStatus.PENDING_UNIT
    )


def test_the_units_home_says_what_waits_on_信息更改_and_offers_it_first(client, bare_unit):
    """Found by a unit's walk: the home asked for 信息更改 without saying that nothing could be
    recommended before it, and offered 用户账号管理 as the button to press."""
    client.force_login(factories.unit_account(bare_unit))
    text = client.get(reverse("accounts:unit_home")).content.decode()
    assert "完成前，本单位不能办理专家的推荐、退回或信息变更确认" in text
    profile = reverse("accounts:unit_profile")
    assert f'<a class="btn btn-primary" href="{profile}">信息更改</a>' in text
    Unit.objects.filter(pk=bare_unit.pk).update(legal_representative="王国强", office_phone="027-1")
    text = client.get(reverse("accounts:unit_home")).content.decode()
    assert 'data-testid="profile-first"' not in text
    assert f'<a class="btn btn-outline-primary" href="{profile}">信息更改</a>' in text
