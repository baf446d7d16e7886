"""The fixed 专业领域 classification and the bureau reviewers' group."""

from django.db import migrations

from experts.choices import DISCIPLINES

BUREAU_GROUP = "科技局审核员"
# What reviewers may do in Django admin besides the portal's own pages: read.
REVIEWER_PERMISSIONS = [
    ("accounts", "view_unit"),
    ("accounts", "view_unittransition"),
    ("experts", "view_expertapplication"),
    ("experts", "view_applicationtransition"),
]


def load(apps, schema_editor):
    Discipline = apps.get_model("experts", "Discipline")
    for code, name in DISCIPLINES:
        Discipline.objects.update_or_create(code=code, defaults={"name": name})

    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=BUREAU_GROUP)
    for app_label, codename in REVIEWER_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def unload(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=BUREAU_GROUP).delete()
    apps.get_model("experts", "Discipline").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("experts", "0001_initial"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(load, unload)]
