"""360, QQ and Sogou browsers, common on government PCs, open pages in their IE engine
(兼容模式) unless a page asks for their Chromium one: every page asks, and a page that still
arrives in an IE engine says how to switch, for the pages do not work there (Bootstrap 5)."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

IE11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E; rv:11.0) like Gecko"
# 360安全浏览器 in 兼容模式: its IE engine, announcing itself as IE 7.
SE360_COMPATIBLE = (
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E)"
)
# …and in 极速模式: Chromium.
SE360_FAST = (
    "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/108.0.5359.95 Safari/537.36 QIHU 360SE"
)
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)
RENDERER = '<meta name="renderer" content="webkit">'
BANNER = 'data-testid="legacy-browser"'


@pytest.mark.parametrize("url", ["home", "accounts:login", "notice:public", "admin:login"])
def test_every_page_asks_for_the_chromium_engine(client, url):
    html = client.get(reverse(url), HTTP_USER_AGENT=CHROME).content.decode()

    assert RENDERER in html
    assert '<meta http-equiv="X-UA-Compatible" content="IE=edge">' in html


@pytest.mark.parametrize("agent", [IE11, SE360_COMPATIBLE])
def test_an_ie_engine_is_told_how_to_switch(client, agent, unit):
    for url in (reverse("accounts:login"), reverse("home")):
        html = client.get(url, HTTP_USER_AGENT=agent).content.decode()
        assert BANNER in html and "极速模式" in html and "Edge、Chrome、Firefox" in html
    client.force_login(factories.make_applicant(unit))
    assert BANNER in client.get(reverse("experts:home"), HTTP_USER_AGENT=agent).content.decode()


@pytest.mark.parametrize("agent", [SE360_FAST, CHROME, ""])
def test_a_current_engine_sees_no_banner(client, agent):
    html = client.get(reverse("accounts:login"), HTTP_USER_AGENT=agent).content.decode()

    assert BANNER not in html
