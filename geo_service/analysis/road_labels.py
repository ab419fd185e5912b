"""Per-node labels: the K facilities nearest to every node by road, so most network-nearest questions
are answered by reading two rows instead of searching.

Built once per network and facility snapshot (off the request path) by one multi-source Dijkstra on the
reversed graph: every facility starts at the nodes it can be entered from, at the cost of entering it,
and spreads backwards along arcs; a node keeps the first K distinct facilities that reach it. Labels
leave a node in order of distance, so a node's K labels are its K nearest facilities by road, with
their exact distances: any facility it does not hold is at least as far as its K-th.

A query snapped to a segment leaves through the segment's two ends (costs out_m to each) or reaches
targets on its own segment directly. Joining the two ends' labels with those costs gives candidate
distances; every facility not among them, and every route not through a known label, costs at least
`bound` = min over the ends of (cost to the end + the end's K-th label). So the candidates nearer than
`bound` are exactly the facilities nearer than `bound`, at their exact distances: when k of them pass
the request's filters (or `bound` is past the distance cap) that is the answer; otherwise the caller
searches (analysis.road_search).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import NDArray

from geo_service.analysis.road_graph import RoadGraph

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class NodeLabels:
    """Per node, its K nearest labelled facilities by road, nearest first (-1 / inf where fewer)."""

    target: NDArray[np.int32]  # (nodes, K) target positions
    metres: FloatArray  # (nodes, K) road metres from the node to the target
    seconds: NDArray[np.float32]  # (nodes, K) seconds along that shortest path

    @property
    def k(self) -> int:
        return int(self.target.shape[1])

    @property
    def nbytes(self) -> int:
        return int(self.target.nbytes + self.metres.nbytes + self.seconds.nbytes)


@dataclass(frozen=True)
class LabelHits:
    """Eligible candidates known from the labels, nearest first, and the bound they are exact within."""

    targets: IntArray
    metres: FloatArray
    seconds: FloatArray
    bound_m: float  # every target not listed, and every listed one's unknown routes, cost at least this


def build_labels(
    graph: RoadGraph, nodes: IntArray, in_m: FloatArray, in_s: FloatArray, labelled: BoolArray, k: int
) -> NodeLabels:
    """Labels of every node of `graph` for the `labelled` targets, each entered from nodes[t] (targets × 2)
    at costs in_m/in_s (inf where no arc enters)."""
    n = graph.node_count
    order = np.argsort(graph.indices, kind="stable")
    rev_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(graph.indices, minlength=n), out=rev_ptr[1:])
    reverse = (rev_ptr, graph.tails()[order], graph.length_m[order], graph.time_s[order])
    rows = np.flatnonzero(labelled)
    seed_target = np.repeat(rows, 2)
    seed_node, seed_m, seed_s = nodes[rows].ravel(), in_m[rows].ravel(), in_s[rows].ravel()
    usable = np.isfinite(seed_m)
    seeds = (seed_node[usable], seed_m[usable], seed_s[usable], seed_target[usable])
    target, metres, seconds = _propagate(reverse, seeds, int(k), n)
    return NodeLabels(target, metres, seconds)


@njit(cache=True, nogil=True)
def _holds(target, node, count, t):
    """Whether `node` already holds target t (a scan of at most k entries)."""
    j = 0
    while j < count[node] and target[node, j] != t:
        j += 1
    return j < count[node]


@njit(cache=True, nogil=True)
def _propagate(reverse, seeds, k, n):
    """The multi-source Dijkstra over items (metres, node, target, seconds) in a binary heap of parallel
    arrays (about twice as fast as a heap of tuples); a node keeps its first k distinct targets."""
    rev_ptr, rev_from, rev_m, rev_s = reverse
    seed_node, seed_m, seed_s, seed_target = seeds
    target = np.full((n, k), -1, dtype=np.int32)
    metres = np.full((n, k), np.inf, dtype=np.float64)
    seconds = np.full((n, k), np.inf, dtype=np.float32)
    count = np.zeros(n, dtype=np.int64)
    offered = (np.full((n, k), -1, dtype=np.int64), np.full((n, k), np.inf, dtype=np.float64))
    capacity = max(16, 4 * len(seed_node))
    heap = (np.empty(capacity, np.float64), np.empty((capacity, 2), np.int64), np.empty(capacity, np.float64))
    size = 0
    for i in range(len(seed_node)):
        if _offered(offered, seed_node[i], seed_target[i], seed_m[i]):
            heap, size = _push(heap, size, seed_m[i], seed_node[i], seed_target[i], seed_s[i])
    while size > 0:
        key, node, t, time = heap[0][0], heap[1][0, 0], heap[1][0, 1], heap[2][0]
        size = _pop(heap, size)
        c = count[node]
        if c >= k or _holds(target, node, count, t):
            continue
        target[node, c], metres[node, c], seconds[node, c] = t, key, time
        count[node] = c + 1
        for e in range(rev_ptr[node], rev_ptr[node + 1]):
            tail = rev_from[e]
            if count[tail] < k and _offered(offered, tail, t, key + rev_m[e]):
                heap, size = _push(heap, size, key + rev_m[e], tail, t, time + rev_s[e])
    return target, metres, seconds


@njit(cache=True, nogil=True)
def _offered(offered, node, t, m):
    """Record that target t reaches `node` at m, in the node's k best distinct offers so far (ascending);
    False when the offer cannot become a label (t was offered as cheaply, or k others more cheaply)."""
    targets, costs = offered
    k = targets.shape[1]
    at = 0
    while at < k and targets[node, at] != t:
        at += 1
    if at < k and costs[node, at] <= m:
        return False
    if at == k and costs[node, k - 1] <= m:
        return False  # k distinct targets are offered at most m: the node is full before this one
    i = min(at, k - 1)  # the slot freed: t's own, or the last (evicted; its heap entry stays harmless)
    while i > 0 and costs[node, i - 1] > m:
        targets[node, i], costs[node, i] = targets[node, i - 1], costs[node, i - 1]
        i -= 1
    targets[node, i], costs[node, i] = t, m
    return True


@njit(cache=True, nogil=True)
def _push(heap, size, key, node, item, time):
    """Add an entry to the heap (keys, (node, item) pairs, times); returns the heap (grown when full)."""
    keys, pairs, times = heap
    if size == len(keys):
        keys, times = np.concatenate((keys, np.empty_like(keys))), np.concatenate((times, np.empty_like(times)))
        pairs = np.concatenate((pairs, np.empty_like(pairs)))
    i = size
    while i > 0 and keys[(i - 1) // 2] > key:
        parent = (i - 1) // 2
        keys[i], pairs[i, 0], pairs[i, 1], times[i] = keys[parent], pairs[parent, 0], pairs[parent, 1], times[parent]
        i = parent
    keys[i], pairs[i, 0], pairs[i, 1], times[i] = key, node, item, time
    return (keys, pairs, times), size + 1


@njit(cache=True, nogil=True)
def _pop(heap, size):
    """Remove the smallest entry (read it first at position 0); returns the new size."""
    keys, pairs, times = heap
    last = size - 1
    key, i = keys[last], 0
    while 2 * i + 1 < last:
        child = 2 * i + 1
        if child + 1 < last and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[i], pairs[i, 0], pairs[i, 1], times[i] = keys[child], pairs[child, 0], pairs[child, 1], times[child]
        i = child
    keys[i], pairs[i, 0], pairs[i, 1], times[i] = key, pairs[last, 0], pairs[last, 1], times[last]
    return last


def label_hits(
    labels: NodeLabels,
    ends: tuple[IntArray, FloatArray, FloatArray],
    direct: tuple[IntArray, FloatArray, FloatArray],
    eligible: BoolArray,
) -> LabelHits:
    """The eligible candidates from a start leaving through ends (nodes, metres, seconds; inf where it
    cannot) or reaching the `direct` targets (positions, metres, seconds) along its own segment."""
    found, metres, seconds, bound = _combine(labels.target, labels.metres, labels.seconds, ends, direct, eligible)
    return LabelHits(found, metres, seconds, float(bound))


@njit(cache=True, nogil=True)
def _combine(target, metres, seconds, ends, direct, eligible):
    """Candidates (target, metres, seconds), the best route per target, sorted by (metres, target)."""
    end_node, end_m, end_s = ends
    direct_t, direct_m, direct_s = direct
    k = target.shape[1]
    size = len(end_node) * k + len(direct_t)
    cand_t, cand_m, cand_s = np.empty(size, np.int64), np.empty(size, np.float64), np.empty(size, np.float64)
    count, bound = 0, np.inf
    for side in range(len(end_node)):
        node, out_m = end_node[side], end_m[side]
        if not np.isfinite(out_m):
            continue  # the start cannot leave that way: no route, known or not, goes through it
        if target[node, k - 1] >= 0:
            bound = min(bound, out_m + metres[node, k - 1])
        for j in range(k):
            if target[node, j] < 0:
                break
            count = _offer(
                cand_t, cand_m, cand_s, count, target[node, j], out_m + metres[node, j], end_s[side] + seconds[node, j]
            )
    for i in range(len(direct_t)):
        count = _offer(cand_t, cand_m, cand_s, count, direct_t[i], direct_m[i], direct_s[i])
    picks = np.empty(count, np.int64)
    kept = 0
    for i in range(count):
        if eligible[cand_t[i]]:
            picks[kept] = i
            kept += 1
    picks = picks[:kept]
    _sort_by_cost(picks, cand_m, cand_t)
    return cand_t[picks], cand_m[picks], cand_s[picks], bound


@njit(cache=True, nogil=True)
def _sort_by_cost(picks, cand_m, cand_t):
    """Insertion sort of candidate rows by (metres, target), in place (a few dozen rows)."""
    for i in range(1, len(picks)):
        row = picks[i]
        j = i - 1
        while j >= 0 and (
            cand_m[picks[j]] > cand_m[row] or (cand_m[picks[j]] == cand_m[row] and cand_t[picks[j]] > cand_t[row])
        ):
            picks[j + 1] = picks[j]
            j -= 1
        picks[j + 1] = row


@njit(cache=True, nogil=True)
def _offer(cand_t, cand_m, cand_s, count, t, m, s):
    """Add target t at (m, s), or lower its known route; returns the new count."""
    for i in range(count):
        if cand_t[i] == t:
            if m < cand_m[i]:
                cand_m[i], cand_s[i] = m, s
            return count
    cand_t[count], cand_m[count], cand_s[count] = t, m, s
    return count + 1


def answer_from_labels(
    hits: LabelHits, k: int, cap_m: float, accept: Callable[[int], bool] | None
) -> tuple[IntArray, float] | None:
    """Rows of `hits` that are the exact answer (the first k accepted within the cap), and the bound it
    is exact within; None when the labels cannot prove it (the caller searches)."""
    certain = (hits.metres < hits.bound_m) & (hits.metres <= cap_m)
    rows: list[int] = []
    for row in np.flatnonzero(certain).tolist():
        if len(rows) == k:
            break
        if accept is None or accept(int(hits.targets[row])):
            rows.append(row)
    if len(rows) < k and hits.bound_m <= cap_m:
        return None  # some target between the bound and the cap may still be among the k
    return np.asarray(rows, dtype=np.int64), min(hits.bound_m, cap_m)
