"""How an SMS to one person begins (sms.templates), as the SMS admin's list reads it."""

from django.contrib.admin.sites import site

from sms import templates
from sms.models import SMSMessage


def test_a_message_to_a_person_names_the_portal_then_greets_them(settings):
    settings.PORTAL_NAME = "武汉市科技局专家入库系统"
    assert templates.EXIT_CONFIRMED.render({"name": "王芳"}) == (
        "【武汉市科技局专家入库系统】王芳您好，您的退出专家库申请已确认，您已退出市科技局专家库。"
    )


def test_the_admin_list_shows_what_follows_the_greeting():
    body = templates.UNFREEZE_APPROVED.render({"name": "王芳"})
    message = SMSMessage(to="+8613712345678", body=body)
    assert site.get_model_admin(SMSMessage).excerpt(message) == "您的解冻申请已审核通过，冻结已…"
