"""复核 a draw from its record: python manage.py verify_draw <id> [--round R [--seed HEX]]."""

import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from draws.models import Draw, Round
from draws.selectors import verify


class Command(BaseCommand):
    help = (
        "按抽取记录中保存的随机种子和符合条件名单重新计算抽取结果，并与记录比对；"
        "--round 只复核该轮，再加 --seed 则用该种子代替记录中的种子验算该轮。"
    )

    def add_arguments(self, parser):
        parser.add_argument("draw", type=int, help="抽取记录编号")
        parser.add_argument(
            "--round", type=int, help="只复核这一轮（抽取轮次编号，复核页面和本命令的输出中可见）"
        )
        parser.add_argument(
            "--seed", help="代替记录中种子的随机种子（64位十六进制），须同时用 --round 指明轮次"
        )

    def handle(self, *args, **options):
        try:
            draw = Draw.objects.select_related("void__actor").get(pk=options["draw"])
        except Draw.DoesNotExist:
            raise CommandError(f"抽取记录 {options['draw']} 不存在。") from None
        only, seed = options["round"], options["seed"]
        if seed is not None and (not re.fullmatch(r"[0-9a-f]{64}", seed) or not only):
            raise CommandError("--seed 须为64位十六进制数字，并用 --round 指明轮次。")
        if only is not None:
            rounds = list(
                Round.objects.filter(quota__draw=draw).order_by("pk").values_list("pk", flat=True)
            )
            if only not in rounds:
                # Else nothing would be checked, or the seed dropped, and the draw read 一致.
                raise CommandError(
                    f"轮次 {only} 不属于抽取记录 {draw.pk}。"
                    f"本记录的轮次编号：{'、'.join(map(str, rounds))}。"
                )
        voided = draw.voided
        if voided is not None:
            # A void draw is still checked (its record stays whole), but said void first: its
            # result is no panel.
            who = voided.actor.real_name or voided.actor.username
            self.stdout.write(
                f"抽取记录 {draw.pk} 已作废：{timezone.localtime(voided.created_at):%Y-%m-%d %H:%M}"
                f" 由 {who} 作废，理由：{voided.reason}"
            )
        checks = verify(draw, {only: seed} if seed else {}, only=only)
        for check in checks:
            drawn = check.round
            verdict = "一致" if check.ok else "不一致"
            self.stdout.write(
                f"{drawn.quota.discipline_name} 第{drawn.number}轮（轮次 {drawn.pk}）：{verdict}；"
                f"种子 {check.seed}；符合条件 {drawn.eligible_count} 人，摘要"
                f"{'相符' if check.hash_ok else '不符'}；记录 {drawn.picked_ids}；"
                f"重算 {check.recomputed}"
            )
        what = f"抽取记录 {draw.pk}" + (f" 轮次 {only}" if only is not None else "")
        state = "（该抽取已作废）" if voided is not None else ""
        if not all(check.ok for check in checks):
            raise CommandError(f"{what} 复核不一致{state}。")
        self.stdout.write(f"{what} 复核一致{state}。")
