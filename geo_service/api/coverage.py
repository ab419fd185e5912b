"""Coverage and planning endpoints for planners (GeoJSON, JSON, CSV, XLSX)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from geo_service import exports
from geo_service.api.deps import ConnectionDep, SettingsDep
from geo_service.api.responses import GeoJSONResponse
from geo_service.errors import InvalidParameter
from geo_service.services import coverage as coverage_service
from geo_service.services import planning as planning_service
from layers.coverage import frame_collection

router = APIRouter(prefix="/api/v1", tags=["coverage & planning"])

Kinds = Annotated[list[str], Query(description="facility kinds counted as coverage (default station)")]
Districts = Annotated[list[str], Query(description="adcodes or names (default: every county-level unit)")]
Radius = Annotated[float | None, Query(allow_inf_nan=False, description="service radius in metres")]
Preset = Annotated[str | None, Query(description="walk-15 | shandong-urban | shandong-dense | ebike-10")]


def coverage_query(
    kind: Kinds = [], district: Districts = [], radius_m: Radius = None, preset: Preset = None
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


class PlanRequest(BaseModel):
    """Where should `count` new facilities go? Existing open facilities of `kind` are kept."""

    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=1, description="how many new sites")
    radius_m: float | None = Field(default=None, allow_inf_nan=False)
    preset: str | None = None
    kind: list[str] = Field(default_factory=lambda: ["station"])
    district: list[str] = Field(default_factory=list)
    candidates: dict[str, Any] | None = Field(default=None, description="GeoJSON FeatureCollection of Points")
    demand: dict[str, Any] | None = Field(default=None, description="Points with a `weight` property")
    area: dict[str, Any] | None = Field(default=None, description="GeoJSON Polygon limiting the study area")
    solver: Literal["auto", "greedy", "exact"] = "auto"


@router.post("/plan/sites", response_class=GeoJSONResponse, summary="Suggested sites with the gain of each")
def plan_sites(request: PlanRequest, conn: ConnectionDep, settings: SettingsDep) -> GeoJSONResponse:
    try:
        body = planning_service.plan_request(conn, request.model_dump(), settings)
    except InvalidParameter as exc:  # every plan parameter arrives in the JSON body
        raise InvalidParameter(exc.parameter, exc.message, location="body") from exc
    return GeoJSONResponse(body)
