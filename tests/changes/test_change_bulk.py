"""批量处理 on the 信息变更 lists: the unit's 确认 / 退回 on 信息变更待确认 and the bureau's
审核通过 / 审核不通过 on 信息变更审核, each item through its single-decision service
(portal.bulk, as tests/experts/test_bulk.py tests it on the expert queues)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Unit
from audit.models import AuditEvent
from changes import services
from changes.models import ChangeRequest, ChangeStatus
from experts.models import ExpertApplication
from sms.models import SMSMessage
from tests import factories
from tests.changes.helpers import admitted, key_request, page
from tests.experts.test_bulk import BulkForm, batch_token, names_listed, result_links
from tests.pages import queries_for

pytestmark = pytest.mark.django_db
S = ChangeStatus
UNIT_BULK = "changes:unit_bulk"
BUREAU_BULK = "changes:bureau_bulk"
# What a confirmation page is shown for (the rest of a post is its own form's).
SHOWN = ("action", "ids", "select", "status", "sort", "q", "moving")


def requests_of(unit, n, status, name="变更"):
    """`n` experts of `unit`, each with a 变更申请 (职称 → 研究员) in `status`."""
    return [key_request(admitted(unit, name=f"{name}{i}"), status=status) for i in range(n)]


def ids(changes):
    return [change.pk for change in changes]


def statuses(changes):
    return [ChangeRequest.objects.get(pk=change.pk).status for change in changes]


def confirmed(client, url, data, **extra):
    """Post `data` as a confirmation page does: shown first for the same selection, then
    posted with the token it carries."""
    shown = client.get(reverse(url), {k: v for k, v in data.items() if k in SHOWN}, follow=True)
    return client.post(reverse(url), {**data, "batch": batch_token(shown)}, **extra)


@pytest.fixture
def bureau(client, reference_data, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def unit_client(client, reference_data, unit):
    client.force_login(factories.unit_account(unit))
    return client


# --- the lists' own forms --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "login", "status", "bulk", "buttons"),
    [
        (
            "changes:bureau_list",
            "bureau",
            S.PENDING_BUREAU,
            BUREAU_BULK,
            {("action", "approve"), ("action", "reject")},
        ),
        (
            "changes:unit_list",
            "unit_client",
            S.PENDING_UNIT,
            UNIT_BULK,
            {("action", "confirm"), ("action", "send_back")},
        ),
    ],
)
def test_the_lists_waiting_tab_has_a_bulk_form_that_works_without_javascript(
    request, unit, url_name, login, status, bulk, buttons
):
    """Tick two rows of the tab waiting on this list and press a 批量 button, as a plain form
    submission: the confirmation page names exactly those two. Another tab has no boxes."""
    client = request.getfixturevalue(login)
    chosen = requests_of(unit, 3, status)

    listed = client.get(reverse(url_name), {"status": status, "q": "变更"})
    form = BulkForm()
    form.feed(listed.content.decode())

    assert (form.method, form.action) == ("get", reverse(bulk))
    assert ("q", "变更") in form.hidden and ("status", status) in form.hidden
    assert ("select", "all") in form.boxes
    html = page(listed)
    assert "勾选下方变更申请后选择操作" in html
    assert "选择全部符合当前筛选条件的 3 份变更申请" in html
    assert set(form.buttons) == buttons
    ticked = [box for box in form.boxes if box[0] == "ids"][:2]
    assert len(ticked) == 2
    action = sorted(buttons)[0][1]

    shown = client.get(form.action, [*form.hidden, *ticked, ("action", action)], follow=True)

    assert 'data-testid="bulk-count">2<' in shown.content.decode()
    named = [c.application.user.real_name for c in chosen if str(c.pk) in {pk for _, pk in ticked}]
    assert sorted(names_listed(shown)) == sorted(named)
    assert statuses(chosen) == [status] * 3  # nothing decided before confirming

    every = BulkForm()
    every.feed(client.get(reverse(url_name), {"status": "all"}).content.decode())
    assert (every.action, every.boxes) == (None, [])


def test_the_buttons_say_what_the_detail_pages_say(unit_client, unit):
    """批量确认 / 批量退回 and 批量审核通过 / 批量审核不通过: the detail pages' labels."""
    requests_of(unit, 1, S.PENDING_UNIT, name="待确认")
    requests_of(unit, 1, S.PENDING_BUREAU, name="待审核")
    unit_page = page(unit_client.get(reverse("changes:unit_list")))
    assert ">批量确认</button>" in unit_page and ">批量退回</button>" in unit_page

    unit_client.force_login(factories.make_reviewer())
    bureau_page = page(unit_client.get(reverse("changes:bureau_list")))
    assert ">批量审核通过</button>" in bureau_page and ">批量审核不通过</button>" in bureau_page


def test_a_unit_without_its_profile_gets_no_bulk_form_and_is_told_why(unit_client, unit):
    requests_of(unit, 2, S.PENDING_UNIT)
    Unit.objects.filter(pk=unit.pk).update(legal_representative="")

    html = page(unit_client.get(reverse("changes:unit_list")))

    assert "data-bulk" not in html and "批量确认" not in html
    assert 'data-testid="unit-profile-needed"' in html


# --- the confirmation page -------------------------------------------------------------------


def test_the_confirmation_page_names_person_unit_and_fields_in_the_lists_order(
    bureau, unit, other_unit
):
    staying = key_request(admitted(unit, name="留任"), status=S.PENDING_BUREAU)
    moving = key_request(admitted(unit, name="调动"), status=S.PENDING_BUREAU, new_unit=other_unit)
    # The tab's own order (待科技局审核): the one its unit confirmed first, first.
    ChangeRequest.objects.filter(pk=moving.pk).update(
        confirmed_at=timezone.now() - datetime.timedelta(days=2)
    )

    shown = bureau.get(
        reverse(BUREAU_BULK), {"action": "reject", "ids": ids([staying, moving])}, follow=True
    )

    html = page(shown)
    assert shown.status_code == 200
    assert '批量审核不通过：共 <span data-testid="bulk-count">2</span> 份变更申请</h1>' in html
    names = html.split('data-testid="bulk-names"')[1].split("</ol>")[0]
    assert names.index("调动") < names.index("留任")
    assert f"{unit.name} → {other_unit.name}；变更内容：专业技术职称、工作单位" in names
    assert f"{unit.name}；变更内容：专业技术职称" in names
    assert '<button type="submit" class="btn btn-danger">确认审核不通过（2）</button>' in html
    assert statuses([staying, moving]) == [S.PENDING_BUREAU] * 2


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_the_confirmation_page_asks_as_many_queries_for_three_items_as_for_one(
    bureau, unit, action
):
    def confirmation_queries(n) -> int:
        chosen = requests_of(unit, n, S.PENDING_BUREAU, name=f"批{n}_")
        shown = bureau.get(reverse(BUREAU_BULK), {"action": action, "ids": ids(chosen)})
        # The first answer gives the page its token, in its own address.
        assert shown.status_code == 302
        return queries_for(bureau, shown["Location"])

    assert confirmation_queries(1) == confirmation_queries(3)


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ({}, "请先勾选要处理的变更申请。"),
        ({"ids": ["12a"]}, "所选项目无效，请回到列表重新勾选。"),
        (
            {"ids": [str(n) for n in range(1, 502)]},
            "每批最多处理500份变更申请，当前选择了501份变更申请",
        ),
        ({"ids": ["999999"]}, "所选变更申请不存在或不在您的处理范围内"),
    ],
)
def test_a_bad_selection_goes_back_to_the_list_with_a_message(bureau, unit, selection, message):
    chosen = requests_of(unit, 1, S.PENDING_BUREAU)
    response = bureau.get(reverse(BUREAU_BULK), {"action": "approve", **selection}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("changes:bureau_list"))
    assert message in page(response)
    assert statuses(chosen) == [S.PENDING_BUREAU]


def test_all_matching_takes_the_lists_filters_within_its_tab(bureau, unit, other_unit):
    moving = [
        key_request(admitted(unit, name=f"调动{i}"), status=S.PENDING_BUREAU, new_unit=other_unit)
        for i in range(2)
    ]
    requests_of(unit, 1, S.PENDING_BUREAU, name="留任")  # not moving
    key_request(admitted(unit, name="调动已过"), status=S.APPROVED, new_unit=other_unit)

    shown = bureau.get(
        reverse(BUREAU_BULK),
        {"action": "approve", "select": "all", "moving": "true", "status": "all"},
        follow=True,
    )

    assert 'data-testid="bulk-count">2<' in shown.content.decode()
    assert sorted(names_listed(shown)) == sorted(c.application.user.real_name for c in moving)


def test_more_than_the_limit_matching_is_refused_with_how_many_matched(bureau, unit, monkeypatch):
    from portal import bulk

    monkeypatch.setattr(bulk, "BATCH_LIMIT", 2)  # the rule, at a size a test can build
    chosen = requests_of(unit, 3, S.PENDING_BUREAU)
    response = bureau.get(reverse(BUREAU_BULK), {"action": "approve", "select": "all"}, follow=True)
    assert "符合条件的变更申请共3份，每批最多处理2份变更申请" in page(response)
    assert statuses(chosen) == [S.PENDING_BUREAU] * 3


# --- who may -----------------------------------------------------------------------------------


def test_each_list_takes_only_its_own_decisions(unit_client, unit):
    """The unit's actions are 404 on the bureau's batch page and the bureau's on the unit's;
    the other role is refused at the door."""
    for_bureau = requests_of(unit, 1, S.PENDING_BUREAU, name="待审核")
    for_unit = requests_of(unit, 1, S.PENDING_UNIT, name="待确认")
    for action in ("approve", "reject", "withdraw", ""):
        response = unit_client.get(reverse(UNIT_BULK), {"action": action, "ids": ids(for_unit)})
        assert response.status_code == 404
    assert unit_client.get(reverse(BUREAU_BULK), {"action": "approve"}).status_code == 403

    unit_client.force_login(factories.make_reviewer())
    for action in ("confirm", "send_back", ""):
        response = unit_client.get(reverse(BUREAU_BULK), {"action": action, "ids": ids(for_bureau)})
        assert response.status_code == 404
    assert unit_client.get(reverse(UNIT_BULK), {"action": "confirm"}).status_code == 403
    assert statuses(for_bureau + for_unit) == [S.PENDING_BUREAU, S.PENDING_UNIT]


# --- deciding ------------------------------------------------------------------------------------


def test_approving_a_batch_applies_each_and_reports_the_skipped(bureau, unit, reviewer):
    chosen = requests_of(unit, 3, S.PENDING_BUREAU)
    decided = requests_of(unit, 1, S.REJECTED, name="已处理")
    shown = bureau.get(
        reverse(BUREAU_BULK), {"action": "approve", "ids": ids(chosen + decided)}, follow=True
    )
    assert "确认审核通过（3）" in page(shown)
    assert 'data-testid="moved-on-count">1<' in shown.content.decode()

    response = bureau.post(
        reverse(BUREAU_BULK),
        {
            "action": "approve",
            "ids": [*ids(chosen + decided), 999999],
            "comment": "",
            "batch": batch_token(shown),
        },
        follow=True,
    )

    html = page(response)
    assert response.status_code == 200
    assert "已完成 3 份变更申请，跳过 2 份变更申请" in html
    assert "新信息已生效，短信通知将在几秒内陆续发给专家。" in html
    assert "当前状态为“未通过”，不能执行“审核通过”操作" in html
    assert "编号999999" in html and "不存在或不在您的处理范围内" in html
    assert statuses(chosen + decided) == [S.APPROVED] * 3 + [S.REJECTED]
    # Each as a single decision: the new 职称 in force, its history row, audit row and SMS.
    for change in chosen:
        assert ExpertApplication.objects.get(pk=change.application_id).title == "研究员"
        assert list(change.history.values_list("action", "actor")) == [("approve", reviewer.pk)]
    assert ExpertApplication.objects.get(pk=decided[0].application_id).title == "教授"
    done = AuditEvent.objects.filter(
        action="transition", result="success", object_type="changes.changerequest"
    )
    assert sorted(done.values_list("object_id", flat=True)) == sorted(map(str, ids(chosen)))
    skipped = AuditEvent.objects.filter(result="failure", object_type="changes.changerequest")
    assert sorted(skipped.values_list("object_id", flat=True)) == sorted(
        [str(decided[0].pk), "999999"]
    )
    assert SMSMessage.objects.count() == 3
    assert AuditEvent.objects.filter(
        detail="批量审核通过：3份变更申请完成，2份变更申请跳过"
    ).exists()
    # The names the bureau may open link to their detail pages; the forged id to nothing.
    assert result_links(response.content.decode()) == {
        c.application.user.real_name: reverse("changes:bureau_detail", args=[c.pk])
        for c in chosen + decided
    }


def test_rejecting_a_batch_needs_one_reason_given_to_each(bureau, unit):
    chosen = requests_of(unit, 2, S.PENDING_BUREAU)

    refused = confirmed(bureau, BUREAU_BULK, {"action": "reject", "ids": ids(chosen), "reason": ""})

    assert refused.status_code == 400
    assert "请填写理由，申请人将看到此理由。" in page(refused)
    assert statuses(chosen) == [S.PENDING_BUREAU] * 2
    # The page shown again carries its token still unused: giving the reason there decides.
    done = bureau.post(
        reverse(BUREAU_BULK),
        {
            "action": "reject",
            "ids": ids(chosen),
            "reason": "未提供职称证明。",
            "batch": batch_token(refused),
        },
        follow=True,
    )
    assert "已完成 2 份变更申请" in page(done)
    assert statuses(chosen) == [S.REJECTED] * 2
    assert [c.history.get().comment for c in chosen] == ["未提供职称证明。"] * 2
    assert [ChangeRequest.objects.get(pk=c.pk).reason for c in chosen] == ["未提供职称证明。"] * 2
    assert SMSMessage.objects.count() == 2


def test_a_unit_confirms_a_batch_on_to_the_bureau(unit_client, unit, other_unit):
    """Its own experts' requests and a move to it (another unit's expert) are its to
    confirm; another unit's request, whose id a post names, is skipped as outside its scope."""
    own = requests_of(unit, 2, S.PENDING_UNIT)
    arriving = key_request(admitted(other_unit, name="调入"), status=S.PENDING_UNIT, new_unit=unit)
    foreign = requests_of(other_unit, 1, S.PENDING_UNIT, name="外单位")

    response = confirmed(
        unit_client,
        UNIT_BULK,
        {"action": "confirm", "ids": ids([*own, arriving, *foreign]), "comment": ""},
        follow=True,
    )

    html = page(response)
    assert "已完成 3 份变更申请，跳过 1 份变更申请" in html
    assert "已提交市科技局审核" in html
    assert "不存在或不在您的处理范围内" in html and "外单位" not in html
    assert statuses([*own, arriving, *foreign]) == [S.PENDING_BUREAU] * 3 + [S.PENDING_UNIT]
    assert result_links(response.content.decode()) == {
        c.application.user.real_name: reverse("changes:unit_detail", args=[c.pk])
        for c in [*own, arriving]
    }
    assert reverse("changes:unit_detail", args=[foreign[0].pk]) not in html
    assert not SMSMessage.objects.exists()


def test_a_unit_returns_a_batch_with_a_reason(unit_client, unit):
    chosen = requests_of(unit, 2, S.PENDING_UNIT)

    refused = confirmed(
        unit_client, UNIT_BULK, {"action": "send_back", "ids": ids(chosen), "reason": "  "}
    )
    assert refused.status_code == 400
    assert "请填写理由，申请人将看到此理由。" in page(refused)
    assert statuses(chosen) == [S.PENDING_UNIT] * 2
    assert not SMSMessage.objects.exists()

    done = unit_client.post(
        reverse(UNIT_BULK),
        {
            "action": "send_back",
            "ids": ids(chosen),
            "reason": "职称证书尚未下发。",
            "batch": batch_token(refused),
        },
        follow=True,
    )

    assert "已完成 2 份变更申请。申请人将收到短信" in page(done)
    assert statuses(chosen) == [S.REJECTED] * 2
    assert [c.history.get().comment for c in chosen] == ["职称证书尚未下发。"] * 2
    assert SMSMessage.objects.count() == 2


def test_an_item_decided_since_its_confirmation_page_is_skipped(bureau, unit, reviewer):
    """Between the confirmation page and its 确认, another reviewer decided one, and one
    expert withdrew theirs: both are skipped with the state they are in now."""
    first, second, third = requests_of(unit, 3, S.PENDING_BUREAU)
    shown = bureau.get(
        reverse(BUREAU_BULK), {"action": "approve", "ids": ids([first, second, third])}, follow=True
    )
    services.reject_change(first, factories.make_reviewer(), reason="另一审核员已处理。")
    services.withdraw_change(second, second.application.user)

    response = bureau.post(
        reverse(BUREAU_BULK),
        {
            "action": "approve",
            "ids": ids([first, second, third]),
            "comment": "",
            "batch": batch_token(shown),
        },
        follow=True,
    )

    html = page(response)
    assert "已完成 1 份变更申请，跳过 2 份变更申请" in html
    assert "当前状态为“未通过”，不能执行“审核通过”操作，可能已在其他窗口或由他人处理。" in html
    assert "当前状态为“已撤回”，不能执行“审核通过”操作" in html
    assert statuses([first, second, third]) == [S.REJECTED, S.WITHDRAWN, S.APPROVED]
    assert not first.history.filter(action="approve").exists()


def test_a_post_with_a_forged_token_decides_nothing(bureau, unit):
    chosen = requests_of(unit, 2, S.PENDING_BUREAU)
    response = bureau.post(
        reverse(BUREAU_BULK),
        {"action": "approve", "ids": ids(chosen), "comment": "", "batch": "forged"},
        follow=True,
    )
    assert "此确认页已失效，未执行任何操作" in page(response)
    assert statuses(chosen) == [S.PENDING_BUREAU] * 2


def test_confirming_the_same_page_again_decides_nothing(bureau, unit):
    chosen = requests_of(unit, 2, S.PENDING_BUREAU)
    shown = bureau.get(reverse(BUREAU_BULK), {"action": "approve", "ids": ids(chosen)}, follow=True)
    data = {"action": "approve", "ids": ids(chosen), "comment": "", "batch": batch_token(shown)}
    first = bureau.post(reverse(BUREAU_BULK), data)

    again = bureau.post(reverse(BUREAU_BULK), data, follow=True)

    assert first.status_code == 302
    assert "该批次已处理，未重复执行。" in page(again)
    assert "已完成 2 份变更申请" in page(again)
    assert SMSMessage.objects.count() == 2
    assert [c.history.count() for c in chosen] == [1, 1]


@pytest.mark.parametrize(
    ("url_name", "list_name", "status", "action"),
    [
        (UNIT_BULK, "changes:unit_list", S.PENDING_UNIT, "send_back"),
        (BUREAU_BULK, "changes:bureau_list", S.PENDING_BUREAU, "reject"),
    ],
)
def test_the_confirmation_page_keeps_the_lists_due_date_sort(
    client, reference_data, reviewer, unit, url_name, list_name, status, action
):
    """Sorted 按截止日期 (the unit's by its own deadline, UnitChangeFilter.ordering), the list
    and its confirmation page name the requests in the same order, ticked or all matching."""
    first, second, third = requests_of(unit, 3, status)
    today = timezone.localdate()
    for change, days in ((first, 3), (second, 1), (third, 2)):
        ChangeRequest.objects.filter(pk=change.pk).update(
            due_on=today + datetime.timedelta(days=days)
        )
    client.force_login(reviewer if url_name == BUREAU_BULK else factories.unit_account(unit))
    by_due = [second, third, first]
    listed = client.get(reverse(list_name), {"status": status, "sort": "due"})
    assert [row.pk for row in listed.context["rows"]] == ids(by_due)

    for selection in ({"ids": ids([first, second, third])}, {"select": "all"}):
        shown = client.get(
            reverse(url_name),
            {"action": action, "status": status, "sort": "due", **selection},
            follow=True,
        )
        assert names_listed(shown) == [c.application.user.real_name for c in by_due]
