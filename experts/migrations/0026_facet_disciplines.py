import itertools
import operator

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    """Every application's rows, from its picks, as FacetDisciplineManager.rebuild writes them:
    each discipline picked, and the field of each sub-field picked, once each. The picks are
    read in the order of their applications and written a slice at a time: memory holds one
    slice, not the 300,000 rows of a large pool."""
    application = apps.get_model("experts", "ExpertApplication")
    facet_discipline = apps.get_model("experts", "FacetDiscipline")
    picks = (
        application.disciplines.through.objects.order_by("expertapplication_id")
        .values_list("expertapplication_id", "discipline_id", "discipline__parent_id")
        .iterator(chunk_size=10000)
    )
    rows = []
    for application_id, group in itertools.groupby(picks, key=operator.itemgetter(0)):
        wanted = set()
        for _, discipline_id, parent_id in group:
            wanted.add(discipline_id)
            if parent_id is not None:
                wanted.add(parent_id)
        rows.extend(
            facet_discipline(application_id=application_id, discipline_id=d) for d in sorted(wanted)
        )
        if len(rows) >= 5000:
            facet_discipline.objects.bulk_create(rows)
            rows = []
    facet_discipline.objects.bulk_create(rows)


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
