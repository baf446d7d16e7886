"""After adding a new first key to FIELD_ENCRYPTION_KEYS: python manage.py
reencrypt_personal_data [--dry-run] (docs/security.md, Keys and their rotation;
experts.reencrypt)."""

from django.core.management.base import BaseCommand, CommandError

from experts import reencrypt


class Command(BaseCommand):
    help = (
        "用 FIELD_ENCRYPTION_KEYS 的第一个密钥重新加密全部证件号码、银行账号和身份验证器密钥"
        "（含提交记录和变更申请中的副本），之后旧密钥才可以不再使用。分批进行，可重复运行；已用第一个密钥"
        "加密的不再改写。先让所有进程（网站、短信、导出、每日任务）以新的密钥列表重启。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=reencrypt.BATCH, help="每批处理的行数（默认500）"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="试运行：只报告将重新加密的条数，不做任何更改。",
        )

    def handle(self, *args, **options):
        if options["batch"] < 1:
            raise CommandError("--batch 应为正整数。")
        dry_run = options["dry_run"]
        done = reencrypt.reencrypt_all(options["batch"], dry_run=dry_run)
        counts = done.counts()
        if dry_run:
            self.stdout.write(f"试运行：将重新加密{counts}；未做任何更改。")
        else:
            self.stdout.write(f"已重新加密：{counts}。")
