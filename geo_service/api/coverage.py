"""Coverage and planning endpoints for planners (GeoJSON, JSON, CSV, XLSX)."""

from __future__ import annotations

from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from geo_layers.coverage import frame_collection
from geo_layers.suggested_sites import site_collection
from geo_service import exports
from geo_service.api.deps import ConnectionDep, SettingsDep
from geo_service.api.responses import GeoJSONResponse
from geo_service.errors import InvalidParameter
from geo_service.services import coverage as coverage_service
from geo_service.services import planning as planning_service
from geo_service.services.study_area import presets_help

router = APIRouter(prefix="/api/v1", tags=["coverage & planning"])

Kinds = Annotated[list[str], Query(description="facility kinds counted as coverage (default station)")]
Districts = Annotated[list[str], Query(description="adcodes or names (default: every county-level unit)")]
Radius = Annotated[float | None, Query(allow_inf_nan=False, description="service radius in metres")]
PresetParam = Annotated[str | None, Query(description=f"named service radius: {presets_help()}")]


def coverage_query(
    kind: Kinds = [], district: Districts = [], radius_m: Radius = None, preset: PresetParam = None
) -> coverage_service.CoverageQuery:
    """The parameters every coverage endpoint shares."""
    return coverage_service.CoverageQuery(tuple(kind), tuple(district), radius_m, preset)


CoverageQueryDep = Annotated[coverage_service.CoverageQuery, Depends(coverage_query)]


@router.get("/coverage/gaps", response_class=GeoJSONResponse, summary="Uncovered areas per district")
def gaps(conn: ConnectionDep, settings: SettingsDep, query: CoverageQueryDep) -> GeoJSONResponse:
    report, meta = coverage_service.coverage_report(conn, query, settings)
    return GeoJSONResponse(frame_collection(coverage_service.gaps_frame(report), **meta))


@router.get("/coverage/summary", summary="Per-district and total coverage (JSON, CSV or XLSX)")
def summary(
    conn: ConnectionDep, settings: SettingsDep, query: CoverageQueryDep, format: Literal["json", "csv", "xlsx"] = "json"
) -> Response:
    report, meta = coverage_service.coverage_report(conn, query, settings)
    rows = coverage_service.summary_rows(report)
    if format == "json":
        return JSONResponse({"districts": rows[:-1], "total": rows[-1], **meta})
    body = exports.table_bytes(pd.DataFrame(rows), format, notes=meta)
    return Response(
        body,
        media_type=exports.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="coverage-summary.{format}"'},
    )


@router.get("/coverage/grid", response_class=GeoJSONResponse, summary="Cells with the distance to the nearest facility")
def grid(
    conn: ConnectionDep,
    settings: SettingsDep,
    kind: Kinds = [],
    district: Districts = [],
    cell: Annotated[str, Query(description="square:<metres> or h3:<resolution>")] = "square:1000",
) -> GeoJSONResponse:
    cells, meta = coverage_service.grid_report(conn, tuple(kind), tuple(district), cell, settings)
    return GeoJSONResponse(frame_collection(cells, **meta))


@router.post("/plan/sites", response_class=GeoJSONResponse, summary="Suggested sites with the gain of each")
def plan_sites(spec: planning_service.PlanSpec, conn: ConnectionDep, settings: SettingsDep) -> GeoJSONResponse:
    try:
        result = planning_service.plan(conn, spec, settings)
    except InvalidParameter as exc:  # every plan parameter arrives in the JSON body
        raise InvalidParameter(exc.parameter, exc.message, location="body") from exc
    return GeoJSONResponse(site_collection(result.sites, **result.notes()))
