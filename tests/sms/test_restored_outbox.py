"""After a database restore the dump's outbox holds SMS that went out since it was made:
`restored_outbox` lists those the worker would send, and marks the ones the operator found in
the provider's log as sent (docs/deployment.md, step 6), instead of a hand-written UPDATE."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit.models import AuditEvent
from sms.backends import locmem
from sms.models import SMSMessage
from sms.outbox import send_due

pytestmark = pytest.mark.django_db

# 2026-12-06 01:30 UTC is 09:30 in Beijing.
MORNING = datetime.datetime(2026, 12, 6, 1, 30, tzinfo=datetime.UTC)


def sms(status: str, minutes: int, to: str = "+8613800001234", body: str = "") -> SMSMessage:
    message = SMSMessage.objects.create(
        to=to, body=body or "【专家库】张三您好，您的入库申请已审核通过，请登录系统查看。"
    )
    SMSMessage.objects.filter(pk=message.pk).update(
        status=status, created_at=MORNING + datetime.timedelta(minutes=minutes)
    )
    message.refresh_from_db()
    return message


def restored_outbox(*args: str) -> str:
    out = io.StringIO()
    call_command("restored_outbox", *args, stdout=out)
    return out.getvalue()


def state(message: SMSMessage) -> tuple:
    message.refresh_from_db()
    return (message.status, message.sent_at is not None, message.last_error)


def events() -> list[str]:
    return [
        f"{e.username} {e.role} {e.action} {e.object_type}:{e.object_id} {e.object_repr} {e.detail}"
        for e in AuditEvent.objects.order_by("pk")
    ]


def test_the_list_shows_the_waiting_oldest_first_with_beijing_times_and_masked_numbers():
    later = sms(SMSMessage.Status.QUEUED, 30, to="+8613900005678", body="短" * 50)
    earlier = sms(SMSMessage.Status.SENDING, 0)
    sms(SMSMessage.Status.SENT, -10)
    sms(SMSMessage.Status.FAILED, -5)

    output = restored_outbox()

    assert output.splitlines()[:3] == [
        "编号\t状态\t创建时间（北京时间）\t手机号码\t内容开头",
        f"{earlier.pk}\t发送中\t2026-12-06 09:30:00\t138****1234\t"
        "【专家库】张三您好，您的入库申请已审核通过，请登录系统查看。",
        f"{later.pk}\t排队中\t2026-12-06 10:00:00\t139****5678\t" + "短" * 39 + "…",
    ]
    assert output.splitlines()[3].startswith("共2条待发送，")
    assert "13800001234" not in output


def test_an_empty_outbox_says_so_in_chinese():
    sms(SMSMessage.Status.SENT, 0)

    assert restored_outbox() == ("恢复的短信队列中没有待发送（排队中、发送中）的短信，无需处理。\n")


def test_marking_sets_sent_now_with_the_note_and_leaves_the_others():
    queued, sending, other = (
        sms(SMSMessage.Status.QUEUED, 0),
        sms(SMSMessage.Status.SENDING, 1),
        sms(SMSMessage.Status.QUEUED, 2),
    )
    before = timezone.now()

    output = restored_outbox("--mark-sent", str(queued.pk), str(sending.pk))

    assert output == (
        f"已将短信#{queued.pk}、#{sending.pk}标记为已发送（数据库恢复后标记：恢复前已发送），"
        "短信服务不会再发送；已记审计记录。\n"
    )
    for message in (queued, sending):
        assert state(message) == (SMSMessage.Status.SENT, True, "数据库恢复后标记：恢复前已发送")
        assert message.sent_at >= before
    assert state(other) == (SMSMessage.Status.QUEUED, False, "")
    assert restored_outbox().splitlines()[1].startswith(f"{other.pk}\t排队中\t")


def test_each_marked_message_has_its_audit_row_under_the_commands_name():
    queued, sending = sms(SMSMessage.Status.QUEUED, 0), sms(SMSMessage.Status.SENDING, 1)

    restored_outbox("--mark-sent", str(sending.pk), str(queued.pk))

    assert events() == [
        f"restored_outbox 系统 admin_change sms.smsmessage:{queued.pk} "
        f"短信 #{queued.pk}（138****1234） 数据库恢复后标记：恢复前已发送：排队中 → 已发送",
        f"restored_outbox 系统 admin_change sms.smsmessage:{sending.pk} "
        f"短信 #{sending.pk}（138****1234） 数据库恢复后标记：恢复前已发送：发送中 → 已发送",
    ]


def test_a_sent_id_is_refused_and_nothing_changes():
    queued, sent = sms(SMSMessage.Status.QUEUED, 0), sms(SMSMessage.Status.SENT, 1)

    with pytest.raises(CommandError) as refused:
        restored_outbox("--mark-sent", str(queued.pk), str(sent.pk))

    assert str(refused.value) == (
        f"短信#{sent.pk}（已发送）不是排队中或发送中，不能标记为已发送。所有短信均未更改。"
    )
    assert state(queued) == (SMSMessage.Status.QUEUED, False, "")
    assert state(sent) == (SMSMessage.Status.SENT, False, "")
    assert events() == []


def test_an_unknown_id_is_refused_and_nothing_changes():
    queued = sms(SMSMessage.Status.QUEUED, 0)
    unknown = queued.pk + 100

    with pytest.raises(CommandError) as refused:
        restored_outbox("--mark-sent", str(queued.pk), str(unknown))

    assert str(refused.value) == f"没有编号为#{unknown}的短信。所有短信均未更改。"
    assert state(queued) == (SMSMessage.Status.QUEUED, False, "")
    assert events() == []


def test_unknown_and_settled_ids_are_named_together():
    queued = sms(SMSMessage.Status.QUEUED, 0)
    failed = sms(SMSMessage.Status.FAILED, 1)
    unknown = failed.pk + 100

    with pytest.raises(CommandError) as refused:
        restored_outbox("--mark-sent", str(queued.pk), str(unknown), str(failed.pk))

    assert str(refused.value) == (
        f"没有编号为#{unknown}的短信；短信#{failed.pk}（发送失败）不是排队中或发送中，"
        "不能标记为已发送。所有短信均未更改。"
    )
    assert state(queued) == (SMSMessage.Status.QUEUED, False, "")
    assert state(failed) == (SMSMessage.Status.FAILED, False, "")
    assert events() == []


def test_the_worker_then_sends_only_the_unmarked():
    marked = sms(SMSMessage.Status.QUEUED, 0, to="+8613800000001")
    left = sms(SMSMessage.Status.QUEUED, 1, to="+8613800000002")
    restored_outbox("--mark-sent", str(marked.pk))

    send_due()

    assert [to for to, _ in locmem.outbox] == ["+8613800000002"]
    assert state(left)[0] == SMSMessage.Status.SENT
