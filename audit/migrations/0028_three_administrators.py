"""三员分立 (等保 2.0): a group for each of the system, security and audit administrators
(audit.separation, docs/security.md). The permissions are written out here, not read from
audit.separation: a migration says what it did when it ran."""

from django.db import migrations

GROUPS = {
    # Accounts and units; who is in which group, and what a group may do, stay with superusers
    # (accounts.admin.PrivilegesBySuperusersOnlyMixin).
    "系统管理员": [
        ("accounts", "view_user"),
        ("accounts", "add_user"),
        ("accounts", "change_user"),
        ("accounts", "view_unit"),
        ("accounts", "add_unit"),
        ("accounts", "change_unit"),
        ("accounts", "view_unittransition"),
        ("auth", "view_group"),
    ],
    # Locks and their unlocking (the lists' action), authenticators reset, 禁入名单 ended early,
    # the login records read.
    "安全管理员": [
        ("accounts", "view_accountlock"),
        ("accounts", "view_loginattempt"),
        ("accounts", "view_loginlog"),
        ("accounts", "view_authenticator"),
        ("accounts", "delete_authenticator"),
        ("accounts", "view_blacklist"),
        ("accounts", "change_blacklist"),
    ],
    # The trail, read and exported: nothing else.
    "审计管理员": [
        ("audit", "view_auditevent"),
        ("audit", "export_auditevent"),
    ],
}


def create(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are made after the migrations (post_migrate); a new database has none yet.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, labels in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in labels:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0027_retention_six_months"),
        ("accounts", "0014_privacy_notice_consent"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create, remove)]
