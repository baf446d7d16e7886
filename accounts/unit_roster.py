"""从原系统导入单位: the approved units of the bureau's previous 专家库管理系统, read from its
Excel export and written as 已通过 (python manage.py import_units), before their experts are
imported (experts.roster, which refuses a row whose unit is not here).

`check` reads a sheet and returns its rows, cleaned, and every problem found, each as
`第N行 列名：问题`; it writes nothing, and reads the portal in the same few queries whatever
the number of rows. `import_rows` writes checked rows in bulk, in the caller's
transaction: the unit (已通过, `imported_at` set, no licence scan: the previous system checked
it), its unit account (the 统一社会信用代码 as its username, with no usable password: the unit
claims it by 找回密码 at the imported 电子邮箱 and its 统一社会信用代码, accounts.forms), one
history row each (历史数据导入, the operator as actor) and one audit row for the run. No SMS.
"""

import dataclasses
import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models.functions import Lower
from django.utils import timezone
from stdnum.cn import uscc

from accounts.choices import DISTRICT_CHOICES, UnitNature, UnitStatus, UserKind
from accounts.models import Unit, UnitTransition, User
from accounts.validators import clean_credit_code, clean_mobile, clean_office_phone
from audit.log import record
from audit.models import AuditEvent
from portal import sheets
from portal.dates import chinese_date

BATCH = 1000
ACTION = "import_approved"  # Unit.import_approved, never fired


@dataclasses.dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool = False


COLUMNS = [
    Column("单位名称", "name", True),
    Column("统一社会信用代码", "credit_code", True),
    Column("单位性质", "nature", True),
    Column("所在区", "district", True),
    Column("单位地址", "address", True),
    Column("联系人", "contact_name", True),
    Column("联系人手机", "contact_mobile", True),
    Column("电子邮箱", "email", True),
    Column("审核通过时间", "decided_at", True),
    Column("法定代表人", "legal_representative"),
    Column("单位电话", "office_phone"),
    Column("邮政编码", "postcode"),
    Column("单位网址", "website"),
    Column("单位简介", "introduction"),
]
HEADERS = [column.header for column in COLUMNS]
REQUIRED = [column.header for column in COLUMNS if column.required]
FIELD = {column.header: column.field for column in COLUMNS}
# Choices accepted by their label (as the old system's export writes them) or their code.
CHOICES = {"单位性质": UnitNature.choices, "所在区": DISTRICT_CHOICES}
# Free texts, checked against their model field's max_length.
TEXTS = ["单位名称", "单位地址", "联系人", "法定代表人", "单位简介"]

# The template's example row. Its code is valid, so that a forgotten example row is
# recognised (and refused) by it rather than imported as a unit.
EXAMPLE_CODE = "12420100MB0000002" + uscc.calc_check_digit("12420100MB0000002")
EXAMPLE_ROW = {
    "单位名称": "武汉示例研究院（示例行，导入前请删除）",
    "统一社会信用代码": EXAMPLE_CODE,
    "单位性质": UnitNature.INSTITUTE.label,
    "所在区": DISTRICT_CHOICES[0][1],
    "单位地址": "武汉市江岸区示例路1号",
    "联系人": "李四",
    "联系人手机": "13912345678",
    "电子邮箱": "kyc@example.com",
    "审核通过时间": datetime.date(2019, 6, 30),
    "法定代表人": "王五",
    "单位电话": "027-12345678",
    "邮政编码": "430000",
    "单位网址": "https://www.example.com",
    "单位简介": "",
}


@dataclasses.dataclass
class ImportedUnit:
    """One row, cleaned: the values the unit is made with."""

    row: int
    values: dict
    decided_at: datetime.datetime


@dataclasses.dataclass
class Checked:
    units: list[ImportedUnit]
    problems: list[str]
    rows: int  # data rows read (empty rows left out)


def write_template(target) -> None:
    """The empty list of units: the header row and one example row, which the import refuses."""
    sheets.write_template(target, "单位名单", HEADERS, EXAMPLE_ROW)


def check(header: list, data: list[tuple[int, tuple]], now=None) -> Checked:
    """Every row checked against the rules of 单位注册 and 信息更改, and against the units and
    accounts already here. Writes nothing."""
    now = now or timezone.now()
    positions, problems = sheets.columns(header, HEADERS, REQUIRED)
    if problems:
        return Checked([], problems, len(data))
    if not data:
        return Checked([], [sheets.problem(2, "全部", "表中没有数据行")], 0)

    candidates = [
        _check_row(number, sheets.cells(values, positions), now, problems)
        for number, values in data
    ]
    valid = [unit for unit in candidates if unit is not None]
    problems += _already_here(valid)
    problems.sort(key=sheets.row_of)
    return Checked(valid if not problems else [], problems, len(data))


def _check_row(number: int, cells: dict, now, problems: list[str]) -> ImportedUnit | None:
    """One row cleaned, or None with its problems added to `problems`."""
    found = []

    def say(column: str, message: str) -> None:
        found.append(sheets.problem(number, column, message))

    text = {name: sheets.text(value) for name, value in cells.items()}
    for name in REQUIRED:
        if not text.get(name):
            say(name, "必填，不能为空")
    values = {}
    for column in TEXTS:
        value = text.get(column, "")
        if column == "单位简介" and cells.get(column) is not None:
            # Its paragraphs kept (the pages show its lines), only the ends trimmed.
            value = str(cells[column]).strip()
        limit = Unit._meta.get_field(FIELD[column]).max_length
        if len(value) > limit:
            say(column, f"不能超过{limit}个字，现有{len(value)}个字")
        values[FIELD[column]] = value

    for column, choices in CHOICES.items():
        value = text.get(column, "")
        if value:
            code = sheets.choice(value, choices)
            if code is None:
                say(column, f"“{value}”不是可选的值，可选：{sheets.allowed(choices)}")
            values[FIELD[column]] = code

    cleaners = {
        "统一社会信用代码": clean_credit_code,
        "联系人手机": clean_mobile,
        "单位电话": clean_office_phone,
        "电子邮箱": _email,
        "邮政编码": _postcode,
        "单位网址": _website,
    }
    for column, clean in cleaners.items():
        value = text.get(column, "")
        values[FIELD[column]] = ""
        if not value:
            continue
        try:
            values[FIELD[column]] = clean(value)
        except ValidationError as error:
            say(column, error.messages[0])
    if values["credit_code"] == EXAMPLE_CODE:
        say("统一社会信用代码", "这是模板中的示例行，请删除后再导入")

    decided_at = None
    if text.get("审核通过时间"):
        day = sheets.parse_date(cells["审核通过时间"])
        if day is None:
            say("审核通过时间", f"“{text['审核通过时间']}”不是日期，请写成2019-06-30或2019/6/30")
        elif day > timezone.localdate(now):
            say("审核通过时间", f"{day}晚于今天")
        else:
            decided_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))

    problems.extend(found)
    if found:
        return None
    return ImportedUnit(row=number, values=values, decided_at=decided_at)


def _email(value: str) -> str:
    validate_email(value)
    if len(value) > Unit._meta.get_field("email").max_length:
        raise ValidationError("电子邮箱过长")
    return value


def _postcode(value: str) -> str:
    if not re.fullmatch(r"[0-9]{6}", value):
        raise ValidationError("邮政编码应为6位数字")
    return value


def _website(value: str) -> str:
    # As 信息更改's field: an address typed without its scheme is taken as https.
    if "://" not in value:
        value = f"https://{value}"
    URLValidator(message=f"“{value}”不是有效的网址")(value)
    if len(value) > Unit._meta.get_field("website").max_length:
        raise ValidationError("单位网址过长")
    return value


def _already_here(units: list[ImportedUnit]) -> list[str]:
    """What 单位注册 refuses, across the file and the portal: a 统一社会信用代码 or a name twice
    (a name of a unit not 未通过), and an 电子邮箱 twice or already an account's or a unit's
    (an imported account is claimed at its address: someone else's mailbox would get the
    unit). Five queries, whatever the number of rows: the codes, the names, the user names and
    the addresses (accounts' and units')."""
    problems = []
    codes = [unit.values["credit_code"] for unit in units]
    names = [unit.values["name"].casefold() for unit in units]
    here = Unit.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True)
    taken_names = {
        name.casefold()
        for name in Unit.objects.exclude(status=UnitStatus.REJECTED)
        .annotate(name_lower=Lower("name"))
        .filter(name_lower__in=[unit.values["name"].lower() for unit in units])
        .values_list("name", flat=True)
    }
    # Usernames are unique without case (accounts.models.PortalUserManager.case_twins).
    taken_usernames = {
        name.casefold()
        for name in User.objects.annotate(username_lower=Lower("username"))
        .filter(username_lower__in=[code.lower() for code in codes])
        .values_list("username", flat=True)
    }
    here = set(here)
    seen_codes, seen_names = {}, {}
    for unit, code, name in zip(units, codes, names, strict=True):
        if code in seen_codes:
            problems.append(
                sheets.problem(unit.row, "统一社会信用代码", f"与第{seen_codes[code]}行相同")
            )
        elif code in here:
            problems.append(
                sheets.problem(
                    unit.row,
                    "统一社会信用代码",
                    f"{code}的单位已在本系统中（已注册或已导入），不能再导入",
                )
            )
        elif code.casefold() in taken_usernames:
            problems.append(
                sheets.problem(
                    unit.row,
                    "统一社会信用代码",
                    f"{code}已是本系统中一个账号的用户名，单位账号以统一社会信用代码为用户名，"
                    "请运维人员核对",
                )
            )
        seen_codes.setdefault(code, unit.row)
        if name in seen_names:
            problems.append(sheets.problem(unit.row, "单位名称", f"与第{seen_names[name]}行相同"))
        elif name in taken_names:
            problems.append(
                sheets.problem(
                    unit.row, "单位名称", f"“{unit.values['name']}”已有同名单位在本系统中"
                )
            )
        seen_names.setdefault(name, unit.row)
    first_row, again = sheets.repeated([(unit.row, unit.values["email"]) for unit in units])
    problems += [
        sheets.problem(
            row, "电子邮箱", f"与第{first}行的电子邮箱相同，每个单位须用本单位的电子邮箱"
        )
        for row, first in again
    ]
    taken = sheets.addresses_taken(list(first_row))
    problems += [
        sheets.problem(
            unit.row,
            "电子邮箱",
            f"“{unit.values['email']}”已是本系统中其他账号或单位的电子邮箱，"
            "单位账号凭此邮箱“找回密码”，须用本单位专用的电子邮箱",
        )
        for unit in units
        if unit.values["email"].casefold() in taken
    ]
    return problems


def history_comment(decided_at: datetime.datetime) -> str:
    return (
        f"历史数据导入：已于{chinese_date(timezone.localdate(decided_at))}在原专家库管理系统中"
        "审核通过，由运维人员导入本系统；未发送短信。"
    )


def import_rows(units: list[ImportedUnit], operator) -> dict[str, int]:
    """Write checked rows, in the caller's transaction (see the module's docstring); returns
    what was made. Sends nothing."""
    now = timezone.now()
    made = Unit.objects.bulk_create(
        [
            Unit(
                **unit.values,
                status=UnitStatus.APPROVED,  # a protected FSM field may be given at creation
                decided_at=unit.decided_at,
                imported_at=now,
            )
            for unit in units
        ],
        batch_size=BATCH,
    )
    accounts = []
    for unit in made:
        account = User(
            username=unit.credit_code,
            kind=UserKind.UNIT,
            unit=unit,
            email=unit.email,
        )
        # Claimed by 找回密码 (accounts.forms.PortalPasswordResetForm lets it through).
        account.set_unusable_password()
        accounts.append(account)
    User.objects.bulk_create(accounts, batch_size=BATCH)
    # 提交审核时间 as the lists show it (单位注册审核's tabs, admin): the previous system's
    # approval, not the day of the import (auto_now_add set it on insert).
    for unit in made:
        unit.submitted_at = unit.decided_at
    Unit.objects.bulk_update(made, ["submitted_at"], batch_size=BATCH)
    sheets.write_history(
        UnitTransition,
        operator,
        ACTION,
        UnitStatus.APPROVED,
        [(unit, history_comment(row.decided_at)) for row, unit in zip(units, made, strict=True)],
    )
    record(
        AuditEvent.Action.ROSTER_IMPORT,
        actor=operator,
        detail=(
            f"历史数据导入（import_units）：从原系统导入已通过注册审核的单位{len(made)}个，"
            "建单位账号（暂无密码）；未发送短信"
        ),
    )
    return {"units": len(made)}
