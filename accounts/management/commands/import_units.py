"""从原系统导入单位: python manage.py import_units FILE.xlsx --operator USERNAME [--commit], and
python manage.py import_units --template OUT.xlsx for the empty list (accounts.unit_roster;
docs/deployment.md, 从原系统导入专家). Run before import_roster: experts are imported under
units already here."""

from accounts import unit_roster
from portal.sheets import ImportCommand


class Command(ImportCommand):
    help = (
        "从原专家库管理系统导入已通过注册审核的单位（Excel .xlsx），须在导入专家（import_roster）"
        "之前：默认只检查（试运行，不写入任何数据），加 --commit 才导入；有任何问题则一条也不导入。"
        "导入的单位为已通过，不发短信；单位账号以统一社会信用代码为用户名，由单位通过“找回密码”"
        "设置密码。--template 生成带表头和示例行的空白模板。"
    )
    noun = "单位"
    unique_values = "统一社会信用代码或用户名"
    permission = "accounts.add_unit"
    required = unit_roster.REQUIRED

    def write_template(self, target) -> None:
        unit_roster.write_template(target)

    def check_sheet(self, header, data) -> unit_roster.Checked:
        return unit_roster.check(header, data)

    def import_rows(self, checked: unit_roster.Checked, actor) -> dict:
        return unit_roster.import_rows(checked.units, actor)

    def passed(self, checked: unit_roster.Checked) -> None:
        self.stdout.write(f"检查通过：共{len(checked.units)}行，均可导入。")

    def done(self, made: dict, took: float) -> None:
        self.stdout.write(
            f"已导入{made['units']}个单位，注册审核状态为已通过；用时{took:.1f}秒。未发送短信。"
        )
        self.stdout.write(
            "每个单位已建单位账号，用户名为其统一社会信用代码，暂无密码：请通知各单位在登录页"
            "点击“找回密码”，填写导入的电子邮箱，按邮件中的链接填写本单位统一社会信用代码和联系人手机号码（均为原系统中的）并设置密码。"
            "导入的单位没有营业执照或法人证书扫描件（原系统已核验）。"
            "接下来可导入专家：python manage.py import_roster。"
        )
