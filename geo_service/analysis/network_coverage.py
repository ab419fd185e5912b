"""Coverage by road: which demand can reach a facility within a travel distance or time, and the
service area as a polygon.

Facilities and demand points snap to their nearest graph node (a KD-tree on the nodes in the network's
metric frame); demand is reached when its node can reach some facility's node within the limit, along
the arcs' direction (the rider travels to the station). One multi-source Dijkstra on the reversed graph
answers every demand point at once.

Service area, the documented buffer method: every arc u→v whose head v is reached contributes the part
from which a rider riding along it reaches a facility within the limit (the last (limit − cost(v)) / w
of it, all of it when that is ≥ 1), each reached node contributes itself, and the union of these lines
and points buffered by `buffer_m` in the metric frame is the polygon (in WGS-84). It therefore contains
every reached node and every reached stretch of road.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

if TYPE_CHECKING:  # the road search module loads numba; a worker imports it with a network only
    from geo_service.analysis.network import RoadIndex


FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Cost = Literal["length", "time"]


@dataclass(frozen=True)
class RoadCoverage:
    """Per demand point: its node, the cost to the nearest facility (inf beyond the limit), reached."""

    demand_node: IntArray
    cost: FloatArray
    reached: NDArray[np.bool_]
    node_cost: FloatArray  # every node's cost to the nearest facility (inf beyond the limit)


def nearest_nodes(index: RoadIndex, lon: FloatArray, lat: FloatArray) -> tuple[IntArray, FloatArray]:
    """The nearest graph node of each point and its distance in metres (metric frame)."""
    tree = cKDTree(index.xy)
    distance, node = tree.query(index.frame.project_points(np.column_stack([lon, lat])))
    return np.asarray(node, dtype=np.int64), np.asarray(distance, dtype=np.float64)


def cover(index: RoadIndex, facility_nodes: IntArray, demand_nodes: IntArray, limit: float, cost: Cost) -> RoadCoverage:
    """Demand reached within `limit` metres (cost=length) or seconds (cost=time) of a facility."""
    graph = index.graph
    weights = graph.length_m if cost == "length" else graph.time_s
    reverse = graph.matrix(weights).T.tocsr()
    if len(facility_nodes) == 0:
        node_cost = np.full(graph.node_count, np.inf)
    else:
        node_cost = dijkstra(reverse, indices=np.unique(facility_nodes), min_only=True, limit=limit)
    demand_cost = node_cost[demand_nodes]
    return RoadCoverage(demand_nodes, demand_cost, demand_cost <= limit, node_cost)


def service_area(
    index: RoadIndex, coverage: RoadCoverage, limit: float, cost: Cost, buffer_m: float
) -> shapely.Geometry:
    """The polygon (WGS-84) of the reached roads, by the buffer method in the module's docstring."""
    graph = index.graph
    weights = graph.length_m if cost == "length" else graph.time_s
    tails, heads = graph.tails(), graph.indices
    # node_cost is the cost from a node to a facility: an arc u→v is travelled towards the facility, so
    # its part within the limit is measured back from v (reached) towards u
    to_go = coverage.node_cost
    reached = np.isfinite(to_go) & (to_go <= limit)
    useful = reached[heads]
    share = np.clip((limit - to_go[heads[useful]]) / weights[useful], 0.0, 1.0)
    end = index.xy[heads[useful]]
    start = end + share[:, None] * (index.xy[tails[useful]] - end)
    lines = shapely.linestrings(np.stack([start, end], axis=1))
    # node the lines and merge them into chains first: a union of a few thousand chain buffers is ~30×
    # cheaper than a union of one buffer per arc, and ~30× cheaper than buffering the whole network
    chains = shapely.get_parts(shapely.line_merge(shapely.union_all(lines)))
    alone = shapely.points(index.xy[reached])  # a reached node whose roads are all cut to nothing
    area = shapely.union_all(shapely.buffer(np.concatenate([chains, alone]), buffer_m, quad_segs=4))
    return index.frame.unproject(area)
