"""从原系统导入单位 (python manage.py import_units): the approved units of the bureau's previous
system come in as 已通过, with a unit account their contact claims by 找回密码, before their
experts are imported (import_roster)."""

import datetime
import io
import itertools

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts import unit_roster
from accounts.models import Unit, UnitStatus, UnitTransition, User
from audit.models import AuditEvent
from experts.models import ExpertApplication
from sms.models import SMSMessage
from tests import factories, sheets

pytestmark = pytest.mark.django_db

_serials = itertools.count(70_001)
APPROVED = datetime.date(2019, 6, 30)


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("unit_operator", "op@example.com", "Op#Pass2026x")


def unit_row(**overrides) -> dict:
    """A valid row of the list, by header; `overrides` by header too."""
    n = next(_serials)
    row = {
        "单位名称": f"武汉导入研究院{n}",
        "统一社会信用代码": factories.credit_code(n),
        "单位性质": "科研院所",
        "所在区": "洪山区",
        "单位地址": "武汉市洪山区珞喻路2号",
        "联系人": "周八",
        "联系人手机": f"1391{n:07d}",
        "电子邮箱": f"office{n}@example.com",
        "审核通过时间": APPROVED,
    }
    row.update(overrides)
    return row


def units_file(tmp_path, rows: list[dict], headers=None) -> str:
    return sheets.xlsx(tmp_path / "units.xlsx", rows, headers)


def run(path, operator, *args) -> str:
    return sheets.run("import_units", path, operator, *args)


def refused(path, operator, *args) -> tuple[str, str]:
    return sheets.refused("import_units", path, operator, *args)


# A clean import


def test_clean_import_makes_approved_units_with_a_claimable_account_and_no_sms(tmp_path, operator):
    full = unit_row(
        法定代表人="吴九", 单位电话="027-88887777", 邮政编码="430074", 单位网址="www.example.org"
    )
    bare = unit_row(单位性质="enterprise", 单位简介="第一段。\n第二段。")
    path = units_file(tmp_path, [full, bare])

    out = run(path, operator, "--commit")

    assert "已导入2个单位" in out
    made = {unit.name: unit for unit in Unit.objects.all()}
    assert set(made) == {full["单位名称"], bare["单位名称"]}
    unit = made[full["单位名称"]]
    assert unit.status == UnitStatus.APPROVED
    assert unit.imported_at is not None
    assert unit.credit_code == full["统一社会信用代码"]
    assert unit.nature == "institute" and made[bare["单位名称"]].nature == "enterprise"
    assert unit.contact_mobile == f"+86{full['联系人手机']}"
    assert unit.website == "https://www.example.org"
    assert unit.profile_complete  # 法定代表人 and 单位电话 given: no 信息更改 owed first
    assert not unit.licence
    assert timezone.localdate(unit.decided_at) == APPROVED
    # The lists' 提交审核时间: the previous system's approval, not the import's day.
    assert unit.submitted_at == unit.decided_at
    assert made[bare["单位名称"]].introduction == "第一段。\n第二段。"
    assert unit.due_on is None
    account = User.objects.get(unit=unit, kind=User.Kind.UNIT)
    assert account.username == unit.credit_code
    assert account.email == unit.email
    assert not account.has_usable_password()
    history = UnitTransition.objects.get(unit=unit)
    assert history.get_action_display() == "历史数据导入"
    assert history.actor == operator
    assert "2019年6月30日" in history.comment
    audit = AuditEvent.objects.get(action=AuditEvent.Action.ROSTER_IMPORT)
    assert "import_units" in audit.detail and "2个" in audit.detail
    assert SMSMessage.objects.count() == 0


def test_a_dry_run_writes_nothing(tmp_path, operator):
    out = run(units_file(tmp_path, [unit_row(), unit_row()]), operator)

    assert "检查通过：共2行，均可导入。" in out
    assert "这是试运行，未写入任何数据" in out
    assert not Unit.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ROSTER_IMPORT).exists()


def test_experts_of_an_imported_unit_can_then_be_imported(tmp_path, operator, reference_data):
    row = unit_row()
    run(units_file(tmp_path, [row]), operator, "--commit")
    from tests.experts.test_import_roster import expert_row, roster_file

    unit = Unit.objects.get()
    (tmp_path / "experts").mkdir()
    call_command(
        "import_roster",
        roster_file(tmp_path / "experts", [expert_row(unit)]),
        "--operator",
        operator.username,
        "--commit",
        stdout=io.StringIO(),
    )

    assert ExpertApplication.objects.get().unit == unit


@pytest.mark.parametrize("command", ["import_units", "import_roster"])
def test_the_commands_run_as_manage_py_runs_them_with_the_system_checks(
    tmp_path, operator, command
):
    """manage.py runs the system checks first (BaseCommand.check): call_command skips them
    unless asked, so a method of the command named like theirs would pass every other test."""
    template = tmp_path / "template.xlsx"
    call_command(command, "--template", str(template), skip_checks=False, stdout=io.StringIO())
    out = io.StringIO()

    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command(
            command, str(template), "--operator", operator.username, skip_checks=False, stdout=out
        )
    assert "这是模板中的示例行" in out.getvalue()


# Bad rows: named, and nothing imported


@pytest.mark.parametrize(
    "overrides, said",
    [
        (
            {"统一社会信用代码": "91420100MA4K0000X9"},
            "第2行 统一社会信用代码：统一社会信用代码校验未通过",
        ),
        ({"统一社会信用代码": "123"}, "第2行 统一社会信用代码：统一社会信用代码应为18位"),
        ({"单位性质": "国企"}, "第2行 单位性质：“国企”不是可选的值，可选：高等院校"),
        ({"所在区": "朝阳区"}, "第2行 所在区：“朝阳区”不是可选的值"),
        ({"联系人手机": "12345"}, "第2行 联系人手机："),
        ({"电子邮箱": "not-an-address"}, "第2行 电子邮箱："),
        ({"邮政编码": "4300"}, "第2行 邮政编码：邮政编码应为6位数字"),
        ({"单位电话": "call me"}, "第2行 单位电话："),
        ({"单位网址": "http://"}, "第2行 单位网址："),
        ({"审核通过时间": "2019年13月1日"}, "第2行 审核通过时间：“2019年13月1日”不是日期"),
        ({"审核通过时间": datetime.date(2099, 1, 1)}, "第2行 审核通过时间：2099-01-01晚于今天"),
        ({"单位名称": "院" * 101}, "第2行 单位名称：不能超过100个字，现有101个字"),
        ({"联系人": None}, "第2行 联系人：必填，不能为空"),
        ({"审核通过时间": None}, "第2行 审核通过时间：必填，不能为空"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_imported(tmp_path, operator, overrides, said):
    rows = [unit_row(), unit_row(**overrides)]
    rows[1] = {**rows[1], **overrides}
    out, error = refused(
        units_file(tmp_path, rows, headers=unit_roster.HEADERS), operator, "--commit"
    )

    assert said.replace("第2行", "第3行") in out
    assert "未导入任何数据" in error
    assert not Unit.objects.exists()


def test_a_unit_twice_or_already_here_is_refused(tmp_path, operator):
    here = factories.make_unit()
    first = unit_row(电子邮箱="shared@example.com")
    rows = [
        first,
        unit_row(统一社会信用代码=first["统一社会信用代码"]),
        unit_row(统一社会信用代码=here.credit_code),
        unit_row(单位名称=here.name),
        unit_row(单位名称=first["单位名称"]),
        unit_row(电子邮箱="SHARED@example.com"),
        unit_row(电子邮箱=here.email),
    ]

    out, _ = refused(units_file(tmp_path, rows), operator, "--commit")

    assert "第3行 统一社会信用代码：与第2行相同" in out
    assert f"第4行 统一社会信用代码：{here.credit_code}的单位已在本系统中" in out
    assert f"第5行 单位名称：“{here.name}”已有同名单位在本系统中" in out
    assert "第6行 单位名称：与第2行相同" in out
    assert "第7行 电子邮箱：与第2行的电子邮箱相同" in out
    assert f"第8行 电子邮箱：“{here.email}”已是本系统中其他账号或单位的电子邮箱" in out
    assert Unit.objects.count() == 1


def test_a_rejected_registration_of_the_same_name_does_not_stop_the_import(tmp_path, operator):
    """As 单位注册: a 未通过 registration's name is free."""
    rejected = factories.make_unit(UnitStatus.REJECTED)

    run(units_file(tmp_path, [unit_row(单位名称=rejected.name)]), operator, "--commit")

    assert Unit.objects.filter(name=rejected.name).count() == 2


def test_a_code_taken_as_a_username_in_another_case_is_refused(tmp_path, operator):
    row = unit_row()
    User.objects.create_user(row["统一社会信用代码"].lower(), password=factories.PASSWORD)

    out, _ = refused(units_file(tmp_path, [row]), operator, "--commit")

    assert "已是本系统中一个账号的用户名" in out
    assert not Unit.objects.exists()


def test_a_missing_or_unknown_column_is_named(tmp_path, operator):
    row = unit_row(备注="x")
    del row["电子邮箱"]

    out, _ = refused(units_file(tmp_path, [row]), operator)

    assert "第1行 表头：“备注”不是可导入的列" in out
    assert "第1行 表头：缺少必填列“电子邮箱”" in out


def test_the_check_reads_the_portal_in_the_same_queries_whatever_the_rows(operator):
    headers = list(unit_row())

    def queries(n: int) -> int:
        data = [(k + 2, tuple(unit_row().values())) for k in range(n)]
        with CaptureQueriesContext(connection) as captured:
            checked = unit_roster.check(headers, data)
        assert not checked.problems and len(checked.units) == n
        return len(captured)

    assert queries(2) == queries(30)


def test_the_template_filled_in_imports_and_its_example_row_is_refused(tmp_path, operator):
    template = tmp_path / "template.xlsx"
    call_command("import_units", "--template", str(template), stdout=io.StringIO())

    out, _ = refused(str(template), operator)
    assert "第2行 统一社会信用代码：这是模板中的示例行，请删除后再导入" in out

    book = load_workbook(template)
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    assert headers == unit_roster.HEADERS
    filled = unit_row()
    for index, header in enumerate(headers, start=1):
        if header in filled:
            sheet.cell(row=2, column=index).value = filled[header]
    book.save(template)
    run(str(template), operator, "--commit")

    unit = Unit.objects.get()
    assert unit.name == filled["单位名称"]
    assert unit.legal_representative == "王五"  # kept from the example row


def test_an_operator_without_the_permission_is_refused(tmp_path):
    clerk = User.objects.create_user("clerk", password=factories.PASSWORD, is_staff=True)
    path = units_file(tmp_path, [unit_row()])

    with pytest.raises(CommandError, match="没有新增单位的权限"):
        call_command("import_units", path, "--operator", "clerk", stdout=io.StringIO())

    clerk.user_permissions.add(Permission.objects.get(codename="add_unit"))
    clerk = User.objects.get(pk=clerk.pk)
    call_command("import_units", path, "--operator", "clerk", "--commit", stdout=io.StringIO())
    assert Unit.objects.count() == 1


# The unit claims its account


def claim_link(client, address: str) -> tuple[str, str]:
    client.post(reverse("accounts:password_reset"), {"email": address})
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "/password/reset/" in line)
    page = client.get(link.split("testserver", 1)[1], follow=True)
    return body, page


def test_an_imported_unit_sets_its_password_with_its_code_and_contact_mobile_and_signs_in(
    client, tmp_path, operator
):
    row = unit_row(电子邮箱="kjc@example.com", 法定代表人="吴九", 单位电话="027-88887777")
    run(units_file(tmp_path, [row]), operator, "--commit")
    account = User.objects.get(kind=User.Kind.UNIT)

    body, page = claim_link(client, "kjc@example.com")

    assert account.username in body
    assert "贵单位的信息已由" in body and "填写本单位统一社会信用代码" in body
    content = page.content.decode()
    assert 'name="credit_code"' in content and 'name="contact_mobile"' in content
    form = page.redirect_chain[-1][0]
    new = {"new_password1": "Unit#Claim2026x", "new_password2": "Unit#Claim2026x"}
    code, mobile = row["统一社会信用代码"], row["联系人手机"]
    # The code is public (国家企业信用信息公示系统): alone it claims nothing.
    for typed in (
        {"credit_code": code, "contact_mobile": "13800000000"},
        {"credit_code": factories.credit_code(99_999), "contact_mobile": mobile},
        {"credit_code": code, "contact_mobile": "not a number"},
    ):
        wrong = client.post(form, {**new, **typed})
        assert "统一社会信用代码或联系人手机与市科技局导入的信息不符" in wrong.content.decode()
        assert not User.objects.get(pk=account.pk).has_usable_password()
    # Typed as people type them: lower case, spaces, a full-width digit.
    client.post(
        form,
        {
            **new,
            "credit_code": f"{code[:6].lower()} {code[6:]}",
            "contact_mobile": f"{mobile[:3]} {mobile[3:-1]}{chr(ord(mobile[-1]) + 0xFEE0)}",
        },
    )
    signed_in = client.post(
        reverse("accounts:login"), {"username": account.username, "password": "Unit#Claim2026x"}
    )

    assert signed_in.status_code == 302
    assert User.objects.get(pk=account.pk).has_usable_password()


def test_a_unit_account_not_imported_and_without_a_password_gets_no_reset_link(client, unit):
    """An operator's unit account with password sign-in switched off stays so: only an
    imported unit's is claimed by mail."""
    account = factories.unit_account(unit)
    account.email = "office@registered.example.com"
    account.set_unusable_password()
    account.save()

    client.post(reverse("accounts:password_reset"), {"email": account.email})

    assert mail.outbox == []
    # The same account, its unit imported: it is claimed so (the test above proves the post).
    Unit.objects.filter(pk=unit.pk).update(imported_at=timezone.now())
    client.post(reverse("accounts:password_reset"), {"email": account.email})
    assert len(mail.outbox) == 1


def test_a_switched_off_unit_is_not_claimed_nor_its_link_used(client, tmp_path, operator):
    run(units_file(tmp_path, [unit_row(电子邮箱="old@example.com")]), operator, "--commit")
    unit = Unit.objects.get()
    _, page = claim_link(client, "old@example.com")
    form = page.redirect_chain[-1][0]
    mail.outbox.clear()

    # The bureau switches the unit off (its imported address is wrong, say): the link sent
    # before no longer sets a password, and no new one is sent.
    Unit.objects.filter(pk=unit.pk).update(is_active=False)
    used = client.post(
        form,
        {
            "credit_code": unit.credit_code,
            "contact_mobile": unit.contact_mobile,
            "new_password1": "Unit#Claim2026x",
            "new_password2": "Unit#Claim2026x",
        },
    )
    client.post(reverse("accounts:password_reset"), {"email": "old@example.com"})

    assert "credit_code" not in used.content.decode()
    assert not User.objects.get(kind=User.Kind.UNIT).has_usable_password()
    assert mail.outbox == []


def test_a_link_of_an_account_switched_off_since_sets_no_password(client, unit):
    person = factories.make_applicant(unit)
    client.post(reverse("accounts:password_reset"), {"email": person.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line)
    form = client.get(link.split("testserver", 1)[1], follow=True).redirect_chain[-1][0]
    User.objects.filter(pk=person.pk).update(is_active=False)

    client.post(form, {"new_password1": "New#Secret2026x", "new_password2": "New#Secret2026x"})

    assert User.objects.get(pk=person.pk).check_password(factories.PASSWORD)


def test_the_bureau_sees_the_unit_came_from_the_old_system_without_a_scan(
    client, tmp_path, operator, reviewer
):
    run(units_file(tmp_path, [unit_row()]), operator, "--commit")
    unit = Unit.objects.get()
    client.force_login(reviewer)

    page = client.get(reverse("accounts:bureau_unit_detail", args=[unit.pk])).content.decode()
    scan = client.get(reverse("accounts:licence", args=[unit.pk]))

    assert "无（由原专家库管理系统转入，原系统已核验）" in page
    assert "导入时间" in page and "历史数据导入" in page
    assert scan.status_code == 404


def test_an_operator_corrects_an_imported_unit_in_admin_without_a_scan(
    admin_client, tmp_path, operator
):
    run(units_file(tmp_path, [unit_row()]), operator, "--commit")
    unit = Unit.objects.get()
    url = reverse("admin:accounts_unit_change", args=[unit.pk])
    context = admin_client.get(url).context
    form = context["adminform"].form
    assert not form.fields["licence"].required
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and name != "licence"
    }
    data.update(address="武汉市洪山区新地址3号", is_active="on")
    # The read-only 审核记录 inline still posts its management form.
    for inline in context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    assert Unit.objects.get().address == "武汉市洪山区新地址3号"


def test_operators_follow_the_claims_in_admin(admin_client, client, tmp_path, operator, unit):
    """用户's 历史数据导入 filter: imported accounts still waiting for their claim, or claimed;
    单位's: the units brought from the previous system."""
    run(
        units_file(tmp_path, [unit_row(电子邮箱="a@example.com"), unit_row()]), operator, "--commit"
    )
    claimed = User.objects.get(email="a@example.com")
    claimed.set_password("Unit#Claim2026x")
    claimed.save()
    registered = factories.unit_account(unit)
    users = reverse("admin:accounts_user_changelist")
    units = reverse("admin:accounts_unit_changelist")

    def listed(url, value) -> set[str]:
        page = admin_client.get(url, {"imported": value})
        return {str(row) for row in page.context["cl"].result_list}

    waiting = User.objects.get(
        kind=User.Kind.UNIT,
        unit__imported_at__isnull=False,
        last_login=None,
        email__startswith="office",
    )
    assert listed(users, "waiting") == {str(waiting)}
    assert listed(users, "claimed") == {str(claimed)}
    assert str(registered) not in listed(users, "waiting") | listed(users, "claimed")
    assert listed(units, "1") == {str(waiting.unit), str(claimed.unit)}
    assert listed(units, "0") == {str(unit)}
