"""Rebuild every application's search text and unit (after a bulk import, or after old and new
versions of the portal ran side by side during a deploy; docs/deployment.md)."""

from django.core.management.base import BaseCommand

from experts import search
from experts.models import ExpertApplication


class Command(BaseCommand):
    help = "重建所有专家申请的检索文本和所属单位（批量导入或滚动升级之后使用）。"

    def handle(self, *args, **options):
        changed = search.refresh(ExpertApplication.objects.all())
        self.stdout.write(f"已重建检索文本：{changed}条有变化。")
