"""The current two-factor code of the demo accounts (seed_demo gives them a known key)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Authenticator


class Command(BaseCommand):
    help = "显示演示账号（admin、bureau）当前的两步验证码，仅用于开发环境。"

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("只能在开发环境（DEBUG=true）中使用。")
        devices = Authenticator.objects.filter(name="演示", confirmed=True).select_related("user")
        for device in devices:
            now = time.time()
            left = device.STEP - int(now) % device.STEP
            code = f"{device.totp(now).token():0{device.DIGITS}d}"
            self.stdout.write(f"{device.user.username:<8} {code}（{left}秒内有效，只能用一次）")
