"""Where should the next N facilities go? MCLP with the existing facilities locked in.

The whole study area is solved in one metric frame (plan one 6° zone at a time). Demand already within
reach of an existing facility is removed; the default candidates are the centres of grid cells whose
demand is not yet reached ("grid cells in uncovered demand"), or the caller supplies them (partner
banks, post offices, petrol stations). Candidates on top of an existing facility are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Connection

from geo_service.analysis.coverage import nearest_distances, service_area
from geo_service.analysis.demand import grid_points
from geo_service.analysis.metric import ZONE_WIDTH_DEG, MetricFrame, frame_for
from geo_service.analysis.siting import CoverageProblem, Solution, exact, greedy
from geo_service.errors import InvalidParameter
from geo_service.services.coverage import coverage_metadata
from geo_service.services.point_input import parse_area, parse_points
from geo_service.services.study_area import (
    DemandPoints,
    StudyArea,
    demand_method,
    load_study_area,
    piece_demand,
    resolve_radius,
)
from geo_service.settings import Settings

EXACT_MAX_PAIRS = 4_000_000  # demand × candidates above which "auto" uses greedy
DUPLICATE_WITHIN_M = 10.0


@dataclass(frozen=True)
class Candidates:
    lonlat: np.ndarray
    properties: list[dict[str, Any]]
    source: str


@dataclass(frozen=True)
class Plan:
    solution: Solution
    sites: list[dict[str, Any]]  # in order, with lon/lat, gains and cumulative coverage
    before: dict[str, float]
    after: dict[str, float]
    demand_method: str
    candidates: str
    candidate_count: int


def plan_sites(
    area: StudyArea,
    count: int,
    radius_m: float,
    *,
    supplied: DemandPoints | None = None,
    candidates: Candidates | None = None,
    solver: str = "auto",
    cell_m: float = 500.0,
    time_limit_s: float = 60.0,
) -> Plan:
    boundary = area.boundary
    if boundary.bounds[2] - boundary.bounds[0] > ZONE_WIDTH_DEG:
        raise InvalidParameter("district", "the study area is wider than 6° of longitude; plan one region at a time")
    frame = frame_for(boundary)
    boundary_xy = frame.project(boundary)
    demand_xy, weights = _demand(area, frame, supplied, cell_m)
    existing_xy = frame.project_points(area.sites)
    reached = nearest_distances(demand_xy, existing_xy) <= radius_m
    pool = candidates or Candidates(_uncovered_cells(boundary_xy, existing_xy, radius_m, cell_m, frame), [], "grid")
    pool_xy = frame.project_points(pool.lonlat)
    keep = (
        nearest_distances(pool_xy, existing_xy) > DUPLICATE_WITHIN_M
        if len(existing_xy)
        else np.ones(len(pool_xy), bool)
    )
    pool_xy = pool_xy[keep]
    problem = CoverageProblem.build(demand_xy[~reached], weights[~reached], pool_xy, radius_m)
    solution = _solve(problem, count, solver, time_limit_s)
    kept = np.flatnonzero(keep)
    sites = _describe(solution, pool, kept, pool_xy, frame, boundary_xy, existing_xy, radius_m, weights, reached)
    total = float(weights.sum()) or 1.0
    before = {
        "demand_pct": 100 * float(weights[reached].sum()) / total,
        "area_pct": _area_pct(boundary_xy, existing_xy, radius_m),
    }
    after = {
        "demand_pct": before["demand_pct"] + 100 * solution.value / total,
        "area_pct": sites[-1]["cumulative_area_pct"] if sites else before["area_pct"],
    }
    return Plan(solution, sites, before, after, demand_method(supplied, cell_m), pool.source, len(pool_xy))


def _demand(area: StudyArea, frame: MetricFrame, supplied: DemandPoints | None, cell_m: float):  # type: ignore[no-untyped-def]
    parts = [piece_demand(d, d.geom, frame, frame.project(d.geom), supplied, cell_m) for d in area.districts]
    return np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _uncovered_cells(
    boundary_xy: shapely.Geometry, existing_xy: np.ndarray, radius_m: float, cell_m: float, frame: MetricFrame
) -> np.ndarray:
    centres = grid_points(boundary_xy, cell_m)
    centres = centres[nearest_distances(centres, existing_xy) > radius_m]
    lon, lat = frame.to_wgs84.transform(centres[:, 0], centres[:, 1])
    return np.column_stack([lon, lat]).reshape(-1, 2)


def _solve(problem: CoverageProblem, count: int, solver: str, time_limit_s: float) -> Solution:
    pairs = len(problem.weights) * len(problem.covers)
    if solver == "exact" or (solver == "auto" and pairs <= EXACT_MAX_PAIRS):
        if pairs > 4 * EXACT_MAX_PAIRS:
            raise InvalidParameter("solver", f"instance too large for the exact solver ({pairs:,} pairs); use greedy")
        try:
            return exact(problem, count, time_limit_s)
        except ValueError as exc:
            if solver == "exact":
                raise InvalidParameter("solver", str(exc)) from exc
    return greedy(problem, count)


def _area_pct(boundary_xy: shapely.Geometry, sites_xy: np.ndarray, radius_m: float) -> float:
    return 100 * shapely.intersection(boundary_xy, service_area(sites_xy, radius_m)).area / boundary_xy.area


def _describe(
    solution: Solution,
    pool: Candidates,
    kept: np.ndarray,
    pool_xy: np.ndarray,
    frame: MetricFrame,
    boundary_xy: shapely.Geometry,
    existing_xy: np.ndarray,
    radius_m: float,
    weights: np.ndarray,
    reached: np.ndarray,
) -> list[dict[str, Any]]:
    """Each chosen site with its marginal demand and area gain and the cumulative coverage after it."""
    covered_area = shapely.intersection(boundary_xy, service_area(existing_xy, radius_m))
    total_weight = float(weights.sum()) or 1.0
    demand_pct = 100 * float(weights[reached].sum()) / total_weight
    sites = []
    for order, (j, gain) in enumerate(zip(solution.chosen, solution.gains, strict=True), start=1):
        disc = shapely.intersection(boundary_xy, service_area(pool_xy[j : j + 1], radius_m))
        new_area = shapely.difference(disc, covered_area).area
        covered_area = shapely.union(covered_area, disc)
        demand_pct += 100 * gain / total_weight
        lon, lat = frame.to_wgs84.transform(pool_xy[j, 0], pool_xy[j, 1])
        sites.append(
            {
                "rank": order,
                "lon": round(float(lon), 6),
                "lat": round(float(lat), 6),
                "gain_demand": gain,
                "gain_area_km2": new_area / 1e6,
                "cumulative_demand_pct": demand_pct,
                "cumulative_area_pct": 100 * covered_area.area / boundary_xy.area,
                **(pool.properties[kept[j]] if pool.properties else {}),
            }
        )
    return sites


def plan_request(conn: Connection, request: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Validate a plan request (API or CLI), solve it, and shape the answer as a FeatureCollection."""
    count = int(request["count"])
    if not 1 <= count <= settings.plan_max_count:
        raise InvalidParameter("count", f"must be between 1 and {settings.plan_max_count}, got {count}")
    radius_m, preset, basis = resolve_radius(
        request.get("radius_m"), request.get("preset"), settings.coverage_max_radius_m
    )
    area = load_study_area(conn, request.get("kind") or [], request.get("district") or [])
    if request.get("area") is not None:
        area = area.clipped(parse_area(request["area"], "area"))
    supplied = None
    if request.get("demand") is not None:
        lonlat, weights, _ = parse_points(request["demand"], "demand", weight_key="weight")
        supplied = DemandPoints(lonlat, weights)
    candidates = None
    if request.get("candidates") is not None:
        lonlat, _, props = parse_points(request["candidates"], "candidates")
        candidates = Candidates(lonlat, props, "supplied")
    plan = plan_sites(
        area,
        count,
        radius_m,
        supplied=supplied,
        candidates=candidates,
        solver=request.get("solver", "auto"),
        time_limit_s=settings.plan_time_limit_s,
    )
    return {
        "type": "FeatureCollection",
        "features": [_site_feature(site) for site in plan.sites],
        "solver": plan.solution.solver,
        "solver_seconds": round(plan.solution.seconds, 3),
        "optimality_gap_bound": plan.solution.gap,
        "coverage_before": plan.before,
        "coverage_after": plan.after,
        "candidates": {"source": plan.candidates, "count": plan.candidate_count},
        **coverage_metadata(area, radius_m, preset, basis, plan.demand_method),
    }


def _site_feature(site: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [site["lon"], site["lat"]]},
        "properties": site,
    }
