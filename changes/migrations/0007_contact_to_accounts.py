"""Before changes.services copied a new 手机 / 电子邮箱 to the login account as well, an expert
who changed them through 修改联系方式 kept the old ones on the account, where 忘记密码 and the
lockout's SMS go. Copy the application's current ones to the account, for the experts who
changed them that way; an account whose expert never changed them is left as it is."""

from django.db import migrations

ACCOUNT_CONTACT = ("mobile", "email")


def copy_contact(apps, schema_editor):
    db = schema_editor.connection.alias
    change_request = apps.get_model("changes", "ChangeRequest")
    user_model = apps.get_model("accounts", "User")
    changed: dict[int, set[str]] = {}
    applied = change_request.objects.using(db).filter(kind="contact", status="applied")
    for application_id, values in applied.values_list("application_id", "values"):
        changed.setdefault(application_id, set()).update(
            name for name in ACCOUNT_CONTACT if name in (values or {})
        )
    application_model = apps.get_model("experts", "ExpertApplication")
    rows = application_model.objects.using(db).filter(pk__in=[k for k, v in changed.items() if v])
    users = []
    for application in rows.select_related("user"):
        user = application.user
        moved = False
        for name in changed[application.pk]:
            if getattr(user, name) != getattr(application, name):
                setattr(user, name, getattr(application, name))
                moved = True
        if moved:
            users.append(user)
    user_model.objects.using(db).bulk_update(users, list(ACCOUNT_CONTACT))


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0006_submitted_rows"),
        ("accounts", "0007_lifecycle"),
        ("experts", "0030_unfreezing"),
    ]

    operations = [migrations.RunPython(copy_contact, migrations.RunPython.noop)]
