# ExportJob.sensitive (a yes/no) becomes ExportJob.scope, with a middle choice: 含联系方式, the
# mobile whole and the 证件号码 and 银行账号 masked (a call list for a panel). A job exported
# 含敏感信息 keeps saying so.

from django.db import migrations, models


def scope_from_sensitive(apps, schema_editor):
    ExportJob = apps.get_model("experts", "ExportJob")
    ExportJob.objects.filter(sensitive=True).update(scope="full")


def sensitive_from_scope(apps, schema_editor):
    # Back: a call list held a number whole too, so it reads as 含敏感信息.
    ExportJob = apps.get_model("experts", "ExportJob")
    ExportJob.objects.exclude(scope="masked").update(sensitive=True)


class Migration(migrations.Migration):
    dependencies = [
        ("experts", "0037_consent_bureau"),
        # The audit action of a call list (导出含联系方式的专家名单).
        ("audit", "0026_export_scope"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportjob",
            name="scope",
            field=models.CharField(
                choices=[("masked", "否"), ("contact", "仅联系方式（手机号码）"), ("full", "是")],
                default="masked",
                max_length=10,
                verbose_name="含敏感信息",
            ),
        ),
        migrations.RunPython(scope_from_sensitive, sensitive_from_scope),
        migrations.RemoveField(model_name="exportjob", name="sensitive"),
    ]
