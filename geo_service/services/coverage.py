"""Coverage figures for planners: gaps per district, a summary table, and a distance grid.

Each district is measured in its own metric frame (geo_service.analysis.metric): a transverse Mercator
centred on it, or on each 6° piece of it. Results are returned in WGS-84.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine

from geo_service.analysis.bounds import points_near
from geo_service.analysis.coverage import (
    AreaCoverage,
    SiteIndex,
    area_coverage,
    nearest_distances,
    service_area,
    square_cells,
    weighted_mean,
    weighted_quantile,
)
from geo_service.analysis.metric import FloatArray, MetricFrame, zones
from geo_service.analysis.nearest import GEOD
from geo_service.errors import InvalidParameter
from geo_service.services.network import NetworkService
from geo_service.services.recent_answers import RecentAnswers
from geo_service.services.road_coverage import DemandPiece, RoadBudget, RoadStudy, measure_pieces, resolve_budget
from geo_service.services.study_area import (
    Assumptions,
    DemandPoints,
    DistrictArea,
    RadiusChoice,
    StudyArea,
    demand_method,
    piece_demand,
    read_study_area,
    resolve_radius,
)
from geo_service.settings import Settings

DEMAND_CELL_M = 500.0
SITE_REACH_SLACK = 1.01  # sites kept for a zone reach this much past the radius (the discs are polygons)
_COST_NAMES = {"m": "distance_m", "s": "time_s"}  # the summary's mean_/p90_ columns by the report's unit
ROAD_COLUMN = {"m": "network_distance_m", "s": "travel_time_s"}  # the grid's column by road, by unit


@dataclass
class DistrictFigures:
    """A district's coverage, accumulated over its pieces."""

    district: DistrictArea
    area_m2: float = 0.0
    covered_m2: float = 0.0
    gaps: list[shapely.Geometry] = field(default_factory=list)
    distances: list[FloatArray] = field(default_factory=list)
    weights: list[FloatArray] = field(default_factory=list)

    def add(self, piece: AreaCoverage, gap_wgs84: shapely.Geometry) -> None:
        self.area_m2 += piece.area_m2
        self.covered_m2 += piece.covered_m2
        self.gaps.append(gap_wgs84)
        self.distances.append(piece.distances)
        self.weights.append(piece.weights)


@dataclass(frozen=True)
class CoverageReport:
    limit: float  # demand within this of a facility is covered: metres (straight or by road) or seconds
    demand_method: str
    districts: list[DistrictFigures]
    facilities: dict[str, int]  # adcode → facilities whose stated district it is (StudyArea.counts_by_district)
    unit: str = "m"  # of `limit` and of the distance columns: m (distance) or s (travel time by road)


def measure(
    area: StudyArea,
    radius_m: float,
    supplied: DemandPoints | None = None,
    cell_m: float = DEMAND_CELL_M,
    road: RoadStudy | None = None,
) -> CoverageReport:
    """Area and demand coverage of every district of the study area (one frame per ≤6° zone): within
    `radius_m` in a straight line, or within `road`'s budget by road (services.road_coverage)."""
    figures = {d.adcode: DistrictFigures(d) for d in area.districts}
    pieces = []
    for zone in zones([d.geom for d in area.districts]):
        frame = zone.frame
        if road is None:
            sites_xy = frame.project_points(points_near(area.sites, zone.extent, radius_m * SITE_REACH_SLACK))
            covered, tree = service_area(sites_xy, radius_m), SiteIndex(sites_xy)
        for district, part in zip(area.districts, zone.parts, strict=True):
            if part.is_empty:
                continue
            part_metric = frame.project(part)
            demand_xy, weights = piece_demand(district, part, frame, part_metric, supplied, cell_m)
            if road is not None:
                pieces.append(DemandPiece(district.adcode, part_metric, frame, demand_xy, weights))
                continue
            result = area_coverage(part_metric, covered, tree.distances(demand_xy), weights)
            figures[district.adcode].add(result, frame.unproject(result.gap))
    for adcode, result, gap in measure_pieces(road, pieces) if road is not None else ():
        figures[adcode].add(result, gap)
    limit, unit = (radius_m, "m") if road is None else (road.budget.limit, road.budget.unit)
    method = demand_method(supplied, cell_m, area)
    return CoverageReport(limit, method, list(figures.values()), area.counts_by_district(), unit)


def summary_rows(report: CoverageReport) -> list[dict[str, Any]]:
    """One row per district and a final total row; totals are sums (areas, demand, counts)."""
    rows = [_row(f.district.adcode, f.district.name, [f], report) for f in report.districts]
    rows.append(_row("total", "合计 total", report.districts, report))
    return rows


def _row(adcode: str, name: str, parts: list[DistrictFigures], report: CoverageReport) -> dict[str, Any]:
    """Figures of one district, or of several summed (the total row)."""
    area = sum(p.area_m2 for p in parts)
    covered = sum(p.covered_m2 for p in parts)
    distances = np.concatenate([d for p in parts for d in p.distances] or [np.empty(0)])
    weights = np.concatenate([w for p in parts for w in p.weights] or [np.empty(0)])
    demand, reached = float(weights.sum()), float(weights[distances <= report.limit].sum())
    facilities = sum(report.facilities.get(p.district.adcode, 0) for p in parts)
    known = [p.district.population for p in parts if p.district.population]
    population = sum(known) if len(known) == len(parts) else None  # a total only when every part has one
    years = {p.district.population_year for p in parts}
    return {
        "adcode": adcode,
        "name": name,
        "area_km2": area / 1e6,
        "covered_km2": covered / 1e6,
        "covered_area_pct": 100 * covered / area if area else None,
        "demand": demand,
        "demand_covered": reached,
        "demand_covered_pct": 100 * reached / demand if demand else None,
        "facilities": facilities,
        "population": population,
        "population_year": years.pop() if len(years) == 1 else None,
        "facilities_per_10k": 1e4 * facilities / population if population else None,
        # by road the search stops at the budget: a mean with demand beyond it is null, as is such a p90
        f"mean_{_COST_NAMES[report.unit]}": _finite(weighted_mean(distances, weights)),
        f"p90_{_COST_NAMES[report.unit]}": _finite(weighted_quantile(distances, weights, 0.9)),
    }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def gaps_frame(report: CoverageReport) -> gpd.GeoDataFrame:
    """Uncovered areas per district (WGS-84), with their area and the demand they leave uncovered."""
    rows = []
    for f in report.districts:
        gap = shapely.union_all(f.gaps)
        if gap.is_empty:
            continue
        distances, weights = np.concatenate(f.distances), np.concatenate(f.weights)
        rows.append(
            {
                "adcode": f.district.adcode,
                "name": f.district.name,
                "area_km2": (f.area_m2 - f.covered_m2) / 1e6,
                "uncovered_demand": float(weights[distances > report.limit].sum()),
                "geometry": shapely.make_valid(shapely.set_precision(gap, 1e-6)),  # ≈0.1 m, like every output
            }
        )
    return (
        gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
        if rows
        else gpd.GeoDataFrame(
            {"adcode": [], "name": [], "area_km2": [], "uncovered_demand": []}, geometry=[], crs="EPSG:4326"
        )
    )


def parse_cell(spec: str, cap: int, area_km2: float) -> tuple[str, float]:
    """('square', metres) or ('h3', resolution) from 'square:500' / 'h3:9'; 422 when too fine for the area."""
    import h3

    kind, _, size = spec.partition(":")
    try:
        value = float(size)
    except ValueError:
        raise InvalidParameter("cell", f"expected square:<metres> or h3:<resolution>, got {spec!r}") from None
    if kind == "square" and 50 <= value <= 50_000:
        cells = area_km2 * 1e6 / value**2
    elif kind == "h3" and value.is_integer() and 0 <= value <= 12:
        cells = area_km2 / h3.average_hexagon_area(int(value), unit="km^2")
    else:
        raise InvalidParameter("cell", f"expected square:50..50000 or h3:0..12, got {spec!r}")
    if cells > cap:
        raise InvalidParameter(
            "cell",
            f"{spec} 在此范围约有 {cells:,.0f} 个格子，超过上限 {cap:,}，请用更大的格子 / "
            f"{spec} gives ~{cells:,.0f} cells here, more than {cap:,}; use larger cells",
        )
    return kind, value


def distance_grid(area: StudyArea, kind: str, size: float, road: RoadStudy | None = None) -> gpd.GeoDataFrame:
    """Cells (WGS-84) with the distance in metres from their centre to the nearest facility, and by road
    (`road`) the road distance or time too (null beyond the budget or off the network)."""
    frames, centres = [], []
    for district in area.districts:
        for zone in zones([district.geom]):
            (piece,), frame = zone.parts, zone.frame
            if kind == "square":
                clipped, centres_xy = square_cells(frame.project(piece), size)
                cells = [frame.unproject(c) for c in clipped]
                area_km2 = list(shapely.area(clipped) / 1e6)
            else:
                cells, centres_xy, area_km2 = _h3_cells(piece, int(size), frame)
            distances = nearest_distances(centres_xy, frame.project_points(area.sites))
            centres.append(frame.unproject_points(centres_xy))
            frames.append(
                gpd.GeoDataFrame(
                    {"adcode": district.adcode, "name": district.name, "area_km2": area_km2, "distance_m": distances},
                    geometry=cells,
                    crs="EPSG:4326",
                )
            )
    grid = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    if road is not None:
        _, cost = road.reach(np.vstack(centres))
        grid[ROAD_COLUMN[road.budget.unit]] = pd.Series(cost).where(np.isfinite(cost), None).astype(object)
    return grid


def _h3_cells(
    piece: shapely.Geometry, resolution: int, frame: MetricFrame
) -> tuple[list[shapely.Polygon], FloatArray, list[float]]:
    import h3

    ids = sorted(h3.geo_to_cells(piece.__geo_interface__, resolution))
    polygons = [shapely.Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(i)]) for i in ids]
    centres = np.array([h3.cell_to_latlng(i)[::-1] for i in ids]).reshape(-1, 2)
    return polygons, frame.project_points(centres), [h3.cell_area(i, unit="km^2") for i in ids]


@dataclass(frozen=True)
class CoverageQuery:
    kinds: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    radius_m: float | None = None
    preset: str | None = None
    metric: str = "straight"
    profile: str | None = None  # metric=network only (default ebike)
    max_time_s: float | None = None  # metric=network only: a travel time instead of radius_m

    def budget(self, settings: Settings) -> RoadBudget | None:
        return resolve_budget(self.metric, self.profile, self.radius_m, self.max_time_s, self.preset, settings)


def coverage_report(
    engine: Engine, query: CoverageQuery, settings: Settings, roads: NetworkService | None = None
) -> tuple[CoverageReport, dict[str, Any]]:
    """Measure the study area named by the query; also returns the metadata every output carries."""
    budget = query.budget(settings)
    if budget is None:
        radius = resolve_radius(query.radius_m, query.preset, settings.coverage_max_radius_m)
        return _RECENT.answer(engine, (query, radius), lambda: _straight_line_report(engine, query, radius))
    area = read_study_area(engine, query.kinds, query.districts)
    study = RoadStudy.open(_roads(roads), budget, area.sites, settings)
    report = measure(area, budget.limit, road=study)
    return report, Assumptions.of(area, study.radius(), report.demand_method).notes() | study.notes()


def _straight_line_report(
    engine: Engine, query: CoverageQuery, radius: RadiusChoice
) -> tuple[CoverageReport, dict[str, Any]]:
    area = read_study_area(engine, query.kinds, query.districts)
    report = measure(area, radius.radius_m)
    return report, Assumptions.of(area, radius, report.demand_method).notes()


#: The last straight-line reports: the same summary and gaps are asked again and again (maps, exports,
#: many clients), and measuring takes tens to hundreds of milliseconds of CPU.
_RECENT: RecentAnswers[tuple[CoverageReport, dict[str, Any]]] = RecentAnswers(16)
#: The last straight-line gaps as rendered: writing a city's gap polygons costs more than measuring them.
_RENDERED_GAPS: RecentAnswers[bytes] = RecentAnswers(16)


def gaps_body(
    engine: Engine,
    query: CoverageQuery,
    settings: Settings,
    roads: NetworkService | None,
    render: Callable[[gpd.GeoDataFrame, dict[str, Any]], bytes],
) -> bytes:
    """The gaps and their metadata as `render` writes them; straight-line ones kept per data revision."""

    def compute() -> bytes:
        report, meta = coverage_report(engine, query, settings, roads)
        return render(gaps_frame(report), meta)

    if query.budget(settings) is not None:  # by road: the network file may change without a data revision
        return compute()
    radius = resolve_radius(query.radius_m, query.preset, settings.coverage_max_radius_m)
    return _RENDERED_GAPS.answer(engine, (f"{render.__module__}.{render.__qualname__}", query, radius), compute)


def _roads(roads: NetworkService | None) -> NetworkService:
    if roads is None:
        raise InvalidParameter("metric", "此服务没有道路网 / this server has no road network")
    return roads


def grid_report(
    engine: Engine, query: CoverageQuery, cell: str, settings: Settings, roads: NetworkService | None = None
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """The distance grid for the study area, with its metadata; by road each cell also has the road
    distance (or time) from its centre, null beyond the budget."""
    budget = query.budget(settings)
    area = read_study_area(engine, query.kinds, query.districts)
    area_km2 = sum(abs(GEOD.geometry_area_perimeter(d.geom)[0]) for d in area.districts) / 1e6
    kind, size = parse_cell(cell, settings.coverage_max_cells, area_km2)
    study = None if budget is None else RoadStudy.open(_roads(roads), budget, area.sites, settings)
    cells = distance_grid(area, kind, size, study)
    meta = {
        "cell": cell,
        "kinds": list(area.kinds),
        "facilities_used": len(area.sites),
        "distance": "straight-line from each cell's centre, metres",
    }
    if study is None:
        return cells, meta
    column = ROAD_COLUMN[study.budget.unit]
    road = {"distance": meta["distance"], "road_distance": f"{column}: {study.describe()}"}
    return cells, meta | study.notes() | road
