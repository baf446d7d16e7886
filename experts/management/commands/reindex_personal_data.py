"""After replacing FIELD_HMAC_KEY (the former one in FIELD_HMAC_OLD_KEYS): python manage.py
reindex_personal_data [--dry-run] (docs/security.md, Keys and their rotation; experts.reindex)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from experts import reindex


class Command(BaseCommand):
    help = (
        "更换 FIELD_HMAC_KEY 后运行：用当前的 FIELD_HMAC_KEY 重算全部证件号码索引（账号、"
        "禁入名单）和入库证明的持证人信息摘要，之后 FIELD_HMAC_OLD_KEYS 中的旧密钥才可以删除。"
        "分批进行，可重复运行；已是当前密钥的不再改写。先让所有进程以新的密钥重启。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=reindex.BATCH, help="每批处理的行数（默认500）"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="试运行：只报告将重算的条数，不做任何更改。"
        )

    def handle(self, *args, **options):
        if options["batch"] < 1:
            raise CommandError("--batch 应为正整数。")
        dry_run = options["dry_run"]
        try:
            done = reindex.reindex_all(options["batch"], dry_run=dry_run)
        except reindex.DuplicateIdNumber as error:
            raise CommandError(str(error)) from None
        counts = (
            f"证件号码索引{done.accounts}条，禁入名单{done.bans}条，入库证明{done.certificates}份"
        )
        if dry_run:
            self.stdout.write(f"试运行：将重算{counts}；未做任何更改。")
        else:
            self.stdout.write(f"已重算：{counts}。")
        if done.orphan_bans_in_force:
            until = "永久" if done.orphans_until is None else f"{done.orphans_until}"
            self.stdout.write(
                f"禁入名单中有{done.orphan_bans}条与任何账号的证件号码都不对应，无法重算，"
                f"其中{done.orphan_bans_in_force}条仍在禁入期内（最晚至：{until}）。"
                "这些条目到期之前，不要从 FIELD_HMAC_OLD_KEYS 中删除旧密钥，"
                "否则其证件号码可以重新注册和申请。"
            )
        elif done.orphan_bans:
            self.stdout.write(
                f"禁入名单中有{done.orphan_bans}条与任何账号的证件号码都不对应，无法重算；"
                "它们均已到期，不影响删除旧密钥。"
            )
        if not dry_run and not done.orphan_bans_in_force and settings.FIELD_HMAC_OLD_KEYS:
            self.stdout.write(
                "全部索引均已使用当前的 FIELD_HMAC_KEY：现在可以删除 FIELD_HMAC_OLD_KEYS，"
                "并重启所有进程。"
            )
