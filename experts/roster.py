"""从原系统导入专家: the admitted experts of the bureau's previous 专家库管理系统, read from its
Excel export and written in 审核通过 (python manage.py import_roster).

`check` reads a sheet and returns its rows, cleaned, and every problem found, each as
`第N行 列名：问题`; it writes nothing and reads the units, the registered ID numbers and the
禁入 entries in one query each, whatever the number of rows. `import_rows` writes checked rows
in bulk, in the caller's transaction: an account (申请人, of its unit, with no usable password:
its owner claims it by 找回密码) and an application in 审核通过 per row, their 专业领域, one
history row each (历史数据导入, the operator as actor), one audit row for the run, and then the
kept counts, search texts and 专业领域 rows a bulk load refreshes. No SMS and no 公示: the
experts were admitted, and told, by the previous system. No consent either: the portal's rule
for an application without the PIPL consent (experts.permissions) keeps their ID and bank
numbers hidden until each person signs in and agrees.
"""

import dataclasses
import datetime
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from stdnum.cn import ric, uscc

from accounts.choices import IdType, UnitStatus, UserKind
from accounts.models import Blacklist, Unit, User
from accounts.validators import (
    clean_id_number,
    clean_mobile,
    mask_id_number,
    resident_id_facts,
)
from audit.log import record
from audit.models import AuditEvent
from experts import counts, search
from experts.choices import DEGREE_CHOICES, EDUCATION_CHOICES, Gender, TitleLevel
from experts.models import (
    ApplicationStatus,
    ApplicationTransition,
    Discipline,
    ExpertApplication,
    FacetDiscipline,
)
from notice import periods as notice_periods
from portal import sheets
from portal.dates import chinese_date

BATCH = 1000
ACTION = "import_admitted"  # ExpertApplication.import_admitted, never fired
USERNAME_PREFIX = "zj"
USERNAME_DIGITS = 6
# Between an expert's 专业领域 in a cell: the portal's own separator, or its half-width twin.
DISCIPLINE_SPLIT = re.compile(r"[；;]")
# 软件（电子信息）: a sub-field as the portal's pages and exports write it, its field after it.
WITH_FIELD = re.compile(r"^(?P<name>.+?)[（(](?P<field>[^（()）]+)[）)]$")


@dataclasses.dataclass(frozen=True)
class Column:
    header: str
    required: bool = False
    # The model field whose max_length limits a free text, as "app.Model.field".
    length_of: str = ""


COLUMNS = [
    Column("姓名", True),
    Column("证件类型", True),
    Column("证件号码", True),
    Column("工作单位统一社会信用代码", True),
    Column("手机", True),
    Column("专业领域", True),
    Column("入库时间", True),
    Column("性别"),
    Column("出生日期"),
    Column("电子邮箱"),
    Column("最高学历"),
    Column("最高学位"),
    Column("专业技术职称", length_of="title"),
    Column("职称级别"),
    Column("所在部门", length_of="department"),
    Column("行政职务", length_of="admin_position"),
    Column("现从事专业", length_of="current_specialty"),
    Column("研究方向/擅长领域", length_of="research_direction"),
]
HEADERS = [column.header for column in COLUMNS]
REQUIRED = [column.header for column in COLUMNS if column.required]
# Choices accepted by their label (as the old system's export writes them) or their code.
CHOICES = {
    "证件类型": IdType.choices,
    "性别": Gender.choices,
    "最高学历": EDUCATION_CHOICES,
    "最高学位": DEGREE_CHOICES,
    "职称级别": TitleLevel.choices,
}
TEXT_FIELDS = {column.header: column.length_of for column in COLUMNS if column.length_of}

# The template's example row. Its ID number is valid, so that a forgotten example row is
# recognised (and refused) by it rather than imported as a person.
EXAMPLE_ID = "42010619800101001" + ric.calc_check_digit("420106198001010010")
EXAMPLE_ROW = {
    "姓名": "张三（示例行，导入前请删除）",
    "证件类型": IdType.RESIDENT.label,
    "证件号码": EXAMPLE_ID,
    "工作单位统一社会信用代码": "91420100MA0000001" + uscc.calc_check_digit("91420100MA0000001"),
    "手机": "13812345678",
    "专业领域": "软件；0803",
    "入库时间": datetime.date(2020, 1, 31),
    "性别": Gender.MALE.label,
    "出生日期": datetime.date(1980, 1, 1),
    "电子邮箱": "zhangsan@example.com",
    "最高学历": "博士研究生",
    "最高学位": "博士",
    "专业技术职称": "教授",
    "职称级别": TitleLevel.SENIOR.label,
    "所在部门": "计算机学院",
    "行政职务": "副院长",
    "现从事专业": "人工智能",
    "研究方向/擅长领域": "机器学习、知识图谱",
}


# A file that cannot be read as a roster at all (not an .xlsx, no sheet).
RosterError = sheets.SheetError
read_sheet = sheets.read_sheet


@dataclasses.dataclass
class Expert:
    """One row, cleaned: the values the account and the application are made with."""

    row: int
    real_name: str
    id_type: str
    id_number: str
    id_indexes: list[str]
    unit: Unit
    mobile: str
    disciplines: list[int]
    admitted_at: datetime.datetime
    email: str = ""
    values: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Identity:
    row: int
    id_type: str
    id_number: str
    id_indexes: list[str]


@dataclasses.dataclass
class Checked:
    experts: list[Expert]
    problems: list[str]
    rows: int  # data rows read (empty rows left out)


def write_template(target) -> None:
    """The empty roster: the header row and one example row, which the import refuses."""
    sheets.write_template(target, "专家名单", HEADERS, EXAMPLE_ROW)


class DisciplineIndex:
    """专业领域 by code, by name, or by 名称（所属领域）, from one query."""

    def __init__(self):
        rows = list(
            Discipline.objects.values_list("pk", "code", "name", "parent__name", "parent_id")
        )
        self.by_code = {code: pk for pk, code, _, _, _ in rows}
        self.parent = {pk: parent for pk, _, _, _, parent in rows}
        self.by_name: dict[str, list[int]] = {}
        self.by_name_and_field = {}
        for pk, _, name, field, _ in rows:
            self.by_name.setdefault(name, []).append(pk)
            if field:
                self.by_name_and_field[(name, field)] = pk

    def find(self, text: str) -> tuple[int | None, str]:
        """(pk, "") or (None, why not)."""
        if text in self.by_code:
            return self.by_code[text], ""
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            return None, f"“{text}”对应多个专业领域，请改用代码"
        match = WITH_FIELD.match(text)
        if match and (match["name"], match["field"]) in self.by_name_and_field:
            return self.by_name_and_field[(match["name"], match["field"])], ""
        return None, f"未找到“{text}”，请填写专业领域分类中的代码或名称（如0101或“软件”）"


def check(header: list, data: list[tuple[int, tuple]], today=None) -> Checked:
    """Every row of a roster checked against the rules of registration and of the expert form,
    and against the portal's data (units, registered ID numbers, 禁入): the rows cleaned, and
    every problem found. Writes nothing."""
    today = today or timezone.localdate()
    positions, problems = sheets.columns(header, HEADERS, REQUIRED)
    if problems:
        return Checked([], problems, len(data))
    if not data:
        return Checked([], [sheets.problem(2, "全部", "表中没有数据行")], 0)

    units = {
        unit.credit_code: unit
        for unit in Unit.objects.only("pk", "credit_code", "name", "status", "is_active")
    }
    disciplines = DisciplineIndex()
    candidates, identities = [], []
    for number, values in data:
        expert, identity = _check_row(
            number, sheets.cells(values, positions), units, disciplines, today, problems
        )
        candidates.append(expert)
        if identity is not None:
            identities.append(identity)

    # Within the file, and against the portal: each ID number once (registration's rule), and
    # none under a 禁入 in force; every valid ID number, whatever else its row lacks. One query
    # each for all rows.
    first_row: dict[tuple[str, str], int] = {}
    for identity in identities:
        key = (identity.id_type, identity.id_number)
        if key in first_row:
            problems.append(
                sheets.problem(
                    identity.row,
                    "证件号码",
                    f"与第{first_row[key]}行的证件号码相同（{mask_id_number(identity.id_number)}），"
                    "每人只能导入一次",
                )
            )
        else:
            first_row[key] = identity.row
    indexes = sorted({index for identity in identities for index in identity.id_indexes})
    registered = set(
        User.objects.filter(id_number_index__in=indexes).values_list("id_number_index", flat=True)
    )
    barred = set(
        Blacklist.objects.filter(id_number_index__in=indexes)
        .filter(Blacklist.in_force_on(today))
        .values_list("id_number_index", flat=True)
    )
    for identity in identities:
        masked = mask_id_number(identity.id_number)
        if barred.intersection(identity.id_indexes):
            problems.append(
                sheets.problem(
                    identity.row, "证件号码", f"该证件号码（{masked}）在禁入名单中，不能导入"
                )
            )
        elif registered.intersection(identity.id_indexes):
            problems.append(
                sheets.problem(
                    identity.row,
                    "证件号码",
                    f"该证件号码（{masked}）已在本系统注册过账号，不能再导入；"
                    "此人可登录本系统直接申请，或请运维人员核对",
                )
            )
    problems += _shared_addresses([expert for expert in candidates if expert and expert.email])
    problems.sort(key=sheets.row_of)
    experts = [expert for expert in candidates if expert]
    return Checked(experts if not problems else [], problems, len(data))


def _shared_addresses(experts: list[Expert]) -> list[str]:
    """An imported account is claimed by 找回密码 at its 电子邮箱 (accounts.forms): an address
    twice in the file, or already an account's or a unit's (a unit's office, say), would let
    whoever reads that mailbox reach someone else's record. Such rows are refused; the address
    may be left empty instead."""
    first_row, again = sheets.repeated([(expert.row, expert.email) for expert in experts])
    problems = [
        sheets.problem(
            row, "电子邮箱", f"与第{first}行的电子邮箱相同，每人须用本人的电子邮箱（也可留空）"
        )
        for row, first in again
    ]
    taken = sheets.addresses_taken(list(first_row))
    for expert in experts:
        if expert.email.casefold() in taken:
            problems.append(
                sheets.problem(
                    expert.row,
                    "电子邮箱",
                    f"“{expert.email}”已是本系统中其他账号或单位的电子邮箱，每人须用本人的"
                    "电子邮箱（也可留空，由运维人员在后台补填）",
                )
            )
    return problems


def _check_row(
    number, cells, units, disciplines, today, problems
) -> tuple[Expert | None, Identity | None]:
    """One row cleaned, or None with its problems added to `problems`; and its ID number when
    that is valid (checked against the other rows and the portal by the caller)."""
    found = []

    def say(column: str, message: str) -> None:
        found.append(sheets.problem(number, column, message))

    text = {name: sheets.text(value) for name, value in cells.items()}
    for name in REQUIRED:
        if not text.get(name):
            say(name, "必填，不能为空")

    real_name = text.get("姓名", "")
    if len(real_name) > User._meta.get_field("real_name").max_length:
        say("姓名", f"不能超过{User._meta.get_field('real_name').max_length}个字")

    coded = {}
    for column, choices in CHOICES.items():
        value = text.get(column, "")
        if not value:
            continue
        code = sheets.choice(value, choices)
        if code is None:
            say(column, f"“{value}”不是可选的值，可选：{sheets.allowed(choices)}")
        coded[column] = code

    id_type, id_number, id_indexes = coded.get("证件类型"), "", []
    if id_type and text.get("证件号码"):
        if text["证件号码"] == EXAMPLE_ID:
            say("证件号码", "这是模板中的示例行，请删除后再导入")
        try:
            id_number = clean_id_number(id_type, text["证件号码"])
        except ValidationError as error:
            hint = (
                # Excel keeps 15 significant digits of a number: an 18-digit ID number typed
                # into a number cell has lost its last digits.
                "；该单元格是数字格式，Excel 会丢失18位号码的末几位，请将此列设为文本后重新填写"
                if isinstance(cells["证件号码"], int | float)
                else ""
            )
            say("证件号码", f"{error.messages[0]}（{mask_id_number(text['证件号码'])}）{hint}")
        else:
            id_indexes = User.id_indexes(id_type, id_number)

    unit = None
    code = uscc.compact(text.get("工作单位统一社会信用代码", "")).upper()
    if code:
        unit = units.get(code)
        if unit is None:
            say(
                "工作单位统一社会信用代码",
                f"本系统中没有统一社会信用代码为{code}的单位。请先由该单位在本系统注册"
                "（新用户注册：单位）并经科技局审核通过，或由运维人员先导入原系统的单位"
                "（python manage.py import_units）",
            )
        elif unit.status != UnitStatus.APPROVED:
            say(
                "工作单位统一社会信用代码",
                f"单位“{unit.name}”的注册审核状态为“{unit.get_status_display()}”，"
                "须经科技局审核通过后才能导入其专家",
            )
        elif not unit.is_active:
            say("工作单位统一社会信用代码", f"单位“{unit.name}”已停用，不能导入其专家")

    mobile = ""
    if text.get("手机"):
        try:
            mobile = clean_mobile(text["手机"])
        except ValidationError as error:
            say("手机", error.messages[0])

    picked = []
    for part in DISCIPLINE_SPLIT.split(text.get("专业领域", "")):
        part = part.strip()
        if not part:
            continue
        pk, why = disciplines.find(part)
        if pk is None:
            say("专业领域", why)
        elif pk not in picked:
            picked.append(pk)
    # A whole field holds its sub-fields (the expert form lets only one of the two be ticked):
    # a row naming both keeps the field, as the person is in all of it.
    picked = [pk for pk in picked if disciplines.parent[pk] not in picked]

    admitted_at = None
    if text.get("入库时间"):
        day = sheets.parse_date(cells["入库时间"])
        if day is None:
            say("入库时间", f"“{text['入库时间']}”不是日期，请写成2020-01-31或2020/1/31")
        elif day > today:
            say("入库时间", f"{day}晚于今天")
        else:
            admitted_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
            period = notice_periods.running(admitted_at, today)
            if period is not None:
                # Imported in 审核通过 within its 公示期, the person would be listed on the
                # public 公示 page (notice.selectors), open to 异议, for an admission this
                # system never made.
                say(
                    "入库时间",
                    f"{day}尚在本系统的公示期内（至{period.ends}），导入后会列入公示名单；"
                    f"请在{period.ends}之后导入，或核对入库时间",
                )

    values = {}
    birth = None
    if text.get("出生日期"):
        birth = sheets.parse_date(cells["出生日期"])
        if birth is None:
            say("出生日期", f"“{text['出生日期']}”不是日期，请写成1980-01-31或1980/1/31")
    gender = coded.get("性别")
    if id_number and id_type in (IdType.RESIDENT, IdType.HK_MO_TW_RESIDENCE):
        # As the expert form pre-fills them: the ID number says both.
        id_birth, id_gender = resident_id_facts(id_number)
        if birth and birth != id_birth:
            say("出生日期", "与证件号码中的出生日期不一致")
        if gender and gender != id_gender:
            say("性别", "与证件号码不一致")
        birth, gender = birth or id_birth, gender or id_gender
    values.update(birth_date=birth, gender=gender or "")
    values.update(
        education=coded.get("最高学历") or "",
        degree=coded.get("最高学位") or "",
        title_level=coded.get("职称级别") or "",
    )

    email = text.get("电子邮箱", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            say("电子邮箱", f"“{email}”不是有效的电子邮箱地址")

    for column, field_name in TEXT_FIELDS.items():
        value = text.get(column, "")
        limit = ExpertApplication._meta.get_field(field_name).max_length
        if len(value) > limit:
            say(column, f"不能超过{limit}个字，现有{len(value)}个字")
        values[field_name] = value

    problems.extend(found)
    identity = Identity(number, id_type, id_number, id_indexes) if id_indexes else None
    if found:
        return None, identity
    expert = Expert(
        row=number,
        real_name=real_name,
        id_type=id_type,
        id_number=id_number,
        id_indexes=id_indexes,
        unit=unit,
        mobile=mobile,
        disciplines=picked,
        admitted_at=admitted_at,
        email=email,
        values=values,
    )
    return expert, identity


def history_comment(admitted_at: datetime.datetime) -> str:
    day = timezone.localdate(admitted_at)
    return (
        f"历史数据导入：已于{chinese_date(day)}在原专家库管理系统中入库，"
        "由运维人员导入本系统；未经本系统的单位推荐、科技局审核和公示，未发送短信。"
    )


def _next_usernames(n: int) -> list[str]:
    """n new usernames zj000001, zj000002 …, after the highest taken in any case (one query):
    usernames are unique without case (accounts: an account's ZJ000001 and zj000001 would be
    two ways to type one name)."""
    taken = User.objects.filter(
        username__iregex=rf"^{USERNAME_PREFIX}[0-9]{{{USERNAME_DIGITS},}}$"
    ).values_list("username", flat=True)
    start = max((int(name[len(USERNAME_PREFIX) :]) for name in taken), default=0) + 1
    return [f"{USERNAME_PREFIX}{k:0{USERNAME_DIGITS}d}" for k in range(start, start + n)]


def import_rows(experts: list[Expert], operator) -> dict[str, int]:
    """Write checked rows, in the caller's transaction (see the module's docstring); returns
    what was made. Sends nothing."""
    now = timezone.now()
    usernames = _next_usernames(len(experts))
    users = []
    for expert, username in zip(experts, usernames, strict=True):
        user = User(
            username=username,
            kind=UserKind.APPLICANT,
            real_name=expert.real_name,
            id_type=expert.id_type,
            id_number=expert.id_number,
            # bulk_create skips User.save, which sets it.
            id_number_index=User.id_index(expert.id_type, expert.id_number),
            mobile=expert.mobile,
            email=expert.email,
            unit=expert.unit,
        )
        # Claimed by 找回密码 (accounts.forms.PortalPasswordResetForm lets it through).
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users, batch_size=BATCH)

    applications = ExpertApplication.objects.bulk_create(
        [
            ExpertApplication(
                user=user,
                unit_id=user.unit_id,
                status=ApplicationStatus.APPROVED,  # a protected FSM field may be given at creation
                mobile=user.mobile,
                email=user.email,
                decided_at=expert.admitted_at,
                imported_at=now,
                # 年度确认 counts from the import: the first reminder 11 months on, not at once
                # for everyone admitted long ago.
                confirmed_at=now,
                **expert.values,
            )
            for expert, user in zip(experts, users, strict=True)
        ],
        batch_size=BATCH,
    )
    through = ExpertApplication.disciplines.through
    through.objects.bulk_create(
        [
            through(expertapplication_id=application.pk, discipline_id=pk)
            for expert, application in zip(experts, applications, strict=True)
            for pk in expert.disciplines
        ],
        batch_size=BATCH,
    )
    sheets.write_history(
        ApplicationTransition,
        operator,
        ACTION,
        ApplicationStatus.APPROVED,
        [
            (application, history_comment(expert.admitted_at))
            for expert, application in zip(experts, applications, strict=True)
        ],
    )
    ids = [application.pk for application in applications]
    refresh_after_bulk_load(ids)
    without_email = sum(1 for expert in experts if not expert.email)
    units = len({expert.unit.pk for expert in experts})
    record(
        AuditEvent.Action.ROSTER_IMPORT,
        actor=operator,
        detail=(
            f"历史数据导入（import_roster）：从原系统导入审核通过的专家{len(experts)}名，"
            f"涉及{units}个单位，其中{without_email}名未填电子邮箱；未发送短信，未公示"
        ),
    )
    return {"experts": len(experts), "units": units, "without_email": without_email}


def refresh_after_bulk_load(application_ids: Iterable[int]) -> None:
    """What a bulk load refreshes (as seed_scale and the refresh_search and
    recount_applications commands do): the search text and unit of these applications, their
    专业领域 rows of 专家库's counts, and the kept per-status counts. 专家库's facet counts
    are cached under the pool's state, which these change."""
    ids = list(application_ids)
    search.refresh(ExpertApplication.objects.filter(pk__in=ids))
    FacetDiscipline.objects.rebuild(ids)
    counts.recount()
