"""A lockout's SMS names whose account it is (accounts.lockout): 我的个人信息 lists a person's SMS
by what they are about, no longer by the number they went to. The notices sent before say it
in their text alone: each is given the account its text names, if that account still exists."""

import re

from django.db import migrations

NOTICE = re.compile(r"您的账号(.+?)因多次登录失败已被锁定至")


def name_the_accounts(apps, schema_editor):
    SMSMessage = apps.get_model("sms", "SMSMessage")
    User = apps.get_model("accounts", "User")
    ContentType = apps.get_model("contenttypes", "ContentType")
    notices = SMSMessage.objects.filter(
        content_type__isnull=True, body__contains="因多次登录失败已被锁定至"
    )
    if not notices.exists():
        return
    kind, _ = ContentType.objects.get_or_create(app_label="accounts", model="user")
    for message in notices.only("pk", "body").iterator():
        found = NOTICE.search(message.body)
        user = found and User.objects.filter(username=found.group(1)).only("pk").first()
        if user:
            SMSMessage.objects.filter(pk=message.pk).update(content_type=kind, object_id=user.pk)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_ban_last_day_help"),
        ("sms", "0002_message_about"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(name_the_accounts, migrations.RunPython.noop)]
