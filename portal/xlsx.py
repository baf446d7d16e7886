"""A list of people as an .xlsx sheet: a title block (what the list is, who made it, which
filter), a header row, then one row per person. Every export of the portal writes through
here: the pool's (experts.exports), a draw record's, the statistics'.

openpyxl's write-only mode keeps no row in memory: each appended row goes to a temporary
file, and `save` zips that file into the workbook at the end, so memory stays flat whatever
the number of rows (docs/performance.md)."""

import re
from collections.abc import Callable, Iterable, Sequence
from io import BytesIO

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# XML 1.0 cannot hold these control characters; openpyxl refuses a cell that has one.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell_value(value):
    """A value as the sheet should hold it: text stays text (a name typed as "=1+1" is not a
    formula: see `write_xlsx`), dates stay dates, None is an empty cell."""
    if value is None:
        return None
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)
    return value


def write_xlsx(
    target,
    *,
    sheet_title: str,
    title_block: Sequence[tuple[str, object]],
    columns: Sequence[str],
    rows: Iterable[Sequence],
    widths: Sequence[int] = (),
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
) -> int:
    """Write a workbook of one sheet to `target` (a path or a binary file object): the
    `title_block` as (label, value) rows, a blank row, `columns` as the header row, then `rows`
    (sequences in the order of `columns`). `widths`: column widths in characters.
    `on_progress(n)` is called with the number of rows written every `progress_every` rows.
    Returns the number of data rows written."""
    workbook = Workbook(write_only=True)
    written = _append_sheet(
        workbook,
        sheet_title=sheet_title,
        title_block=title_block,
        columns=columns,
        rows=rows,
        widths=widths,
        on_progress=on_progress,
        progress_every=progress_every,
    )
    workbook.save(target)
    if on_progress is not None:
        on_progress(written)
    return written


def _append_sheet(
    workbook,
    *,
    sheet_title,
    title_block,
    columns,
    rows,
    widths=(),
    on_progress=None,
    progress_every=1000,
) -> int:
    """One sheet of `workbook` as write_xlsx describes it; returns the data rows written."""
    sheet = workbook.create_sheet(sheet_title[:31])  # Excel's longest sheet name
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)

    def strong(value) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=cell_value(value))
        cell.font = bold
        return cell

    for label, value in title_block:
        sheet.append([strong(label), _text_cell(sheet, value)])
    sheet.append([])
    sheet.append([strong(column) for column in columns])
    written = 0
    for row in rows:
        sheet.append([_text_cell(sheet, value) for value in row])
        written += 1
        if on_progress is not None and written % progress_every == 0:
            on_progress(written)
    return written


def workbook_response(filename: str, sheets: Sequence[dict]) -> HttpResponse:
    """Several short sheets in one workbook, as a download (统计分析's charts): each of
    `sheets` a dict of write_xlsx's sheet arguments."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _append_sheet(workbook, **sheet)
    buffer = BytesIO()
    workbook.save(buffer)
    return _download(filename, buffer.getvalue())


def _download(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _text_cell(sheet, value):
    """The plain value (a date gets openpyxl's date format by itself), or a cell for text that
    begins with "=": openpyxl would write it as a formula, and a name or a department typed as
    =HYPERLINK(…) must stay the text it is."""
    value = cell_value(value)
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def xlsx_response(filename: str, **sheet) -> HttpResponse:
    """A short list (a draw record's dozen experts) as a download in this response: `sheet`
    as for `write_xlsx`. A long one goes through the export worker (experts.exports)."""
    buffer = BytesIO()
    write_xlsx(buffer, **sheet)
    return _download(filename, buffer.getvalue())
