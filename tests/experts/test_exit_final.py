"""An exit that cannot be withdrawn says so (phone walk, defect 3): an expert in 退出待确认 whose
年度确认 has lapsed is told on the home page why there is no 撤回退出申请, and an expert 审核通过
whose confirmation has lapsed is warned in the 申请退出 question, as a frozen one is."""

import html
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from experts import services
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]
S = ApplicationStatus
LAPSED_FINAL = "您的专家信息已满24个月未确认，不能撤回退出申请。如需再次入库，请在退出后重新申请。"


def home(client) -> str:
    return client.get(reverse("experts:home")).content.decode()


def exit_question(page: str) -> str:
    button = re.search(r'<button [^>]*data-confirm="([^"]*)"[^>]*>申请退出</button>', page)
    return html.unescape(button.group(1))


def test_a_lapsed_exit_pending_says_why_it_cannot_be_withdrawn(client, unit, reviewer):
    application = factories.admitted_expert(unit, reviewer, 24, 1)
    services.request_exit(application, application.user)
    client.force_login(application.user)

    page = home(client)
    refused = client.post(reverse("experts:applicant_act", args=["withdraw_exit"]))

    assert "撤回退出申请</button>" not in page
    final = re.search(r'data-testid="exit-final">([^<]*)<', page).group(1)
    assert final == LAPSED_FINAL
    # The page says what the server answers a withdrawal (an old tab's button).
    assert [m.message for m in get_messages(refused.wsgi_request)] == [LAPSED_FINAL]
    assert ExpertApplication.objects.get(pk=application.pk).status == S.EXIT_PENDING


def test_an_exit_pending_in_time_keeps_its_withdraw_button_and_no_reason(client, unit, reviewer):
    application = factories.admitted_expert(unit, reviewer, 23)
    services.request_exit(application, application.user)
    lapsed = factories.admitted_expert(unit, reviewer, 24, 1)
    services.request_exit(lapsed, lapsed.user)

    client.force_login(application.user)
    in_time = home(client)
    client.force_login(lapsed.user)

    assert "撤回退出申请</button>" in in_time
    assert 'data-testid="exit-final"' not in in_time
    assert 'data-testid="exit-final"' in home(client)


def test_the_exit_question_of_a_lapsed_approved_expert_warns_it_is_final(client, unit, reviewer):
    lapsed = factories.admitted_expert(unit, reviewer, 24, 1)
    in_time = factories.admitted_expert(unit, reviewer, 23)

    client.force_login(lapsed.user)
    lapsed_question = exit_question(home(client))
    client.force_login(in_time.user)
    in_time_question = exit_question(home(client))

    assert lapsed.status == S.APPROVED  # not yet frozen by the daily run
    assert lapsed_question == (
        "确定申请退出专家库吗？市科技局确认后您将不再参加专家抽取。"
        "您的专家信息已满24个月未确认，申请退出后不能撤回；"
        "如想继续留在专家库，请先点击“确认信息无变化”。"
    )
    assert in_time_question == "确定申请退出专家库吗？市科技局确认后您将不再参加专家抽取。"
