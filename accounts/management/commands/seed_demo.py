"""Demo accounts for every role, so a new user can click through the whole manual at once."""

import io

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image
from stdnum.cn import ric, uscc

from accounts import services
from accounts.choices import IdType, UnitNature
from accounts.models import Authenticator, Unit, UnitStatus, User
from accounts.permissions import BUREAU_GROUP
from portal import privacy

PASSWORD = "Demo#2026pass"
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key
DEMO_TOTP_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def credit_code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


def resident_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def licence_png() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), "white").save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="licence.png")


class Command(BaseCommand):
    help = "创建演示账号：运维人员、科技局审核员、单位账号（已通过、待审核）和个人账号。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="DEBUG 关闭时也创建（账号密码公开，切勿用于正式环境）",
        )

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not (settings.DEBUG or force):
            # Known passwords, a superuser among them: never on a real server by accident.
            raise CommandError("演示账号只能在开发环境（DEBUG=true）中创建。")
        admin = demo_user("admin", kind=User.Kind.BUREAU)
        admin.is_staff = admin.is_superuser = True
        admin.save()

        # An address, so that send_reminders' digest to the bureau's reviewers has someone to
        # reach (the console mail backend prints it).
        reviewer = demo_user(
            "bureau", kind=User.Kind.BUREAU, real_name="周敏", email="bureau@example.com"
        )
        reviewer.groups.add(Group.objects.get(name=BUREAU_GROUP))
        for user in (admin, reviewer):
            # A known authenticator key, so the demo needs no phone: see demo_totp.
            Authenticator.objects.get_or_create(
                user=user, confirmed=True, defaults={"name": "演示", "key": DEMO_TOTP_KEY}
            )

        approved = demo_unit("unit", "武汉示范大学", credit_code("12420000441600000"))
        if approved.status == UnitStatus.PENDING:
            services.approve_unit(approved, admin)
            # …and has completed 信息更改, so that `unit` can recommend at once.
            approved.legal_representative, approved.office_phone = "陈建华", "027-87651234"
            approved.save(update_fields=["legal_representative", "office_phone"])
        demo_unit("unit2", "武汉待审科技有限公司", credit_code("91420100MA4K00000"))

        if not User.objects.filter(username="expert").exists():
            applicant = User(
                username="expert",
                real_name="张明",
                id_type=IdType.RESIDENT,
                id_number=resident_id("42010219750312001"),
                mobile="+8613800138000",
                email="zhangming@example.com",
                unit=approved,
            )
            services.register_individual(
                applicant, password=PASSWORD, privacy_notice=privacy.NOTICE_VERSION
            )

        self.stdout.write(self.style.SUCCESS(f"演示账号（密码均为 {PASSWORD}）："))
        for username, role in [
            ("admin", "运维人员（/admin/）"),
            ("bureau", "科技局审核员"),
            ("unit", "单位账号，已通过：武汉示范大学"),
            ("unit2", "单位账号，待审核：武汉待审科技有限公司"),
            ("expert", "个人账号，所属单位：武汉示范大学"),
        ]:
            self.stdout.write(f"  {username:<8} {role}")
        self.stdout.write(
            "admin 和 bureau 登录后需输入两步验证码："
            "DEBUG=true .venv/bin/python manage.py demo_totp 显示当前验证码，"
            f"或在身份验证器中添加密钥 {DEMO_TOTP_BASE32}。"
        )


def demo_user(username: str, **fields) -> User:
    # Agreed to the current 个人信息保护说明, as the registered demo accounts below: the demo
    # opens on each role's own start page.
    agreed = {"privacy_notice_version": privacy.NOTICE_VERSION, "privacy_notice_at": timezone.now()}
    user, created = User.objects.get_or_create(username=username, defaults={**fields, **agreed})
    if created:
        user.set_password(PASSWORD)
        user.save()
    return user


def demo_unit(username: str, name: str, code: str) -> Unit:
    existing = Unit.objects.filter(credit_code=code).first()
    if existing:
        return existing
    unit = Unit(
        name=name,
        credit_code=code,
        nature=UnitNature.UNIVERSITY if "大学" in name else UnitNature.ENTERPRISE,
        district="洪山区",
        address="武汉市洪山区珞喻路1号",
        contact_name="李华",
        contact_mobile="+8613900139000",
        email=f"{username}@example.com",
        licence=licence_png(),
    )
    services.register_unit(
        unit, username=username, password=PASSWORD, privacy_notice=privacy.NOTICE_VERSION
    )
    return unit
