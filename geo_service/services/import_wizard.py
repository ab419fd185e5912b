"""The console's import wizard over the import service: the same reading, checking and committing as
`POST /api/v1/imports` (services.imports), split into the steps a person goes through.

1. `preview`: read the file (its format, encoding, sheet, stated CRS and headers), map its columns
   (automatically, or as the editor changed them) and dry-run it: the report of every row. A file whose
   columns cannot be mapped (a required one missing) still shows its headers and the reason, so the
   editor can map them by hand.
2. `commit`: the same file, CRS and mapping, written all or nothing (refused with the report when a row
   is rejected, unless the editor asks to skip rejected rows).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from sqlalchemy import Engine

from geo_service.authorization import AuditContext, Principal, require_role
from geo_service.errors import FileRefused, InvalidParameter
from geo_service.interchange.columns import COLUMNS, IGNORED
from geo_service.services import imports
from geo_service.services.import_report import ImportReport
from geo_service.services.imports import ImportFile, ImportPolicy, ImportRequest

#: Fields a column can be mapped to: (field, Chinese header, English header), in export order.
FIELD_CHOICES: Final = tuple((c.field, c.zh, c.en) for c in COLUMNS if c.field not in IGNORED)
#: Coordinate systems offered for a file (any EPSG:nnnn is accepted too).
CRS_CHOICES: Final = ("wgs84", "gcj02", "bd09", "EPSG:4490")


@dataclass(frozen=True)
class Preview:
    """What the wizard shows after an upload: the file as read, and the dry run's report or why none."""

    file_name: str
    format: str
    encoding: str | None
    layer: str | None
    stated_crs: str | None
    headers: list[str]
    report: ImportReport | None
    problem: str | None  # a column mapping or CRS the check refused, in Chinese / English


def preview(engine: Engine, principal: Principal | None, request: ImportRequest, policy: ImportPolicy) -> Preview:
    """Read and dry-run the file (writes nothing); FileRefused when it cannot be read at all. An empty
    `crs` reads the file (as WGS-84) to show its headers, and asks for the coordinate system."""
    known = require_role(principal, "editor")
    asked = replace(request, dry_run=True, crs=request.crs or "wgs84")
    file: ImportFile = imports.read_import(asked, policy.limits)
    table = file.table
    report, problem = None, None
    try:
        if not request.crs.strip():
            raise InvalidParameter("crs", "请选择坐标系 (choose the coordinate system of the file)", "body")
        report = imports.check_import(engine, known, file, policy).report
    except (FileRefused, InvalidParameter) as exc:
        problem = str(exc)
    headers = list(table.headers)
    return Preview(
        request.file_name, table.format, table.encoding, table.layer, table.source_crs, headers, report, problem
    )


def commit(
    engine: Engine, principal: Principal | None, request: ImportRequest, context: AuditContext, policy: ImportPolicy
) -> ImportReport:
    """Write the file (imports.run_import): ImportRejected with the report when rows are rejected."""
    return imports.run_import(engine, principal, replace(request, dry_run=False), context, policy=policy)
