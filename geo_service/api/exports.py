"""Facility exports: `GET /api/v1/exports/facilities.{geojson,csv,xlsx,gpkg,kml}` with the list's filters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from geo_service.api.auth import OptionalPrincipal
from geo_service.api.deps import ConnectionDep, SettingsDep
from geo_service.api.facility_filters import BboxFilter, DistrictFilter, KindFilter, StatusFilter, TextFilter
from geo_service.interchange import ExportFormat
from geo_service.services import facilities as facility_service
from geo_service.services.facility_exports import ExportRequest, export_facilities

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])


@router.get(
    "/facilities.{fmt}",
    response_class=Response,
    summary="Export facilities as a file (the list's filters; authenticated callers also get `source`)",
    responses={200: {"content": {"application/octet-stream": {}}}, 422: {"description": "too many rows"}},
)
def export(
    fmt: ExportFormat,
    conn: ConnectionDep,
    settings: SettingsDep,
    principal: OptionalPrincipal,
    kind: KindFilter = [],
    district: DistrictFilter = [],
    status: StatusFilter = [],
    bbox: BboxFilter = None,
    q: TextFilter = None,
    lang: Annotated[Literal["zh", "en"], Query(description="CSV/XLSX headers and labels: zh or en")] = "zh",
) -> Response:
    request = ExportRequest(
        format=fmt,
        lang=lang,
        kinds=kind,
        districts=district,
        statuses=status,
        bbox=facility_service.parse_bbox(bbox),
        text=q,
    )
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    file = export_facilities(conn, principal, request, max_rows=settings.export_max_rows, today=today)
    headers = {"Content-Disposition": f'attachment; filename="{file.file_name}"', "X-Total-Count": str(file.count)}
    return Response(file.data, media_type=file.media_type, headers=headers)
