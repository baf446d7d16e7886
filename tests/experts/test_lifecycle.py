"""After admission (issue 23 parts 2 and 3): 年度确认, the daily reminder and 冻结, 申请解冻,
退出, 出库（清退） with 禁入, 重新申请, and withdrawing the sensitive-data consent."""

import datetime
import io
import re
import threading

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Blacklist, User
from audit.models import AuditEvent
from draws.rules import Criteria, eligible_ids
from experts import counts, lifecycle, services
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from experts.selectors import admitted_for, pool_for
from portal.dates import anniversary, chinese_date, months_before, period_end
from portal.workflow import WorkflowError
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus


def admitted(unit, reviewer, confirmed_months_ago=0, days_more=0):
    """An expert approved through the service, last confirmed that long ago."""
    return factories.admitted_expert(unit, reviewer, confirmed_months_ago, days_more)


def test_approval_starts_the_year_and_confirming_restarts_it(client, unit, reviewer):
    application = admitted(unit, reviewer, confirmed_months_ago=11, days_more=1)
    client.force_login(application.user)
    home = client.get(reverse("experts:home")).content.decode()
    assert 'data-testid="confirm-due"' in home and "已满11个月" in home
    client.post(reverse("experts:applicant_act", args=["confirm"]))
    application.refresh_from_db()
    assert application.confirmed_at > timezone.now() - datetime.timedelta(minutes=1)
    assert application.history.latest("pk").get_action_display() == "年度确认"
    assert 'data-testid="confirm-due"' not in client.get(reverse("experts:home")).content.decode()


def test_the_daily_run_reminds_at_eleven_months_once(unit, reviewer):
    due = admitted(unit, reviewer, confirmed_months_ago=11, days_more=1)
    not_yet = admitted(unit, reviewer, confirmed_months_ago=10)
    assert lifecycle.run() == {"frozen": 0, "reminded": 1}
    [message] = SMSMessage.objects.all()
    assert message.to == due.mobile and "已满11个月" in message.body
    assert ExpertApplication.objects.get(pk=not_yet.pk).confirm_reminded_at is None
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REMINDED, role="系统").count() == 1
    assert lifecycle.run() == {"frozen": 0, "reminded": 0}
    assert SMSMessage.objects.count() == 1


def test_a_run_as_of_another_day_counts_the_months_to_that_day(unit, reviewer):
    """--date runs the day as if it were that day: the reminder's months are counted to it,
    not to today (the diff review's catch: a run dated ahead said 已满2个月). A real run is
    dated today or before; ahead, only a --dry-run (found by a December walk: a run a year
    ahead texted people of months they had not reached)."""
    admitted(unit, reviewer, confirmed_months_ago=14)
    back = months_before(timezone.localdate(), 2)  # 12 months after the confirmation
    call_command("review_confirmations", "--date", back.isoformat())
    body = SMSMessage.objects.get().body
    frozen_on = chinese_date(months_before(timezone.localdate(), -10))
    assert f"已满12个月，请于{frozen_on}前登录系统确认或更新信息" in body
    detail = AuditEvent.objects.get(action=AuditEvent.Action.REMINDED).detail
    assert detail == "年度确认提醒（满12个月）"
    ahead = months_before(timezone.localdate(), -10)
    with pytest.raises(CommandError, match="只有试运行（--dry-run）可以指定今天以后的日期"):
        call_command("review_confirmations", "--date", ahead.isoformat())
    assert SMSMessage.objects.count() == 1
    out = io.StringIO()
    call_command("review_confirmations", "--dry-run", "--date", ahead.isoformat(), stdout=out)
    assert "未做任何更改" in out.getvalue()


def test_the_daily_run_freezes_at_twenty_four_months_once(client, unit, reviewer):
    lapsed = admitted(unit, reviewer, confirmed_months_ago=24, days_more=1)
    due = admitted(unit, reviewer, confirmed_months_ago=23)
    call_command("review_confirmations")
    lapsed.refresh_from_db()
    assert lapsed.status == S.FROZEN
    row = lapsed.history.latest("pk")
    assert (row.actor, row.actor_role, row.get_action_display()) == (None, "系统", "冻结")
    assert "已被冻结" in SMSMessage.objects.get(to=lapsed.mobile).body
    assert "已满23个月" in SMSMessage.objects.get(to=due.mobile).body  # reminded, not frozen
    assert ExpertApplication.objects.get(pk=due.pk).status == S.APPROVED
    assert lifecycle.run() == {"frozen": 0, "reminded": 0}
    assert lapsed.history.count() == 2  # 审核通过, 冻结
    # Frozen: counted among the admitted (统计分析), out of 专家库's list and never drawn.
    assert admitted_for(reviewer).filter(pk=lapsed.pk).exists()
    assert not pool_for(reviewer).filter(pk=lapsed.pk).exists()
    assert lapsed.pk not in eligible_ids(reviewer, Criteria(), Discipline.objects.get(code="01").pk)
    client.force_login(reviewer)
    detail = client.get(reverse("experts:bureau_detail", args=[lapsed.pk])).content.decode()
    assert "已冻结" in detail and "系统" in detail
    # 专家库 lists the approved, and the frozen under 专家状态 已冻结, marked as such.
    pool = client.get(reverse("experts:pool"))
    assert lapsed.pk not in [row.pk for row in pool.context["rows"]]
    assert '<option value="frozen">已冻结（1）</option>' in pool.content.decode()
    frozen_pool = client.get(reverse("experts:pool"), {"status": "frozen"})
    assert [row.pk for row in frozen_pool.context["rows"]] == [lapsed.pk]
    frozen_tab = client.get(reverse("experts:bureau_queue"), {"status": "frozen"})
    assert [row.pk for row in frozen_tab.context["rows"]] == [lapsed.pk]


def test_a_frozen_expert_is_unfrozen_by_the_bureaus_approval(client, unit, reviewer):
    """解冻 is no new admission: 入库时间 (decided_at) stays, nothing goes on 公示 again, the
    history reads 解冻, and the SMS says the freeze is over."""
    application = admitted(unit, reviewer, confirmed_months_ago=25)
    admitted_on = application.decided_at
    lifecycle.run()
    SMSMessage.objects.all().delete()
    client.force_login(application.user)
    frozen_home = client.get(reverse("experts:home")).content.decode()
    assert "申请解冻" in frozen_home and "请在解冻后通过“修改专家信息”更新" in frozen_home
    assert "冻结期间申请退出后不能撤回" in frozen_home  # the exit button's confirmation
    client.post(reverse("experts:applicant_act", args=["unfreeze"]))
    application.refresh_from_db()
    assert application.status == S.PENDING_BUREAU and application.due_on is not None
    assert application.unfreezing
    home = client.get(reverse("experts:home")).content.decode()
    assert "您的解冻申请已提交，等待市科技局审核" in home and "单位已推荐" not in home

    client.force_login(reviewer)
    detail = client.get(reverse("experts:bureau_detail", args=[application.pk])).content.decode()
    assert 'data-testid="unfreezing"' in detail and "审核通过（解冻）" in detail
    queue = client.get(reverse("experts:bureau_queue")).content.decode()
    assert "申请解冻</span>" in queue and "申请解冻时间</div>" in queue
    response = client.post(
        reverse("experts:bureau_approve", args=[application.pk]), {"comment": ""}
    )

    said = [m.message for m in get_messages(response.wsgi_request)]
    assert (
        f"{application.user.real_name}的解冻申请已审核通过，短信通知将在几秒内发给申请人。" in said
    )
    application.refresh_from_db()
    assert application.status == S.APPROVED and not application.confirmation_lapsed()
    assert application.decided_at == admitted_on and not application.unfreezing
    assert application.due_on is None
    row = application.history.latest("pk")
    assert (row.action, row.get_action_display(), row.step_started_at) == ("unfreeze", "解冻", None)
    [sms] = SMSMessage.objects.all()
    assert "解冻申请已审核通过，冻结已解除" in sms.body and "入选" not in sms.body
    assert pool_for(reviewer).filter(pk=application.pk).exists()


def test_a_refused_unfreeze_leaves_the_expert_frozen(client, unit, reviewer):
    """不予解冻 is no rejection from the pool: the expert stays 已冻结 and may ask again."""
    application = admitted(unit, reviewer, confirmed_months_ago=25)
    lifecycle.run()
    services.request_unfreeze(application, application.user)
    SMSMessage.objects.all().delete()
    client.force_login(reviewer)

    response = client.post(
        reverse("experts:bureau_reject", args=[application.pk]), {"reason": "单位已撤销"}
    )

    said = [m.message for m in get_messages(response.wsgi_request)]
    assert (
        f"{application.user.real_name}的解冻申请审核不通过，短信通知将在几秒内发给申请人。" in said
    )
    application.refresh_from_db()
    assert (application.status, application.unfreezing, application.due_on) == (
        S.FROZEN,
        False,
        None,
    )
    row = application.history.latest("pk")
    assert (row.get_action_display(), row.comment) == ("不予解冻", "单位已撤销")
    [sms] = SMSMessage.objects.all()
    assert "解冻申请审核不通过，原因：单位已撤销。您的专家信息仍为冻结状态" in sms.body
    assert counts.current()[S.FROZEN] == 1 and counts.current()[S.PENDING_BUREAU] == 0
    # The expert reads why on their home (found by a walk: only the SMS said it) …
    client.force_login(application.user)
    home = client.get(reverse("experts:home")).content.decode()
    assert "不予解冻理由" in home and "单位已撤销" in home
    services.request_unfreeze(application, application.user)  # and may ask again
    assert ExpertApplication.objects.get(pk=application.pk).status == S.PENDING_BUREAU
    # … until they ask again: that answers it.
    assert "不予解冻理由" not in client.get(reverse("experts:home")).content.decode()


def test_a_refused_unfreeze_takes_no_field_comments(client, unit, reviewer):
    """A frozen expert cannot edit the form: 不予解冻 offers no 字段批注, and a post that
    carries one is refused with nothing changed."""
    application = admitted(unit, reviewer, confirmed_months_ago=25)
    lifecycle.run()
    services.request_unfreeze(application, application.user)
    SMSMessage.objects.all().delete()
    client.force_login(reviewer)
    detail = client.get(reverse("experts:bureau_detail", args=[application.pk])).content.decode()
    assert "审核不通过（不予解冻）" in detail and "字段批注（选填）" not in detail

    response = client.post(
        reverse("experts:bureau_reject", args=[application.pk]),
        {"reason": "单位已撤销", "field_1": "resume", "note_1": "写全经历"},
        follow=True,
    )

    assert "不予解冻时不能填写字段批注" in response.content.decode()
    application.refresh_from_db()
    assert (application.status, application.unfreezing) == (S.PENDING_BUREAU, True)
    assert not SMSMessage.objects.exists()


def test_exit_asked_then_confirmed_by_the_bureau(client, unit, reviewer):
    application = admitted(unit, reviewer)
    client.force_login(application.user)
    client.post(reverse("experts:applicant_act", args=["exit"]))
    assert ExpertApplication.objects.get(pk=application.pk).status == S.EXIT_PENDING
    client.force_login(reviewer)
    page = client.get(reverse("experts:bureau_detail", args=[application.pk])).content.decode()
    assert "确认退出" in page
    client.post(reverse("experts:bureau_confirm_exit", args=[application.pk]), {"comment": ""})
    application.refresh_from_db()
    assert application.status == S.EXITED
    assert "已退出市科技局专家库" in SMSMessage.objects.get().body
    assert not pool_for(reviewer).filter(pk=application.pk).exists()


def test_a_frozen_expert_cannot_leave_and_come_back_unfrozen(unit, reviewer):
    application = admitted(unit, reviewer, confirmed_months_ago=25)
    lifecycle.run()
    services.request_exit(application, application.user)
    with pytest.raises(WorkflowError, match="已满24个月未确认"):
        services.withdraw_exit(application, application.user)
    assert ExpertApplication.objects.get(pk=application.pk).status == S.EXIT_PENDING


def test_withdrawing_consent_starts_the_exit(client, unit, reviewer):
    application = admitted(unit, reviewer)
    client.force_login(application.user)
    client.post(reverse("experts:applicant_act", args=["withdraw_consent"]))
    application.refresh_from_db()
    assert application.status == S.EXIT_PENDING
    assert application.history.latest("pk").comment == "撤回敏感个人信息处理同意"
    # The consent is gone at once, and staying would need it: no 撤回退出申请.
    assert (application.consent_version, application.consent_at) == ("", None)
    home = client.get(reverse("experts:home")).content.decode()
    assert "您已撤回敏感个人信息处理同意并申请退出专家库，等待市科技局确认。" in home
    assert "撤回退出申请</button>" not in home
    response = client.post(reverse("experts:applicant_act", args=["withdraw_exit"]))
    assert "您已撤回敏感个人信息处理同意" in "".join(
        m.message for m in get_messages(response.wsgi_request)
    )
    assert ExpertApplication.objects.get(pk=application.pk).status == S.EXIT_PENDING
    client.force_login(reviewer)
    detail = client.get(reverse("experts:bureau_detail", args=[application.pk])).content.decode()
    assert "未同意" in detail


def test_after_reapplying_the_home_counts_the_consent_withdrawn_as_missing(client, unit, reviewer):
    """Found by a walk: the home said 必填信息已全部填写 while 提交 asked for the consent."""
    application = admitted(unit, reviewer)
    client.force_login(application.user)
    client.post(reverse("experts:applicant_act", args=["withdraw_consent"]))
    client.force_login(reviewer)
    client.post(reverse("experts:bureau_confirm_exit", args=[application.pk]), {"comment": ""})
    client.force_login(application.user)

    client.post(reverse("experts:applicant_act", args=["reapply"]))

    home = client.get(reverse("experts:home")).content.decode()
    assert ExpertApplication.objects.get(pk=application.pk).status == S.DRAFT
    assert "还有 2 项必填信息未填写" in home and "敏感个人信息处理同意" in home
    assert "必填信息已全部填写" not in home


def test_reapplying_asks_for_the_pledge_again_and_keeps_the_consent(client, unit, reviewer):
    """A new application after an ordinary exit: its 诚信承诺 starts unticked (an expert's-year
    walk found it ticked from the application that ended); the consent, never withdrawn, stays
    (it still covers paying for reviews done before the exit)."""
    application = admitted(unit, reviewer)
    services.request_exit(application, application.user)
    client.force_login(reviewer)
    client.post(reverse("experts:bureau_confirm_exit", args=[application.pk]), {"comment": ""})
    client.force_login(application.user)

    client.post(reverse("experts:applicant_act", args=["reapply"]))

    application.refresh_from_db()
    assert application.status == S.DRAFT and application.integrity_pledge is False
    assert application.consent_at is not None
    home = client.get(reverse("experts:home")).content.decode()
    assert "还有 1 项必填信息未填写" in home and "诚信承诺" in home
    form = client.get(reverse("experts:form")).content.decode()
    pledge = re.search(r'<input[^>]*name="integrity_pledge"[^>]*>', form).group(0)
    assert "checked" not in pledge


def test_removal_with_a_ban_bars_the_id_number_by_its_index(client, unit, reviewer):
    application = admitted(unit, reviewer)
    person = application.user
    client.force_login(reviewer)
    refused = client.post(
        reverse("experts:bureau_remove", args=[application.pk]), {"code": "other", "reason": ""}
    )
    assert refused.status_code == 400 and "选择“其他”时，请填写出库理由" in refused.content.decode()
    assert ExpertApplication.objects.get(pk=application.pk).status == S.APPROVED

    client.post(
        reverse("experts:bureau_remove", args=[application.pk]),
        {"code": "false_info", "reason": "学历信息不实", "ban_years": "3"},
    )
    application.refresh_from_db()
    assert application.status == S.EXITED
    row = application.history.latest("pk")
    assert row.reason_labels() == ["提供虚假信息"] and row.comment == "学历信息不实"
    # The expert reads why on their home, not only in the SMS (found by a walk).
    client.force_login(person)
    home = client.get(reverse("experts:home")).content.decode()
    assert "出库（清退）理由" in home and "提供虚假信息" in home and "学历信息不实" in home
    client.force_login(reviewer)
    entry = Blacklist.objects.get()
    assert entry.id_number_index == person.id_number_index
    assert person.id_number not in str(Blacklist.objects.values().get())
    assert entry.until == period_end(timezone.localdate(), years=3)
    # The day the ban ends is still barred: the SMS names the day after, when it is open.
    opens = entry.until + datetime.timedelta(days=1)
    assert f"{chinese_date(opens)}起方可重新申请。" in SMSMessage.objects.get().body

    # Under a new username: the registration is refused, saying nothing of the ban.
    client.logout()
    User.objects.filter(pk=person.pk).update(id_number_index="")  # as if the account were gone
    data = {
        "username": "newname2027",
        "real_name": person.real_name,
        "id_type": person.id_type,
        "id_number": person.id_number,
        "mobile": "13912345678",
        "email": "new@example.com",
        "unit": unit.pk,
        "password1": factories.PASSWORD,
        "password2": factories.PASSWORD,
        "privacy_notice": "on",
    }
    page = client.post(reverse("accounts:register_individual"), data)
    assert "该证件号码目前不能注册" in page.content.decode()
    assert not User.objects.filter(username="newname2027").exists()


def test_reapply_waits_for_the_ban_to_end(client, unit, reviewer):
    """During a 禁入 the home page says until when, offers no 重新申请, and refuses one
    posted anyway; after it, an expert who was removed may apply again."""
    application = admitted(unit, reviewer)
    services.remove_application(application, reviewer, "conduct", "评审中泄露信息", "1")
    until = Blacklist.objects.get().until
    client.force_login(application.user)
    home = client.get(reverse("experts:home")).content.decode()
    opens = until + datetime.timedelta(days=1)
    assert f"您已被移出专家库，{opens:%Y-%m-%d}起方可重新申请入库。" in home
    assert 'data-testid="banned"' in home and "重新申请</button>" not in home
    client.post(reverse("experts:applicant_act", args=["reapply"]))
    assert ExpertApplication.objects.get(pk=application.pk).status == S.EXITED
    # On its last day the ban still holds, as the bureau's page says.
    Blacklist.objects.update(until=timezone.localdate())
    client.post(reverse("experts:applicant_act", args=["reapply"]))
    assert ExpertApplication.objects.get(pk=application.pk).status == S.EXITED
    client.force_login(reviewer)
    detail = client.get(reverse("experts:bureau_detail", args=[application.pk])).content.decode()
    assert f"禁入：至 {timezone.localdate():%Y-%m-%d}（含），" in detail
    client.force_login(application.user)
    Blacklist.objects.update(until=timezone.localdate() - datetime.timedelta(days=1))
    home = client.get(reverse("experts:home")).content.decode()
    assert "您已被移出专家库。如需再次入库，可重新申请。" in home and "重新申请</button>" in home
    client.post(reverse("experts:applicant_act", args=["reapply"]))
    assert ExpertApplication.objects.get(pk=application.pk).status == S.DRAFT


def test_a_ban_for_good_says_so_in_plain_words(client, unit, reviewer):
    application = admitted(unit, reviewer)
    services.remove_application(application, reviewer, "false_info", "", "forever")
    assert SMSMessage.objects.get().body.endswith("原因：提供虚假信息。今后不得再申请入库。")
    client.force_login(application.user)
    home = client.get(reverse("experts:home")).content.decode()
    assert "您已被移出专家库，不得再申请入库。" in home and "重新申请</button>" not in home
    client.force_login(reviewer)
    detail = client.get(reverse("experts:bureau_detail", args=[application.pk])).content.decode()
    assert "禁入：永久，该证件号码不能注册账号，也不能重新申请入库（提供虚假信息）。" in detail


def test_the_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("review_confirmations", "--date", "2026-1-01")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_of_one_exit_at_once_apply_once(reference_data):
    unit = factories.make_unit()
    reviewers = [factories.make_reviewer(), factories.make_reviewer()]
    application = admitted(unit, reviewers[0])
    services.request_exit(application, application.user)
    barrier, outcomes = threading.Barrier(2), []

    def confirm(reviewer):
        try:
            barrier.wait()
            services.confirm_exit(application, reviewer)
            outcomes.append("done")
        except WorkflowError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[0] == "done" and "可能已在其他窗口或由他人处理" in sorted(outcomes)[1]
    assert application.history.filter(action="confirm_exit").count() == 1
    assert SMSMessage.objects.filter(body__contains="已退出").count() == 1


@pytest.mark.parametrize(
    ("confirmed", "today", "months"),
    [
        ("2025-01-15", "2025-12-14", 10),
        ("2025-01-15", "2025-12-15", 11),  # the reminder's first day
        ("2025-01-31", "2025-12-31", 11),
        ("2025-01-31", "2026-02-28", 12),
        ("2024-03-10", "2025-12-20", 21),
    ],
)
def test_the_banner_counts_whole_months(confirmed, today, months):
    from experts.periods import full_months_since, remind_before

    moment = timezone.make_aware(datetime.datetime.fromisoformat(f"{confirmed} 10:00"))
    day = datetime.date.fromisoformat(today)
    assert full_months_since(moment, day) == months
    # Due for the reminder exactly when 11 or more whole months have passed.
    assert (moment < remind_before(day)) == (months >= 11)


def test_the_banner_says_how_long_it_has_been(client, unit, reviewer):
    application = admitted(unit, reviewer, confirmed_months_ago=21, days_more=3)
    client.force_login(application.user)
    banner = (
        client.get(reverse("experts:home")).content.decode().split('data-testid="confirm-due"')[1]
    )
    assert "已满21个月" in banner.split("</div>")[0]


def test_a_reminder_past_the_twelve_months_does_not_ask_for_them(unit, reviewer):
    late = admitted(unit, reviewer, confirmed_months_ago=15, days_more=2)
    assert lifecycle.run() == {"frozen": 0, "reminded": 1}
    body = SMSMessage.objects.get(to=late.mobile).body
    frozen_on = chinese_date(anniversary(timezone.localdate(late.confirmed_at), months=24))
    assert body.endswith(
        f"已满15个月，请于{frozen_on}前登录系统确认或更新信息；满24个月未确认将被冻结。"
    )


def test_the_reminder_and_the_banner_name_the_day_to_confirm_by(client, unit, reviewer):
    """A dates walk: they said 满24个月未确认将被冻结 and never which day that was."""
    application = admitted(unit, reviewer, confirmed_months_ago=11, days_more=1)
    confirmed = timezone.localdate(application.confirmed_at)
    due, frozen = anniversary(confirmed, months=12), anniversary(confirmed, months=24)
    assert lifecycle.run() == {"frozen": 0, "reminded": 1}
    assert SMSMessage.objects.get().body.endswith(
        f"已满11个月，请于{chinese_date(due)}前登录系统确认或更新信息；"
        f"满24个月（{chinese_date(frozen)}）未确认将被冻结。"
    )
    client.force_login(application.user)
    banner = client.get(reverse("experts:home")).content.decode().split('"confirm-due">')[1]
    assert banner.split("</div>")[0] == (
        f"距您上次确认专家信息（{confirmed}）已满11个月，请于{due}前确认信息是否有变化"
        f"（修改专家信息并生效后也视为确认）。满24个月（{frozen}）未确认将被冻结，"
        "冻结期间不参加专家抽取。"
    )


def test_the_day_named_for_the_freeze_is_the_day_it_happens(client, unit, reviewer):
    """Last confirmed 24 months ago tomorrow: asked to confirm before tomorrow, frozen by
    tomorrow's run and not today's, and told it is 已满24个月 (not 已超过)."""
    application = admitted(unit, reviewer, confirmed_months_ago=24, days_more=-1)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert lifecycle.run() == {"frozen": 0, "reminded": 1}
    assert SMSMessage.objects.get().body.endswith(
        f"已满23个月，请于{chinese_date(tomorrow)}前登录系统确认或更新信息；"
        "满24个月未确认将被冻结。"
    )
    client.force_login(application.user)
    home = client.get(reverse("experts:home")).content.decode()
    assert f"已满23个月，请于{tomorrow}前确认信息是否有变化" in home
    assert "满24个月未确认将被冻结，冻结期间不参加专家抽取。" in home

    # Tomorrow, as if a day had passed (a freeze checks today's date under the row's lock).
    ExpertApplication.objects.filter(pk=application.pk).update(
        confirmed_at=application.confirmed_at - datetime.timedelta(days=1)
    )
    assert lifecycle.run() == {"frozen": 1, "reminded": 0}
    assert ExpertApplication.objects.get(pk=application.pk).status == S.FROZEN
    assert SMSMessage.objects.latest("pk").body.endswith(
        "您的专家信息已满24个月未确认，已被冻结，冻结期间不参加专家抽取。请登录系统申请解冻。"
    )


def test_a_freeze_counts_as_a_change_of_the_row(unit, reviewer):
    """用户账号管理 orders by 更新时间: a frozen expert moves up as changed."""
    application = admitted(unit, reviewer, confirmed_months_ago=25)
    long_ago = timezone.now() - datetime.timedelta(days=30)
    ExpertApplication.objects.filter(pk=application.pk).update(updated_at=long_ago)
    lifecycle.run()
    application.refresh_from_db()
    assert application.status == S.FROZEN
    assert application.updated_at > timezone.now() - datetime.timedelta(minutes=1)
