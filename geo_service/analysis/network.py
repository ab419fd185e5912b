"""Distance along roads: snapping points to a RoadGraph and the exact k nearest targets by road.

Points are snapped to the nearest road segment in a metric frame centred on the network (a KD-tree on
pieces of at most PIECE_M metres of every segment, checked exactly, so the nearest segment is found, not
the nearest node). A snapped point sits at a fraction `t` along a segment and enters the graph through
the segment's ends, at the partial cost of the arc it lies on — so one-way streets hold for the first
and last metres too.

`nearest_by_road` is exact: Dijkstra (scipy.sparse.csgraph) from the snapped origin with a distance
bound; targets are ranked by their road distance among all targets within the bound, and the bound
doubles until k accepted targets lie within it (or the cap is reached). It is never a re-ranking of the
nearest by air.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo_service.analysis.metric import MetricFrame, local_frame
from geo_service.analysis.road_graph import RoadGraph

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
PIECE_M = 50.0  # segments are indexed in pieces no longer than this
_CANDIDATES = 8  # piece midpoints examined per point before the exactness check
DETOUR = 1.4  # road distance over straight distance assumed for the first search bound
_NONE = -1


@dataclass(frozen=True)
class Snaps:
    """Points snapped to segments (arrays aligned with the points)."""

    segment: IntArray
    t: FloatArray  # 0 at the segment's first node, 1 at its second
    distance_m: FloatArray  # from the point to the road, in the metric frame


@dataclass(frozen=True)
class Attachments:
    """How snapped points join the graph, per point and per end of its segment (0: first node, 1:
    second). `out_*` costs leave the point towards that node, `in_*` costs reach the point from it;
    inf where the segment's arc in that direction does not exist."""

    snaps: Snaps
    node: IntArray  # (n, 2)
    out_m: FloatArray  # (n, 2)
    out_s: FloatArray
    in_m: FloatArray
    in_s: FloatArray


@dataclass(frozen=True)
class RoadHits:
    """Targets by road distance, nearest first (positions into the targets given)."""

    positions: IntArray
    distance_m: FloatArray
    time_s: FloatArray
    searched_m: float  # the bound the answer is exact within


class RoadIndex:
    """A RoadGraph ready for queries: its metric frame, segment index and length matrix."""

    def __init__(self, graph: RoadGraph) -> None:
        self.graph = graph
        self.frame: MetricFrame = local_frame(
            round(float(graph.lon.min() + graph.lon.max()) / 2, 4),
            round(float(graph.lat.min() + graph.lat.max()) / 2, 4),
        )
        self.xy = self.frame.project_points(np.column_stack([graph.lon, graph.lat]))
        self.length = graph.matrix(graph.length_m)
        tails, heads = graph.tails(), graph.indices
        self._arc_keys = tails * graph.node_count + heads  # sorted: CSR rows, heads ascending
        self._segments(tails, heads)
        self._pieces()

    def _segments(self, tails: IntArray, heads: IntArray) -> None:
        """Undirected segments (first < second node) and the arc, if any, in each direction."""
        n = self.graph.node_count
        keys, inverse = np.unique(np.minimum(tails, heads) * n + np.maximum(tails, heads), return_inverse=True)
        self.ends = np.column_stack([keys // n, keys % n])
        self.arc = np.full((len(keys), 2), _NONE, dtype=np.int64)  # [:, 0] first→second, [:, 1] second→first
        arcs = np.arange(len(tails))
        self.arc[inverse, (tails > heads).astype(np.int64)] = arcs

    def _pieces(self) -> None:
        a, b = self.xy[self.ends[:, 0]], self.xy[self.ends[:, 1]]
        count = np.maximum(1, np.ceil(np.hypot(*(b - a).T) / PIECE_M)).astype(np.int64)
        segment = np.repeat(np.arange(len(count)), count)
        within = np.arange(len(segment)) - np.repeat(np.cumsum(count) - count, count)
        share = ((within + 0.5) / count[segment])[:, None]
        self._piece_segment = segment
        self._tree = cKDTree(a[segment] + share * (b[segment] - a[segment]))

    def snap(self, lon: FloatArray, lat: FloatArray) -> Snaps:
        """The nearest segment to each point (exact: candidates whose pieces could be nearer are checked)."""
        points = self.frame.project_points(np.column_stack([lon, lat]))
        k = min(_CANDIDATES, len(self._piece_segment))
        reach, pieces = self._tree.query(points, k=k)
        reach, pieces = reach.reshape(len(points), k), pieces.reshape(len(points), k)
        segment, t, distance = self._closest(points, self._piece_segment[pieces])
        if k < len(self._piece_segment):
            for i in np.flatnonzero(reach[:, -1] < distance + PIECE_M / 2).tolist():
                near = self._tree.query_ball_point(points[i], distance[i] + PIECE_M / 2)
                s, u, d = self._closest(points[i : i + 1], self._piece_segment[np.asarray(near)][None, :])
                segment[i], t[i], distance[i] = s[0], u[0], d[0]
        return Snaps(segment, t, distance)

    def _closest(self, points: FloatArray, candidates: IntArray) -> tuple[IntArray, FloatArray, FloatArray]:
        """Per point, the candidate segment nearest to it, the fraction along it and the distance."""
        a, b = self.xy[self.ends[candidates, 0]], self.xy[self.ends[candidates, 1]]
        ab, ap = b - a, points[:, None, :] - a
        squared = np.maximum((ab * ab).sum(axis=2), 1e-12)
        t = np.clip((ap * ab).sum(axis=2) / squared, 0.0, 1.0)
        gap = np.hypot(*np.moveaxis(ap - t[..., None] * ab, 2, 0))
        best = np.argmin(gap, axis=1)
        rows = np.arange(len(points))
        return candidates[rows, best].astype(np.int64), t[rows, best], gap[rows, best]

    def attach(self, snaps: Snaps) -> Attachments:
        """Entry and exit costs of snapped points (see Attachments)."""
        arcs = self.arc[snaps.segment]  # (n, 2): first→second, second→first
        exists = arcs != _NONE
        length = np.where(exists, self.graph.length_m[arcs], np.inf)
        time = np.where(exists, self.graph.time_s[arcs], np.inf)
        # the share of the segment between the point and each end: t to the first, 1 − t to the second
        share = np.column_stack([snaps.t, 1 - snaps.t])
        # leaving towards the first node takes the backward arc, towards the second the forward arc;
        # arriving from the first node takes the forward arc, from the second the backward arc
        return Attachments(
            snaps,
            self.ends[snaps.segment],
            out_m=_part(share, length[:, ::-1]),
            out_s=_part(share, time[:, ::-1]),
            in_m=_part(share, length),
            in_s=_part(share, time),
        )

    def arc_times(self, tails: IntArray, heads: IntArray) -> FloatArray:
        positions = np.searchsorted(self._arc_keys, tails * self.graph.node_count + heads)
        return self.graph.time_s[positions]


def _part(share: FloatArray, cost: FloatArray) -> FloatArray:
    """share × cost, keeping inf (a missing arc) even where the share is 0."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(cost), np.inf, share * cost)


@dataclass(frozen=True)
class _Reach:
    """Road distances from one snapped origin: per exit (row) and node, exit cost included."""

    distance: FloatArray  # (2, nodes)
    predecessor: IntArray  # (2, nodes), scipy's shortest-path trees
    sources: IntArray  # (2,) the exit nodes


def _reach(index: RoadIndex, origin: Attachments, bound_m: float) -> _Reach:
    sources = origin.node[0]
    distance, predecessor = dijkstra(index.length, indices=sources, limit=bound_m, return_predecessors=True)
    return _Reach(distance + origin.out_m[0][:, None], predecessor, sources)


def _direct(index: RoadIndex, origin: Attachments, targets: Attachments) -> tuple[FloatArray, FloatArray]:
    """(metres, seconds) straight along the origin's own segment to targets snapped to it (inf elsewhere)."""
    segment, t0 = int(origin.snaps.segment[0]), float(origin.snaps.t[0])
    metres = np.full(len(targets.node), np.inf)
    seconds = metres.copy()
    same = np.flatnonzero(targets.snaps.segment == segment)
    for column, ahead in ((0, targets.snaps.t[same] >= t0), (1, targets.snaps.t[same] <= t0)):
        arc = int(index.arc[segment, column])
        if arc == _NONE:
            continue
        share = np.abs(targets.snaps.t[same] - t0)
        cand = np.where(ahead, share * index.graph.length_m[arc], np.inf)
        better = cand < metres[same]
        metres[same] = np.where(better, cand, metres[same])
        seconds[same] = np.where(better, share * index.graph.time_s[arc], seconds[same])
    return metres, seconds


def _costs(reach: _Reach, targets: Attachments) -> tuple[FloatArray, IntArray]:
    """Each target's road distance and how it is reached: 2·exit + entry end (0–3)."""
    via = reach.distance[:, targets.node] + targets.in_m[None, :, :]  # (exit, target, entry end)
    routes = np.moveaxis(via, 0, 1).reshape(len(targets.node), 4)
    winner = np.argmin(routes, axis=1)
    return routes[np.arange(len(winner)), winner], winner


def _path_time(index: RoadIndex, reach: _Reach, exit_row: int, node: int) -> float:
    """Seconds along the shortest-distance path from the exit node `exit_row` to `node`."""
    tree, source = reach.predecessor[exit_row], int(reach.sources[exit_row])
    chain = [node]
    while chain[-1] != source:
        chain.append(int(tree[chain[-1]]))
    nodes = np.asarray(chain[::-1], dtype=np.int64)
    return float(index.arc_times(nodes[:-1], nodes[1:]).sum())


def first_bound(index: RoadIndex, origin: Attachments, targets: Attachments, eligible: BoolArray, k: int) -> float:
    """A starting bound that usually holds k eligible targets at once: the k-th nearest of them by air
    (between snapped points, in the frame), stretched by DETOUR. Only a guess — nearest_by_road stays
    exact whatever it is — but one Dijkstra instead of several doublings."""
    candidates = np.flatnonzero(eligible)
    if len(candidates) == 0:
        return 0.0
    here = _snapped_xy(index, origin.snaps)
    gaps = np.hypot(*(_snapped_xy(index, targets.snaps, candidates) - here).T)
    kth = np.partition(gaps, min(k, len(gaps)) - 1)[min(k, len(gaps)) - 1]
    return float(kth) * DETOUR + 1.0


def _snapped_xy(index: RoadIndex, snaps: Snaps, rows: IntArray | None = None) -> FloatArray:
    segment, t = (snaps.segment, snaps.t) if rows is None else (snaps.segment[rows], snaps.t[rows])
    a, b = index.xy[index.ends[segment, 0]], index.xy[index.ends[segment, 1]]
    return a + t[:, None] * (b - a)


def _first_accepted(ordered: list[int], k: int, accept: Callable[[int], bool] | None) -> list[int]:
    if accept is None:
        return ordered[:k]
    chosen: list[int] = []
    for position in ordered:
        if len(chosen) == k:
            break
        if accept(position):
            chosen.append(position)
    return chosen


def nearest_by_road(
    index: RoadIndex,
    origin: Attachments,
    targets: Attachments,
    k: int,
    bounds_m: tuple[float, float],
    eligible: BoolArray | None = None,
    accept: Callable[[int], bool] | None = None,
) -> RoadHits:
    """The k targets nearest to `origin` by road among the `eligible` ones that `accept` takes, exact
    within the final bound: the search starts at bounds_m[0] and doubles up to the cap bounds_m[1]."""
    bound, cap = min(bounds_m), bounds_m[1]
    while True:
        reach = _reach(index, origin, bound)
        via_graph, winner = _costs(reach, targets)
        direct_m, direct_s = _direct(index, origin, targets)
        total = np.minimum(via_graph, direct_m)
        inside = total <= bound if eligible is None else (total <= bound) & eligible
        found = np.flatnonzero(inside)
        found = found[np.lexsort((found, total[found]))]
        chosen = _first_accepted(found.tolist(), k, accept)
        if len(chosen) >= k or bound >= cap:
            break
        bound = min(bound * 2, cap)
    times = [
        float(direct_s[p])
        if direct_m[p] <= via_graph[p]
        else float(origin.out_s[0, winner[p] // 2])
        + _path_time(index, reach, int(winner[p] // 2), int(targets.node[p, winner[p] % 2]))
        + float(targets.in_s[p, winner[p] % 2])
        for p in chosen
    ]
    positions = np.asarray(chosen, dtype=np.int64)
    return RoadHits(positions, total[positions], np.asarray(times, dtype=np.float64), bound)
