"""Reading an operator's Excel sheet of records to import (从原系统导入: experts.roster for the
experts, accounts.unit_roster for the units): the file, its header row, its cells as text or
dates, the problems as `第N行 列名：问题`, and the empty template with one example row."""

import datetime
import re
import time
from zipfile import BadZipFile

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from accounts.models import Unit, User
from accounts.permissions import role_label

DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


class SheetError(Exception):
    """A file that cannot be read as a sheet at all (not an .xlsx, no sheet)."""


def write_template(target, title: str, headers: list[str], example: dict) -> None:
    """The empty sheet: the header row and one example row, which each import refuses."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(headers)
    sheet.append([example.get(header) for header in headers])
    for cell in sheet[2]:
        if isinstance(cell.value, datetime.date):
            cell.number_format = "yyyy-mm-dd"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(header) * 2 + 4)
    workbook.save(target)


def read_sheet(path) -> tuple[list, list[tuple[int, tuple]]]:
    """The header row and the data rows (Excel row number, values) of the first sheet."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as error:
        # What openpyxl raises for a missing file, an .xls, a .csv or a damaged workbook.
        raise SheetError(
            f"无法读取文件：{error}。请使用 .xlsx 格式（Excel 2007 及以后）。"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = list(next(rows, None) or [])
        data = [
            (number, values)
            for number, values in enumerate(rows, start=2)
            if any(text(value) for value in values)
        ]
    finally:
        workbook.close()
    return header, data


def columns(header: list, headers: list[str], required: list[str]) -> tuple[dict, list[str]]:
    """Where each known column is ({header: index}), and the header row's problems: a column
    the import does not know, one named twice, a required one missing. The full-width ／ some
    systems write (研究方向／擅长领域) reads as /."""
    problems = []
    positions: dict[str, int] = {}
    for index, name in enumerate(text(value).replace("／", "/") for value in header):
        if not name:
            continue
        if name not in headers:
            allowed = "、".join(headers)
            problems.append(problem(1, "表头", f"“{name}”不是可导入的列，可用的列：{allowed}"))
        elif name in positions:
            problems.append(problem(1, "表头", f"“{name}”出现了两次"))
        else:
            positions[name] = index
    for name in required:
        if name not in positions:
            problems.append(problem(1, "表头", f"缺少必填列“{name}”"))
    return positions, problems


def cells(values: tuple, positions: dict[str, int]) -> dict:
    """One row's values by column name (None where the row is shorter than the header)."""
    return {
        name: values[index] if index < len(values) else None for name, index in positions.items()
    }


def text(value) -> str:
    """A cell as text, its spaces single. A number typed in a cell (a mobile) may be read as
    13812345678.0: written as the digits typed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def problem(row: int, column: str, message: str) -> str:
    return f"第{row}行 {column}：{message}"


def row_of(problem: str) -> int:
    """The row a problem names, to list them in the sheet's order."""
    return int(re.match(r"第(\d+)行", problem).group(1))


def allowed(choices) -> str:
    return "、".join(label for _, label in choices)


def choice(value: str, choices) -> str | None:
    """The code of a choice given by its label (as the old system's export writes it) or code."""
    for code, label in choices:
        if value in (code, label):
            return code
    return None


def parse_date(value) -> datetime.date | None:
    """A cell's date: an Excel date, an Excel serial number, or 2020-01-31, 2020/1/31,
    2020.1.31, 2020年1月31日 as text. None when it is none of them."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return from_excel(value).date()
        except (ValueError, OverflowError, AttributeError):
            return None
    match = DATE_TEXT.match(text(value))
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def repeated(rows: list[tuple[int, str]]) -> tuple[dict[str, int], list[tuple[int, int]]]:
    """Of (row, address) pairs, each address's first row, without case (as 找回密码 compares
    addresses), and (row, first row) for each later row with an address already seen."""
    first_row: dict[str, int] = {}
    again = []
    for row, address in rows:
        folded = address.casefold()
        if folded in first_row:
            again.append((row, first_row[folded]))
        else:
            first_row[folded] = row
    return first_row, again


def write_history(model, operator, action: str, to_status: str, rows: list[tuple]) -> None:
    """One history row (a TransitionRecord `model`) per imported object, as (object, comment):
    `action` names the never-fired transition whose label the history shows (历史数据导入),
    the operator its 操作人."""
    role = role_label(operator)
    model.objects.bulk_create(
        [
            model(
                **{model.subject_field: subject},
                actor=operator,
                actor_role=role,
                action=action,
                from_status="",
                to_status=to_status,
                comment=comment,
            )
            for subject, comment in rows
        ],
        batch_size=1000,
    )


def addresses_taken(addresses: list[str]) -> set[str]:
    """Of these addresses (casefolded), those already an account's or a unit's, in any case:
    an imported account is claimed by 找回密码 at its address (accounts.forms), so an address
    someone else reads would hand them the record. Two queries, whatever their number."""
    found = [
        *User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=addresses)
        .values_list("email", flat=True),
        *Unit.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=addresses)
        .values_list("email", flat=True),
    ]
    return {address.casefold() for address in found}


class ImportCommand(BaseCommand):
    """从原系统导入's commands (import_units, import_roster): check the sheet and write nothing
    unless --commit, where it is checked again and written in one transaction, all or
    nothing; --template writes the empty sheet. A subclass says what it imports: `noun`,
    `permission` (besides a superuser's), `unique_values`, `write_template`, `check_sheet`
    (a result with `problems` and `rows`), `import_rows`, and what it says when the check
    passes and when it is done."""

    noun = ""
    permission = ""
    unique_values = "用户名"  # what another may take between the check and the insert

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="要导入的 .xlsx 文件（第一行为中文表头）")
        parser.add_argument(
            "--operator",
            help=f"执行导入的运维人员用户名（须为有效的超级用户或有新增{self.noun}的权限）",
        )
        parser.add_argument(
            "--commit", action="store_true", help="检查无误后正式导入；不加此项只检查，不写入"
        )
        parser.add_argument(
            "--template", metavar="OUT.xlsx", help="生成导入模板（表头和一行示例）到此文件后退出"
        )

    def handle(self, *args, file=None, operator=None, commit=False, template=None, **options):
        if template:
            self.write_template(template)
            self.stdout.write(
                f"已生成导入模板：{template}。第2行是示例，填写时请删除；"
                f"必填列：{'、'.join(self.required)}。"
            )
            return
        if not file:
            raise CommandError("请指定要导入的 .xlsx 文件，或用 --template 生成模板。")
        actor = self.operator(operator)
        started = time.monotonic()
        try:
            header, data = read_sheet(file)
        except SheetError as error:
            raise CommandError(str(error)) from None
        if not commit:
            self.report(self.check_sheet(header, data), commit=False)
            return
        try:
            with transaction.atomic():
                # Checked again in the transaction that writes: nothing written if any fails.
                checked = self.check_sheet(header, data)
                self.report(checked, commit=True)
                made = self.import_rows(checked, actor)
        except IntegrityError:
            # A number registered, or a username taken, between the check and the insert.
            raise CommandError(
                f"导入时有{self.unique_values}刚被他人占用，已全部撤销，未导入任何数据。"
                "请重新运行本命令。"
            ) from None
        self.done(made, time.monotonic() - started)

    def operator(self, username: str | None) -> User:
        if not username:
            raise CommandError("请用 --operator 指定执行导入的运维人员用户名。")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户名为“{username}”的账号。")
        if not user.is_active or not (user.is_superuser or user.has_perm(self.permission)):
            raise CommandError(
                f"账号“{username}”不是有效的超级用户，也没有新增{self.noun}的权限，不能导入。"
            )
        return user

    def report(self, checked, *, commit: bool) -> None:
        """The check's report; raises CommandError (exit status 1) when anything is wrong."""
        if checked.problems:
            for problem in checked.problems:
                self.stdout.write(problem)
            bad_rows = len({problem.split(" ", 1)[0] for problem in checked.problems})
            raise CommandError(
                f"共读取{checked.rows}行数据，发现{len(checked.problems)}处问题"
                f"（涉及{bad_rows}行），未导入任何数据。请修改文件后重新检查。"
            )
        self.passed(checked)
        if not commit:
            self.stdout.write("这是试运行，未写入任何数据。确认无误后加 --commit 正式导入。")
