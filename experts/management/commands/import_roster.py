"""从原系统导入专家: python manage.py import_roster FILE.xlsx --operator USERNAME [--commit], and
python manage.py import_roster --template OUT.xlsx for the empty roster (experts.roster;
README, 从原系统导入专家)."""

from experts import roster
from portal.sheets import ImportCommand


class Command(ImportCommand):
    help = (
        "从原专家库管理系统导入已入库的专家（Excel .xlsx）：默认只检查（试运行，不写入任何数据），"
        "加 --commit 才导入；有任何问题则一条也不导入。导入的专家为审核通过，不发短信、不公示，"
        "本人通过“找回密码”设置密码。其单位须先在本系统中（import_units）。"
        "--template 生成带表头和示例行的空白模板。"
    )
    noun = "专家申请"
    unique_values = "证件号码或用户名"
    permission = "experts.add_expertapplication"
    required = roster.REQUIRED

    def write_template(self, target) -> None:
        roster.write_template(target)

    def check_sheet(self, header, data) -> roster.Checked:
        return roster.check(header, data)

    def import_rows(self, checked: roster.Checked, actor) -> dict:
        return roster.import_rows(checked.experts, actor)

    def passed(self, checked: roster.Checked) -> None:
        without_email = sum(1 for expert in checked.experts if not expert.email)
        self.stdout.write(f"检查通过：共{len(checked.experts)}行，均可导入。")
        if without_email:
            self.stdout.write(
                f"其中{without_email}人未填电子邮箱，不能自行“找回密码”，"
                "导入后须由所在单位联系本人，由运维人员在后台补填其电子邮箱（本人再找回密码）"
                "或设置初始密码（首次登录须修改）。"
            )

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
