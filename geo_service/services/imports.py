"""Bulk import of facilities: read a file, check every row (in the file and against the database),
report each as created / updated / unchanged / rejected, and commit all of it or nothing.

    run_import = read_import (interchange: guards, format, headers)
               → check_import (parse_rows, then services.import_checks against the database)
               → finish_import (dry run: the report; rejections: ImportRejected; else commit_import)

The CLI runs the three stages under its progress bar; the HTTP route runs `run_import`.

A commit is one transaction: the import_batch row, inserts of new codes, updates of changed ones
(keeping their id), nothing for unchanged ones, an audit row per written facility plus one for the
batch, and the report stored on the batch. Updates set only the fields whose columns the file has:
a spreadsheet without a phone column leaves every stored phone as it is. The data revision triggers
(migration 0002) fire on these writes, so every worker's nearest index follows within a refresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
import shapely
from sqlalchemy import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from geo_service.analysis.bounds import grown_bounds, points_bounds
from geo_service.analysis.districts import DistrictShapes
from geo_service.authorization import AuditContext, Principal, require_role
from geo_service.errors import Conflict, ImportRejected, InvalidParameter, NotFound
from geo_service.interchange import (
    ColumnMap,
    RawRow,
    RawTable,
    UploadLimits,
    map_columns,
    parse_rows,
    read_upload,
)
from geo_service.interchange import values as cell_values
from geo_service.queries import districts as district_queries
from geo_service.queries import imports as import_queries
from geo_service.queries.audit import Change
from geo_service.records import FacilityRecord
from geo_service.services import audit, crs_hints
from geo_service.services.import_checks import (
    Assessment,
    CheckContext,
    Placement,
    assess,
    duplicate_warnings,
    stored_record,
)
from geo_service.services.import_outcome import build_report
from geo_service.services.import_report import ImportReport
from geo_service.settings import Settings

#: The record field each column sets (a district column sets the adcode; the point is always set).
_FIELD_OF: Final = {"district": "district_adcode", "district_code": "district_adcode"}
_ALWAYS: Final = frozenset({"code", "name", "kind", "lon", "lat", "district_adcode"})


@dataclass(frozen=True)
class ImportRequest:
    """One import as asked for. `crs` is required (wgs84, gcj02, bd09 or EPSG:nnnn); `mapping` maps the
    file's headers to fields ({"站点名称": "name"}); `layer` picks a sheet or layer; rejected rows are
    skipped (and the rest committed) only with `skip_rejected`."""

    file_name: str
    data: bytes
    crs: str
    dry_run: bool = False
    mapping: Mapping[str, str] | None = None
    skip_rejected: bool = False
    layer: str | None = None


@dataclass(frozen=True)
class ImportPolicy:
    """The caps and distances of imports, from settings (GEO_IMPORT_*)."""

    limits: UploadLimits
    border_tolerance_m: float
    duplicate_radius_m: float

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportPolicy:
        return cls(
            UploadLimits.from_settings(settings), settings.import_border_tolerance_m, settings.import_duplicate_radius_m
        )


@dataclass(frozen=True)
class ImportFile:
    """A file read into rows, not yet interpreted."""

    request: ImportRequest
    table: RawTable
    checksum: str


@dataclass(frozen=True)
class CheckedImport:
    """Every row checked; `report` is the dry-run report, `assessed` the accepted rows and their plans."""

    file: ImportFile
    report: ImportReport
    assessed: tuple[Assessment, ...]
    fields: tuple[str, ...]  # record fields an update sets

    @property
    def writes(self) -> tuple[Assessment, ...]:
        return tuple(a for a in self.assessed if a.status in ("created", "updated"))


def run_import(
    engine: Engine, principal: Principal | None, request: ImportRequest, ctx: AuditContext, *, policy: ImportPolicy
) -> ImportReport:
    """The whole import; 401/403 for callers who may not import; ImportRejected (422, with the report)
    when rows are rejected and `skip_rejected` is not set; FileRefused/InvalidParameter for bad files."""
    known = require_role(principal, "editor")
    checked = check_import(engine, known, read_import(request, policy.limits), policy)
    return finish_import(engine, checked, ctx)


def read_import(request: ImportRequest, limits: UploadLimits) -> ImportFile:
    """Guards and reader (413/415/422); the crs is required before anything is read."""
    if not request.crs.strip():
        raise InvalidParameter("crs", "必填：wgs84、gcj02、bd09 或 EPSG:nnnn / required", location="body")
    table = read_upload(request.file_name, request.data, limits, layer=request.layer)
    return ImportFile(request, table, hashlib.sha256(request.data).hexdigest())


def check_import(engine: Engine, principal: Principal, file: ImportFile, policy: ImportPolicy) -> CheckedImport:
    """Parse every row and check the accepted ones against the database; writes nothing."""
    require_role(principal, "editor")
    request, table = file.request, file.table
    with engine.connect() as conn:
        shapes, names = _districts(conn)
        columns = map_columns(table.headers, request.mapping, has_geometry=table.has_geometry, district_inferable=True)
        parsed = parse_rows(
            table,
            columns,
            request.crs,
            {name: adcode for adcode, name in names.items()},
            district_at=lambda lon, lat: shapes.locate(lon, lat, policy.border_tolerance_m),
        )
        accepted = [(row.number, row.record) for row in parsed.rows if row.record is not None]
        stored = import_queries.stored_by_code(conn, [record.code for _, record in accepted])
        nearby = _nearby(conn, [record for _, record in accepted], policy.duplicate_radius_m)
    present = _present_fields(columns)
    ctx = CheckContext(principal, shapes, names, stored, present, policy.border_tolerance_m, parsed.crs, columns.fields)
    placements = _placements(accepted, table, columns, ctx)
    assessed = tuple(assess(n, record, place, ctx) for (n, record), place in zip(accepted, placements, strict=True))
    duplicate_warnings([a for a in assessed if a.status != "rejected"], nearby, policy.duplicate_radius_m, ctx)
    header = {"actor": principal.actor, "file_name": request.file_name, "checksum": file.checksum}
    report = build_report(
        table=table,
        columns=columns,
        parsed=parsed,
        assessed=assessed,
        header=header,
        dry_run=request.dry_run,
        skip_rejected=request.skip_rejected,
    )
    return CheckedImport(file, report, assessed, tuple(sorted(present)))


def _placements(
    accepted: Sequence[tuple[int, FacilityRecord]], table: RawTable, columns: ColumnMap, ctx: CheckContext
) -> list[Placement]:
    """Where every accepted row lies, computed for all rows at once (services.crs_hints)."""
    records = [record for _, record in accepted]
    stored = [ctx.stored.get(record.code) for record in records]
    points = [None if row is None else (float(row["lon"]), float(row["lat"])) for row in stored]
    inside = crs_hints.inside_stated(records, ctx.districts)
    hints = crs_hints.crs_hints(records, points, ctx.declared_crs, ctx.districts, inside)
    given = {raw.number: raw for raw in table.rows}
    return [Placement(_given_point(given[n], columns), bool(inside[i]), hints[i]) for i, (n, _) in enumerate(accepted)]


def _districts(conn: Connection) -> tuple[DistrictShapes, dict[str, str]]:
    rows = district_queries.district_shapes(conn)
    if not rows:
        raise InvalidParameter("file", "尚未载入区县边界（geo-service init） / no districts are loaded", "body")
    shapes = DistrictShapes({row["adcode"]: shapely.from_wkb(bytes(row["wkb"])) for row in rows})
    return shapes, {row["adcode"]: row["name"] for row in rows}


def _nearby(conn: Connection, records: Sequence[FacilityRecord], radius_m: float) -> Sequence[RowMapping]:
    """Stored facilities around the file's points (its box grown by the duplicate radius)."""
    lon = np.array([r.lon for r in records], dtype=np.float64)
    lat = np.array([r.lat for r in records], dtype=np.float64)
    box = points_bounds(lon, lat)
    return [] if box is None else import_queries.positions_in_box(conn, *grown_bounds(box, radius_m))


def _present_fields(columns: ColumnMap) -> frozenset[str]:
    fields = {_FIELD_OF.get(name, name) for name in columns.fields} | _ALWAYS
    return frozenset(fields & set(FacilityRecord.model_fields))


def _given_point(raw: RawRow, columns: ColumnMap) -> str:
    """The position as the file gives it: the lon and lat cells, or the geometry's coordinates."""
    if raw.lon is not None and raw.lat is not None:
        return f"{raw.lon!r}, {raw.lat!r}"
    cells = [cell_values.text(raw.values.get(columns.header(axis) or "")) for axis in ("lon", "lat")]
    return ", ".join(cell or "" for cell in cells)


def finish_import(engine: Engine, checked: CheckedImport, ctx: AuditContext) -> ImportReport:
    """The dry-run report; or ImportRejected when rows are rejected and skipping was not asked; or the
    committed report."""
    request, report = checked.file.request, checked.report
    if request.dry_run:
        return report
    if report.totals.rejected and not request.skip_rejected:
        message = (
            f"{report.totals.rejected} 行被拒绝，未写入任何数据；请修正后重试，或设置 skip_rejected=true 跳过这些行 / "
            f"{report.totals.rejected} rows rejected, nothing was written; fix them or send skip_rejected=true"
        )
        raise ImportRejected(message, report.model_copy(update={"dry_run": False}))
    return commit_import(engine, checked, ctx)


def commit_import(engine: Engine, checked: CheckedImport, ctx: AuditContext) -> ImportReport:
    """Write the batch in one transaction (module docstring) and return the committed report."""
    creates = [a.record for a in checked.writes if a.status == "created"]
    updates = [a for a in checked.writes if a.status == "updated"]
    try:
        return _write(engine, checked, ctx, creates, updates)
    except IntegrityError:  # a code created by someone else between the check and the commit
        raise Conflict(
            "导入期间设施数据已被修改，未写入任何数据，请重新导入 / "
            "the facilities changed while the import ran; nothing was written, run it again"
        ) from None


def _write(
    engine: Engine,
    checked: CheckedImport,
    ctx: AuditContext,
    creates: Sequence[FacilityRecord],
    updates: Sequence[Assessment],
) -> ImportReport:
    report = checked.report
    with engine.begin() as conn:
        batch_id, at = import_queries.insert_batch(conn, _batch_values(checked, ctx))
        import_queries.insert_records(conn, creates, batch_id)
        import_queries.update_records(conn, [a.record for a in updates], checked.fields, batch_id)
        ids = import_queries.batch_ids_by_code(conn, batch_id)
        _audit(conn, ctx, checked, ids, batch_id)
        final = _committed(report, batch_id, at, ids)
        import_queries.store_report(conn, batch_id, final.model_dump(mode="json"))
    return final


def _batch_values(checked: CheckedImport, ctx: AuditContext) -> dict[str, object]:
    report = checked.report
    return {
        "actor": ctx.actor,
        "file_name": report.file_name[:255],
        "checksum": report.checksum,
        "format": report.format,
        "crs": report.crs[:32],
        "counts": report.totals.counts(),
    }


def _audit(conn: Connection, ctx: AuditContext, checked: CheckedImport, ids: Mapping[str, int], batch_id: int) -> None:
    changes = []
    for found in checked.writes:
        facility_id = ids[found.record.code]
        before = stored_record(found.stored) | {"id": facility_id} if found.stored is not None else None
        changes.append(Change(facility_id, before, found.record.model_dump(mode="json") | {"id": facility_id}))
    audit.record_many(conn, ctx, action="import", entity="facility", changes=changes)
    report = checked.report
    summary = {
        "file_name": report.file_name,
        "checksum": report.checksum,
        "format": report.format,
        "crs": report.crs,
        "counts": report.totals.counts(),
    }
    audit.record(conn, ctx, action="import", entity="import_batch", entity_id=batch_id, before=None, after=summary)


def _committed(report: ImportReport, batch_id: int, at: datetime, ids: Mapping[str, int]) -> ImportReport:
    rows = [
        row.model_copy(update={"facility_id": ids.get(row.code or "")}) if row.status == "created" else row
        for row in report.rows
    ]
    return report.model_copy(update={"committed": True, "dry_run": False, "batch_id": batch_id, "at": at, "rows": rows})


def stored_import(engine: Engine, principal: Principal | None, batch_id: int) -> ImportReport:
    """The report stored with a committed batch (viewer or higher; 404 when there is none)."""
    require_role(principal, "viewer")
    with engine.connect() as conn:
        row = import_queries.get_batch(conn, batch_id)
    if row is None:
        raise NotFound(f"没有编号为 {batch_id} 的导入批次 (no import batch {batch_id})")
    return ImportReport.model_validate(row["report"])
