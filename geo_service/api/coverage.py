"""Coverage and planning endpoints for planners (GeoJSON, JSON, CSV, XLSX), and the planner map's exports
(`/plan/export.<format>`: the same question as the map page, so the file holds what the map showed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

import orjson
import pandas as pd
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine

from geo_layers.coverage import frame_collection
from geo_layers.suggested_sites import site_collection
from geo_service import exports
from geo_service.api import heavy_routes
from geo_service.api import jobs as jobs_api
from geo_service.api.deps import EngineDep, HeavyDep, RoadsDep, SettingsDep
from geo_service.api.responses import GeoJSONResponse
from geo_service.errors import InvalidParameter
from geo_service.maps.i18n import Lang
from geo_service.maps.results import planner_archive
from geo_service.services import coverage as coverage_service
from geo_service.services import planning as planning_service
from geo_service.services.heavy import Resources
from geo_service.services.network import NetworkService
from geo_service.services.planner import DEFAULT_COUNT, PlannerQuery, analyse, check
from geo_service.services.planner_workbook import planner_workbook
from geo_service.services.study_area import presets_help
from geo_service.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["coverage & planning"])

Kinds = Annotated[list[str], Query(description="facility kinds counted as coverage (default station)")]
Districts = Annotated[list[str], Query(description="adcodes or names (default: every county-level unit)")]
Radius = Annotated[float | None, Query(allow_inf_nan=False, description="service radius in metres")]
PresetParam = Annotated[str | None, Query(description=f"named service radius: {presets_help()}")]
LangParam = Annotated[Lang, Query(description="zh (default) or en: the table's headers and notes")]
MetricParam = Annotated[
    str,
    Query(description="straight (default): straight-line discs; network: by road (`geo-service network build`)"),
]
ProfileParam = Annotated[str | None, Query(description="metric=network: walk, ebike (default), drive or truck")]
MaxTime = Annotated[
    float | None,
    Query(allow_inf_nan=False, description="metric=network: travel time in seconds (instead of radius_m by road)"),
]


async def coverage_query(
    kind: Kinds = [],
    district: Districts = [],
    radius_m: Radius = None,
    preset: PresetParam = None,
    metric: MetricParam = "straight",
    profile: ProfileParam = None,
    max_time_s: MaxTime = None,
) -> coverage_service.CoverageQuery:
    """The parameters every coverage endpoint shares; by road, radius_m is metres along roads."""
    return coverage_service.CoverageQuery(tuple(kind), tuple(district), radius_m, preset, metric, profile, max_time_s)


CoverageQueryDep = Annotated[coverage_service.CoverageQuery, Depends(coverage_query)]


@router.get("/coverage/gaps", response_class=GeoJSONResponse, summary="Uncovered areas per district")
async def gaps(request: Request, heavy: HeavyDep, query: CoverageQueryDep) -> Response:
    """Computed in an analysis process (geo_service.services.heavy): 503 + Retry-After when this worker's
    GEO_HEAVY_CONCURRENCY analyses are busy for longer than GEO_QUEUE_WAIT_S. So are the summary and grid."""
    return await heavy_routes.answer(request, heavy, gaps_response, query)


def gaps_response(res: Resources, query: coverage_service.CoverageQuery) -> Response:
    body = coverage_service.gaps_body(res.engine, query, res.settings, res.roads, _gaps_geojson)
    return Response(body, media_type=GeoJSONResponse.media_type)


def _gaps_geojson(frame: Any, meta: dict[str, Any]) -> bytes:
    return orjson.dumps(frame_collection(frame, **meta))


@router.get("/coverage/summary", summary="Per-district and total coverage (JSON, CSV or XLSX)")
async def summary(
    request: Request,
    heavy: HeavyDep,
    query: CoverageQueryDep,
    format: Literal["json", "csv", "xlsx"] = "json",
    lang: LangParam = "zh",
) -> Response:
    return await heavy_routes.answer(request, heavy, summary_response, query, format, lang)


def summary_response(res: Resources, query: coverage_service.CoverageQuery, format: str, lang: Lang) -> Response:
    report, meta = coverage_service.coverage_report(res.engine, query, res.settings, res.roads)
    rows = coverage_service.summary_rows(report)
    if format == "json":
        return JSONResponse({"districts": rows[:-1], "total": rows[-1], **meta})
    if format == "xlsx":
        return _attachment(planner_workbook(lang, meta, summary=rows), "xlsx", "coverage-summary.xlsx")
    return _attachment(exports.table_bytes(pd.DataFrame(rows), format), format, f"coverage-summary.{format}")


def _attachment(body: bytes, fmt: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=exports.MEDIA_TYPES[fmt], headers=headers)


@router.get("/coverage/grid", response_class=GeoJSONResponse, summary="Cells with the distance to the nearest facility")
async def grid(
    request: Request,
    heavy: HeavyDep,
    query: CoverageQueryDep,
    cell: Annotated[str, Query(description="square:<metres> or h3:<resolution>")] = "square:1000",
) -> Response:
    """Straight-line distance per cell; with metric=network also the road distance (radius_m) or time
    (max_time_s) from each cell's centre, searched up to that budget (null beyond it)."""
    return await heavy_routes.answer(request, heavy, grid_response, query, cell)


def grid_response(res: Resources, query: coverage_service.CoverageQuery, cell: str) -> Response:
    cells, meta = coverage_service.grid_report(res.engine, query, cell, res.settings, res.roads)
    return GeoJSONResponse(frame_collection(cells, **meta))


PLAN_JOB = "plan"
PreferAsync = Annotated[
    str | None,
    Header(description="`respond-async` runs the plan as a job (202) whatever its size (RFC 7240)"),
]


@router.post(
    "/plan/sites",
    response_class=GeoJSONResponse,
    summary="Suggested sites with the gain of each (a job when large)",
    responses={202: {"model": jobs_api.JobOut, "description": "Accepted as a job: poll the Location URL"}},
)
def plan_sites(
    spec: planning_service.PlanSpec,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    roads: RoadsDep,
    prefer: PreferAsync = None,
) -> Response:
    """Answered at once within GEO_PLAN_SYNC_BUDGET_S of solving, unless the plan is large (more than
    GEO_PLAN_SYNC_MAX_COUNT sites or GEO_PLAN_SYNC_MAX_POINTS supplied points) or the client prefers
    `respond-async`: then `202 Accepted` with the job's status URL in `Location`, and the job has
    GEO_PLAN_TIME_LIMIT_S. Either way the solver stops at its budget with the best sites so far and says
    so (`time_budget_reached`, `optimality_gap_bound`)."""
    with _in_body():
        planning_service.check_cost(spec, settings)
    if "respond-async" in (prefer or "") or planning_service.runs_as_job(spec, settings):
        return jobs_api.accepted(request, engine, PLAN_JOB, spec.model_dump(mode="json"), run_plan_job)
    with _in_body():
        result = planning_service.plan(engine, spec, settings, settings.plan_sync_budget_s, roads)
    return GeoJSONResponse(_plan_collection(result))


def run_plan_job(engine: Engine, params: dict[str, Any], settings: Settings) -> tuple[bytes, str]:
    """A plan job's work (in a job process): the same answer as the request, with the job's budget."""
    spec = planning_service.PlanSpec.model_validate(params)
    roads = None
    if spec.metric == "network":  # a job process has no served network: it reads the file itself
        roads = NetworkService(settings.network_path, settings.network_max_snap_m)
        roads.refresh()
    with jobs_api.refusals(), _in_body():
        result = planning_service.plan(engine, spec, settings, settings.plan_time_limit_s, roads)
    return orjson.dumps(_plan_collection(result)), GeoJSONResponse.media_type


def _plan_collection(result: planning_service.PlanResult) -> dict[str, Any]:
    return site_collection(result.sites, **result.notes())


@contextmanager
def _in_body() -> Iterator[None]:
    """Every plan parameter arrives in the JSON body, so its errors are located there."""
    try:
        yield
    except InvalidParameter as exc:
        raise InvalidParameter(exc.parameter, exc.message, location="body", code=exc.code) from exc


ExportFormat = Literal["geojson", "gaps.geojson", "gpkg", "xlsx", "zip"]


def planner_query(
    district: Districts = [],
    radius_m: Radius = None,
    preset: PresetParam = None,
    count: Annotated[int, Query(description="suggested sites (0: none; at most GEO_PLAN_MAX_COUNT)")] = DEFAULT_COUNT,
) -> PlannerQuery:
    """The planner map's parameters (the page's form and its export links send the same)."""
    return PlannerQuery(tuple(d for d in district if d), radius_m, preset or None, count)


@router.get("/plan/export.{fmt}", summary="The planner map's results as a file (sites, gaps, table, map)")
def plan_export(
    fmt: ExportFormat,
    engine: EngineDep,
    settings: SettingsDep,
    query: Annotated[PlannerQuery, Depends(planner_query)],
    lang: LangParam = "zh",
) -> Response:
    """geojson: the suggested sites; gaps.geojson: the gaps; gpkg: sites, gaps and districts as layers;
    xlsx: the district summary, the sites and the notes; zip: the map as an offline page."""
    if fmt == "zip":
        check(query, settings)
        with engine.connect() as conn:  # the page reads as it is built; the other formats hold no connection
            archive = planner_archive(conn, settings, lang, query)
        return _attachment(archive, "zip", "planner-map.zip")
    analysis = analyse(engine, query, settings)
    notes = analysis.notes()
    if fmt == "geojson":
        return GeoJSONResponse(site_collection(analysis.sites, **notes), headers=_download("planner-sites.geojson"))
    if fmt == "gaps.geojson":
        return GeoJSONResponse(frame_collection(analysis.gaps(), **notes), headers=_download("planner-gaps.geojson"))
    if fmt == "gpkg":
        layers = {"sites": analysis.sites_frame(), "gaps": analysis.gaps(), "districts": analysis.districts_frame()}
        return _attachment(exports.geopackage_bytes(layers), "gpkg", "planner.gpkg")
    workbook = planner_workbook(lang, notes, summary=analysis.summary, sites=[s.properties() for s in analysis.sites])
    return _attachment(workbook, "xlsx", "planner-summary.xlsx")


def _download(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}
