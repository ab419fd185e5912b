"""From checked rows to the import report: one ReportRow per data row in file order, totals, and notes
that say what the figures mean (dry run, skipped rows, fields an update keeps, what was not detectable)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Final

from geo_service.interchange import ColumnMap, ParsedRow, ParsedRows, RawTable, RowIssue, messages
from geo_service.interchange import values as cell_values
from geo_service.records import FacilityRecord
from geo_service.services.crs_hints import WGS_LIKE
from geo_service.services.import_checks import Assessment
from geo_service.services.import_report import ImportReport, Note, ReportIssue, ReportRow, Totals

_UNDETECTABLE: Final = Note(
    zh="GCJ-02/BD-09 坐标被声明为 WGS-84 时，单个点位看不出来（两者都是合理位置，相差约 500 米）；只有更新已有设施"
    "（新点恰为原位置加偏移）或点位落在所填区县外、换算后落入时才能发现并提示。高德、腾讯、微信的坐标是 GCJ-02。",
    en="GCJ-02/BD-09 coordinates declared as WGS-84 cannot be seen in one point (both are plausible, ~500 m "
    "apart); they are detected only when a row updates a stored facility (the new point is the old one plus "
    "the offset) or falls outside its stated district but inside once converted. Amap, Tencent and WeChat "
    "coordinates are GCJ-02.",
)


def _issues(found: Sequence[RowIssue]) -> list[ReportIssue]:
    return [ReportIssue.of(problem) for problem in found]


def _raw_code(table: RawTable, columns: ColumnMap) -> dict[int, str | None]:
    header = columns.header("code")
    return {raw.number: cell_values.text(raw.values.get(header)) if header else None for raw in table.rows}


def _row(parsed: ParsedRow, found: Assessment | None, warnings: list[RowIssue], code: str | None) -> ReportRow:
    if found is None:
        rejections = _issues(parsed.issues)
        return ReportRow(
            row=parsed.number, status="rejected", code=code, rejections=rejections, warnings=_issues(warnings)
        )
    stored_id = int(found.stored["id"]) if found.stored is not None else None
    return ReportRow(
        row=found.number,
        status=found.status,
        code=found.record.code,
        facility_id=stored_id,
        rejections=_issues(found.rejections),
        warnings=_issues(warnings + found.warnings),
    )


def build_report(
    *,
    table: RawTable,
    columns: ColumnMap,
    parsed: ParsedRows,
    assessed: Sequence[Assessment],
    header: Mapping[str, object],
    dry_run: bool,
    skip_rejected: bool,
) -> ImportReport:
    """The report of checked rows. `header` holds actor, file_name and checksum."""
    by_number = {found.number: found for found in assessed}
    numbers = {row.number for row in parsed.rows}
    warned: defaultdict[int, list[RowIssue]] = defaultdict(list)
    for warning in parsed.warnings:
        warned[warning.row].append(warning)
    codes = _raw_code(table, columns)
    rows = [
        _row(row, by_number.get(row.number), warned.get(row.number, []), codes.get(row.number)) for row in parsed.rows
    ]
    detected = {"format": table.format, "encoding": table.encoding, "layer": table.layer, "file_crs": table.source_crs}
    mapped = {
        "columns": dict(columns.fields),
        "unknown_columns": list(columns.unknown),
        "ignored_columns": list(columns.ignored),
    }
    file_warnings = _issues([w for w in parsed.warnings if w.row not in numbers])
    report = ImportReport.model_validate(
        {
            **header,
            **detected,
            **mapped,
            "dry_run": dry_run,
            "crs": parsed.crs,
            "totals": Totals.of(rows),
            "rows": rows,
            "file_warnings": file_warnings,
        }
    )
    return report.model_copy(update={"notes": _notes(report, columns, dry_run, skip_rejected)})


def _absent(columns: ColumnMap) -> list[str]:
    given = {"district_adcode" if name in ("district", "district_code") else name for name in columns.fields}
    optional = [name for name in FacilityRecord.model_fields if name not in ("code", "name", "kind", "lon", "lat")]
    return [name for name in optional if name not in given and name != "district_adcode"]


def _rejection_note(rejected: int, skip_rejected: bool) -> Note:
    if skip_rejected:
        return Note(zh=f"已跳过 {rejected} 个被拒绝的行", en=f"{rejected} rejected rows are skipped")
    return Note(
        zh=f"{rejected} 行被拒绝：提交时不会写入任何数据，除非设置 skip_rejected",
        en=f"{rejected} rows rejected: a commit writes nothing unless skip_rejected is set",
    )


def _notes(report: ImportReport, columns: ColumnMap, dry_run: bool, skip_rejected: bool) -> list[Note]:
    notes = []
    totals = report.totals
    if dry_run:
        notes.append(Note(zh="试运行：未写入任何数据", en="dry run: nothing was written"))
    if totals.rejected:
        notes.append(_rejection_note(totals.rejected, skip_rejected))
    absent = _absent(columns)
    if absent and (totals.updated or totals.unchanged):
        listed = ", ".join(absent)
        notes.append(
            Note(
                zh=f"文件中没有这些列，更新时保留原值：{listed}",
                en=f"columns absent from the file keep their stored values on update: {listed}",
            )
        )
    hinted = sum(any(messages.DECLARED_AS in w.reason_en for w in row.warnings) for row in report.rows)
    if hinted:
        notes.append(
            Note(
                zh=f"{hinted} 行的坐标看来不是所声明的坐标系 {report.crs}，请确认 crs",
                en=f"{hinted} rows look like coordinates in another system than the declared {report.crs}; check crs",
            )
        )
    if report.crs in WGS_LIKE:
        notes.append(_UNDETECTABLE)
    return notes
