"""The import report: every row of the file with its status, and for each problem the field, the value
and the reason in Chinese and English; plus totals and what was detected.

One model serves the dry run, the commit, the refused commit (the 422 body), the stored batch
(`import_batch.report`) and the CLI's report file, so a caller reads every one the same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final, Literal

import openpyxl
from pydantic import BaseModel

from geo_service.interchange import RowIssue
from geo_service.interchange.export_rows import TableValue
from geo_service.interchange.write_tables import csv_text, write_sheet

Status = Literal["created", "updated", "unchanged", "rejected"]
STATUSES: Final[tuple[Status, ...]] = ("created", "updated", "unchanged", "rejected")


class ReportIssue(BaseModel):
    """One rejection or warning of a row: the field (canonical name), the column as headed in the file,
    the value as given, and the reason."""

    field: str
    column: str | None = None
    value: str
    reason_zh: str
    reason_en: str

    @classmethod
    def of(cls, issue: RowIssue) -> ReportIssue:
        return cls(
            field=issue.field,
            column=issue.column,
            value=issue.value,
            reason_zh=issue.reason_zh,
            reason_en=issue.reason_en,
        )


class ReportRow(BaseModel):
    """A data row: `row` is the number the spreadsheet shows (header = 1) or the feature's 1-based index."""

    row: int
    status: Status
    code: str | None = None
    facility_id: int | None = None  # the stored facility (after a commit for created rows)
    rejections: list[ReportIssue] = []
    warnings: list[ReportIssue] = []


class Totals(BaseModel):
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0

    @classmethod
    def of(cls, rows: Sequence[ReportRow]) -> Totals:
        counts = {status: sum(row.status == status for row in rows) for status in STATUSES}
        return cls(rows=len(rows), warnings=sum(len(row.warnings) for row in rows), **counts)

    def counts(self) -> dict[str, int]:
        return self.model_dump()


class Note(BaseModel):
    zh: str
    en: str


class ImportReport(BaseModel):
    """The outcome of one import. `committed` is true only when the rows were written (then `batch_id`
    names the stored batch); a dry run and a refused commit write nothing."""

    dry_run: bool
    committed: bool = False
    batch_id: int | None = None
    actor: str
    at: datetime | None = None
    file_name: str
    checksum: str  # SHA-256 hex of the uploaded bytes
    format: str
    encoding: str | None = None
    layer: str | None = None
    file_crs: str | None = None  # what the file states (.prj, GeoPackage srs, GeoJSON crs)
    crs: str  # what the coordinates were converted from
    columns: dict[str, str]  # field → the file's header it was read from
    unknown_columns: list[str] = []
    ignored_columns: list[str] = []
    totals: Totals
    rows: list[ReportRow]
    file_warnings: list[ReportIssue] = []
    notes: list[Note] = []

    def rejections(self) -> Iterable[tuple[int, ReportIssue]]:
        """(row number, rejection) of every rejected row, in file order."""
        return ((row.row, issue) for row in self.rows for issue in row.rejections)


REPORT_HEADERS: Final = [
    "行号 row",
    "状态 status",
    "编码 code",
    "系统编号 id",
    "类别 kind",
    "字段 field",
    "列 column",
    "值 value",
    "原因 reason",
    "reason (en)",
]


def report_table(report: ImportReport) -> list[list[TableValue]]:
    """The report as table rows under REPORT_HEADERS: one per issue, one per row without any."""
    out: list[list[TableValue]] = []
    for row in report.rows:
        issues = [("rejection", i) for i in row.rejections] + [("warning", i) for i in row.warnings]
        head: list[TableValue] = [row.row, row.status, row.code, row.facility_id]
        if not issues:
            out.append([*head, None, None, None, None, None, None])
        for kind, issue in issues:
            out.append([*head, kind, issue.field, issue.column, issue.value, issue.reason_zh, issue.reason_en])
    return out


def report_file(report: ImportReport, suffix: str) -> bytes:
    """The report as `.xlsx`, `.csv` (UTF-8 with BOM) or `.json`. Cells are neutralised by the table
    writers: a rejected value such as `=B2&"驿站"` must not run when the report is opened."""
    if suffix == ".json":
        return report.model_dump_json(indent=2).encode()
    if suffix == ".csv":
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(REPORT_HEADERS)
        writer.writerows([csv_text(value) for value in row] for row in report_table(report))
        return text.getvalue().encode("utf-8-sig")
    if suffix == ".xlsx":
        workbook = openpyxl.Workbook(write_only=True)
        write_sheet(workbook.create_sheet("导入报告"), REPORT_HEADERS, report_table(report))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    raise ValueError(f"unknown report format {suffix!r}: use .xlsx, .csv or .json")
