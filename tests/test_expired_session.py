"""A form posted after the session ended: nothing is done, the person is told so, and after
logging in lands on the page they posted from, not on a URL that only takes a POST (405)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_post_after_the_session_ended_goes_back_to_its_page(client, unit):
    expert = factories.make_applicant(unit, ApplicationStatus.APPROVED)
    home = "http://testserver" + reverse("experts:home") + "?tab=1"

    response = client.post(reverse("experts:applicant_act", args=["exit"]), HTTP_REFERER=home)

    login = reverse("accounts:login")
    assert response.status_code == 302
    assert response.url == f"{login}?next=/expert/%3Ftab%3D1"
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "登录已超时，刚才的操作未执行。请重新登录后再试。"
    ]
    assert ExpertApplication.objects.get(user=expert).status == ApplicationStatus.APPROVED
    # After the login, the page it names answers a GET.
    client.force_login(expert)
    assert client.get("/expert/?tab=1").status_code == 200


@pytest.mark.parametrize("referer", ["", "https://evil.example.com/phish/"])
def test_without_a_page_of_this_site_it_goes_to_the_start_page(client, referer):
    response = client.post(reverse("experts:applicant_act", args=["exit"]), HTTP_REFERER=referer)
    assert response.status_code == 302
    assert response.url == reverse("accounts:login") + "?next=/"


def test_a_get_still_comes_back_to_its_own_url(client):
    response = client.get(reverse("experts:home") + "?x=1")
    assert response.url == reverse("accounts:login") + "?next=/expert/%3Fx%3D1"
