"""Every label an operator sees in Django admin is Chinese (issue 19 point 9).

The test walks the admin as an operator: the index, every model's changelist, the change page
of one row of each, and the add page where adding is allowed. It reads what a person sees or
hears (text outside <script>/<style>, and the alt / title / aria-label / placeholder / value
attributes that a screen reader announces) and fails on common English admin words.
"""

import json
import re
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountLock, Blacklist, UnitStatus, User
from accounts.services import approve_unit
from audit.log import record
from audit.models import AuditEvent, Reminder
from draws import services as draws
from draws.rules import Criteria
from experts.models import ApplicationStatus, Discipline, ExportedApplication, ExportJob
from experts.services import approve_application
from fees.models import Fee
from notice.models import NoticeObjection
from sms.models import SMSMessage
from tests import factories
from tests.changes.helpers import key_request

pytestmark = pytest.mark.django_db

# Words of Django's and its libraries' admin that show when a label was left untranslated.
ENGLISH = [
    "Search",
    "Choose",
    "Choose all",
    "Remove all",
    "Add",
    "Change",
    "Delete",
    "Save",
    "History",
    "Filter",
    "Action",
    "Go",
    "Home",
    "Log out",
    "View site",
    "Select",
    "Show all",
    "Yes",
    "No",
    "Today",
    "Now",
    "Clear",
    "Access",
    "Attempt",
    "Locked",
    "Username",
    "User",
    "Path",
    "Device",
    "Devices",
    "Identity",
    "Timestamps",
    "Configuration",
    "State",
    "Throttling",
    "Name",
    "Confirmed",
    "Key",
    "Permissions",
    "Can",
    "AXES",
    "TOTP",
    "OTP_TOTP",
    "QR Code",
    "Status",
    "Expiration",
    "About",
    "True",
    "False",
    "None",
    "Pk",
    "ID",
    # State machine codes where the manual's words belong.
    "approve",
    "approved",
    "pending",
    "pending_bureau",
    "recommend",
    "submit",
]
WORDS = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b", re.IGNORECASE)
SPOKEN_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}


class VisibleText(HTMLParser):
    """The text a person sees or hears on a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.hidden_depth += 1
            return
        attributes = dict(attrs)
        for name in SPOKEN_ATTRIBUTES:
            if attributes.get(name):
                self.parts.append(attributes[name])
        # A button's or submit input's value is its label; a hidden input is not seen.
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data):
        if not self.hidden_depth:
            self.parts.append(data)


def english_words(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return sorted({m.group(0) for m in WORDS.finditer(" ".join(parser.parts))})


def test_english_words_finds_visible_words_and_ignores_scripts():
    html = (
        '<p>保存</p><script>var x = "Save";</script><input type="hidden" value="Delete">'
        '<img alt="Search"><button title="删除">History</button>'
    )
    assert english_words(html) == ["History", "Search"]


@pytest.fixture
def admin_data(unit, reviewer):
    """At least one row of every model the admin lists, so each change page is visited."""
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    approve_application(applicant.application, reviewer)
    approve_unit(factories.make_unit(UnitStatus.PENDING), reviewer)
    applicant.application.disciplines.set(Discipline.objects.filter(code="01"))
    draw = draws.make_draw(
        reviewer,
        project_name="评审项目",
        review_at=timezone.now(),
        review_place="会议室",
        criteria=Criteria(),
        asks=[draws.QuotaAsk(Discipline.objects.get(code="01"), 1, 0)],
    )
    draws.answer(reviewer, draw, applicant.application.pk, "confirm")
    draws.evaluate(reviewer, draw, applicant.application.pk, "basic", "发言较少")
    Fee.objects.create(
        draw=draw,
        application=applicant.application,
        days=1,
        amount=1500,
        tax=140,
        net=1360,
        updated_by=reviewer,
    )
    draws.void(reviewer, draw, "项目名称填错")  # after every step: a void draw takes none
    Blacklist.objects.create(
        id_number_index="0" * 64,
        until=None,
        reason="提供虚假信息",
        name="某人",
        created_by=reviewer,
    )
    message = SMSMessage.objects.create(to="+8613812345678", body="【测试】您好")
    Reminder.objects.create(
        kind=Reminder.Kind.UNIT_SMS,
        target=str(unit.pk),
        target_name=unit.name,
        day=timezone.localdate(),
        overdue_recommendations=2,
        sms_message=message,
        status=Reminder.Status.QUEUED,
    )
    record(AuditEvent.Action.LOGIN, actor=reviewer)
    common = {"user_agent": "浏览器", "ip_address": "127.0.0.1", "http_accept": "*/*"}
    AccessAttempt.objects.create(
        username="someone", path_info="/login/", failures_since_start=2, **common
    )
    AccessLog.objects.create(username=reviewer.username, path_info="/login/", **common)
    now = timezone.now()
    AccountLock.objects.create(username="someone", locked_at=now, until=now)
    Group.objects.create(name="科技局审核员组").permissions.set(Permission.objects.all()[:8])
    NoticeObjection.objects.create(
        application=applicant.application,
        objector="王某",
        channel="phone",
        content="学历不实。",
        created_by=reviewer,
    )
    key_request(applicant, status="pending_unit")
    job = ExportJob.objects.create(
        requested_by=reviewer,
        kind=ExportJob.Kind.POOL,
        rows_total=10,
        scope="full",
        reason="核对",
    )
    event = record(AuditEvent.Action.EXPORT_SENSITIVE, actor=reviewer, obj=job, detail="理由：核对")
    ExportedApplication.objects.create(event=event, application=applicant.application)


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return user


def admin_pages(client) -> list[str]:
    """The URLs an operator reaches from the index: changelists, one change page each, and
    the add pages offered."""
    index = client.get(reverse("admin:index"))
    urls = [reverse("admin:index")]
    for app in index.context["app_list"]:
        urls.append(reverse("admin:app_list", args=[app["app_label"]]))
        for model in app["models"]:
            changelist = client.get(model["admin_url"])
            assert changelist.status_code == 200, model["admin_url"]
            urls.append(model["admin_url"])
            rows = changelist.context["cl"].result_list
            assert len(rows) > 0, f"no row to open in {model['admin_url']}"
            opts = rows[0]._meta
            urls.append(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[rows[0].pk])
            )
            if model["add_url"]:
                urls.append(model["add_url"])
    return urls


def test_every_admin_page_is_chinese(client, operator, admin_data):
    found = {}
    pages = admin_pages(client)
    assert len(pages) > 25  # the walk reached every model, not only the index
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        words = english_words(response.content.decode())
        if words:
            found[url] = words
    assert found == {}, "\n".join(f"{url}: {words}" for url, words in found.items())


def test_admin_javascript_catalogue_answers_in_chinese(client, operator):
    """The 专业领域 picker's Choose… / Choose all / Remove all come from the admin's jsi18n."""
    response = client.get(reverse("admin:jsi18n"))
    assert response.status_code == 200
    catalog = json.loads(
        re.search(r"const newcatalog = (\{.*?\});", response.content.decode(), re.S)[1]
    )
    assert catalog["Choose all"] == "全选"
    assert catalog["Remove all"] == "删除全部"
