"""Check every application waiting for a decision against the active 资格提示 rules again
(after an upgrade that added the rules, or a bulk load). Decided applications keep theirs."""

from django.core.management.base import BaseCommand
from django.db import transaction

from experts import eligibility


class Command(BaseCommand):
    help = "按当前启用的资格提示规则，重新核对待单位推荐、待科技局审核及已退回（待修改）的申请。"

    def handle(self, *args, **options):
        with transaction.atomic():
            checked, changed = eligibility.recompute()
        self.stdout.write(
            f"已重新核对{checked}份待审核或已退回的申请的资格提示，其中{changed}份有变化。"
        )
