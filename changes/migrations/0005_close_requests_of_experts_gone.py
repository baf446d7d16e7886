"""Close the 变更申请 left open by experts who had already left 审核通过 (冻结, 出库, 撤销入库)
before changes.receivers closed them in that step: they waited in the units' and the bureau's
lists and could never be applied. Each is closed as the receiver closes one (已撤回, a history
row 关闭 by 系统), and the kept counts are counted again."""

from collections import Counter

from django.db import migrations
from django.db.models import Count
from django.utils import timezone

OPEN = ["pending_unit", "pending_bureau"]
REVIEWED = [*OPEN, "approved", "rejected", "withdrawn"]
REASON = "专家已不是“审核通过”状态，未办结的信息变更申请随之撤回。"


def close(apps, schema_editor):
    db = schema_editor.connection.alias
    change_request = apps.get_model("changes", "ChangeRequest")
    change_transition = apps.get_model("changes", "ChangeTransition")
    change_count = apps.get_model("changes", "ChangeCount")
    stranded = list(
        change_request.objects.using(db)
        .filter(status__in=OPEN)
        .exclude(application__status="approved")
    )
    if not stranded:
        return
    now = timezone.now()
    change_transition.objects.using(db).bulk_create(
        change_transition(
            change_request=request,
            actor=None,
            actor_role="系统",
            action="close",
            from_status=request.status,
            to_status="withdrawn",
            comment=REASON,
        )
        for request in stranded
    )
    change_request.objects.using(db).filter(pk__in=[r.pk for r in stranded]).update(
        status="withdrawn", decided_at=now, decided_by=None, decided_role="系统", updated_at=now
    )
    # As changes.counts.recount does.
    kept: Counter = Counter()
    rows = (
        change_request.objects.using(db)
        .filter(status__in=REVIEWED)
        .order_by()
        .values_list("status", "confirming_unit_id")
        .annotate(n=Count("*"))
    )
    for status, unit_id, n in rows:
        kept[(status, None)] += n
        kept[(status, unit_id)] += n
    change_count.objects.using(db).all().delete()
    change_count.objects.using(db).bulk_create(
        change_count(status=status, unit_id=unit_id, n=n) for (status, unit_id), n in kept.items()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0004_change_counts"),
        ("experts", "0030_unfreezing"),
    ]

    operations = [migrations.RunPython(close, migrations.RunPython.noop, elidable=True)]
