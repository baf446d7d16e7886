"""复核 a draw from its record: python manage.py verify_draw <id> [--round R --seed HEX]."""

import re

from django.core.management.base import BaseCommand, CommandError

from draws.models import Draw, Round
from draws.selectors import verify


class Command(BaseCommand):
    help = "按抽取记录中保存的随机种子和符合条件名单重新计算抽取结果，并与记录比对。"

    def add_arguments(self, parser):
        parser.add_argument("draw", type=int, help="抽取记录编号")
        parser.add_argument("--round", type=int, help="用 --seed 验算的轮次编号（抽取轮次的 id）")
        parser.add_argument("--seed", help="代替记录中种子的随机种子（64位十六进制）")

    def handle(self, *args, **options):
        try:
            draw = Draw.objects.get(pk=options["draw"])
        except Draw.DoesNotExist:
            raise CommandError(f"抽取记录 {options['draw']} 不存在。") from None
        seeds = {}
        if options["seed"] is not None:
            if not re.fullmatch(r"[0-9a-f]{64}", options["seed"]) or not options["round"]:
                raise CommandError("--seed 须为64位十六进制数字，并用 --round 指明轮次。")
            rounds = list(
                Round.objects.filter(quota__draw=draw).order_by("pk").values_list("pk", flat=True)
            )
            if options["round"] not in rounds:
                # Else the seed would be dropped and every round read 一致.
                raise CommandError(
                    f"轮次 {options['round']} 不属于抽取记录 {draw.pk}。"
                    f"本记录的轮次编号：{'、'.join(map(str, rounds))}。"
                )
            seeds[options["round"]] = options["seed"]
        checks = verify(draw, seeds)
        for check in checks:
            drawn = check.round
            verdict = "一致" if check.ok else "不一致"
            self.stdout.write(
                f"{drawn.quota.discipline.name} 第{drawn.number}轮（轮次 {drawn.pk}）：{verdict}；"
                f"种子 {check.seed}；符合条件 {drawn.eligible_count} 人，摘要"
                f"{'相符' if check.hash_ok else '不符'}；记录 {drawn.picked_ids}；"
                f"重算 {check.recomputed}"
            )
        if not all(check.ok for check in checks):
            raise CommandError(f"抽取记录 {draw.pk} 复核不一致。")
        self.stdout.write(f"抽取记录 {draw.pk} 复核一致。")
