"""Facility tables for people: CSV (UTF-8 with BOM, which Excel opens as UTF-8) and XLSX.

Text that a spreadsheet could run as a formula is neutralised (cells.neutralise) in both; XLSX cells
hold text as text (openpyxl data_type 's'), numbers as numbers and dates as dates, under a bold,
frozen header with widths fitted to the content. XLSX is written in openpyxl's write-only mode, so a
national export streams instead of holding a workbook of cell objects.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import chain, islice
from typing import Any, Final

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from geo_service.interchange.cells import neutralise
from geo_service.interchange.export_rows import ExportRow, Lang, TableValue, table_headers, table_values

SHEET_TITLES: Final = {"zh": "设施", "en": "facilities"}
_WIDTH_SAMPLE_ROWS: Final = 200
_MIN_WIDTH, _MAX_WIDTH = 8, 60


def csv_text(value: TableValue) -> str:
    """A cell as CSV text: numbers without a spurious `.0`, dates ISO, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, int | date):
        return str(value) if isinstance(value, int) else value.isoformat()
    return neutralise(value)


def write_csv(rows: Sequence[ExportRow], lang: Lang) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table_headers(lang))
    for row in rows:
        writer.writerow([csv_text(value) for value in table_values(row, lang)])
    return buffer.getvalue().encode("utf-8-sig")


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_widths(headers: list[str], sample: list[list[TableValue]]) -> list[float]:
    """Widths fitted to the header and the first rows (CJK characters count double), within bounds."""
    widths = []
    for index, header in enumerate(headers):
        cells = [csv_text(row[index]) for row in sample if index < len(row)]
        longest = max([_display_width(header)] + [_display_width(cell) for cell in cells])
        widths.append(float(min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH)))
    return widths


def xlsx_cell(sheet: Any, value: TableValue) -> Any:
    """A write-only cell: text neutralised and stripped of characters XML cannot hold; dates formatted."""
    if isinstance(value, str):
        return WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", neutralise(value)))
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def write_sheet(sheet: Any, headers: list[str], rows: Iterable[list[TableValue]]) -> None:
    """Header row (bold, frozen), column widths from the first rows, then every row as it comes;
    shared by exports and the template."""
    sheet.freeze_panes = "A2"
    stream = iter(rows)
    first = list(islice(stream, _WIDTH_SAMPLE_ROWS))
    for index, width in enumerate(column_widths(headers, first), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for values in chain(first, stream):
        sheet.append([xlsx_cell(sheet, value) for value in values])


def write_xlsx(rows: Sequence[ExportRow], lang: Lang) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLES[lang])
    write_sheet(sheet, table_headers(lang), (table_values(row, lang) for row in rows))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
