"""Distance along roads: snapping points to a RoadGraph and the exact k nearest targets by road.

Points are snapped to the nearest road segment in a metric frame centred on the network (a KD-tree on
pieces of at most PIECE_M metres of every segment, checked exactly, so the nearest segment is found, not
the nearest node). A snapped point sits at a fraction `t` along a segment and enters the graph through
the segment's ends, at the partial cost of the arc it lies on — so one-way streets hold for the first
and last metres too.

`nearest_by_road` is exact: one Dijkstra from the snapped origin (analysis.road_search) that settles
targets in order of road distance and stops at the k-th accepted one, or at the distance cap. It is
never a re-ranking of the nearest by air.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numba import njit
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo_service.analysis.metric import MetricFrame, local_frame
from geo_service.analysis.road_graph import RoadGraph
from geo_service.analysis.road_labels import NodeLabels, answer_from_labels, build_labels, label_hits
from geo_service.analysis.road_search import RoadSearch, TargetTable

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
PIECE_M = 50.0  # segments are indexed in pieces no longer than this
_CANDIDATES = 8  # piece midpoints examined per point before the exactness check
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

    def take(self, rows: IntArray) -> Attachments:
        """The attachments of the points at `rows` only."""
        snaps = Snaps(self.snaps.segment[rows], self.snaps.t[rows], self.snaps.distance_m[rows])
        return Attachments(snaps, self.node[rows], self.out_m[rows], self.out_s[rows], self.in_m[rows], self.in_s[rows])


@dataclass(frozen=True)
class RoadHits:
    """Targets by road distance, nearest first (positions into the targets given)."""

    positions: IntArray
    distance_m: FloatArray
    time_s: FloatArray
    searched_m: float  # the bound the answer is exact within
    answered_by: str = "search"  # "labels" when the per-node labels proved the answer without a search


@dataclass(frozen=True)
class Targets:
    """Snapped points ready to be searched for: their attachments and the per-node entry table."""

    attachments: Attachments
    table: TargetTable
    everyone: BoolArray = field(repr=False)  # all eligible


class RoadIndex:
    """A RoadGraph ready for queries: its metric frame, segment index and road search
    (at most `search_slots` searches at once)."""

    def __init__(self, graph: RoadGraph, search_slots: int = 4) -> None:
        self.graph = graph
        self.frame: MetricFrame = local_frame(
            round(float(graph.lon.min() + graph.lon.max()) / 2, 4),
            round(float(graph.lat.min() + graph.lat.max()) / 2, 4),
        )
        self.xy = self.frame.project_points(np.column_stack([graph.lon, graph.lat]))
        self.search = RoadSearch(graph.indptr, graph.indices, graph.length_m, graph.time_s, search_slots)
        self._segments(graph.tails(), graph.indices)
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
        return _closest_segments(self.xy, self.ends, np.ascontiguousarray(points), candidates.astype(np.int64))

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

    def targets(self, attachments: Attachments) -> Targets:
        """Snapped points as search targets (built once per set of points, e.g. per data revision)."""
        table = TargetTable.build(
            self.graph.node_count, attachments.node, attachments.in_m, attachments.in_s, attachments.snaps.segment
        )
        return Targets(attachments, table, np.ones(len(attachments.node), dtype=bool))


@njit(cache=True, nogil=True)
def _closest_segments(xy, ends, points, candidates):
    """Compiled: per point (row of `candidates`), the nearest candidate segment (the first of equals),
    the fraction t along it (clipped to 0..1) and the distance, all in the metric frame."""
    count = len(points)
    segment, t, gap = np.empty(count, np.int64), np.empty(count, np.float64), np.empty(count, np.float64)
    for i in range(count):
        px, py = points[i, 0], points[i, 1]
        gap[i] = np.inf
        for j in range(candidates.shape[1]):
            s = candidates[i, j]
            ax, ay = xy[ends[s, 0], 0], xy[ends[s, 0], 1]
            abx, aby = xy[ends[s, 1], 0] - ax, xy[ends[s, 1], 1] - ay
            apx, apy = px - ax, py - ay
            u = min(max((apx * abx + apy * aby) / max(abx * abx + aby * aby, 1e-12), 0.0), 1.0)
            d = np.hypot(apx - u * abx, apy - u * aby)
            if d < gap[i]:
                segment[i], t[i], gap[i] = s, u, d
    return segment, t, gap


def _part(share: FloatArray, cost: FloatArray) -> FloatArray:
    """share × cost, keeping inf (a missing arc) even where the share is 0."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(cost), np.inf, share * cost)


def _direct(index: RoadIndex, origin: Attachments, targets: Targets) -> tuple[IntArray, FloatArray, FloatArray]:
    """(positions, metres, seconds) of the targets reached straight along the origin's own segment."""
    segment, t0 = int(origin.snaps.segment[0]), float(origin.snaps.t[0])
    same = targets.table.on_segment(segment)
    t = targets.attachments.snaps.t[same]
    metres, seconds = np.full(len(same), np.inf), np.full(len(same), np.inf)
    for column, ahead in ((0, t >= t0), (1, t <= t0)):  # the first→second arc, then second→first
        arc = int(index.arc[segment, column])
        if arc == _NONE:
            continue
        share = np.abs(t - t0)
        cand = np.where(ahead, share * index.graph.length_m[arc], np.inf)
        better = cand < metres
        metres = np.where(better, cand, metres)
        seconds = np.where(better, share * index.graph.time_s[arc], seconds)
    reached = np.isfinite(metres)
    return same[reached], metres[reached], seconds[reached]


def _first_accepted(ordered: list[int], k: int, accept: Callable[[int], bool] | None) -> list[int]:
    """Indices into `ordered` of the first k positions that `accept` takes."""
    if accept is None:
        return list(range(min(k, len(ordered))))
    chosen: list[int] = []
    for i, position in enumerate(ordered):
        if len(chosen) == k:
            break
        if accept(position):
            chosen.append(i)
    return chosen


def nearest_by_road(
    index: RoadIndex,
    origin: Attachments,
    targets: Targets,
    k: int,
    cap_m: float,
    eligible: BoolArray | None = None,
    accept: Callable[[int], bool] | None = None,
    labels: NodeLabels | None = None,
) -> RoadHits:
    """The k targets nearest to `origin` (one snapped point) by road among the `eligible` ones that
    `accept` takes, none farther than cap_m; exact within the returned `searched_m`.

    `labels` (analysis.road_labels, built for these targets, labelling every target `eligible` may
    ever admit) answer without a search when they prove the answer; otherwise, or without labels, one
    bounded search does. `eligible` is a mask the search honours as it goes; `accept` is asked
    afterwards, in order (for tests too dear to run on every target, such as opening hours): when it
    refuses some, the search is repeated for twice as many until k are accepted or no more lie within
    the cap."""
    if labels is not None:
        proved = nearest_from_labels(index, origin, targets, k, cap_m, labels, eligible, accept)
        if proved is not None:
            return proved
    direct = _direct(index, origin, targets)
    mask = targets.everyone if eligible is None else eligible
    want = k
    while True:
        settled = index.search.nearest(
            origin.node[0], origin.out_m[0], origin.out_s[0], targets.table, direct, mask, want, cap_m
        )
        chosen = _first_accepted(settled.targets.tolist(), k, accept)
        if len(chosen) >= k or len(settled.targets) < want:
            break
        want *= 2
    return RoadHits(settled.targets[chosen], settled.distance_m[chosen], settled.time_s[chosen], settled.searched_m)


def nearest_from_labels(
    index: RoadIndex,
    origin: Attachments,
    targets: Targets,
    k: int,
    cap_m: float,
    labels: NodeLabels,
    eligible: BoolArray | None = None,
    accept: Callable[[int], bool] | None = None,
) -> RoadHits | None:
    """nearest_by_road's answer when the per-node labels prove it, else None: a bounded lookup of the
    origin's segment and its two nodes' labels, no search (cheap enough for an event loop)."""
    direct = _direct(index, origin, targets)
    mask = targets.everyone if eligible is None else eligible
    known = label_hits(labels, (origin.node[0], origin.out_m[0], origin.out_s[0]), direct, mask)
    proved = answer_from_labels(known, k, cap_m, accept)
    if proved is None:
        return None
    rows, exact_m = proved
    return RoadHits(known.targets[rows], known.metres[rows], known.seconds[rows], exact_m, "labels")


def labels_for(index: RoadIndex, targets: Targets, labelled: BoolArray, k: int) -> NodeLabels:
    """Per-node labels of the `labelled` targets on this network (see analysis.road_labels)."""
    attached = targets.attachments
    return build_labels(index.graph, attached.node, attached.in_m, attached.in_s, labelled, k)


def detours(index: RoadIndex, feet: Attachments, stations: Attachments, cap_m: float) -> tuple[FloatArray, FloatArray]:
    """Per pair i, the road metres and seconds of the round trip foot i → station i → foot i (each leg
    the shortest by distance, at most cap_m; NaN where a leg exceeds it): the extra driving of leaving
    a route at the foot to visit the station and coming back to where one left it."""
    to_stations, to_feet = index.targets(stations), index.targets(feet)
    metres, seconds = np.full(len(feet.node), np.nan), np.full(len(feet.node), np.nan)
    only = np.zeros(len(feet.node), dtype=bool)
    for i in range(len(feet.node)):
        only[i] = True
        rows = np.array([i])
        there = nearest_by_road(index, feet.take(rows), to_stations, 1, cap_m, eligible=only)
        back = nearest_by_road(index, stations.take(rows), to_feet, 1, cap_m, eligible=only)
        only[i] = False
        if len(there.positions) and len(back.positions):
            metres[i] = there.distance_m[0] + back.distance_m[0]
            seconds[i] = there.time_s[0] + back.time_s[0]
    return metres, seconds
