"""三员分立: 解除登录锁定 became a permission of its own (accounts 0016, 可解除登录锁定), no longer
offered to whoever may read the lock lists; the security administrators' group (0028) gets it."""

from django.db import migrations

GROUP = "安全管理员"


def give(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are made after the migrations (post_migrate); as in 0028.
    accounts = apps.get_app_config("accounts")
    accounts.models_module = True
    create_permissions(accounts, apps=apps, verbosity=0)
    accounts.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    unlock = Permission.objects.get(content_type__app_label="accounts", codename="unlock_account")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.add(unlock)


def take(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="accounts", codename="unlock_account")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0029_password_and_registration_actions"),
        ("accounts", "0016_unlock_permission"),
    ]

    operations = [migrations.RunPython(give, take)]
