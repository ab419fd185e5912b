"""The road search itself: one Dijkstra over CSR arrays, compiled, that stops as soon as it has settled
the k nearest eligible targets (or passed the distance bound).

Why compiled and bounded: a rider's k nearest stations lie a few kilometres away, a few thousand nodes
of a network of hundreds of thousands. scipy's dijkstra starts every call by allocating and filling
arrays the size of the whole graph and cannot stop at "k targets found", which made a road answer ~30×
dearer than a straight-line one. Here the per-node arrays are kept between searches (a generation
stamp marks which entries belong to the current search, so nothing is refilled) and the work is
proportional to the nodes actually settled.

Targets (snapped facilities, or any snapped points) are settled as pseudo-nodes of the same search: a
node's settling pushes the targets that can be entered from it (TargetTable, a per-node CSR of entry
costs), so a target is final when it leaves the heap, exactly as a node is. The answer is exact: the
same distances as a full Dijkstra, ties broken by target position.
"""

from __future__ import annotations

import heapq
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class TargetTable:
    """Snapped targets by the node they can be entered from: entries `entry_ptr[u]:entry_ptr[u+1]` of
    node u name a target and the cost (metres, seconds) from u to it along its own segment. `segment`
    and `order` let a search find the targets on the origin's own segment (reached without a node)."""

    count: int
    entry_ptr: IntArray
    entry_target: IntArray
    entry_m: FloatArray
    entry_s: FloatArray
    segment_sorted: IntArray  # the targets' segments, ascending
    segment_order: IntArray  # target positions in that order

    @classmethod
    def build(
        cls, node_count: int, nodes: IntArray, in_m: FloatArray, in_s: FloatArray, segment: IntArray
    ) -> TargetTable:
        """From per-target entry nodes and costs, (targets, 2) arrays with inf where no arc enters."""
        target = np.repeat(np.arange(len(nodes), dtype=np.int64), 2)
        node, metres, seconds = nodes.ravel(), in_m.ravel(), in_s.ravel()
        usable = np.isfinite(metres)
        target, node, metres, seconds = target[usable], node[usable], metres[usable], seconds[usable]
        order = np.argsort(node, kind="stable")
        entry_ptr = np.zeros(node_count + 1, dtype=np.int64)
        np.cumsum(np.bincount(node, minlength=node_count), out=entry_ptr[1:])
        by_segment = np.argsort(segment, kind="stable").astype(np.int64)
        return cls(
            len(nodes),
            entry_ptr,
            target[order],
            metres[order],
            seconds[order],
            segment[by_segment].astype(np.int64),
            by_segment,
        )

    def on_segment(self, segment: int) -> IntArray:
        """Positions of the targets snapped to `segment`."""
        lo, hi = np.searchsorted(self.segment_sorted, [segment, segment + 1])
        return self.segment_order[lo:hi]


@dataclass(frozen=True)
class Settled:
    """Targets in order of road distance (positions into the table), and the road distance within
    which every target was settled (the bound, when fewer than k targets lie within it)."""

    targets: IntArray
    distance_m: FloatArray
    time_s: FloatArray
    searched_m: float


class _Scratch:
    """Per-node arrays reused across searches; `generation` tells current entries from stale ones."""

    def __init__(self, node_count: int) -> None:
        self.node_m = np.empty(node_count, dtype=np.float64)
        self.node_s = np.empty(node_count, dtype=np.float64)
        self.node_seen = np.zeros(node_count, dtype=np.int64)
        self.target_seen = np.zeros(0, dtype=np.int64)
        self.generation = 0

    def next_generation(self, target_count: int) -> int:
        if len(self.target_seen) < target_count:
            self.target_seen = np.zeros(target_count, dtype=np.int64)
        self.generation += 1
        return self.generation


class RoadSearch:
    """Bounded nearest-target searches over one graph's CSR arcs (length and time per arc).

    At most `slots` searches run at once (each holds a few node-sized arrays); the compiled loop
    releases the GIL, so searches in different threads run in parallel."""

    def __init__(self, indptr: IntArray, heads: IntArray, arc_m: FloatArray, arc_s: FloatArray, slots: int) -> None:
        self._arrays = (indptr, heads, arc_m, arc_s)
        self._node_count = len(indptr) - 1
        self._slots: queue.LifoQueue[_Scratch] = queue.LifoQueue()
        self._made, self._cap, self._lock = 0, max(1, slots), threading.Lock()

    def warm(self) -> None:
        """Load (or compile, the first time on a machine) the search loop before a rider waits for it."""
        empty, none = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        table = TargetTable.build(self._node_count, empty.reshape(0, 2), none.reshape(0, 2), none.reshape(0, 2), empty)
        self.nearest(empty, none, none, table, (empty, none, none), np.zeros(0, dtype=bool), 1, 0.0)

    @contextmanager
    def _scratch(self) -> Iterator[_Scratch]:
        try:
            scratch = self._slots.get_nowait()
        except queue.Empty:
            with self._lock:
                fresh = self._made < self._cap
                self._made += fresh
            scratch = _Scratch(self._node_count) if fresh else self._slots.get()
        try:
            yield scratch
        finally:
            self._slots.put(scratch)

    def nearest(
        self,
        start_node: IntArray,
        start_m: FloatArray,
        start_s: FloatArray,
        table: TargetTable,
        direct: tuple[IntArray, FloatArray, FloatArray],
        eligible: BoolArray,
        k: int,
        bound_m: float,
    ) -> Settled:
        """The k eligible targets nearest by road from a start that enters the graph at `start_node`
        (costs start_m/start_s to each; inf where it cannot) and reaches the `direct` targets (positions,
        metres, seconds) without a node; none farther than bound_m."""
        entries = (table.entry_ptr, table.entry_target, table.entry_m, table.entry_s)
        with self._scratch() as scratch:
            generation = scratch.next_generation(table.count)
            arrays = (scratch.node_m, scratch.node_s, scratch.node_seen, scratch.target_seen)
            start = (start_node, start_m, start_s)
            found, metres, seconds, searched = _search(
                self._arrays, entries, start, direct, eligible, int(k), float(bound_m), arrays, generation
            )
        order = np.lexsort((found, metres))[:k]
        return Settled(found[order], metres[order], seconds[order], float(searched))


@njit(cache=True, nogil=True)
def _grown(array):
    bigger = np.empty(2 * len(array), dtype=array.dtype)
    bigger[: len(array)] = array
    return bigger


@njit(cache=True, nogil=True)
def _seeded(start, direct, eligible, bound_m, n, scratch, generation):
    """The heap of the search's first items: the start's entry nodes, and the targets it reaches directly."""
    start_node, start_m, start_s = start
    direct_target, direct_m, direct_s = direct
    node_m, node_s, node_seen, _ = scratch
    heap = [(0.0, 0, 0.0)]  # (metres, item, seconds); the first entry only gives numba the type
    heap.pop()
    for i in range(len(start_node)):
        node = start_node[i]
        cost = start_m[i]
        if cost <= bound_m and (node_seen[node] != generation or cost < node_m[node]):
            node_seen[node], node_m[node], node_s[node] = generation, cost, start_s[i]
            heapq.heappush(heap, (cost, node, start_s[i]))
    for i in range(len(direct_target)):
        if direct_m[i] <= bound_m and eligible[direct_target[i]]:
            heapq.heappush(heap, (direct_m[i], n + direct_target[i], direct_s[i]))
    return heap


@njit(cache=True, nogil=True)
def _relax(heap, item, key, time, graph, entries, eligible, bound_m, scratch, generation):
    """Push the targets that `item` (a settled node) enters, and its neighbours reached more cheaply."""
    indptr, heads, arc_m, arc_s = graph
    entry_ptr, entry_target, entry_m, entry_s = entries
    node_m, node_s, node_seen, target_seen = scratch
    n = len(indptr) - 1
    for e in range(entry_ptr[item], entry_ptr[item + 1]):
        target = entry_target[e]
        cost = key + entry_m[e]
        if eligible[target] and target_seen[target] != generation and cost <= bound_m:
            heapq.heappush(heap, (cost, n + target, time + entry_s[e]))
    for e in range(indptr[item], indptr[item + 1]):
        head = heads[e]
        cost = key + arc_m[e]
        if cost <= bound_m and (node_seen[head] != generation or cost < node_m[head]):
            node_seen[head], node_m[head], node_s[head] = generation, cost, time + arc_s[e]
            heapq.heappush(heap, (cost, head, time + arc_s[e]))


@njit(cache=True, nogil=True)
def _search(graph, entries, start, direct, eligible, k, bound_m, scratch, generation):
    """Dijkstra from the start over nodes (items < n) and targets (items n + t); stops once k eligible
    targets are settled and nothing left in the heap ties with the k-th, or past bound_m."""
    n = len(graph[0]) - 1
    node_m, target_seen = scratch[0], scratch[3]
    heap = _seeded(start, direct, eligible, bound_m, n, scratch, generation)
    found, found_m, found_s = np.empty(k, dtype=np.int64), np.empty(k, dtype=np.float64), np.empty(k, dtype=np.float64)
    count = 0
    searched = bound_m  # nothing beyond the bound is ever pushed
    while len(heap) > 0:
        if count >= k and heap[0][0] > found_m[k - 1]:
            searched = heap[0][0]  # everything nearer than the next key is settled
            break
        key, item, time = heapq.heappop(heap)
        if item < n:
            if key <= node_m[item]:  # else a stale entry: the node was reached more cheaply since
                _relax(heap, item, key, time, graph, entries, eligible, bound_m, scratch, generation)
        elif target_seen[item - n] != generation:
            target_seen[item - n] = generation
            if count == len(found):
                found, found_m, found_s = _grown(found), _grown(found_m), _grown(found_s)
            found[count], found_m[count], found_s[count] = item - n, key, time
            count += 1
    return found[:count], found_m[:count], found_s[:count], searched
