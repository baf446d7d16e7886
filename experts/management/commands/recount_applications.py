"""Count the applications in each 专家状态 again (after a bulk load or a manual repair)."""

from django.core.management.base import BaseCommand

from experts import counts
from experts.models import ApplicationStatus


class Command(BaseCommand):
    help = "重新统计各专家状态的申请数量（批量导入或手工修复数据之后使用）。"

    def handle(self, *args, **options):
        counted = counts.recount()
        labels = dict(ApplicationStatus.choices)
        summary = "，".join(f"{labels[s]}{counted.get(s, 0)}条" for s in ApplicationStatus)
        self.stdout.write(f"已重新统计：{summary}。")
