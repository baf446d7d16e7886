"""The sub-fields (子领域) of 专业领域, under the twelve fields (experts.choices.SUB_DISCIPLINES).

Every application's picks stay as they are: they name fields, which stay fields. Undone, it
removes the sub-fields, and an application that picked one keeps its field instead (once);
its search text still names the sub-field until `manage.py refresh_search`."""

from django.db import migrations

from experts.choices import SUB_DISCIPLINES


def load(apps, schema_editor):
    Discipline = apps.get_model("experts", "Discipline")
    fields = dict(Discipline.objects.filter(parent=None).values_list("code", "pk"))
    for code, name, field_code in SUB_DISCIPLINES:
        Discipline.objects.update_or_create(
            code=code, defaults={"name": name, "parent_id": fields[field_code]}
        )


def unload(apps, schema_editor):
    Discipline = apps.get_model("experts", "Discipline")
    Picked = apps.get_model("experts", "ExpertApplication").disciplines.through
    codes = [code for code, _, _ in SUB_DISCIPLINES]
    subs = Discipline.objects.filter(code__in=codes, parent__isnull=False)
    field_of = dict(subs.values_list("pk", "parent_id"))
    picks = Picked.objects.filter(discipline_id__in=list(field_of))
    kept = set(Picked.objects.values_list("expertapplication_id", "discipline_id"))
    fields = {
        (application_id, field_of[discipline_id])
        for application_id, discipline_id in picks.values_list(
            "expertapplication_id", "discipline_id"
        )
    }
    Picked.objects.bulk_create(
        [
            Picked(expertapplication_id=application_id, discipline_id=field_id)
            for application_id, field_id in sorted(fields - kept)
        ],
        batch_size=1000,
    )
    picks.delete()
    subs.delete()


class Migration(migrations.Migration):
    dependencies = [("experts", "0020_lifecycle")]

    operations = [migrations.RunPython(load, unload)]
