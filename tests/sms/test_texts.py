"""How an SMS to one person begins (sms.texts.greeted), as the SMS admin's list reads it."""

from django.contrib.admin.sites import site

from sms.models import SMSMessage
from sms.texts import greeted


def test_greeted_names_the_portal_then_greets_the_person(settings):
    settings.PORTAL_NAME = "武汉市科技局专家入库系统"
    assert greeted("王芳", "您的专家申请已通过审核。") == (
        "【武汉市科技局专家入库系统】王芳您好，您的专家申请已通过审核。"
    )


def test_the_admin_list_shows_what_follows_the_greeting():
    message = SMSMessage(to="+8613712345678", body=greeted("王芳", "请于明日到会。"))
    assert site.get_model_admin(SMSMessage).excerpt(message) == "请于明日到会。"
