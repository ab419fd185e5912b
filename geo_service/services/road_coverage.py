"""Coverage and planning by road (`metric=network`): the study area's demand reached within a travel
distance (`radius_m`, metres by road) or a travel time (`max_time_s`, seconds at the profile's speeds)
of an open facility, along the profile's network.

Facilities and demand points snap to their nearest graph node (analysis.network_coverage); a point
farther than GEO_NETWORK_MAX_SNAP_M from every node is off the network: a facility there serves no one by
road and demand there is never reached. Demand is reached when its node reaches a facility's node within
the budget, travelling along the arcs' direction (the rider rides to the station): one multi-source
Dijkstra on the reversed graph, bounded by the budget, answers every demand point at once.

Service areas are the reached roads buffered by GEO_NETWORK_AREA_BUFFER_M (analysis.network_coverage:
every arc's part from which a facility is reached within the budget, and every reached node), so they
contain every reached node and every reached stretch of road; area coverage is that polygon within each
district. Every answer states the metric, the profile, the budget and the OSM credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra
from shapely.geometry.base import BaseGeometry

from geo_service.analysis.coverage import AreaCoverage, area_coverage
from geo_service.analysis.metric import FloatArray, MetricFrame
from geo_service.analysis.network_coverage import Cost, RoadCoverage, cover, nearest_nodes, service_area
from geo_service.analysis.road_graph import OSM_CREDIT_ZH
from geo_service.errors import InvalidParameter
from geo_service.services.network import NetworkInfo, NetworkService
from geo_service.services.study_area import RadiusChoice
from geo_service.settings import Settings

if TYPE_CHECKING:  # the road search module loads numba; a worker imports it with a network only
    from geo_service.analysis.network import RoadIndex

IntArray = NDArray[np.int64]
Metric = Literal["straight", "network"]
METRICS: Final = ("straight", "network")
DEFAULT_PROFILE: Final = "ebike"
ROAD_DISTANCE: Final = (
    "by road along the {profile} network: demand snaps to its nearest road node (off the network beyond "
    "{snap:g} m) and is reached when that node reaches a facility's node within the budget, one-way rules kept"
)
ROAD_AREA: Final = "service areas: the reached roads (parts of arcs within the budget) buffered by {buffer:g} m"
_DIJKSTRA_CELLS: Final = 20_000_000  # sources × nodes per Dijkstra batch of the planner (160 MB of float64)


@dataclass(frozen=True)
class RoadBudget:
    """How far by road: `limit` metres (cost length, asked as radius_m) or seconds (cost time, max_time_s)."""

    profile: str
    cost: Cost
    limit: float

    @property
    def unit(self) -> Literal["m", "s"]:
        return "m" if self.cost == "length" else "s"


def resolve_budget(
    metric: str,
    profile: str | None,
    radius_m: float | None,
    max_time_s: float | None,
    preset: str | None,
    settings: Settings,
) -> RoadBudget | None:
    """The road budget asked for (None: straight-line, as before); 422 naming the field otherwise.
    Checked before any work, as is the profile against the network file (see RoadStudy.open)."""
    if metric not in METRICS:
        raise InvalidParameter("metric", f"应为 {list(METRICS)} 之一，收到 {metric!r} / must be one of {list(METRICS)}")
    if metric == "straight":
        if max_time_s is not None:
            raise InvalidParameter("max_time_s", "仅用于 metric=network / only with metric=network")
        if profile is not None:
            raise InvalidParameter("profile", "仅用于 metric=network / only with metric=network")
        return None
    if preset is not None:
        raise InvalidParameter(
            "preset",
            "预设半径为直线距离，按道路请给 radius_m 或 max_time_s / presets are straight-line radii; "
            "by road give radius_m or max_time_s",
        )
    if (radius_m is None) == (max_time_s is None):
        raise InvalidParameter(
            "max_time_s",
            "按道路请给出 radius_m（道路米数）或 max_time_s（秒）之一 / "
            "by road give exactly one of radius_m (metres by road) or max_time_s (seconds)",
        )
    if radius_m is not None:
        cap = settings.coverage_max_radius_m
        if not 0 < radius_m <= cap:
            raise InvalidParameter("radius_m", f"应大于 0 且不超过 {cap:g} 米 / must be > 0 and at most {cap:g} m")
        return RoadBudget(profile or DEFAULT_PROFILE, "length", float(radius_m))
    assert max_time_s is not None
    cap = settings.network_max_time_s
    if not 0 < max_time_s <= cap:
        raise InvalidParameter("max_time_s", f"应大于 0 且不超过 {cap:g} 秒 / must be > 0 and at most {cap:g} s")
    return RoadBudget(profile or DEFAULT_PROFILE, "time", float(max_time_s))


@dataclass(frozen=True)
class RoadStudy:
    """A profile's network with the study area's facilities snapped to it."""

    budget: RoadBudget
    info: NetworkInfo
    index: RoadIndex
    facility_nodes: IntArray  # the facilities within the snap distance of the network
    max_snap_m: float
    buffer_m: float

    @classmethod
    def open(cls, roads: NetworkService, budget: RoadBudget, sites: FloatArray, settings: Settings) -> RoadStudy:
        """Raises 422 (`metric` or `profile`) when no network or not this profile is built."""
        info, index = roads.index(budget.profile)
        nodes, snap = nearest_nodes(index, sites[:, 0], sites[:, 1])
        on_road = nodes[snap <= roads.max_snap_m]
        return cls(budget, info, index, on_road, roads.max_snap_m, settings.network_area_buffer_m)

    def reach(self, lonlat: FloatArray) -> tuple[RoadCoverage, FloatArray]:
        """Coverage of points (WGS-84) and each one's cost to the nearest facility (inf: not reached
        within the budget, or off the network)."""
        nodes, snap = nearest_nodes(self.index, lonlat[:, 0], lonlat[:, 1])
        coverage = cover(self.index, self.facility_nodes, nodes, self.budget.limit, self.budget.cost)
        cost = np.where((snap <= self.max_snap_m) & coverage.reached, coverage.cost, np.inf)
        return coverage, cost

    def area(self, coverage: RoadCoverage) -> BaseGeometry:
        """The service area (WGS-84) of a coverage, by the buffer method."""
        if not np.isfinite(coverage.node_cost).any():
            return shapely.Polygon()
        return service_area(self.index, coverage, self.budget.limit, self.budget.cost, self.buffer_m)

    def site_area(self, lonlat: FloatArray) -> BaseGeometry:
        """The service area (WGS-84) of one new site at `lonlat` ((1, 2)); empty off the network."""
        node, snap = nearest_nodes(self.index, lonlat[:, 0], lonlat[:, 1])
        if snap[0] > self.max_snap_m:
            return shapely.Polygon()
        return self.area(cover(self.index, node, node[:0], self.budget.limit, self.budget.cost))

    def reached_from(self, candidates: FloatArray, demand: FloatArray) -> list[NDArray[np.intp]]:
        """Per candidate site (WGS-84), the positions of the demand points (WGS-84) whose nodes reach it
        within the budget; off the network (either end) nothing is reached. One bounded Dijkstra per
        candidate on the reversed graph, in batches that bound the memory."""
        nodes, snap = nearest_nodes(self.index, candidates[:, 0], candidates[:, 1])
        demand_nodes, demand_snap = nearest_nodes(self.index, demand[:, 0], demand[:, 1])
        on_road = np.flatnonzero(demand_snap <= self.max_snap_m)
        graph = self.index.graph
        weights = graph.length_m if self.budget.cost == "length" else graph.time_s
        reverse = graph.matrix(weights).T.tocsr()
        batch = max(1, _DIJKSTRA_CELLS // max(graph.node_count, 1))
        covers: list[NDArray[np.intp]] = []
        for start in range(0, len(nodes), batch):
            chunk = nodes[start : start + batch]
            costs = np.atleast_2d(dijkstra(reverse, indices=chunk, limit=self.budget.limit))[:, demand_nodes[on_road]]
            covers.extend(on_road[row <= self.budget.limit].astype(np.intp) for row in costs)
        return [c if snap[j] <= self.max_snap_m else np.empty(0, np.intp) for j, c in enumerate(covers)]

    def radius(self) -> RadiusChoice:
        """The budget as the radius of the straight-line notes (metres, or seconds by time)."""
        basis = "travel distance by road" if self.budget.cost == "length" else "travel time by road"
        return RadiusChoice(self.budget.limit, None, basis)

    def describe(self) -> str:
        return ROAD_DISTANCE.format(profile=self.budget.profile, snap=self.max_snap_m)

    def notes(self) -> dict[str, Any]:
        """What every answer by road states beside its figures (replaces the straight-line radius notes)."""
        budget, info = self.budget, self.info
        return {
            "metric": "network",
            "profile": budget.profile,
            "radius_m": budget.limit if budget.cost == "length" else None,
            "max_time_s": budget.limit if budget.cost == "time" else None,
            "distance": self.describe(),
            "service_area": ROAD_AREA.format(buffer=self.buffer_m),
            "network": {"path": info.path, "source": info.source, "built_at": info.built_at},
            "attribution": info.attribution,
            "attribution_zh": OSM_CREDIT_ZH,
        }


@dataclass(frozen=True)
class DemandPiece:
    """One district piece to cover by road: its outline and demand in its zone's metric frame."""

    adcode: str
    piece_metric: BaseGeometry
    frame: MetricFrame
    demand_xy: FloatArray
    weights: FloatArray


def measure_pieces(study: RoadStudy, pieces: list[DemandPiece]) -> list[tuple[str, AreaCoverage, BaseGeometry]]:
    """(adcode, coverage in the piece's frame, gap in WGS-84) of each piece by road: one Dijkstra for all
    the demand, one service-area polygon cut to each piece."""
    lonlat = [piece.frame.unproject_points(piece.demand_xy) for piece in pieces]
    coverage, cost = study.reach(np.vstack(lonlat) if lonlat else np.empty((0, 2)))
    area = study.area(coverage)
    found, offset = [], 0
    for piece in pieces:
        piece_cost = cost[offset : offset + len(piece.demand_xy)]
        offset += len(piece.demand_xy)
        covered = piece.frame.project(area) if not area.is_empty else shapely.Polygon()
        result = area_coverage(piece.piece_metric, covered, piece_cost, piece.weights)
        found.append((piece.adcode, result, piece.frame.unproject(result.gap)))
    return found
