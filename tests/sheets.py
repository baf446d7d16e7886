"""The sheets an operator imports from the previous system (import_units, import_roster), and
the commands' runs, for their tests."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook


def xlsx(path, rows: list[dict], headers=None) -> str:
    """An .xlsx as an export of the previous system: a header row, then the rows (by header).
    Without `headers`, every header the rows use, in their order."""
    headers = headers or list(dict.fromkeys(key for row in rows for key in row))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header) for header in headers])
    workbook.save(path)
    return str(path)


def run(command: str, path, operator, *args) -> str:
    out = io.StringIO()
    call_command(command, path, "--operator", operator.username, *args, stdout=out)
    return out.getvalue()


def refused(command: str, path, operator, *args) -> tuple[str, str]:
    """(the report, the error) of a run that must end non-zero."""
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command(command, path, "--operator", operator.username, *args, stdout=out)
    return out.getvalue(), str(error.value)
