"""Rebuild every application's search text and unit, and the rows 专家库's 专业领域 counts read
(FacetDiscipline): after a bulk import, or after old and new versions of the portal ran side by
side during a deploy (docs/deployment.md)."""

from django.core.management.base import BaseCommand

from experts import search
from experts.models import ExpertApplication, FacetDiscipline


class Command(BaseCommand):
    help = "重建所有专家申请的检索文本、所属单位和专业领域计数（批量导入或滚动升级之后使用）。"

    def handle(self, *args, **options):
        changed = search.refresh(ExpertApplication.objects.all())
        FacetDiscipline.objects.rebuild(ExpertApplication.objects.values_list("pk", flat=True))
        self.stdout.write(f"已重建检索文本：{changed}条有变化；专业领域计数已重建。")
