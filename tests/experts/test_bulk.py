"""Issue 21, item 1: bulk decisions on the queues, each item through its single-decision service."""

import json
import re
import threading
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import BulkBatch
from audit.models import AuditEvent
from experts.models import ApplicationStatus, ExpertApplication
from portal.bulk import ITEM_FAILED
from sms.models import SMSMessage
from tests import factories
from tests.pages import queries_for

pytestmark = pytest.mark.django_db
S = ApplicationStatus
BULK = "experts:bureau_bulk"


def pending(unit, n, status=S.PENDING_BUREAU, name="待审"):
    return [factories.make_applicant(unit, status, name=f"{name}{i}").application for i in range(n)]


def ids(applications):
    return [a.pk for a in applications]


def statuses(applications):
    return [ExpertApplication.objects.get(pk=a.pk).status for a in applications]


# What the confirmation page is shown for (the rest of a post is its own form's).
SHOWN = ("action", "ids", "select", "status", "sort", "q", "eligibility")


def batch_token(page) -> str:
    """The one-time token a confirmation page carries."""
    assert page.status_code in (200, 400), page.status_code
    return re.search(r'name="batch" value="([^"]+)"', page.content.decode()).group(1)


def confirmed(client, data, url=BULK, **extra):
    """Post `data` as a confirmation page does: shown first for the same selection, then
    posted with the token it carries."""
    page = client.get(reverse(url), {k: v for k, v in data.items() if k in SHOWN}, follow=True)
    return client.post(reverse(url), {**data, "batch": batch_token(page)}, **extra)


@pytest.fixture
def bureau(client, reviewer):
    client.force_login(reviewer)
    return client


class BulkForm(HTMLParser):
    """The queue's 批量处理 form as a browser without JavaScript reads it: its method and
    action, its hidden fields, its checkboxes and its submit buttons."""

    def __init__(self):
        super().__init__()
        self.inside, self.method, self.action = False, None, None
        self.hidden, self.boxes, self.buttons = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "data-bulk" in a:
            self.inside, self.method, self.action = True, a.get("method"), a.get("action")
        elif self.inside and tag == "input" and a.get("type") == "hidden":
            self.hidden.append((a.get("name"), a.get("value")))
        elif self.inside and tag == "input" and a.get("type") == "checkbox":
            self.boxes.append((a.get("name"), a.get("value")))
        elif self.inside and tag == "button" and a.get("type") == "submit":
            self.buttons.append((a.get("name"), a.get("value")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def test_the_queues_own_form_works_without_javascript(bureau, unit):
    """Tick two rows and press 批量审核通过, as a plain form submission: the confirmation page
    names exactly those two; "select all matching" is a plain checkbox of the same form."""
    chosen = pending(unit, 3)
    page = bureau.get(reverse("experts:bureau_queue"), {"q": "待审"})
    form = BulkForm()
    form.feed(page.content.decode())

    assert (form.method, form.action) == ("get", reverse(BULK))
    assert ("q", "待审") in form.hidden  # the list's filter travels with the selection
    assert ("select", "all") in form.boxes
    # Its words: a bare noun, and the measure word after a number only.
    html = page.content.decode()
    assert "勾选下方申请后选择操作" in html and "选择全部符合当前筛选条件的 3 份申请" in html
    assert {("action", "approve"), ("action", "reject")} <= set(form.buttons)
    ticked = [box for box in form.boxes if box[0] == "ids"][:2]
    assert len(ticked) == 2

    confirm = bureau.get(form.action, [*form.hidden, *ticked, ("action", "approve")], follow=True)

    html = confirm.content.decode()
    assert 'data-testid="bulk-count">2<' in html
    named = [a.user.real_name for a in chosen if str(a.pk) in {pk for _, pk in ticked}]
    assert len(named) == 2 and all(name in html for name in named)


def test_the_confirmation_page_counts_and_names_the_selection(bureau, unit):
    chosen = pending(unit, 3)

    page = bureau.get(reverse(BULK), {"action": "approve", "ids": ids(chosen)}, follow=True)

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="bulk-count">3<' in html
    assert all(a.user.real_name in html for a in chosen)
    assert "确认审核通过（3）" in html
    assert statuses(chosen) == [S.PENDING_BUREAU] * 3  # nothing happens before confirming
    # Coloured as on the detail page: green to approve, red to refuse.
    assert '<button type="submit" class="btn btn-success">确认审核通过（3）</button>' in html
    refuse = bureau.get(
        reverse(BULK), {"action": "reject", "ids": ids(chosen)}, follow=True
    ).content.decode()
    assert '<button type="submit" class="btn btn-danger">确认审核不通过（3）</button>' in refuse
    assert "data-confirm" not in refuse  # the page is the question (a December walk)


def test_the_confirmation_page_lists_as_the_queue_does_with_unit_and_flags(bureau, unit):
    """The names in the queue's order (单位推荐时间), each with its unit and 资格提示, so that
    a reviewer confirming a batch sees what the queue showed; the reject form's field
    comments sit side by side as on the detail page; 取消 and 返回列表 keep the list's tab
    and filters."""
    import datetime

    from django.utils import timezone

    later, earlier = pending(unit, 2)
    for application, days in ((later, 1), (earlier, 5)):
        ExpertApplication.objects.filter(pk=application.pk).update(
            recommended_at=timezone.now() - datetime.timedelta(days=days),
            eligibility_flags=["年龄超过65岁"] if application is later else [],
        )
    query = {"action": "reject", "ids": ids([later, earlier]), "q": "待审", "eligibility": ""}

    html = bureau.get(reverse(BULK), query, follow=True).content.decode()

    names = html.split('data-testid="bulk-names"')[1].split("</ol>")[0]
    assert names.index(earlier.user.real_name) < names.index(later.user.real_name)
    assert f"{unit.name}；资格提示：年龄超过65岁" in names  # labelled (a December walk)
    assert "字段批注（选填）" in html
    back = reverse("experts:bureau_queue") + "?q=%E5%BE%85%E5%AE%A1&amp;eligibility="
    assert f'href="{back}">取消</a>' in html
    assert 'name="back" value="q=%E5%BE%85%E5%AE%A1&amp;eligibility="' in html

    result = confirmed(
        bureau,
        {"action": "reject", "ids": ids([later]), "reason": "不符合", "back": "q=待审"},
        follow=True,
    ).content.decode()
    assert f'href="{reverse("experts:bureau_queue")}?q=%E5%BE%85%E5%AE%A1">返回列表</a>' in result


@pytest.mark.parametrize(
    ("url_name", "status", "action"),
    [(BULK, S.PENDING_BUREAU, "reject"), ("experts:unit_bulk", S.PENDING_UNIT, "send_back")],
)
def test_the_confirmation_page_keeps_the_lists_due_date_sort(
    client, reviewer, unit, url_name, status, action
):
    """Ticked on the list sorted 按截止日期, named in that order on the confirmation page, ticked
    one by one or all matching, and again when it comes back for a missing reason."""
    import datetime

    from django.utils import timezone

    first, second, third = pending(unit, 3, status=status)
    now, today = timezone.now(), timezone.localdate()
    # The lists' own orders (单位推荐时间 oldest first: first, second, third; 更新时间 newest
    # first: third, second, first) are neither the order of 按截止日期, soonest due first.
    for age, (application, days) in enumerate(((first, 3), (second, 1), (third, 2))):
        ExpertApplication.objects.filter(pk=application.pk).update(
            due_on=today + datetime.timedelta(days=days),
            recommended_at=now - datetime.timedelta(days=10 - age),
            updated_at=now - datetime.timedelta(days=10 - age),
        )
    client.force_login(reviewer if url_name == BULK else factories.unit_account(unit))
    by_due = [second, third, first]
    listed = client.get(
        reverse("experts:bureau_queue" if url_name == BULK else "experts:unit_people"),
        {"status": status, "sort": "due"},
    )
    assert [row.pk for row in listed.context["rows"]] == ids(by_due)
    unsorted = client.get(reverse(url_name), {"action": action, "ids": ids(by_due)}, follow=True)
    assert names_listed(unsorted) != [a.user.real_name for a in by_due]

    for selection in ({"ids": ids([first, second, third])}, {"select": "all"}):
        page = client.get(
            reverse(url_name),
            {"action": action, "status": status, "sort": "due", **selection},
            follow=True,
        )
        assert names_listed(page) == [a.user.real_name for a in by_due]

    refused = confirmed(
        client,
        {"action": action, "ids": ids(by_due), "reason": "", "back": "sort=due"},
        url=url_name,
    )
    assert refused.status_code == 400
    assert names_listed(refused) == [a.user.real_name for a in by_due]


def names_listed(page) -> list[str]:
    """The names on a confirmation page, in its order."""
    listed = page.content.decode().split('data-testid="bulk-names"')[1].split("</ol>")[0]
    return [item.split("<")[0].strip() for item in listed.split("<li>")[1:]]


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ({}, "请先勾选要处理的申请。"),
        ({"ids": ["12a"]}, "所选项目无效，请回到列表重新勾选。"),
        ({"ids": [str(n) for n in range(1, 502)]}, "每批最多处理500份申请，当前选择了501份申请"),
        ({"ids": ["999999"]}, "所选申请不存在或不在您的处理范围内"),
    ],
)
def test_a_bad_selection_goes_back_to_the_queue_with_a_message(bureau, unit, selection, message):
    chosen = pending(unit, 1)
    response = bureau.get(reverse(BULK), {"action": "approve", **selection}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("experts:bureau_queue"))
    assert message in response.content.decode()
    assert statuses(chosen) == [S.PENDING_BUREAU]


def test_an_unknown_action_or_another_roles_action_is_404(bureau, unit):
    chosen = pending(unit, 1)
    for action in ("delete", "recommend", ""):
        response = bureau.get(reverse(BULK), {"action": action, "ids": ids(chosen)})
        assert response.status_code == 404


def test_the_bureaus_bulk_takes_only_its_two_decisions(bureau, unit, reviewer):
    """出库 and 确认退出 are BUREAU_DECISIONS of the detail page, one expert at a time: the
    batch page answers 404 for them, shown or posted, and nobody leaves the pool."""
    admitted = pending(unit, 2, status=S.APPROVED, name="已入库")
    for action in ("remove", "confirm_exit", "revoke"):
        assert (
            bureau.get(reverse(BULK), {"action": action, "ids": ids(admitted)}).status_code == 404
        )
        posted = bureau.post(
            reverse(BULK),
            {"action": action, "ids": ids(admitted), "kind": "other", "reason": "批量"},
        )
        assert posted.status_code == 404
    assert statuses(admitted) == [S.APPROVED] * 2
    assert not SMSMessage.objects.exists()


def test_a_batch_decides_only_its_tabs_items_whatever_the_service_takes(bureau, unit):
    """An item no longer in 待科技局审核 is skipped as its confirmation page said, even where
    the service would take it from its state (审核不通过 of a 申请解冻 is in the tab; an
    admitted expert is not)."""
    admitted = pending(unit, 1, status=S.APPROVED, name="已入库")
    response = confirmed(
        bureau, {"action": "reject", "ids": ids(admitted), "reason": "不符合"}, follow=True
    )
    assert "当前状态为“审核通过”，不能执行“审核不通过”操作" in response.content.decode()
    assert statuses(admitted) == [S.APPROVED]


def test_a_post_of_all_matching_without_the_listed_ids_decides_nothing(bureau, unit):
    chosen = pending(unit, 2)
    response = confirmed(bureau, {"action": "approve", "select": "all", "comment": ""}, follow=True)
    assert "请先勾选要处理的申请。" in response.content.decode()
    assert "已完成" not in response.content.decode()
    assert statuses(chosen) == [S.PENDING_BUREAU] * 2


def test_applicants_and_units_may_not_use_the_bureaus_bulk(client, unit):
    chosen = pending(unit, 1)
    for user in (chosen[0].user, factories.unit_account(unit)):
        client.force_login(user)
        response = client.post(reverse(BULK), {"action": "approve", "ids": ids(chosen)})
        assert response.status_code == 403
    assert statuses(chosen) == [S.PENDING_BUREAU]


def test_approving_a_batch_decides_each_and_reports_the_skipped(bureau, unit, reviewer):
    chosen = pending(unit, 3)
    decided = pending(unit, 1, status=S.APPROVED, name="已通过")
    # The confirmation page already marks the one decided since it was ticked.
    confirm = bureau.get(
        reverse(BULK), {"action": "approve", "ids": ids(chosen + decided)}, follow=True
    )
    names = confirm.content.decode().split('data-testid="bulk-names"')[1].split("</ol>")[0]
    assert names.count('data-testid="moved-on"') == 1
    assert "已通过" in names.split('data-testid="moved-on"')[0].rsplit("<li>", 1)[1]
    # The button counts what it will decide, not the one it will skip.
    assert "确认审核通过（3）" in confirm.content.decode()
    assert 'data-testid="moved-on-count">1<' in confirm.content.decode()

    response = bureau.post(
        reverse(BULK),
        {
            "action": "approve",
            "ids": [*ids(chosen + decided), 999999],
            "comment": "",
            "batch": batch_token(confirm),
        },
        follow=True,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "已完成 3 份申请，跳过 2 份申请" in html
    assert statuses(chosen) == [S.APPROVED] * 3
    assert html.count('data-testid="skipped-row"') == 2
    assert "不能执行“审核通过”操作" in html and "不存在或不在您的处理范围内" in html
    # Each item as a single decision: its history row, audit row and SMS.
    for application in chosen:
        assert list(application.history.values_list("action", "actor")) == [
            ("approve", reviewer.pk)
        ]
    items = AuditEvent.objects.filter(
        action="transition", result="success", object_type="experts.expertapplication"
    )
    assert sorted(items.values_list("object_id", flat=True)) == sorted(
        str(pk) for pk in ids(chosen)
    )
    assert SMSMessage.objects.count() == 3
    assert AuditEvent.objects.filter(detail__startswith="批量审核通过：3份申请完成").exists()


def test_the_result_is_a_page_of_its_own_that_a_reload_shows_again(bureau, unit):
    """Post/redirect/get: the batch answers with a redirect to its result page. Reloading that
    page (F5) shows the same result and decides nothing again: one audit row, one SMS each."""
    chosen = pending(unit, 2)
    decided = pending(unit, 1, status=S.APPROVED, name="已通过")
    back = "status=pending_bureau&sort=due"

    posted = confirmed(
        bureau, {"action": "approve", "ids": ids(chosen + decided), "comment": "", "back": back}
    )

    assert posted.status_code == 302
    result_url = posted["Location"]
    assert result_url.startswith(f"{reverse(BULK)}?action=approve&result=")
    shown = [bureau.get(result_url) for _ in range(2)]
    for page in shown:
        html = page.content.decode()
        assert page.status_code == 200
        assert "已完成 2 份申请，跳过 1 份申请" in html
        done = html.split('data-testid="done-names"')[1].split("</ol>")[0]
        assert [a.user.real_name in done for a in chosen] == [True, True]
        assert html.count('data-testid="skipped-row"') == 1
        assert "当前状态为“审核通过”，不能执行“审核通过”操作" in html
        queue = reverse("experts:bureau_queue")
        assert f'href="{queue}?status=pending_bureau&amp;sort=due">返回列表</a>' in html
    assert AuditEvent.objects.filter(detail__startswith="批量审核通过").count() == 1
    assert SMSMessage.objects.count() == 2
    assert statuses(chosen + decided) == [S.APPROVED] * 3


def test_confirming_the_same_page_again_shows_its_result_and_decides_nothing(bureau, unit):
    """Back to the confirmation page after the batch (the browser keeps it as it was) and
    确认 again: no second batch, no audit row, no SMS; the batch's own result, and why."""
    chosen = pending(unit, 2)
    page = bureau.get(reverse(BULK), {"action": "approve", "ids": ids(chosen)}, follow=True)
    posted = {"action": "approve", "ids": ids(chosen), "comment": "", "batch": batch_token(page)}
    first = bureau.post(reverse(BULK), posted)
    audit_rows, sms = AuditEvent.objects.count(), SMSMessage.objects.count()

    again = bureau.post(reverse(BULK), posted, follow=True)

    assert again.redirect_chain == [(first["Location"], 302)]
    html = again.content.decode()
    assert "该批次已处理，未重复执行。以下是该批次的处理结果。" in html
    assert "已完成 2 份申请。" in html and 'data-testid="skipped-row"' not in html
    assert AuditEvent.objects.count() == audit_rows
    assert SMSMessage.objects.count() == sms == 2
    assert AuditEvent.objects.filter(detail__startswith="批量审核通过").count() == 1
    assert [a.history.count() for a in chosen] == [1, 1]


def test_opening_a_confirmed_page_again_shows_its_result_and_decides_nothing(bureau, unit):
    """Back to the confirmation page when the browser asks the server for it again: its
    address carries its token, so it is known as the batch it was. Its result, nothing
    decided; a confirmation asked for anew (from the list) is a new batch."""
    chosen = pending(unit, 2)
    shown = bureau.get(reverse(BULK), {"action": "approve", "ids": ids(chosen)}, follow=True)
    [(address, _)] = shown.redirect_chain
    batch = batch_token(shown)
    assert f"batch={batch}" in address
    posted = bureau.post(reverse(BULK), {"action": "approve", "ids": ids(chosen), "batch": batch})
    audit_rows, sms = AuditEvent.objects.count(), SMSMessage.objects.count()

    again = bureau.get(address, follow=True)

    assert again.redirect_chain == [(posted["Location"], 302)]
    html = again.content.decode()
    assert "该批次已处理，未重复执行。以下是该批次的处理结果。" in html
    assert "已完成 2 份申请。" in html
    assert (AuditEvent.objects.count(), SMSMessage.objects.count()) == (audit_rows, sms)
    anew = bureau.get(reverse(BULK), {"action": "approve", "ids": ids(chosen)}, follow=True)
    assert batch_token(anew) != batch
    html = anew.content.decode()
    assert len(html.split('data-testid="moved-on"')) == 3  # both skipped
    # Nothing left to decide: no button to confirm, the list to go back to.
    assert "以上申请的状态均已变化，没有可“审核通过”的申请。" in html
    assert "确认审核通过" not in html


def test_a_confirmation_address_with_a_token_not_given_gets_a_new_one(bureau, unit):
    chosen = pending(unit, 1)
    forged = "A" * 16
    page = bureau.get(
        reverse(BULK), {"action": "approve", "ids": ids(chosen), "batch": forged}, follow=True
    )
    assert page.status_code == 200
    assert batch_token(page) != forged
    assert statuses(chosen) == [S.PENDING_BUREAU]


@pytest.mark.parametrize("batch", [None, "", "forged"])
def test_a_post_without_a_token_this_session_was_given_decides_nothing(bureau, unit, batch):
    """Only a confirmation page shown in this session is confirmed: a post without its token
    (or with one never given) changes nothing and sends the person to the list."""
    chosen = pending(unit, 2)
    data = {"action": "approve", "ids": ids(chosen), "comment": ""}
    if batch is not None:
        data["batch"] = batch
    audit_rows = AuditEvent.objects.count()

    response = bureau.post(reverse(BULK), data, follow=True)

    assert response.redirect_chain == [(reverse("experts:bureau_queue"), 302)]
    assert "此确认页已失效，未执行任何操作。" in response.content.decode()
    assert statuses(chosen) == [S.PENDING_BUREAU] * 2
    assert AuditEvent.objects.count() == audit_rows
    assert not SMSMessage.objects.exists()


def test_a_page_confirmed_before_stays_used_in_a_new_login(client, reviewer, unit):
    """The used mark is the batch's row, not the session's: logged out and in again (a new
    session), going back to the page and confirming again decides nothing and shows its
    result."""
    chosen = pending(unit, 1)
    client.force_login(reviewer)
    page = client.get(reverse(BULK), {"action": "approve", "ids": ids(chosen)}, follow=True)
    posted = {"action": "approve", "ids": ids(chosen), "comment": "", "batch": batch_token(page)}
    first = client.post(reverse(BULK), posted)
    client.logout()
    client.force_login(reviewer)
    audit_rows = AuditEvent.objects.count()

    again = client.post(reverse(BULK), posted, follow=True)

    assert again.redirect_chain == [(first["Location"], 302)]
    html = again.content.decode()
    assert "该批次已处理，未重复执行。以下是该批次的处理结果。" in html
    assert "已完成 1 份申请。" in html
    assert AuditEvent.objects.count() == audit_rows
    assert SMSMessage.objects.count() == 1


def test_each_confirmation_page_has_its_own_token(bureau, unit):
    """Two pages open side by side are two batches: confirming one leaves the other usable."""
    first, second = pending(unit, 2)
    page_one = bureau.get(reverse(BULK), {"action": "approve", "ids": ids([first])}, follow=True)
    page_two = bureau.get(reverse(BULK), {"action": "approve", "ids": ids([second])}, follow=True)
    assert batch_token(page_one) != batch_token(page_two)

    for page, chosen in ((page_one, first), (page_two, second)):
        data = {"action": "approve", "ids": ids([chosen]), "batch": batch_token(page)}
        assert "已完成 1 份申请" in bureau.post(reverse(BULK), data, follow=True).content.decode()
    assert statuses([first, second]) == [S.APPROVED] * 2
    assert AuditEvent.objects.filter(detail__startswith="批量审核通过").count() == 2


def test_a_page_opened_while_another_batch_runs_stays_usable(bureau, unit):
    """A session is saved whole at the end of each request: a batch that ran while another tab
    opened its confirmation page saves the session as it read it, before that page. The page's
    token must not depend on what that save keeps (the diff review's catch)."""
    first, second = pending(unit, 2)
    page_one = bureau.get(reverse(BULK), {"action": "approve", "ids": ids([first])}, follow=True)
    before = dict(bureau.session.items())  # what the first batch's request read
    page_two = bureau.get(reverse(BULK), {"action": "approve", "ids": ids([second])}, follow=True)
    session = bureau.session
    session.clear()
    session.update(before)  # the first batch's save, the second page unknown to it
    session.save()
    data = {"action": "approve", "ids": ids([first]), "batch": batch_token(page_one)}
    bureau.post(reverse(BULK), data)

    data = {"action": "approve", "ids": ids([second]), "batch": batch_token(page_two)}
    response = bureau.post(reverse(BULK), data, follow=True)

    assert "已完成 1 份申请" in response.content.decode()
    assert statuses([first, second]) == [S.APPROVED] * 2


def names_done(page) -> list[str]:
    """The names a result page lists as done, in its order."""
    listed = page.content.decode().split('data-testid="done-names"')[1].split("</ol>")[0]
    return re.findall(r">([^<>]+)</a>", listed)


@pytest.mark.parametrize("ends_last", ["A", "B"])
def test_two_tabs_batches_side_by_side_keep_each_its_result_and_used_page(bureau, unit, ends_last):
    """One login, two tabs: batch A runs (500 approvals take seconds) while batch B is confirmed
    in the other tab. Each request reads the session at its start and saves its copy at its
    end, so the one that ends last overwrites the other's. Each post here runs on the session
    as both read it, and the session is then left as the one that ended last saved it: both
    result pages still show their own batch, and each page confirmed again decides nothing."""
    tab_a, tab_b = pending(unit, 2, name="甲"), pending(unit, 1, name="乙")
    page_a = bureau.get(reverse(BULK), {"action": "approve", "ids": ids(tab_a)}, follow=True)
    page_b = bureau.get(reverse(BULK), {"action": "approve", "ids": ids(tab_b)}, follow=True)
    read_at_start = dict(bureau.session.items())

    def post_on_session_read_at_start(page, chosen):
        session = bureau.session
        session.clear()
        session.update(read_at_start)
        session.save()
        data = {"action": "approve", "ids": ids(chosen), "comment": "", "batch": batch_token(page)}
        return data, bureau.post(reverse(BULK), data), dict(bureau.session.items())

    data_a, posted_a, saved_a = post_on_session_read_at_start(page_a, tab_a)
    data_b, posted_b, saved_b = post_on_session_read_at_start(page_b, tab_b)
    session = bureau.session
    session.clear()
    session.update(saved_a if ends_last == "A" else saved_b)
    session.save()

    shown_a, shown_b = bureau.get(posted_a["Location"]), bureau.get(posted_b["Location"])
    assert "已完成 2 份申请。" in shown_a.content.decode()
    assert names_done(shown_a) == [a.user.real_name for a in tab_a]
    assert "已完成 1 份申请。" in shown_b.content.decode()
    assert names_done(shown_b) == [a.user.real_name for a in tab_b]
    audit_rows = AuditEvent.objects.count()
    for data, posted in ((data_a, posted_a), (data_b, posted_b)):
        again = bureau.post(reverse(BULK), data, follow=True)
        assert again.redirect_chain == [(posted["Location"], 302)]
        assert "该批次已处理，未重复执行。" in again.content.decode()
    assert AuditEvent.objects.count() == audit_rows
    assert AuditEvent.objects.filter(detail__startswith="批量审核通过").count() == 2
    assert SMSMessage.objects.count() == 3


@pytest.mark.postgres  # row locks hold tab A's batch while tab B's runs
@pytest.mark.django_db(transaction=True)
def test_two_tabs_of_one_login_running_batches_at_once_keep_both_results(reference_data, unit):
    """The same, with real requests: tab A's batch starts, and waits on its last item (a lock
    held here, as a slow batch would take its time); tab B's batch runs and ends meanwhile;
    then A ends, last. Both results are shown, both pages stay used."""
    from django.db import transaction

    tab_a, tab_b = pending(unit, 3, name="甲"), pending(unit, 2, name="乙")
    reviewer = factories.make_reviewer()
    client_a = Client()
    client_a.force_login(reviewer)
    client_b = Client()
    client_b.cookies = client_a.cookies  # the same browser
    pages = {
        "A": client_a.get(reverse(BULK), {"action": "approve", "ids": ids(tab_a)}, follow=True),
        "B": client_b.get(reverse(BULK), {"action": "approve", "ids": ids(tab_b)}, follow=True),
    }
    data = {
        name: {"action": "approve", "ids": ids(chosen), "comment": "", "batch": batch_token(page)}
        for (name, page), chosen in zip(pages.items(), (tab_a, tab_b), strict=True)
    }
    posted = {}

    def confirm(name, client):
        posted[name] = client.post(reverse(BULK), data[name])
        connection.close()

    run_a = threading.Thread(target=confirm, args=("A", client_a))
    with transaction.atomic():
        ExpertApplication.objects.select_for_update().get(pk=tab_a[-1].pk)
        run_a.start()
        # A has read the session and decided its first items; its last waits for the lock.
        while statuses(tab_a[:-1]) != [S.APPROVED] * 2:
            assert run_a.is_alive()
            threading.Event().wait(0.05)
        run_b = threading.Thread(target=confirm, args=("B", client_b))
        run_b.start()
        run_b.join()
        assert "A" not in posted
    run_a.join()

    assert statuses(tab_a + tab_b) == [S.APPROVED] * 5
    shown_a, shown_b = (client_a.get(posted[name]["Location"]) for name in ("A", "B"))
    assert "已完成 3 份申请。" in shown_a.content.decode()
    assert names_done(shown_a) == [a.user.real_name for a in tab_a]
    assert "已完成 2 份申请。" in shown_b.content.decode()
    assert names_done(shown_b) == [a.user.real_name for a in tab_b]
    for name in ("A", "B"):
        again = client_a.post(reverse(BULK), data[name], follow=True)
        assert "该批次已处理，未重复执行。" in again.content.decode()
    assert AuditEvent.objects.filter(detail__startswith="批量审核通过").count() == 2
    assert SMSMessage.objects.count() == 5


def test_another_reviewers_token_is_refused(bureau, unit, client):
    chosen = pending(unit, 1)
    page = bureau.get(reverse(BULK), {"action": "approve", "ids": ids(chosen)}, follow=True)
    other = Client()
    other.force_login(factories.make_reviewer())
    data = {"action": "approve", "ids": ids(chosen), "batch": batch_token(page)}

    response = other.post(reverse(BULK), data, follow=True)

    assert "此确认页已失效，未执行任何操作。" in response.content.decode()
    assert statuses(chosen) == [S.PENDING_BUREAU]


def test_the_second_of_a_double_click_says_the_batch_is_running(bureau, unit, reviewer):
    """The other post claimed the batch and has kept no result yet: this one says so, and
    neither that the result is gone nor that it is shown."""
    chosen = pending(unit, 1)
    page = bureau.get(reverse(BULK), {"action": "approve", "ids": ids(chosen)}, follow=True)
    batch = batch_token(page)
    # The first post, still deciding: its row inserted under its own run's claim.
    BulkBatch.objects.create(
        token=batch, user=reviewer, list_url="experts:bureau_queue", action="approve", claim="x"
    )

    # Without a claim, or with one that is not the running one's (only an interrupted run's
    # page carries its claim).
    for claim in ({}, {"claim": "y"}):
        data = {"action": "approve", "ids": ids(chosen), "batch": batch, **claim}
        response = bureau.post(reverse(BULK), data, follow=True)

        assert response.redirect_chain == [(reverse("experts:bureau_queue"), 302)]
        text = response.content.decode()
        assert "该批次正在处理，未重复执行。" in text
        assert "未找到" not in text and "已完成" not in text
    assert statuses(chosen) == [S.PENDING_BUREAU]
    assert BulkBatch.objects.get(token=batch).claim == "x"


def test_a_batch_left_running_past_the_claims_time_may_be_confirmed_again(bureau, unit, reviewer):
    """Its run's process was killed (a worker timeout, a restart) and never marked its row:
    after CLAIM_SECONDS the page confirmed again runs the batch, each item once."""
    import datetime

    from django.utils import timezone

    from portal import bulk

    chosen = pending(unit, 2)
    page = bureau.get(reverse(BULK), {"action": "approve", "ids": ids(chosen)}, follow=True)
    batch = batch_token(page)
    started = timezone.now() - datetime.timedelta(seconds=bulk.CLAIM_SECONDS + 1)
    BulkBatch.objects.create(
        token=batch,
        user=reviewer,
        list_url="experts:bureau_queue",
        action="approve",
        claim="x",
        claimed_at=started,
        created_at=started,
    )

    data = {"action": "approve", "ids": ids(chosen), "comment": "", "batch": batch}
    response = bureau.post(reverse(BULK), data, follow=True)

    assert "已完成 2 份申请。" in response.content.decode()
    assert statuses(chosen) == [S.APPROVED] * 2
    row = BulkBatch.objects.get(token=batch)
    assert (row.status, row.claim != "x") == (BulkBatch.Status.DONE, True)


@pytest.mark.postgres  # row locks
@pytest.mark.django_db(transaction=True)
def test_one_page_posted_twice_at_once_runs_one_batch(reference_data, unit):
    """A double click: the same page, the same session, two posts at the same moment."""
    chosen = pending(unit, 5)
    reviewer = factories.make_reviewer()
    first = Client()
    first.force_login(reviewer)
    page = first.get(reverse(BULK), {"action": "approve", "ids": ids(chosen)}, follow=True)
    second = Client()
    second.cookies = first.cookies  # the same browser
    posted = {"action": "approve", "ids": ids(chosen), "comment": "", "batch": batch_token(page)}
    barrier = threading.Barrier(2)

    def confirm(client):
        barrier.wait()
        client.post(reverse(BULK), posted)
        connection.close()

    threads = [threading.Thread(target=confirm, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses(chosen) == [S.APPROVED] * 5
    assert AuditEvent.objects.filter(detail__startswith="批量审核通过").count() == 1
    assert SMSMessage.objects.count() == 5


def test_a_result_not_found_for_this_person_sends_to_the_list(bureau, unit):
    """Another reviewer's result (its token in the address), a forged token, or a token under
    another action: the list, which shows where each item now stands, and why; nothing of the
    batch is shown to another person."""
    chosen = pending(unit, 1)
    posted = confirmed(bureau, {"action": "approve", "ids": ids(chosen), "comment": ""})
    someone_else = Client()
    someone_else.force_login(factories.make_reviewer())
    token = posted["Location"].split("result=")[1]

    for client, url in [
        (someone_else, posted["Location"]),
        (bureau, f"{reverse(BULK)}?action=approve&result=forged"),
        (bureau, f"{reverse(BULK)}?action=reject&result={token}"),
    ]:
        response = client.get(url, follow=True)
        assert response.redirect_chain == [(reverse("experts:bureau_queue"), 302)]
        html = response.content.decode()
        assert "未找到此批量处理结果（批量处理结果保留7天）" in html
        assert "已完成" not in html and chosen[0].user.real_name not in html
    assert "已完成 1 份申请" in bureau.get(posted["Location"]).content.decode()


@pytest.mark.postgres  # a trigger refuses one item's SMS, as a failing database would
def test_an_item_the_database_refuses_part_way_is_rolled_back_whole(
    bureau, unit, caplog, django_capture_on_commit_callbacks
):
    """Its status, history, audit row (table and shipped copy) and SMS go together; the
    items before and after it are decided, and the result page says which one was not."""
    import pgtrigger

    from experts import counts

    caplog.set_level("INFO", logger="portal.audit")
    chosen = pending(unit, 3)
    failing = chosen[1]
    assert len({a.mobile for a in chosen}) == 3
    pgtrigger.Protect(
        name="test_refuse_one_sms",
        operation=pgtrigger.Insert,
        condition=pgtrigger.Q(new__to=failing.mobile),
    ).install(SMSMessage)  # in the test's transaction: gone with it

    with django_capture_on_commit_callbacks(execute=True):
        response = confirmed(
            bureau, {"action": "approve", "ids": ids(chosen), "comment": ""}, follow=True
        )

    html = response.content.decode()
    assert response.status_code == 200
    assert "已完成 2 份申请，跳过 1 份申请" in html
    assert "系统处理此项时出错，此项未作任何更改" in html
    assert statuses(chosen) == [S.APPROVED, S.PENDING_BUREAU, S.APPROVED]
    assert not failing.history.exists()
    transitions = AuditEvent.objects.filter(
        action="transition", result="success", object_type="experts.expertapplication"
    )
    assert sorted(transitions.values_list("object_id", flat=True)) == sorted(
        str(a.pk) for a in (chosen[0], chosen[2])
    )
    shipped = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.audit"]
    # Of the failing item, the trail (table and shipped copy) has only the batch's 失败 row.
    about_failing = [line for line in shipped if line["object_id"] == str(failing.pk)]
    assert [(line["result"], line["detail"]) for line in about_failing] == [
        ("failure", f"跳过（批量审核通过）：{ITEM_FAILED}")
    ]
    assert list(
        AuditEvent.objects.filter(object_id=str(failing.pk)).values_list("result", flat=True)
    ) == ["failure"]
    assert sorted(SMSMessage.objects.values_list("to", flat=True)) == sorted(
        [chosen[0].mobile, chosen[2].mobile]
    )
    kept = counts.current()
    assert (kept[S.PENDING_BUREAU], kept[S.APPROVED]) == (1, 2)


def test_a_reviewer_s_own_application_in_a_batch_is_skipped(client, unit):
    """Bureau staff who also applied: their own application is skipped with the reason, the
    rest of the batch is decided (as on the detail page, test_tampering)."""
    from django.contrib.auth.models import Group

    from accounts.permissions import BUREAU_GROUP

    person = factories.make_applicant(unit, S.PENDING_BUREAU, name="审核员本人")
    person.groups.add(Group.objects.get(name=BUREAU_GROUP))
    own, others = person.application, pending(unit, 1)
    client.force_login(person)

    response = confirmed(
        client, {"action": "approve", "ids": ids([own, *others]), "comment": ""}, follow=True
    )

    html = response.content.decode()
    assert "已完成 1 份申请，跳过 1 份申请" in html
    assert "不能审核自己的专家申请" in html
    assert statuses([own, *others]) == [S.PENDING_BUREAU, S.APPROVED]
    assert not own.history.exists()


def test_a_reason_is_required_once_for_a_rejected_batch(bureau, unit):
    chosen = pending(unit, 2)

    refused = confirmed(bureau, {"action": "reject", "ids": ids(chosen), "reason": ""})

    assert refused.status_code == 400
    assert "请勾选至少一项理由或填写理由说明" in refused.content.decode()
    assert statuses(chosen) == [S.PENDING_BUREAU] * 2
    # The page shown again carries its token still unused: giving the reason there decides.
    done = bureau.post(
        reverse(BULK),
        {
            "action": "reject",
            "ids": ids(chosen),
            "reason": "专业领域不符。",
            "batch": batch_token(refused),
        },
        follow=True,
    )
    assert "已完成 2 份申请" in done.content.decode()
    assert statuses(chosen) == [S.REJECTED] * 2
    assert [a.history.get().comment for a in chosen] == ["专业领域不符。"] * 2


def test_a_unit_decides_only_its_own_people(client, unit, other_unit):
    own = pending(unit, 2, status=S.PENDING_UNIT)
    foreign = pending(other_unit, 1, status=S.PENDING_UNIT, name="外单位")
    client.force_login(factories.unit_account(unit))

    response = confirmed(
        client,
        {"action": "recommend", "ids": ids(own + foreign), "comment": ""},
        url="experts:unit_bulk",
        follow=True,
    )

    html = response.content.decode()
    assert "已完成 2 份申请，跳过 1 份申请" in html
    assert "不存在或不在您的处理范围内" in html and "外单位" not in html
    assert statuses(own) == [S.PENDING_BUREAU] * 2
    assert statuses(foreign) == [S.PENDING_UNIT]


def test_all_matching_the_filter_takes_the_queues_filter_within_its_tab(bureau, unit, other_unit):
    factories.make_applicant(other_unit, S.PENDING_BUREAU, name="外地")
    chosen = pending(unit, 2, name="光谷")
    pending(unit, 1, status=S.APPROVED, name="光谷已过")

    page = bureau.get(
        reverse(BULK),
        {"action": "approve", "select": "all", "q": "光谷", "status": "all"},
        follow=True,
    )

    html = page.content.decode()
    assert 'data-testid="bulk-count">2<' in html
    assert all(a.user.real_name in html for a in chosen) and "外地" not in html


def test_more_than_500_matching_is_refused_with_how_many_matched(bureau, unit, monkeypatch):
    from portal import bulk

    monkeypatch.setattr(bulk, "BATCH_LIMIT", 2)  # the rule, at a size a test can build
    chosen = pending(unit, 3)
    pending(unit, 1, status=S.APPROVED)  # another tab's: not among the matching
    response = bureau.get(reverse(BULK), {"action": "approve", "select": "all"}, follow=True)
    assert (
        "符合条件的申请共3份，每批最多处理2份申请，请缩小筛选范围或分批勾选。"
        in response.content.decode()
    )
    assert statuses(chosen) == [S.PENDING_BUREAU] * 3


def test_a_search_past_the_count_limit_says_more_than_the_limit(bureau, unit, monkeypatch):
    """A search counts its matches up to the lists' limit, as its list does (1000+)."""
    from portal import bulk

    monkeypatch.setattr(bulk, "BATCH_LIMIT", 1)
    monkeypatch.setattr(bulk, "SEARCH_COUNT_LIMIT", 2)
    pending(unit, 3, name="光谷")
    query = {"action": "approve", "select": "all", "q": "光谷"}
    response = bureau.get(reverse(BULK), query, follow=True)
    assert "符合条件的申请超过2份，每批最多处理1份申请" in response.content.decode()
    pending(unit, 2, name="汉口")
    response = bureau.get(reverse(BULK), {**query, "q": "汉口"}, follow=True)
    assert "符合条件的申请共2份，每批最多处理1份申请" in response.content.decode()


@pytest.mark.postgres  # row locks
@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_at_once_decide_each_item_once(reference_data, unit):
    chosen = pending(unit, 30)
    first, second = factories.make_reviewer(), factories.make_reviewer()
    barrier = threading.Barrier(2)
    results = {}

    def decide(reviewer, batch):
        client = Client()
        client.force_login(reviewer)
        page = client.get(reverse(BULK), {"action": "approve", "ids": ids(batch)}, follow=True)
        barrier.wait()
        response = client.post(
            reverse(BULK),
            {"action": "approve", "ids": ids(batch), "comment": "", "batch": batch_token(page)},
            follow=True,
        )
        results[reviewer.pk] = response.content.decode()
        connection.close()

    threads = [
        threading.Thread(target=decide, args=(first, chosen[:20])),
        threading.Thread(target=decide, args=(second, chosen[10:])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses(chosen) == [S.APPROVED] * 30
    assert SMSMessage.objects.count() == 30
    done = [html.split("已完成 ")[1].split(" ")[0] for html in results.values()]
    assert sum(int(n) for n in done) == 30
    for application in chosen:
        assert application.history.filter(action="approve").count() == 1


def result_links(html) -> dict[str, str]:
    """{name: href} of the result page's linked names (its done list and skipped table)."""
    body = html.split('data-testid="bulk-summary"')[1].split("返回列表")[0]
    return dict((name, href) for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', body))


def test_the_results_names_link_to_their_detail_pages(bureau, unit):
    chosen = pending(unit, 2)
    decided = pending(unit, 1, status=S.APPROVED, name="已通过")

    response = confirmed(
        bureau,
        {"action": "approve", "ids": [*ids(chosen + decided), 999999], "comment": ""},
        follow=True,
    )

    html = response.content.decode()
    assert "已完成 2 份申请，跳过 2 份申请" in html
    # The done and the skipped the reviewer may open; not 编号999999, which is no one's.
    assert result_links(html) == {
        a.user.real_name: reverse("experts:bureau_detail", args=[a.pk]) for a in chosen + decided
    }
    assert "编号999999" in html


def test_a_units_result_never_links_another_units_item(client, unit, other_unit):
    own = pending(unit, 1, status=S.PENDING_UNIT)
    foreign = pending(other_unit, 1, status=S.PENDING_UNIT, name="外单位")
    client.force_login(factories.unit_account(unit))

    response = confirmed(
        client,
        {"action": "recommend", "ids": ids(own + foreign), "comment": ""},
        url="experts:unit_bulk",
        follow=True,
    )

    html = response.content.decode()
    assert result_links(html) == {
        own[0].user.real_name: reverse("experts:unit_detail", args=[own[0].pk])
    }
    assert f"编号{foreign[0].pk}" in html
    assert reverse("experts:unit_detail", args=[foreign[0].pk]) not in html


def test_an_item_that_left_the_units_scope_since_is_no_longer_linked(client, unit, other_unit):
    moved, stays = pending(unit, 2, status=S.PENDING_UNIT)
    client.force_login(factories.unit_account(unit))
    posted = confirmed(
        client,
        {"action": "send_back", "ids": [moved.pk, stays.pk], "reason": "请补充。"},
        url="experts:unit_bulk",
    )
    # The applicant moved to another unit after the batch (experts.receivers moves the
    # application with its person): the unit may not open it any more.
    ExpertApplication.objects.filter(pk=moved.pk).update(unit=other_unit)

    html = client.get(posted["Location"]).content.decode()

    assert "已完成 2 份申请" in html
    assert result_links(html) == {
        stays.user.real_name: reverse("experts:unit_detail", args=[stays.pk])
    }


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_the_result_page_asks_as_many_queries_for_three_items_as_for_one(bureau, unit, action):
    def result_queries(n) -> int:
        chosen = pending(unit, n, name=f"批{n}_")
        data = {"action": action, "ids": ids(chosen), "comment": "", "reason": "材料不全。"}
        posted = confirmed(bureau, data)
        return queries_for(bureau, posted["Location"])

    assert result_queries(1) == result_queries(3)
