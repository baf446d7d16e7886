"""Count the change requests waiting in each open status again (after a bulk load or a manual
repair)."""

from django.core.management.base import BaseCommand

from changes import counts
from changes.models import OPEN, ChangeStatus


class Command(BaseCommand):
    help = "重新统计待处理的变更申请数量（批量导入或手工修复数据之后使用）。"

    def handle(self, *args, **options):
        counted = counts.recount()
        labels = dict(ChangeStatus.choices)
        summary = "，".join(f"{labels[s]}{counted.get(s, 0)}条" for s in OPEN)
        self.stdout.write(f"已重新统计：{summary}。")
