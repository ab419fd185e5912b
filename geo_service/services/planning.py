"""Where should the next N facilities go? MCLP with the existing facilities locked in.

The whole study area is solved in one metric frame (plan one 6° zone at a time). Demand already within
reach of an existing facility is removed; the default candidates are the centres of grid cells whose
demand is not yet reached ("grid cells in uncovered demand"), or the caller supplies them (partner
banks, post offices, petrol stations). Candidates on top of an existing facility are dropped.

A request is one `PlanSpec` (the API's JSON body, or built by the CLI from its options and files);
`plan` answers it with a `PlanResult` that each front end presents (GeoJSON, files, a map).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np
import shapely
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine

from geo_service.analysis.coverage import nearest_distances, service_area
from geo_service.analysis.demand import grid_points
from geo_service.analysis.metric import ZONE_WIDTH_DEG, FloatArray, MetricFrame, frame_for
from geo_service.analysis.siting import CoverageProblem, Solution, exact, greedy
from geo_service.errors import InvalidParameter
from geo_service.services.network import NetworkService
from geo_service.services.point_input import AreaGeometry, PointCollection, read_area, read_points
from geo_service.services.road_coverage import RoadStudy, resolve_budget
from geo_service.services.site_places import PLACE_METHOD, SitePlace, site_places
from geo_service.services.study_area import (
    Assumptions,
    DemandPoints,
    StudyArea,
    demand_method,
    piece_demand,
    presets_help,
    read_study_area,
    resolve_radius,
)
from geo_service.settings import Settings

EXACT_MAX_PAIRS = 4_000_000  # demand × candidates above which "auto" uses greedy
DUPLICATE_WITHIN_M = 10.0
Solver = Literal["auto", "greedy", "exact"]


class PlanSpec(BaseModel):
    """Where should `count` new facilities go? Existing open facilities of `kind` are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    count: int = Field(ge=1, description="how many new sites")
    radius_m: float | None = Field(default=None, allow_inf_nan=False, description="service radius in metres")
    preset: str | None = Field(default=None, description=f"named service radius: {presets_help()}")
    kind: tuple[str, ...] = Field(default=("station",), description="facility kinds kept and counted as coverage")
    district: tuple[str, ...] = Field(default=(), description="adcodes or names (default: every county-level unit)")
    candidates: PointCollection | None = Field(default=None, description="candidate sites (default: grid cells)")
    demand: PointCollection | None = Field(default=None, description="Points with a `weight` property")
    area: AreaGeometry | None = Field(default=None, description="GeoJSON Polygon limiting the study area")
    solver: Solver = "auto"
    metric: Literal["straight", "network"] = Field(
        default="straight", description="straight: discs of radius_m; network: by road (`geo-service network build`)"
    )
    profile: str | None = Field(default=None, description="metric=network: walk, ebike (default), drive or truck")
    max_time_s: float | None = Field(
        default=None, allow_inf_nan=False, description="metric=network: travel time in seconds instead of radius_m"
    )


@dataclass(frozen=True)
class Candidates:
    lonlat: FloatArray
    properties: list[dict[str, Any]]  # aligned with lonlat; empty for grid candidates
    source: str


@dataclass(frozen=True)
class SuggestedSite:
    """A chosen site, in order, with what it adds and the coverage once it is built."""

    rank: int
    lon: float
    lat: float
    gain_demand: float
    gain_area_km2: float
    cumulative_demand_pct: float
    cumulative_area_pct: float
    candidate: Mapping[str, Any] = field(default_factory=dict)  # a supplied candidate's own properties
    place: SitePlace = field(default_factory=SitePlace)  # district, township, nearest address (services.site_places)

    def properties(self) -> dict[str, Any]:
        """The site as one flat record: its figures, its place, then the candidate's properties (which win
        on a clash)."""
        figures = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("candidate", "place")}
        return figures | asdict(self.place) | dict(self.candidate)


@dataclass(frozen=True)
class CoverageShare:
    demand_pct: float
    area_pct: float


@dataclass(frozen=True)
class Plan:
    """The sites chosen for a study area."""

    solution: Solution
    sites: list[SuggestedSite]
    before: CoverageShare
    after: CoverageShare
    demand_method: str
    candidates: str  # where the candidates came from: grid or supplied
    candidate_count: int  # after dropping those on top of an existing facility


@dataclass(frozen=True)
class PlanResult:
    """The answer to a PlanSpec: the plan and the assumptions it rests on."""

    plan: Plan
    assumptions: Assumptions
    road_notes: Mapping[str, Any] = field(default_factory=dict)  # metric, profile, credit: by road only

    @property
    def sites(self) -> list[SuggestedSite]:
        return self.plan.sites

    def notes(self) -> dict[str, Any]:
        """Everything stated beside the sites, as JSON members (GeoJSON foreign members, XLSX notes)."""
        solution = self.plan.solution
        return {
            "solver": solution.solver,
            "solver_seconds": round(solution.seconds, 3),
            "optimality_gap_bound": solution.gap,
            "time_budget_reached": solution.cut_short,
            "coverage_before": asdict(self.plan.before),
            "coverage_after": asdict(self.plan.after),
            "candidates": {"source": self.plan.candidates, "count": self.plan.candidate_count},
            "site_places": PLACE_METHOD,
            **self.assumptions.notes(),
            **self.road_notes,
        }


@dataclass(frozen=True)
class _Instance:
    """A study area in its metric frame: the demand, and what the existing facilities already reach."""

    frame: MetricFrame
    boundary_xy: BaseGeometry
    existing_xy: FloatArray
    covered_xy: BaseGeometry  # the existing facilities' service area within the boundary
    radius_m: float
    demand_xy: FloatArray
    weights: FloatArray
    reached: NDArray[np.bool_]  # demand already within reach of an existing facility

    @property
    def total_weight(self) -> float:
        return float(self.weights.sum()) or 1.0

    def before(self) -> CoverageShare:
        return CoverageShare(
            100 * float(self.weights[self.reached].sum()) / self.total_weight,
            100 * self.covered_xy.area / self.boundary_xy.area,
        )


def supplied_points(spec: PlanSpec) -> int:
    """Demand and candidate points sent with the spec (grid demand and candidates are not counted)."""
    return sum(len(points.features) for points in (spec.demand, spec.candidates) if points is not None)


def check_cost(spec: PlanSpec, settings: Settings) -> None:
    """The caps known before any work (422 naming the field): count and the points sent."""
    if not 1 <= spec.count <= settings.plan_max_count:
        raise InvalidParameter("count", f"must be between 1 and {settings.plan_max_count}, got {spec.count}")
    for name, points in (("demand", spec.demand), ("candidates", spec.candidates)):
        if points is not None and len(points.features) > settings.plan_max_points:
            raise InvalidParameter(
                name,
                f"点太多：{len(points.features):,} 个，上限 {settings.plan_max_points:,} / "
                f"too many points: {len(points.features):,}, at most {settings.plan_max_points:,}",
            )


def runs_as_job(spec: PlanSpec, settings: Settings) -> bool:
    """Whether the plan is too costly to answer within its request: many sites, or many points sent."""
    return spec.count > settings.plan_sync_max_count or supplied_points(spec) > settings.plan_sync_max_points


def plan(
    engine: Engine, spec: PlanSpec, settings: Settings, budget_s: float, roads: NetworkService | None = None
) -> PlanResult:
    """Check a spec against the settings and the data, and choose its sites (by road with metric=network)
    within `budget_s` seconds of solving (the solution says when the budget cut the search short, and its gap)."""
    check_cost(spec, settings)
    by_road = resolve_budget(spec.metric, spec.profile, spec.radius_m, spec.max_time_s, spec.preset, settings)
    if by_road is not None and roads is None:
        raise InvalidParameter("metric", "此服务没有道路网 / this server has no road network")
    radius = resolve_radius(spec.radius_m, spec.preset, settings.coverage_max_radius_m) if by_road is None else None
    area = read_study_area(engine, spec.kind, spec.district)
    if spec.area is not None:
        area = area.clipped(read_area(spec.area, "area"))
    supplied = None
    if spec.demand is not None:
        points = read_points(spec.demand, "demand", weight_key="weight")
        supplied = DemandPoints(points.lonlat, points.weights)
    candidates = None
    if spec.candidates is not None:
        points = read_points(spec.candidates, "candidates")
        candidates = Candidates(points.lonlat, points.properties, "supplied")
    road = None if by_road is None or roads is None else RoadStudy.open(roads, by_road, area.sites, settings)
    reach = radius or road.radius()  # type: ignore[union-attr]  # one of the two is set
    chosen = plan_sites(
        area,
        spec.count,
        reach.radius_m,
        supplied=supplied,
        candidates=candidates,
        solver=spec.solver,
        budget_s=budget_s,
        road=road,
        max_road_candidates=settings.network_plan_max_candidates,
    )
    assumptions = Assumptions.of(area, reach, chosen.demand_method)
    return PlanResult(chosen, assumptions, road.notes() if road is not None else {})


def plan_sites(
    area: StudyArea,
    count: int,
    radius_m: float,
    *,
    supplied: DemandPoints | None = None,
    candidates: Candidates | None = None,
    solver: Solver = "auto",
    cell_m: float = 500.0,
    budget_s: float = 60.0,
    road: RoadStudy | None = None,
    max_road_candidates: int = 5_000,
) -> Plan:
    """Up to `count` new sites for the area, best first; the existing facilities stay. `budget_s` bounds
    the solver's time (services.planning._solve). With `road`, reach is by road within its budget
    (`radius_m` is then unused): demand is reached from a candidate when its node reaches the candidate's
    node, and a site's service area is its reached roads."""
    instance = _instance(area, radius_m, supplied, cell_m, road)
    pool = candidates or Candidates(_uncovered_cells(instance, cell_m, road), [], "grid")
    pool_xy, properties = _away_from_existing(instance, pool)
    problem, reach = _problem(instance, pool_xy, radius_m, road, max_road_candidates)
    solution = _solve(problem, count, solver, budget_s)
    sites = _describe(solution, instance, pool_xy, properties, reach)
    places = site_places(area, [(site.lon, site.lat) for site in sites])
    sites = [replace(site, place=place) for site, place in zip(sites, places, strict=True)]
    before = instance.before()
    after = CoverageShare(
        before.demand_pct + 100 * solution.value / instance.total_weight,
        sites[-1].cumulative_area_pct if sites else before.area_pct,
    )
    return Plan(solution, sites, before, after, demand_method(supplied, cell_m, area), pool.source, len(pool_xy))


def _instance(
    area: StudyArea, radius_m: float, supplied: DemandPoints | None, cell_m: float, road: RoadStudy | None
) -> _Instance:
    boundary = area.boundary
    if boundary.bounds[2] - boundary.bounds[0] > ZONE_WIDTH_DEG:
        raise InvalidParameter("district", "the study area is wider than 6° of longitude; plan one region at a time")
    frame = frame_for(boundary)
    boundary_xy = frame.project(boundary)
    parts = [piece_demand(d, d.geom, frame, frame.project(d.geom), supplied, cell_m) for d in area.districts]
    demand_xy, weights = np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    existing_xy = frame.project_points(area.sites)
    if road is None:
        covered = service_area(existing_xy, radius_m)
        reached = nearest_distances(demand_xy, existing_xy) <= radius_m
    else:
        coverage, cost = road.reach(frame.unproject_points(demand_xy))
        covered, reached = frame.project(road.area(coverage)), np.isfinite(cost)
    covered_xy = shapely.intersection(boundary_xy, covered)
    return _Instance(frame, boundary_xy, existing_xy, covered_xy, radius_m, demand_xy, weights, reached)


def _uncovered_cells(instance: _Instance, cell_m: float, road: RoadStudy | None) -> FloatArray:
    """Lon/lat centres of the grid cells out of reach of every existing facility."""
    centres = grid_points(instance.boundary_xy, cell_m)
    if road is None:
        far = nearest_distances(centres, instance.existing_xy) > instance.radius_m
    else:
        far = ~np.isfinite(road.reach(instance.frame.unproject_points(centres))[1])
    return instance.frame.unproject_points(centres[far])


def _problem(
    instance: _Instance, pool_xy: FloatArray, radius_m: float, road: RoadStudy | None, max_road_candidates: int
) -> tuple[CoverageProblem, Callable[[FloatArray], BaseGeometry]]:
    """The MCLP over the unreached demand and how to draw a site's service area (a disc, or its roads);
    by road the candidates are counted before any search."""
    unreached = ~instance.reached
    if road is None:
        problem = CoverageProblem.build(instance.demand_xy[unreached], instance.weights[unreached], pool_xy, radius_m)
        return problem, functools.partial(_disc, radius_m=radius_m)
    if len(pool_xy) > max_road_candidates:
        raise InvalidParameter(
            "candidates",
            f"按道路规划最多 {max_road_candidates} 个候选点，此处有 {len(pool_xy)} 个，请缩小区域或提供候选点 / "
            f"a plan by road takes at most {max_road_candidates} candidates, here {len(pool_xy)}: "
            "plan a smaller area or supply candidates",
        )
    return _road_problem(instance, unreached, pool_xy, road), functools.partial(
        _road_area, frame=instance.frame, road=road
    )


def _road_problem(
    instance: _Instance, unreached: NDArray[np.bool_], pool_xy: FloatArray, road: RoadStudy
) -> CoverageProblem:
    """The MCLP by road: per candidate, the positive-weight unreached demand that reaches it in the budget."""
    keep = unreached & (instance.weights > 0)
    frame = instance.frame
    covers = road.reached_from(frame.unproject_points(pool_xy), frame.unproject_points(instance.demand_xy[keep]))
    return CoverageProblem(instance.weights[keep], covers)


def _disc(site_xy: FloatArray, radius_m: float) -> BaseGeometry:
    return service_area(site_xy, radius_m)


def _road_area(site_xy: FloatArray, frame: MetricFrame, road: RoadStudy) -> BaseGeometry:
    """A new site's service area by road, in the plan's frame."""
    area = road.site_area(frame.unproject_points(site_xy))
    return frame.project(area) if not area.is_empty else shapely.Polygon()


def _away_from_existing(instance: _Instance, pool: Candidates) -> tuple[FloatArray, list[Mapping[str, Any]]]:
    """The candidates (metres) not on top of an existing facility, with their properties."""
    pool_xy = instance.frame.project_points(pool.lonlat)
    if len(instance.existing_xy):
        keep = np.flatnonzero(nearest_distances(pool_xy, instance.existing_xy) > DUPLICATE_WITHIN_M)
    else:
        keep = np.arange(len(pool_xy))
    properties: Sequence[Mapping[str, Any]] = pool.properties or [{}] * len(pool_xy)
    return pool_xy[keep], [properties[k] for k in keep.tolist()]


def _solve(problem: CoverageProblem, count: int, solver: Solver, budget_s: float) -> Solution:
    """The exact solver for instances small enough for its dense model, else (or when it finds nothing in
    the budget) the greedy with the time that is left."""
    started = time.perf_counter()
    pairs = len(problem.weights) * len(problem.covers)
    if solver == "exact" or (solver == "auto" and pairs <= EXACT_MAX_PAIRS):
        if pairs > EXACT_MAX_PAIRS:
            raise InvalidParameter(
                "solver",
                f"问题太大，精确求解器无法处理（{pairs:,} 对，上限 {EXACT_MAX_PAIRS:,}），请用 greedy / "
                f"instance too large for the exact solver ({pairs:,} demand × candidate pairs, "
                f"at most {EXACT_MAX_PAIRS:,}); use greedy",
            )
        try:
            return exact(problem, count, budget_s)
        except ValueError as exc:
            if solver == "exact":
                raise InvalidParameter("solver", str(exc)) from exc
    return greedy(problem, count, budget_s=max(0.0, budget_s - (time.perf_counter() - started)))


def _describe(
    solution: Solution,
    instance: _Instance,
    pool_xy: FloatArray,
    properties: Sequence[Mapping[str, Any]],
    reach: Callable[[FloatArray], BaseGeometry],
) -> list[SuggestedSite]:
    """Each chosen site with its marginal demand and area gain and the cumulative coverage after it;
    `reach` gives a site's service area in the plan's frame (a disc, or its roads)."""
    boundary_xy, covered_area = instance.boundary_xy, instance.covered_xy
    demand_pct = instance.before().demand_pct
    sites = []
    for rank, (j, gain) in enumerate(zip(solution.chosen, solution.gains, strict=True), start=1):
        disc = shapely.intersection(boundary_xy, reach(pool_xy[j : j + 1]))
        new_area = shapely.difference(disc, covered_area).area
        covered_area = shapely.union(covered_area, disc)
        demand_pct += 100 * gain / instance.total_weight
        lon, lat = instance.frame.unproject_points(pool_xy[j : j + 1])[0]
        sites.append(
            SuggestedSite(
                rank=rank,
                lon=round(float(lon), 6),
                lat=round(float(lat), 6),
                gain_demand=gain,
                gain_area_km2=new_area / 1e6,
                cumulative_demand_pct=demand_pct,
                cumulative_area_pct=100 * covered_area.area / boundary_xy.area,
                candidate=properties[j],
            )
        )
    return sites
