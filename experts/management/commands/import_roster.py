"""从原系统导入专家: python manage.py import_roster FILE.xlsx --operator USERNAME [--commit], and
python manage.py import_roster --template OUT.xlsx for the empty roster (experts.roster;
README, 从原系统导入专家)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from accounts.models import User
from experts import roster


class Command(BaseCommand):
    help = (
        "从原专家库管理系统导入已入库的专家（Excel .xlsx）：默认只检查（试运行，不写入任何数据），"
        "加 --commit 才导入；有任何问题则一条也不导入。导入的专家为审核通过，不发短信、不公示，"
        "本人通过“找回密码”设置密码。--template 生成带表头和示例行的空白模板。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="要导入的 .xlsx 文件（第一行为中文表头）")
        parser.add_argument(
            "--operator", help="执行导入的运维人员用户名（须为有效的超级用户或有新增专家申请权限）"
        )
        parser.add_argument(
            "--commit", action="store_true", help="检查无误后正式导入；不加此项只检查，不写入"
        )
        parser.add_argument(
            "--template", metavar="OUT.xlsx", help="生成导入模板（表头和一行示例）到此文件后退出"
        )

    def handle(self, *args, file=None, operator=None, commit=False, template=None, **options):
        if template:
            roster.write_template(template)
            self.stdout.write(
                f"已生成导入模板：{template}。第2行是示例，填写时请删除；"
                f"必填列：{'、'.join(roster.REQUIRED)}。"
            )
            return
        if not file:
            raise CommandError("请指定要导入的 .xlsx 文件，或用 --template 生成模板。")
        actor = self.operator(operator)
        started = time.monotonic()
        try:
            header, data = roster.read_sheet(file)
        except roster.RosterError as error:
            raise CommandError(str(error)) from None
        if not commit:
            self.report(roster.check(header, data), commit=False)
            return
        try:
            with transaction.atomic():
                # Checked again in the transaction that writes: nothing written if any fails.
                checked = roster.check(header, data)
                self.report(checked, commit=True)
                made = roster.import_rows(checked.experts, actor)
        except IntegrityError:
            # An ID number registered, or a username taken, between the check and the insert.
            raise CommandError(
                "导入时有证件号码或用户名刚被他人占用，已全部撤销，未导入任何数据。请重新运行本命令。"
            ) from None
        self.done(made, time.monotonic() - started)

    def operator(self, username: str | None) -> User:
        if not username:
            raise CommandError("请用 --operator 指定执行导入的运维人员用户名。")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户名为“{username}”的账号。")
        if not user.is_active or not (
            user.is_superuser or user.has_perm("experts.add_expertapplication")
        ):
            raise CommandError(
                f"账号“{username}”不是有效的超级用户，也没有新增专家申请的权限，不能导入。"
            )
        return user

    def report(self, checked: roster.Checked, *, commit: bool) -> None:
        """The check's report; raises CommandError (exit status 1) when anything is wrong."""
        if checked.problems:
            for problem in checked.problems:
                self.stdout.write(problem)
            bad_rows = len({problem.split(" ", 1)[0] for problem in checked.problems})
            raise CommandError(
                f"共读取{checked.rows}行数据，发现{len(checked.problems)}处问题"
                f"（涉及{bad_rows}行），未导入任何数据。请修改文件后重新检查。"
            )
        without_email = sum(1 for expert in checked.experts if not expert.email)
        self.stdout.write(f"检查通过：共{len(checked.experts)}行，均可导入。")
        if without_email:
            self.stdout.write(
                f"其中{without_email}人未填电子邮箱，不能自行“找回密码”，"
                "导入后须由所在单位联系本人，由运维人员在后台补填其电子邮箱（本人再找回密码）"
                "或设置初始密码（首次登录须修改）。"
            )
        if not commit:
            self.stdout.write("这是试运行，未写入任何数据。确认无误后加 --commit 正式导入。")

    def done(self, made: dict, took: float) -> None:
        self.stdout.write(
            f"已导入{made['experts']}名专家（{made['units']}个单位），专家状态为审核通过，"
            f"入库时间为原系统的入库时间；用时{took:.1f}秒。未发送短信，未列入公示。"
        )
        self.stdout.write(
            "每人已建个人账号（用户名以 zj 开头），暂无密码：请通知专家在登录页点击“找回密码”，"
            "填写导入的电子邮箱，按邮件中的链接设置密码（邮件中有用户名）。"
        )
        if made["without_email"]:
            self.stdout.write(
                f"{made['without_email']}人未填电子邮箱，须由所在单位联系本人，由运维人员在后台"
                "补填其电子邮箱（本人再找回密码）或设置初始密码（首次登录须修改）。"
            )
        self.stdout.write(
            "这些专家尚未在本系统签署敏感个人信息处理同意书：在本人登录并同意之前，"
            "其证件号码和银行账号在页面和导出中均不完整显示（本人登录后在“我的专家状态”页面阅读并同意）。"
        )
