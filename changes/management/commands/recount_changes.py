"""Count the change requests in each reviewed status again (after a bulk load or a manual
repair)."""

from django.core.management.base import BaseCommand

from changes import counts
from changes.models import REVIEWED, ChangeStatus


class Command(BaseCommand):
    help = "重新统计各状态的变更申请数量（批量导入或手工修复数据之后使用）。"

    def handle(self, *args, **options):
        counted = counts.recount()
        labels = dict(ChangeStatus.choices)
        summary = "，".join(f"{labels[s]}{counted.get(s, 0)}条" for s in REVIEWED)
        self.stdout.write(f"已重新统计：{summary}。")
