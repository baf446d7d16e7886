"""从原系统导入专家 (python manage.py import_roster, experts.roster): the admitted experts of the
bureau's previous system, from its Excel export, in 审核通过 without a second review."""

import datetime
import io
import itertools

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Blacklist, Unit, UnitStatus, User
from audit.models import AuditEvent
from experts import counts, roster
from experts.models import (
    ApplicationStatus,
    ApplicationTransition,
    ExpertApplication,
    FacetDiscipline,
)
from portal import sheets
from sms.backends import locmem
from sms.models import SMSMessage
from tests import factories
from tests import sheets as sheets_for_tests

pytestmark = pytest.mark.django_db

_mobiles = itertools.count(1)
# Serials of their own for the ID numbers: far from the factories' running ones.
_ids = itertools.count(40_001)
ADMITTED = datetime.date(2021, 3, 15)


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("roster_operator", "op@example.com", "Op#Pass2026x")


@pytest.fixture(autouse=True)
def _classification(reference_data):
    """The 专业领域 classification (experts migration 0019), which a flush may have removed."""


def expert_row(unit: Unit, **overrides) -> dict:
    """A valid row of the roster, by header; `overrides` by header too."""
    row = {
        "姓名": "李四",
        "证件类型": "居民身份证",
        "证件号码": factories.resident_id(next(_ids)),
        "工作单位统一社会信用代码": unit.credit_code,
        "手机": f"139{next(_mobiles):08d}",
        "专业领域": "软件；0803",
        "入库时间": ADMITTED,
        "电子邮箱": f"expert{next(_mobiles)}@example.com",
        "职称级别": "正高级",
        "专业技术职称": "教授",
        "最高学历": "博士研究生",
    }
    row.update(overrides)
    return row


def roster_file(tmp_path, rows: list[dict], headers=None) -> str:
    return sheets_for_tests.xlsx(tmp_path / "roster.xlsx", rows, headers)


def run(path, operator, *args) -> str:
    return sheets_for_tests.run("import_roster", path, operator, *args)


def refused(path, operator, *args) -> tuple[str, str]:
    return sheets_for_tests.refused("import_roster", path, operator, *args)


def imported() -> int:
    return ExpertApplication.objects.count()


# A clean import


def test_clean_import_creates_admitted_experts_with_history_and_no_sms(tmp_path, unit, operator):
    with_email = expert_row(unit, 姓名="王五", 专业领域="软件（电子信息）;先进制造工艺与装备")
    without_email = expert_row(unit, 姓名="赵六", 电子邮箱=None, 职称级别="associate")
    path = roster_file(tmp_path, [with_email, without_email])

    out = run(path, operator, "--commit")

    made = User.objects.filter(kind=User.Kind.APPLICANT).exclude(pk=operator.pk)
    users = {user.real_name: user for user in made}
    assert sorted(users) == ["王五", "赵六"]
    wang = users["王五"]
    assert wang.unit == unit
    assert wang.mobile.startswith("+86139")
    assert wang.id_number == with_email["证件号码"]
    assert not wang.has_usable_password()
    application = wang.application
    assert application.status == ApplicationStatus.APPROVED
    assert timezone.localdate(application.decided_at) == ADMITTED
    assert application.unit == unit
    assert application.title_level == "senior"
    assert users["赵六"].application.title_level == "associate"
    assert application.education == "博士研究生"
    assert application.birth_date == datetime.date(1980, 1, 1)  # from the ID number
    assert application.gender == "male"
    assert sorted(application.disciplines.values_list("code", flat=True)) == ["0101", "0803"]
    # No consent given here: the numbers stay hidden until the person agrees.
    assert application.consent_at is None and application.consent_version == ""
    assert application.confirmed_at is not None

    history = ApplicationTransition.objects.get(application=application)
    assert history.action == "import_admitted"
    assert history.get_action_display() == "历史数据导入"
    assert history.actor == operator
    assert history.from_status == "" and history.to_status == ApplicationStatus.APPROVED
    assert history.comment.startswith("历史数据导入：已于2021年3月15日在原专家库管理系统中入库")
    assert "公示" in history.comment
    assert ApplicationTransition.objects.count() == 2

    event = AuditEvent.objects.get(actor=operator)
    assert event.action == AuditEvent.Action.ROSTER_IMPORT
    assert "导入审核通过的专家2名" in event.detail
    assert "其中1名未填电子邮箱" in event.detail
    assert with_email["证件号码"] not in event.detail

    assert locmem.outbox == [] and SMSMessage.objects.count() == 0
    assert counts.current()[ApplicationStatus.APPROVED] == 2
    assert counts.for_unit(unit.pk)[ApplicationStatus.APPROVED] == 2
    assert FacetDiscipline.objects.filter(application=application).count() == 4
    assert "已导入2名专家" in out
    assert "1人未填电子邮箱" in out
    assert "证件号码和银行账号" in out
    for row in (with_email, without_email):
        assert row["证件号码"] not in out


def test_the_pool_lists_the_imported_experts_and_search_finds_them(
    client, tmp_path, unit, operator, reviewer
):
    path = roster_file(tmp_path, [expert_row(unit, 姓名="欧阳修远"), expert_row(unit)])
    run(path, operator, "--commit")
    client.force_login(reviewer)

    page = client.get(reverse("experts:pool"))
    found = client.get(reverse("experts:pool"), {"q": "欧阳修远"})

    assert "欧阳修远" in page.content.decode()
    tabs = {value: n for value, _, n in page.context["tabs"]}
    assert tabs[ApplicationStatus.APPROVED] == 2
    assert [row.user.real_name for row in found.context["rows"]] == ["欧阳修远"]


def test_a_dry_run_writes_nothing(tmp_path, unit, operator):
    path = roster_file(tmp_path, [expert_row(unit), expert_row(unit, 电子邮箱=None)])

    out = run(path, operator)

    assert "检查通过：共2行" in out
    assert "1人未填电子邮箱" in out
    assert "试运行，未写入任何数据" in out
    assert imported() == 0
    assert User.objects.filter(kind=User.Kind.APPLICANT).exclude(pk=operator.pk).count() == 0
    assert AuditEvent.objects.count() == 0


# Bad rows: each says where, and nothing is imported


def registered_id(unit) -> str:
    return factories.make_applicant(unit).id_number


BAD_ROWS = {
    "unknown unit": (
        {"工作单位统一社会信用代码": factories.credit_code(99_001)},
        "第3行 工作单位统一社会信用代码：本系统中没有统一社会信用代码为",
    ),
    "bad id number": (
        {"证件号码": "420106198001010011"},
        "第3行 证件号码：居民身份证号码校验位不正确",
    ),
    "bad mobile": ({"手机": "1234567"}, "第3行 手机：请输入"),
    "unknown discipline": (
        {"专业领域": "软件；量子玄学"},
        "第3行 专业领域：未找到“量子玄学”",
    ),
    "unknown title level": (
        {"职称级别": "特级"},
        "第3行 职称级别：“特级”不是可选的值，可选：正高级、副高级、中级、其他",
    ),
    "bad date": ({"入库时间": "2020-13-45"}, "第3行 入库时间：“2020-13-45”不是日期"),
    "text date that is no date": ({"入库时间": "去年"}, "第3行 入库时间：“去年”不是日期"),
    "unknown id type": ({"证件类型": "军官证"}, "第3行 证件类型：“军官证”不是可选的值"),
    "empty required": ({"姓名": None}, "第3行 姓名：必填，不能为空"),
    "future date": (
        {"入库时间": datetime.date.today() + datetime.timedelta(days=40)},
        "第3行 入库时间：",
    ),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=str)
def test_a_bad_row_is_named_and_nothing_is_imported(tmp_path, unit, operator, case):
    overrides, message = BAD_ROWS[case]
    path = roster_file(tmp_path, [expert_row(unit), expert_row(unit, **overrides)])

    out, error = refused(path, operator, "--commit")

    assert message in out
    assert "未导入任何数据" in error
    assert imported() == 0
    assert AuditEvent.objects.filter(actor=operator).count() == 0


def test_a_unit_not_yet_approved_is_named(tmp_path, unit, operator):
    pending = factories.make_unit(UnitStatus.PENDING, name="待审科技有限公司")
    path = roster_file(tmp_path, [expert_row(unit), expert_row(pending)])

    out, _ = refused(path, operator, "--commit")

    assert "第3行 工作单位统一社会信用代码：单位“待审科技有限公司”的注册审核状态为“待审核”" in out
    assert imported() == 0


def test_an_id_number_twice_in_the_file_is_refused_masked(tmp_path, unit, operator):
    first = expert_row(unit)
    path = roster_file(tmp_path, [first, expert_row(unit, 证件号码=first["证件号码"])])

    out, _ = refused(path, operator, "--commit")

    masked = first["证件号码"][:4] + "*" * 10 + first["证件号码"][-4:]
    assert f"第3行 证件号码：与第2行的证件号码相同（{masked}）" in out
    assert first["证件号码"] not in out
    assert imported() == 0


def test_a_twice_given_id_number_is_named_even_when_its_first_row_has_other_problems(
    tmp_path, unit, operator
):
    first = expert_row(unit, 手机="123")
    path = roster_file(tmp_path, [first, expert_row(unit, 证件号码=first["证件号码"])])

    out, _ = refused(path, operator)

    assert "第2行 手机：" in out
    assert "第3行 证件号码：与第2行的证件号码相同" in out


def test_an_id_number_already_registered_is_refused(tmp_path, unit, operator):
    number = registered_id(unit)
    path = roster_file(tmp_path, [expert_row(unit, 证件号码=number)])

    out, _ = refused(path, operator, "--commit")

    assert "第2行 证件号码：该证件号码（" in out
    assert "已在本系统注册过账号" in out
    assert number not in out
    assert ExpertApplication.objects.count() == 1  # the registered person's own


def test_an_id_number_under_a_ban_is_refused(tmp_path, unit, operator):
    row = expert_row(unit)
    Blacklist.objects.create(
        id_number_index=User.id_index("resident", row["证件号码"]),
        reason="提供虚假信息",
        name="李四",
        created_by=operator,
    )

    out, _ = refused(roster_file(tmp_path, [row]), operator, "--commit")

    assert "第2行 证件号码：该证件号码（" in out and "在禁入名单中" in out
    assert imported() == 0


def test_a_missing_required_column_is_named(tmp_path, unit, operator):
    row = expert_row(unit)
    headers = [header for header in row if header != "手机"]
    path = roster_file(tmp_path, [row], headers=headers)

    out, _ = refused(path, operator, "--commit")

    assert "第1行 表头：缺少必填列“手机”" in out
    assert imported() == 0


def test_an_admission_still_on_notice_here_is_refused(tmp_path, unit, operator):
    path = roster_file(tmp_path, [expert_row(unit, 入库时间=timezone.localdate())])

    out, _ = refused(path, operator)

    assert "第2行 入库时间：" in out and "公示期内" in out


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("2020-01-31", datetime.date(2020, 1, 31)),
        ("2020/1/31", datetime.date(2020, 1, 31)),
        ("2020年1月31日", datetime.date(2020, 1, 31)),
        (datetime.datetime(2020, 1, 31, 0, 0), datetime.date(2020, 1, 31)),
        (43861, datetime.date(2020, 1, 31)),  # an Excel serial number
        ("2020/2/30", None),
    ],
)
def test_dates_are_read_from_excel_dates_and_text(cell, day):
    assert sheets.parse_date(cell) == day


def test_dates_written_as_text_import(tmp_path, unit, operator):
    path = roster_file(tmp_path, [expert_row(unit, 入库时间="2020/1/31")])

    run(path, operator, "--commit")

    decided = ExpertApplication.objects.get().decided_at
    assert timezone.localdate(decided) == datetime.date(2020, 1, 31)


def test_an_id_number_kept_by_excel_as_a_number_says_why_it_is_wrong(tmp_path, unit, operator):
    # What Excel keeps of an 18-digit number in a number cell: a double, its last digits lost.
    path = roster_file(tmp_path, [expert_row(unit, 证件号码=float(420106198001010015))])

    out, _ = refused(path, operator)

    assert "第2行 证件号码：" in out and "请将此列设为文本" in out


def test_the_check_reads_the_portal_in_the_same_queries_whatever_the_rows(unit, operator):
    def queries(n: int) -> int:
        rows = [expert_row(unit) for _ in range(n)]
        data = [(number, tuple(row.values())) for number, row in enumerate(rows, start=2)]
        with CaptureQueriesContext(connection) as captured:
            checked = roster.check(list(rows[0]), data)
        assert checked.problems == [] and len(checked.experts) == n
        return len(captured.captured_queries)

    assert queries(2) == queries(40)


def test_the_imported_expert_opens_on_every_page_that_shows_an_application(
    client, tmp_path, unit, operator, reviewer
):
    run(roster_file(tmp_path, [expert_row(unit, 姓名="孙八")]), operator, "--commit")
    application = ExpertApplication.objects.get()
    pages = [
        (reviewer, reverse("experts:bureau_detail", args=[application.pk])),
        (factories.unit_account(unit), reverse("experts:unit_detail", args=[application.pk])),
        (factories.unit_account(unit), reverse("experts:unit_people")),
        (operator, reverse("admin:experts_expertapplication_change", args=[application.pk])),
        (application.user, reverse("experts:own_data")),
    ]
    User.objects.filter(pk=application.user_id).update(**factories.agreed_to_notice())
    for user, url in pages:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        assert "孙八" in response.content.decode(), url


def test_no_page_or_paper_says_the_imported_expert_was_recommended_or_on_notice_here(
    client, tmp_path, unit, operator, reviewer
):
    """They were admitted in the previous system: the bureau's detail page shows no 公示期 of
    theirs, and the 入库证明 says they came over, not 经所在单位推荐、…审核."""
    from pypdf import PdfReader

    run(roster_file(tmp_path, [expert_row(unit, 姓名="孙八")]), operator, "--commit")
    application = ExpertApplication.objects.get()
    assert application.imported_at is not None
    client.force_login(reviewer)

    detail = client.get(reverse("experts:bureau_detail", args=[application.pk])).content.decode()

    assert 'data-testid="notice-period"' not in detail and "公示与异议" not in detail
    User.objects.filter(pk=application.user_id).update(**factories.agreed_to_notice())
    client.force_login(application.user)
    pdf = client.get(reverse("certificates:download"))
    text = "".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "入选武汉市科学技术局专家库（由原专家库管理系统转入本系统）" in text
    assert "经所在单位推荐" not in text


# Who may import


def test_an_operator_without_the_permission_is_refused(tmp_path, unit):
    clerk = factories.make_reviewer()  # a reviewer decides applications, does not add them
    path = roster_file(tmp_path, [expert_row(unit)])

    _, error = refused(path, clerk, "--commit")

    assert "不是有效的超级用户，也没有新增专家申请的权限" in error
    assert imported() == 0


def test_an_inactive_superuser_is_refused(tmp_path, unit, operator):
    operator.is_active = False
    operator.save()
    path = roster_file(tmp_path, [expert_row(unit)])

    _, error = refused(path, operator, "--commit")

    assert "不能导入" in error
    assert imported() == 0


def test_a_staff_member_with_the_add_permission_may_import(tmp_path, unit):
    staff = User.objects.create_user("roster_clerk", password="Clerk#Pass2026x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="add_expertapplication"))
    path = roster_file(tmp_path, [expert_row(unit)])

    run(path, staff, "--commit")

    assert imported() == 1


# The template


def test_the_template_filled_in_imports(tmp_path, unit, operator):
    template = tmp_path / "template.xlsx"
    call_command("import_roster", "--template", str(template), stdout=io.StringIO())
    book = load_workbook(template)
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    assert headers == roster.HEADERS
    filled = expert_row(unit, 姓名="钱七", 性别="男", 所在部门="材料学院")
    for index, header in enumerate(headers, start=1):
        if header in filled:
            sheet.cell(row=2, column=index).value = filled[header]
    book.save(template)

    run(str(template), operator, "--commit")

    application = ExpertApplication.objects.get()
    assert application.user.real_name == "钱七"
    assert application.department == "材料学院"
    assert application.admin_position == "副院长"  # kept from the example row


def test_the_template_example_row_is_refused_as_it_is(tmp_path, operator):
    template = tmp_path / "template.xlsx"
    call_command("import_roster", "--template", str(template), stdout=io.StringIO())

    out, _ = refused(str(template), operator)

    assert "第2行 证件号码：这是模板中的示例行，请删除后再导入" in out


# Claiming the account


def test_an_imported_expert_sets_a_password_by_email_and_signs_in(client, tmp_path, unit, operator):
    row = expert_row(unit, 电子邮箱="claim@example.com")
    run(roster_file(tmp_path, [row]), operator, "--commit")
    user = User.objects.get(email="claim@example.com")

    client.post(reverse("accounts:password_reset"), {"email": "claim@example.com"})
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert user.username in body
    assert "从原专家库系统转入本系统，账号尚未设置密码" in body and "填写本人证件号码" in body
    assert "您的账号不会改变" in body and "密码不会改变" not in body
    link = next(line for line in body.splitlines() if "/password/reset/" in line)
    page = client.get(link.split("testserver", 1)[1], follow=True)
    form = page.redirect_chain[-1][0]
    new = {"new_password1": "Claim#Secret2026", "new_password2": "Claim#Secret2026"}
    # The mailbox alone does not claim it: the person's 证件号码 too (the address may be
    # stale, or a unit's office's).
    assert 'name="id_number"' in page.content.decode()
    wrong = client.post(form, {**new, "id_number": factories.resident_id(40_999)})
    assert "证件号码与市科技局导入的信息不符" in wrong.content.decode()
    assert not User.objects.get(pk=user.pk).has_usable_password()
    client.post(form, {**new, "id_number": row["证件号码"].lower()})
    signed_in = client.post(
        reverse("accounts:login"), {"username": user.username, "password": "Claim#Secret2026"}
    )

    assert signed_in.status_code == 302
    home = client.get(reverse("experts:home"), follow=True)
    # Signed in: first asked to agree to the 个人信息保护说明, which they never saw.
    assert home.redirect_chain[-1][0].startswith(reverse("accounts:privacy_agree"))
    assert home.context["user"] == user


def test_the_imported_expert_reads_the_import_on_their_home_page(client, tmp_path, unit, operator):
    run(roster_file(tmp_path, [expert_row(unit)]), operator, "--commit")
    user = User.objects.get(application__isnull=False)
    User.objects.filter(pk=user.pk).update(**factories.agreed_to_notice())
    client.force_login(user)

    page = client.get(reverse("experts:home")).content.decode()

    assert "审核通过" in page
    assert "历史数据导入" in page


def test_a_signed_in_account_with_no_password_gets_no_reset_link(client, unit):
    """Only accounts never signed in are claimed so: an account whose password an operator
    disabled after use stays so."""
    user = factories.make_applicant(unit)
    user.set_unusable_password()
    user.last_login = timezone.now()
    user.save()

    client.post(reverse("accounts:password_reset"), {"email": user.email})

    assert mail.outbox == []


@pytest.mark.parametrize("kind", ["staff", "unit"])
def test_a_staff_or_unit_account_made_without_a_password_gets_no_reset_link(client, unit, kind):
    """Only an applicant's account is claimed so: a staff account an operator made with
    password sign-in switched off (admin), or a unit's, stays so."""
    if kind == "staff":
        user = User.objects.create_user("clerk", email="clerk@example.com", is_staff=True)
    else:
        user = User.objects.get(unit=unit, kind=User.Kind.UNIT)
        user.set_unusable_password()
        user.last_login = None
        user.save()
    assert not user.has_usable_password() and user.last_login is None

    client.post(reverse("accounts:password_reset"), {"email": user.email})

    assert mail.outbox == []


def test_a_claim_may_try_the_id_number_a_few_times_a_minute(client, tmp_path, unit, operator):
    row = expert_row(unit, 电子邮箱="tries@example.com")
    run(roster_file(tmp_path, [row]), operator, "--commit")
    client.post(reverse("accounts:password_reset"), {"email": "tries@example.com"})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line)
    form = client.get(link.split("testserver", 1)[1], follow=True).redirect_chain[-1][0]
    new = {"new_password1": "Claim#Secret2026", "new_password2": "Claim#Secret2026"}
    for serial in range(5):
        client.post(form, {**new, "id_number": factories.resident_id(41_000 + serial)})

    refused = client.post(form, {**new, "id_number": row["证件号码"]})

    assert "身份核对次数过多，请1分钟后再试。" in refused.content.decode()
    assert not User.objects.get(email="tries@example.com").has_usable_password()


def test_an_account_with_a_password_resets_it_without_an_id_number(client, unit):
    """Everyone else's 找回密码 is Django's: the link in the mail is enough."""
    person = factories.make_applicant(unit)
    client.post(reverse("accounts:password_reset"), {"email": person.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line)
    page = client.get(link.split("testserver", 1)[1], follow=True)

    assert 'name="id_number"' not in page.content.decode()


def test_an_address_twice_in_the_file_or_already_in_the_portal_is_refused(tmp_path, unit, operator):
    """An imported account is claimed at its address: one shared with another row, an account
    or a unit would let that mailbox's reader reach someone else's record."""
    existing = factories.make_applicant(unit)
    rows = [
        expert_row(unit, 电子邮箱="same@example.com"),
        expert_row(unit, 电子邮箱="Same@Example.com"),
        expert_row(unit, 电子邮箱=existing.email.upper()),
        expert_row(unit, 电子邮箱=unit.email),
    ]

    out, _ = refused(roster_file(tmp_path, rows), operator)

    assert "第3行 电子邮箱：与第2行的电子邮箱相同" in out
    assert f"第4行 电子邮箱：“{existing.email.upper()}”已是本系统中其他账号或单位的电子邮箱" in out
    assert f"第5行 电子邮箱：“{unit.email}”已是本系统中其他账号或单位的电子邮箱" in out
    assert "第2行" not in out.replace("与第2行", "")


def test_a_username_taken_in_another_case_is_not_given_again(tmp_path, unit, operator):
    User.objects.create_user("ZJ000001", password=factories.PASSWORD)

    run(roster_file(tmp_path, [expert_row(unit)]), operator, "--commit")

    assert User.objects.filter(username__iexact="zj000001").count() == 1
    assert User.objects.filter(username="zj000002").exists()


def test_a_field_named_with_its_own_sub_field_keeps_the_field(tmp_path, unit, operator):
    """The form lets a person tick a whole field or some of its sub-fields, not both: the old
    system's row naming both comes in as the whole field."""
    from experts.models import Discipline

    software = Discipline.objects.get(name="软件")
    row = expert_row(unit, 专业领域=f"软件；{software.parent.name}；0803")

    run(roster_file(tmp_path, [row]), operator, "--commit")

    kept = set(ExpertApplication.objects.get().disciplines.values_list("code", flat=True))
    assert kept == {software.parent.code, "0803"}
