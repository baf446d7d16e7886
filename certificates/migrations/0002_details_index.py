"""Certificates keep a keyed hash of what they print of their holder (certificates.rules):
the certificates issued so far get the hash of their holder's details as they are now, the
best that can be known of what they printed."""

from django.db import migrations, models

from portal.crypto import blind_index


def fill(apps, schema_editor):
    db = schema_editor.connection.alias
    certificate = apps.get_model("certificates", "Certificate")
    rows = certificate.objects.using(db).select_related("application__user", "application__unit")
    for row in rows:
        application = row.application
        disciplines = application.disciplines.order_by("code").values_list("name", flat=True)
        details = (
            application.user.real_name,
            application.unit.name if application.unit else "",
            "、".join(disciplines),
        )
        row.details_index = blind_index("\n".join(details))
        row.save(update_fields=["details_index"])


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0001_initial"),
        ("experts", "0030_unfreezing"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="details_index",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="持证人信息摘要"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.RemoveConstraint(
            model_name="certificate",
            name="one_certificate_per_admission",
        ),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.UniqueConstraint(
                fields=("application", "admitted_at", "details_index"),
                name="one_certificate_per_admission_and_details",
            ),
        ),
    ]
