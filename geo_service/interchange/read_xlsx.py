"""XLSX workbooks through openpyxl in read-only mode, after the zip and XML gates.

Formulas are never evaluated: the workbook is opened with data_only=False, so a formula cell arrives
as its text with data_type 'f' and becomes a row issue (not the value the formula last computed,
which may be stale or crafted). Error cells (#N/A, #DIV/0!) are issues too. openpyxl parses through
defusedxml, which refuses entity declarations; `xml_guard` refuses them before openpyxl runs.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import openpyxl

from geo_service.errors import FileRefused, InvalidFile
from geo_service.interchange import cells, messages
from geo_service.interchange.archive import open_zip
from geo_service.interchange.headers import header_names, trim_trailing_blanks
from geo_service.interchange.limits import UploadLimits, check_row_count
from geo_service.interchange.tables import CellValue, RawRow, RawTable, RowIssue
from geo_service.interchange.xml_guard import check_zip_xml


def read_xlsx(data: bytes, limits: UploadLimits, sheet: str | None = None) -> RawTable:
    """The first worksheet (or the one named `sheet`): header = first non-empty row."""
    check_zip_xml(open_zip(data, limits))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
        try:
            worksheet = _worksheet(workbook, sheet)
            headers, rows = _read_rows(worksheet.iter_rows(), limits)
            title = str(worksheet.title)
        finally:
            workbook.close()
    except FileRefused:
        raise
    except Exception as exc:  # openpyxl and its XML parser raise many types on malformed or hostile input
        raise InvalidFile("无法读取该 XLSX 文件", f"cannot read the XLSX file ({type(exc).__name__}: {exc})") from None
    return RawTable(format="xlsx", headers=headers, rows=rows, layer=title)


def _worksheet(workbook: Any, sheet: str | None) -> Any:
    if sheet is None:
        if not workbook.worksheets:
            raise InvalidFile("工作簿中没有工作表", "the workbook has no worksheet")
        return workbook.worksheets[0]
    if sheet not in workbook.sheetnames:
        names = "、".join(workbook.sheetnames)
        raise InvalidFile(f"没有名为 {sheet} 的工作表（有：{names}）", f"no sheet named {sheet!r}", field="layer")
    return workbook[sheet]


def _read_rows(sheet_rows: Iterator[tuple[Any, ...]], limits: UploadLimits) -> tuple[list[str], list[RawRow]]:
    headers: list[str] | None = None
    rows: list[RawRow] = []
    for number, row_cells in enumerate(sheet_rows, start=1):
        converted = [_cell(cell) for cell in row_cells]
        values = trim_trailing_blanks([value for value, _ in converted])
        if not values and not any(problem for _, problem in converted):
            continue
        if headers is None:
            headers = header_names(values)
            continue
        check_row_count(len(rows) + 1, limits)
        rows.append(_raw_row(number, headers, converted))
    if headers is None:
        raise InvalidFile("工作表没有表头行", "the sheet has no header row")
    return headers, rows


def _cell(cell: Any) -> tuple[CellValue, tuple[str, messages.Reason] | None]:
    """(value, problem): formula and error cells have no value and a problem (their text, the reason)."""
    kind, value = getattr(cell, "data_type", "n"), cell.value
    if kind == "f":
        return None, (str(getattr(value, "text", value)), messages.FORMULA)
    if kind == "e":
        return None, (str(value), messages.ERROR_CELL)
    if isinstance(value, str):
        value = cells.restore(value)
    return cells.normalise(value), None


def _raw_row(
    number: int, headers: list[str], converted: list[tuple[CellValue, tuple[str, messages.Reason] | None]]
) -> RawRow:
    values: dict[str, CellValue] = {}
    issues: list[RowIssue] = []
    for index, (value, problem) in enumerate(converted):
        if index >= len(headers):
            if value is not None or problem is not None:
                issues.append(
                    messages.extra_cells_issue(
                        number, len(trim_trailing_blanks([v for v, _ in converted])), len(headers)
                    )
                )
                break
            continue
        values[headers[index]] = value
        if problem is not None:
            issues.append(messages.issue(number, headers[index], problem[0], problem[1], column=headers[index]))
    return RawRow(number=number, values=values, issues=tuple(issues))
