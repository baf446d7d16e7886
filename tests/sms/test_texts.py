"""How an SMS to one person begins (sms.templates), as the SMS admin's list reads it."""

import pytest
from django.contrib.admin.sites import site
from django.utils import timezone

from accounts.models import Blacklist, UnitStatus
from accounts.services import reject_unit
from experts import lifecycle, services
from experts.models import ApplicationStatus
from experts.reminders import remind_unit
from portal.dates import chinese_date
from sms import templates
from sms.models import SMSMessage
from sms.outbox import shorten
from tests import factories


def test_a_message_to_a_person_names_the_portal_then_greets_them(settings):
    settings.PORTAL_NAME = "武汉市科技局专家入库系统"
    assert templates.EXIT_CONFIRMED.render({"name": "王芳"}) == (
        "【武汉市科技局专家入库系统】王芳您好，您的退出专家库申请已确认，您已退出市科技局专家库。"
    )


def test_the_admin_list_shows_what_follows_the_greeting():
    body = templates.UNFREEZE_APPROVED.render({"name": "王芳"})
    message = SMSMessage(to="+8613712345678", body=body)
    assert site.get_model_admin(SMSMessage).excerpt(message) == "您的解冻申请已审核通过，冻结已…"


# The words each decision sent before its SMS became a template, written out as the services
# wrote them: the template with its params renders to the same text, byte for byte. (The other
# branches' texts are asserted by their own tests: tests/experts, tests/changes, tests/draws …)


def test_a_units_return_is_worded_as_before(settings, unit):
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT).application
    services.return_application(application, factories.unit_account(unit), reason="材料不全。")

    [message] = SMSMessage.objects.all()
    why = application.history.latest("pk").reasons_text()
    assert message.body == (
        f"【{settings.PORTAL_NAME}】{application.user.real_name}您好，您的专家入库申请已被所在单位"
        f"退回，原因：{shorten(why)}。请登录系统修改后重新提交。"
    )
    assert message.template == "application_returned"


def test_a_refused_unfreeze_is_worded_as_before(settings, unit, reviewer):
    application = factories.admitted_expert(unit, reviewer, confirmed_months_ago=25)
    lifecycle.run()
    services.request_unfreeze(application, application.user)
    SMSMessage.objects.all().delete()
    services.reject_application(application, reviewer, reason="单位已撤销")

    [message] = SMSMessage.objects.all()
    assert message.body == (
        f"【{settings.PORTAL_NAME}】{application.user.real_name}您好，您的解冻申请审核不通过，"
        f"原因：单位已撤销。您的专家信息仍为冻结状态，如有疑问请致电{settings.HELP_LINE}。"
    )


@pytest.mark.parametrize("ban_years", [None, "1", "forever"])
def test_a_removal_is_worded_as_before(settings, unit, reviewer, ban_years):
    application = factories.admitted_expert(unit, reviewer)
    services.remove_application(application, reviewer, "conduct", "评审中泄露信息", ban_years)

    [message] = SMSMessage.objects.all()
    why = application.history.latest("pk").reasons_text()
    text = f"您已被移出市科技局专家库，原因：{shorten(why)}。"
    if ban_years == "forever":
        text += "今后不得再申请入库。"
    elif ban_years:
        text += f"{chinese_date(Blacklist.objects.get().open_from)}起方可重新申请。"
    assert message.body == f"【{settings.PORTAL_NAME}】{application.user.real_name}您好，{text}"


def test_a_units_registration_refused_is_worded_as_before(settings, reviewer):
    unit = factories.make_unit(UnitStatus.PENDING)
    reject_unit(unit, reviewer, "营业执照扫描件不清晰")

    [message] = SMSMessage.objects.all()
    assert message.body == (
        f"【{settings.PORTAL_NAME}】贵单位“{unit.name}”的注册申请未通过审核，"
        "原因：营业执照扫描件不清晰。请登录系统修改后重新提交。"
    )


@pytest.mark.parametrize(("count", "confirmations"), [(3, 0), (0, 2), (3, 2)])
def test_a_units_overdue_reminder_is_worded_as_before(settings, unit, count, confirmations):
    remind_unit(unit, count, timezone.localdate(), confirmations)

    overdue = []
    if count:
        overdue.append(f"{count}份专家申请已超过推荐期限")
    if confirmations:
        overdue.append(f"{confirmations}份信息变更申请已超过确认期限")
    [message] = SMSMessage.objects.all()
    assert message.body == (
        f"【{settings.PORTAL_NAME}】贵单位有{'、'.join(overdue)}，"
        "请登录系统在“用户账号管理”中及时处理。"
    )
