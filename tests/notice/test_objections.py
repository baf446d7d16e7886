"""公示异议 and 撤销入库（公示异议）: a reviewer records objections on an admission in its 公示期
and may reverse it with a reason; the applicant gets one SMS, the expert leaves the pool and
the public list. Nobody else may record or reverse, and nothing is done after the period."""

import html
import re

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from changes import counts as change_counts
from changes.models import ChangeStatus
from experts import counts
from experts.models import ApplicationStatus, ExpertApplication
from experts.selectors import pool_for
from notice import periods
from notice.models import NoticeObjection
from sms.models import SMSMessage
from tests import factories
from tests.changes.helpers import key_request
from tests.notice.conftest import approved, before_the_period

pytestmark = pytest.mark.django_db
S = ApplicationStatus
OBJECTION = {"objector": "王某（某大学职工）", "channel": "phone", "content": "其博士学位系伪造。"}
REASON = "经核实，其申报的博士学位证书不实。"


def said(response):
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def expert(unit):
    return approved(unit, "公示甲")


def objection_url(user):
    return reverse("notice:record_objection", args=[user.application.pk])


def revoke_url(user):
    return reverse("experts:bureau_revoke", args=[user.application.pk])


def detail(client, user):
    response = client.get(reverse("experts:bureau_detail", args=[user.application.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_reviewer_records_an_objection_shown_on_the_detail_page(client, reviewer, expert):
    client.force_login(reviewer)

    response = client.post(objection_url(expert), OBJECTION)

    assert response.status_code == 302
    assert response.url.endswith(f"/bureau/experts/{expert.application.pk}/#notice")
    assert said(response) == [(messages.SUCCESS, "已记录对公示甲的公示异议。")]
    objection = NoticeObjection.objects.get()
    assert (objection.application_id, objection.created_by_id) == (
        expert.application.pk,
        reviewer.pk,
    )
    assert (objection.objector, objection.channel, objection.content) == tuple(OBJECTION.values())
    html = detail(client, expert)
    assert "王某（某大学职工）" in html and "其博士学位系伪造。" in html and "电话" in html
    assert "公示中" in html
    # Audited: who recorded it, on which application, how it came; not who objected or what.
    event = AuditEvent.objects.get(action=AuditEvent.Action.OBJECTION)
    assert (event.actor, event.object_id, event.detail) == (
        reviewer,
        str(expert.application.pk),
        "收到方式：电话",
    )
    assert "王某" not in event.object_repr and "伪造" not in event.object_repr


def test_an_objection_without_content_comes_back_with_what_was_typed(client, reviewer, expert):
    client.force_login(reviewer)

    response = client.post(objection_url(expert), {**OBJECTION, "content": "  "})

    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写异议内容。" in html and "王某（某大学职工）" in html
    assert NoticeObjection.objects.count() == 0


@pytest.mark.parametrize("who", ["unit", "applicant", "owner"])
def test_units_and_applicants_cannot_record_objections(client, unit, expert, who):
    actor = {
        "unit": lambda: factories.unit_account(unit),
        "applicant": lambda: factories.make_applicant(unit),
        "owner": lambda: expert,
    }[who]()
    client.force_login(actor)

    assert client.post(objection_url(expert), OBJECTION).status_code == 403
    assert client.post(revoke_url(expert), {"reason": REASON}).status_code == 403
    assert NoticeObjection.objects.count() == 0
    assert ExpertApplication.objects.get(pk=expert.application.pk).status == S.APPROVED


def test_a_visitor_is_sent_to_log_in(client, expert):
    response = client.post(objection_url(expert), OBJECTION)
    assert response.url.startswith(reverse("accounts:login"))
    assert NoticeObjection.objects.count() == 0


def test_no_objection_after_the_period(client, reviewer, unit):
    late = approved(unit, "期满乙", decided_at=before_the_period())
    client.force_login(reviewer)

    response = client.post(objection_url(late), OBJECTION)

    [(level, text)] = said(response)
    assert level == messages.ERROR and "公示期已于" in text and "不能再记录公示异议" in text
    assert NoticeObjection.objects.count() == 0
    html = detail(client, late)
    assert "已期满" in html and "公示期已满，不能再记录异议" in html
    assert reverse("experts:bureau_revoke", args=[late.application.pk]) not in html


def test_the_detail_page_offers_the_reversal_behind_a_confirmation(client, reviewer, expert):
    client.force_login(reviewer)
    html = detail(client, expert)
    assert f'action="{revoke_url(expert)}"' in html
    assert 'data-confirm="确认撤销公示甲的入库吗？' in html
    assert f'action="{objection_url(expert)}"' in html


def test_a_reversal_with_a_reason(client, reviewer, expert, django_capture_on_commit_callbacks):
    client.force_login(reviewer)
    NoticeObjection.objects.create(application=expert.application, created_by=reviewer, **OBJECTION)
    assert "公示甲" in Client().get("/notice/").content.decode()
    approved_before = counts.current()[S.APPROVED]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(revoke_url(expert), {"reason": REASON})

    assert response.status_code == 302
    assert said(response) == [
        (
            messages.SUCCESS,
            "已撤销公示甲的入库，专家状态变更为“审核不通过”，短信通知将在几秒内发给申请人。",
        )
    ]
    application = ExpertApplication.objects.get(pk=expert.application.pk)
    assert application.status == S.REJECTED
    row = application.history.get()
    assert (row.action, row.from_status, row.to_status, row.actor_id, row.comment) == (
        "revoke",
        S.APPROVED,
        S.REJECTED,
        reviewer.pk,
        REASON,
    )
    assert row.get_action_display() == "撤销入库（公示异议）"
    audit = AuditEvent.objects.get(action=AuditEvent.Action.TRANSITION)
    # The reason in the trail too (its long numbers masked: portal.words.mask_numbers).
    assert audit.detail == f"撤销入库（公示异议）：审核通过 → 审核不通过；理由说明：{REASON}"
    [sms] = SMSMessage.objects.all()
    assert sms.to == application.mobile
    assert sms.body == (
        "【武汉市科技局专家入库系统】公示甲您好，经公示期异议核实，您的专家入库已撤销，"
        "原因：经核实，其申报的博士学位证书不实。如有疑问请致电027-85870766。"
    )
    assert expert.id_number not in sms.body and "http" not in sms.body
    kept = counts.current()
    assert (kept[S.APPROVED], kept[S.REJECTED]) == (approved_before - 1, 1)
    assert not pool_for(reviewer).filter(pk=application.pk).exists()
    assert "公示甲" not in Client().get("/notice/").content.decode()
    # The objection stays with the application, and the applicant reads the reason at home.
    assert "其博士学位系伪造。" in detail(client, expert)
    client.force_login(expert)
    assert REASON in client.get(reverse("experts:home")).content.decode()


def test_a_reversal_without_a_reason_is_refused_keeping_the_codes(client, reviewer, expert):
    client.force_login(reviewer)

    response = client.post(revoke_url(expert), {"reason": "   "})

    assert response.status_code == 400
    assert "请填写撤销入库的理由，申请人将看到此理由。" in response.content.decode()
    assert ExpertApplication.objects.get(pk=expert.application.pk).status == S.APPROVED
    assert SMSMessage.objects.count() == 0


def test_a_reversal_after_the_period_is_refused_saying_why(client, reviewer, unit):
    late = approved(unit, "期满乙", decided_at=before_the_period())
    client.force_login(reviewer)

    response = client.post(revoke_url(late), {"reason": REASON})

    [(level, text)] = said(response)
    assert level == messages.ERROR
    assert text.startswith("期满乙的公示期已于") and "不能再以公示异议撤销入库" in text
    application = ExpertApplication.objects.get(pk=late.application.pk)
    assert (application.status, application.history.count()) == (S.APPROVED, 0)
    assert SMSMessage.objects.count() == 0


def test_a_reversal_with_notice_off_is_refused(client, reviewer, expert, settings):
    settings.PUBLIC_NOTICE_ENABLED = False
    client.force_login(reviewer)

    response = client.post(revoke_url(expert), {"reason": REASON})

    assert said(response) == [
        (messages.ERROR, "本系统未启用专家入库公示，不能以公示异议撤销入库。")
    ]
    assert ExpertApplication.objects.get(pk=expert.application.pk).status == S.APPROVED
    assert "公示与异议" in detail(client, expert)
    assert revoke_url(expert) not in detail(client, expert)


@pytest.mark.parametrize("status", [S.PENDING_BUREAU, S.REJECTED])
def test_a_reversal_of_someone_not_approved_is_refused(client, reviewer, unit, status):
    other = factories.make_applicant(unit, status, name="未入库丙")
    client.force_login(reviewer)

    response = client.post(revoke_url(other), {"reason": REASON})

    [(level, text)] = said(response)
    assert level == messages.ERROR and f"“{status.label}”" in text
    assert ExpertApplication.objects.get(pk=other.application.pk).status == status
    assert client.post(objection_url(other), OBJECTION).status_code == 302
    assert NoticeObjection.objects.count() == 0


def test_a_reviewer_cannot_reverse_their_own_admission(client, unit):
    reviewer = approved(unit, "审核员本人")
    reviewer.kind = reviewer.Kind.BUREAU
    reviewer.save()
    reviewer.groups.add(factories.make_reviewer().groups.get())
    client.force_login(reviewer)

    response = client.post(revoke_url(reviewer), {"reason": REASON})

    [(level, text)] = said(response)
    assert level == messages.ERROR and "不能审核自己的专家申请" in text


def test_a_reversal_withdraws_an_open_change_request(client, reviewer, expert, other_unit):
    """撤销入库 takes the expert out of the pool: a 变更申请 waiting for a unit could never be
    applied, so it is withdrawn with the reversal, by the reviewer; the page says so first."""
    request = key_request(expert, new_unit=other_unit)
    client.force_login(reviewer)
    assert (
        "的入库吗？其专家状态将变为“审核不通过”，移出专家库和公示名单，并以短信通知本人。其未办结的信息变更申请将随之撤回。"
        in html.unescape(detail(client, expert))
    )

    client.post(revoke_url(expert), {"reason": REASON})

    request.refresh_from_db()
    assert (request.status, request.decided_by) == (ChangeStatus.WITHDRAWN, reviewer)
    row = request.history.get()
    assert (row.action, row.comment) == ("close", "专家入库已撤销，未办结的信息变更申请随之撤回。")
    assert change_counts.waiting(ChangeStatus.PENDING_UNIT, other_unit.pk) == 0


def test_the_unit_sees_that_its_expert_is_on_notice(client, unit, expert):
    """Found by a unit's walk: only the bureau's page and the public one said 公示中."""
    late = approved(unit, "期满乙", decided_at=before_the_period())
    client.force_login(factories.unit_account(unit))
    page = client.get(reverse("experts:unit_detail", args=[expert.application.pk]))
    running = periods.running(ExpertApplication.objects.get(user=expert).decided_at)
    assert f"正在专家入库公示中，公示期至 {running.ends:%Y-%m-%d}" in re.sub(
        r"<[^>]+>", "", page.content.decode()
    )
    done = client.get(reverse("experts:unit_detail", args=[late.application.pk]))
    assert 'data-testid="on-notice"' not in done.content.decode()
