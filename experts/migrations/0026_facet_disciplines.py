import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    """Every application's rows, from its picks, as FacetDisciplineManager.rebuild writes them:
    each discipline picked, and the field of each sub-field picked, once each."""
    application = apps.get_model("experts", "ExpertApplication")
    facet_discipline = apps.get_model("experts", "FacetDiscipline")
    picks = (
        application.disciplines.through.objects.order_by()
        .values_list("expertapplication_id", "discipline_id", "discipline__parent_id")
        .iterator(chunk_size=10000)
    )
    wanted = set()
    for application_id, discipline_id, parent_id in picks:
        wanted.add((application_id, discipline_id))
        if parent_id is not None:
            wanted.add((application_id, parent_id))
    facet_discipline.objects.bulk_create(
        [facet_discipline(application_id=a, discipline_id=d) for a, d in sorted(wanted)],
        batch_size=5000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("experts", "0025_status_count_returned"),
    ]

    operations = [
        migrations.CreateModel(
            name="FacetDiscipline",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "application",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="experts.expertapplication",
                    ),
                ),
                (
                    "discipline",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="experts.discipline",
                    ),
                ),
            ],
            options={
                "verbose_name": "专业领域计数行",
                "verbose_name_plural": "专业领域计数行",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("application", "discipline"), name="facet_discipline_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
