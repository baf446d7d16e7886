"""Give each 变更申请 made before its 提交 was recorded a history row 提交: by the expert who
asked, into 待单位确认, dated when the request was made, naming the fields asked for, as
changes.services writes one now. Its later 修改 were not kept and cannot be recovered."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery

# Rows written and re-dated per query: well under any database's limit on parameters.
BATCH = 1000


def add_submitted(apps, schema_editor):
    db = schema_editor.connection.alias
    change_request = apps.get_model("changes", "ChangeRequest")
    change_transition = apps.get_model("changes", "ChangeTransition")
    submitted = change_transition.objects.using(db).filter(
        change_request=OuterRef("pk"), action="submit"
    )
    missing = list(
        change_request.objects.using(db)
        .filter(kind="key")
        .exclude(Exists(submitted))
        .only("pk", "requested_by_id", "changed_labels")
    )
    made = change_request.objects.using(db).filter(pk=OuterRef("change_request_id"))
    for start in range(0, len(missing), BATCH):
        added = change_transition.objects.using(db).bulk_create(
            change_transition(
                change_request=request,
                actor_id=request.requested_by_id,
                actor_role="申请人",
                action="submit",
                from_status="",
                to_status="pending_unit",
                # The fields it asks for now: any earlier 修改 were not kept.
                comment=request.changed_labels,
            )
            for request in missing[start : start + BATCH]
        )
        # created_at is auto_now_add: set it afterwards, to each request's own date.
        change_transition.objects.using(db).filter(pk__in=[row.pk for row in added]).update(
            created_at=Subquery(made.values("created_at")[:1])
        )


class Migration(migrations.Migration):
    dependencies = [("changes", "0005_close_requests_of_experts_gone")]

    operations = [migrations.RunPython(add_submitted, migrations.RunPython.noop)]
