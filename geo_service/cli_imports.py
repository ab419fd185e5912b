"""`geo-service import FILE` and `geo-service export`: facility files in and out on GEO_DB_URL.

Both run as `cli:<operating-system user>` with the admin role (whoever reaches the database may write
all of it), audited like the HTTP routes. The import runs the service's stages under a progress bar.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Final
from zoneinfo import ZoneInfo

import typer

from geo_service.authorization import AuditContext, Principal
from geo_service.cli_accounts import cli_context
from geo_service.cli_support import Database, console, open_database, steps
from geo_service.errors import ImportRejected, InvalidParameter
from geo_service.interchange import EXPORT_FORMATS
from geo_service.interchange.export_rows import Lang
from geo_service.services import facilities as facility_service
from geo_service.services import imports
from geo_service.services.facility_exports import ExportRequest, export_facilities
from geo_service.services.import_report import ImportReport, report_file

SHOWN_REJECTIONS: Final = 10

IMPORT_HELP = "\n\n".join(
    [
        "Import facilities from a file: CSV (UTF-8 or GBK), XLSX, GeoJSON, GeoPackage, KML or a zipped "
        "Shapefile, with Chinese or English headers (template: data/templates/).",
        "Every row is reported as created / updated / unchanged / rejected. A commit is all-or-nothing: one "
        "rejected row and nothing is written (exit code 1), unless --skip-rejected. Rows are matched to stored "
        "facilities by code; columns the file lacks keep their stored values.",
        "--crs is required: coordinates copied from Amap, Tencent or WeChat are gcj02, from Baidu bd09, from "
        "GPS wgs84; projected files give EPSG:nnnn.",
        "Examples:",
        "  geo-service import 台账.xlsx --crs gcj02 --dry-run",
        "  geo-service import 台账.xlsx --crs gcj02 --report report.xlsx",
        "  geo-service import stations.csv --crs wgs84 --mapping map.json --skip-rejected",
        '  (map.json: {"站点名称": "name", "站点编号": "code"})',
    ]
)
EXPORT_HELP = "\n\n".join(
    [
        "Export facilities (the list's filters) as GeoJSON, CSV, XLSX, GeoPackage or KML, every column "
        "(source included); the file imports again unchanged.",
        "Examples:",
        "  geo-service export --format xlsx --out 驿站.xlsx --district 滨城区",
        "  geo-service export --format gpkg --out facilities.gpkg --kind station --status open",
        "  geo-service export --format csv --out facilities.csv --lang en",
    ]
)


def _mapping(path: Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc}", param_hint="--mapping") from exc
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise typer.BadParameter('expected a JSON object {"header": "field"}', param_hint="--mapping")
    return value


def _finish(db: Database, checked: imports.CheckedImport, ctx: AuditContext) -> ImportReport:
    """The report of the last stage; a refused commit is a report too (committed false)."""
    try:
        return imports.finish_import(db.engine, checked, ctx)
    except ImportRejected as refused:
        assert isinstance(refused.report, ImportReport)
        return refused.report


def _totals(report: ImportReport) -> str:
    t = report.totals
    return (
        f"{t.rows} rows: {t.created} created, {t.updated} updated, {t.unchanged} unchanged, "
        f"{t.rejected} rejected, {t.warnings} warnings"
    )


def _show(report: ImportReport) -> None:
    shown = list(report.rejections())[:SHOWN_REJECTIONS]
    for row, issue in shown:
        column = f" [{issue.column}]" if issue.column else ""
        console.print(f"  row {row} {issue.field}{column} {issue.value!r}: {issue.reason_zh} / {issue.reason_en}")
    if report.totals.rejected and len(shown) < sum(len(r.rejections) for r in report.rows):
        console.print("  … (the full list is in the report: --report FILE)")
    for note in report.notes:
        console.print(f"  [dim]{note.zh} / {note.en}[/]")


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The file to import.")],
    crs: Annotated[str, typer.Option("--crs", help="wgs84 | gcj02 (Amap, Tencent, WeChat) | bd09 | EPSG:nnnn")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report only; write nothing.")] = False,
    mapping: Annotated[Path | None, typer.Option("--mapping", help='JSON file {"header": "field"}.')] = None,
    skip_rejected: Annotated[bool, typer.Option("--skip-rejected", help="Commit the rows that pass.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write the full report (.xlsx, .csv, .json).")] = None,
    layer: Annotated[str | None, typer.Option("--layer", help="Worksheet or layer (default: the first).")] = None,
) -> None:
    if report is not None and report.suffix.lower() not in (".xlsx", ".csv", ".json"):
        raise typer.BadParameter("use a .xlsx, .csv or .json file", param_hint="--report")
    request = imports.ImportRequest(file.name, file.read_bytes(), crs, dry_run, _mapping(mapping), skip_rejected, layer)
    done = _run(request)
    _show(done)
    if report is not None:
        report.write_bytes(report_file(done, report.suffix.lower()))
        console.print(f"report: {report}")
    if not dry_run and not done.committed:
        console.print("[red]nothing was written[/] (rejected rows; fix them or use --skip-rejected)")
        raise typer.Exit(1)


def _run(request: imports.ImportRequest) -> ImportReport:
    """The three stages of the import under one progress bar."""
    ctx = cli_context()
    admin = Principal(ctx.actor, "admin")
    with open_database() as db, steps(3) as runner:
        policy = imports.ImportPolicy.from_settings(db.settings)
        read = runner.run(f"read {request.file_name}", lambda: imports.read_import(request, policy.limits), _describe)
        checked = runner.run("check rows", lambda: imports.check_import(db.engine, admin, read, policy), None)
        return runner.run("dry run" if request.dry_run else "commit", lambda: _finish(db, checked, ctx), _totals)


def _describe(read: imports.ImportFile) -> str:
    table = read.table
    encoding = f", {table.encoding}" if table.encoding else ""
    return f"{len(table.rows)} rows, {table.format}{encoding}"


def _export_request(
    fmt: str, lang: str, kinds: list[str], districts: list[str], statuses: list[str], bbox: str | None
) -> ExportRequest:
    chosen = next((f for f in EXPORT_FORMATS if f == fmt), None)
    if chosen is None:
        raise typer.BadParameter(f"expected one of {', '.join(EXPORT_FORMATS)}", param_hint="--format")
    if lang not in ("zh", "en"):
        raise typer.BadParameter("zh or en", param_hint="--lang")
    try:
        box = facility_service.parse_bbox(bbox, "--bbox")
    except InvalidParameter as exc:
        raise typer.BadParameter(exc.message, param_hint="--bbox") from exc
    language: Lang = "en" if lang == "en" else "zh"
    return ExportRequest(chosen, language, kinds=kinds, districts=districts, statuses=statuses, bbox=box)


def export(
    fmt: Annotated[str, typer.Option("--format", help="geojson | csv | xlsx | gpkg | kml")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    kind: Annotated[list[str], typer.Option("--kind", help="station | rest_base | mediation_centre")] = [],
    district: Annotated[list[str], typer.Option("--district", help="Adcode or name; repeatable.")] = [],
    status: Annotated[list[str], typer.Option("--status", help="open | temporarily_closed | closed | planned")] = [],
    lang: Annotated[str, typer.Option("--lang", help="CSV/XLSX headers and labels: zh or en.")] = "zh",
    bbox: Annotated[str | None, typer.Option("--bbox", help="minlon,minlat,maxlon,maxlat (WGS-84).")] = None,
    max_rows: Annotated[int | None, typer.Option("--max-rows", help="Cap (default GEO_EXPORT_MAX_ROWS).")] = None,
) -> None:
    request = _export_request(fmt, lang, kind, district, status, bbox)
    admin = Principal(cli_context().actor, "admin")
    with open_database() as db, steps(1) as runner:
        today = datetime.now(ZoneInfo(db.settings.timezone)).date()
        cap = max_rows or db.settings.export_max_rows

        def write() -> str:
            with db.engine.connect() as conn:
                file = export_facilities(conn, admin, request, max_rows=cap, today=today)
            out.write_bytes(file.data)
            return f"{file.count} facilities → {out}"

        runner.run(f"export {fmt}", write, str)
