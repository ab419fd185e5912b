"""CSV (and tab- or semicolon-separated text) as Excel in China writes it: UTF-8, UTF-8 with BOM,
UTF-16 ("Unicode text") or GB18030/GBK.

The encoding is found by strict decoding in that order, never guessed from statistics: Chinese text in
GB18030 is practically never valid UTF-8, and a file that is neither is refused rather than read as
mojibake. Rows are counted while they stream, so a million-row file stops at the cap. A cell that
starts with `=` is what Excel would run as a formula and is refused like an XLSX formula cell; text
neutralised by our exports (`'=…`) reads back as the text.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator

from geo_service.errors import InvalidFile
from geo_service.interchange import cells
from geo_service.interchange.headers import header_names, trim_trailing_blanks
from geo_service.interchange.limits import UploadLimits, check_row_count
from geo_service.interchange.messages import FORMULA, extra_cells_issue, issue
from geo_service.interchange.tables import CellValue, RawRow, RawTable

_DELIMITERS = (",", "\t", ";")


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name) by strict decoding: BOMs first, then UTF-8, then GB18030 (a superset of GBK)."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", data[len(codecs.BOM_UTF8) :], "utf-8")]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data, "utf-16")]
    else:
        candidates = [("utf-8", data, "utf-8"), ("gb18030", data, "gb18030")]
    for name, payload, codec in candidates:
        try:
            return payload.decode(codec), name
        except UnicodeDecodeError:
            continue
    raise InvalidFile(
        "无法识别文件编码，请保存为 UTF-8 或 GBK（GB18030）",
        "unknown text encoding; save the file as UTF-8 or GBK (GB18030)",
    )


def _delimiter(text: str) -> str:
    first_line = text.lstrip("\ufeff\r\n").split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class Formula(str):
    """A CSV cell that starts with `=`: what Excel would run as a formula. Kept as its text for the
    report, and refused like an XLSX formula cell (our own exports write `'=` for such text)."""


def _cell(value: str) -> CellValue:
    if value.startswith("="):
        return Formula(value)
    return cells.normalise(cells.restore(value))


def _records(text: str) -> Iterator[tuple[int, list[CellValue]]]:
    """(row number, cells) per record; a quoted newline stays inside its cell, as in Excel."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for number, record in enumerate(reader, start=1):
            yield number, trim_trailing_blanks([_cell(value) for value in record])
    except csv.Error as exc:
        raise InvalidFile(
            f"CSV 第 {reader.line_num} 行无法解析", f"CSV cannot be parsed near line {reader.line_num} ({exc})"
        ) from None


def read_csv(data: bytes, limits: UploadLimits) -> RawTable:
    text, encoding = decode(data)
    headers: list[str] | None = None
    rows: list[RawRow] = []
    for number, values in _records(text):
        if headers is None:
            if values:
                headers = header_names(values)
            continue
        if values:
            check_row_count(len(rows) + 1, limits)
            rows.append(_row(number, headers, values))
    if headers is None:
        raise InvalidFile("文件没有表头行", "the file has no header row")
    return RawTable(format="csv", headers=headers, rows=rows, encoding=encoding)


def _row(number: int, headers: list[str], values: list[CellValue]) -> RawRow:
    issues = [extra_cells_issue(number, len(values), len(headers))] if len(values) > len(headers) else []
    cells_by_header: dict[str, CellValue] = {}
    for header, value in zip(headers, values, strict=False):
        if isinstance(value, Formula):
            issues.append(issue(number, header, str(value), FORMULA, column=header))
            value = None
        cells_by_header[header] = value
    return RawRow(number=number, values=cells_by_header, issues=tuple(issues))
