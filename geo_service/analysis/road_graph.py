"""A compact directed road graph per travel profile, and the one file that stores them all.

A profile's graph is its largest strongly connected component (every node reaches every other, so a
snapped rider can always get to a snapped station and back), stored as node lon/lat arrays and CSR
arcs with a geodesic length in metres and a travel time in seconds. Parallel arcs between the same two
nodes keep the shortest one. The file is a NumPy .npz (no pickles): arrays named `<profile>.<array>`
and a JSON `meta` entry (source extract, its checksum, build time, the profiles).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

OSM_CREDIT = "© OpenStreetMap contributors (ODbL)"  # the road data's licence, shown wherever it is used
OSM_CREDIT_ZH = "道路数据 © OpenStreetMap 贡献者（ODbL 许可）"

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_GEOD = Geod(ellps="WGS84")
_MIN_ARC_M = 0.01  # zero-length arcs (duplicated nodes) would vanish from a sparse matrix
_ARRAYS = ("lon", "lat", "indptr", "indices", "length_m", "time_s")


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """One profile's network: node positions and CSR arcs (arc i runs from the row of i to indices[i])."""

    profile: str
    lon: FloatArray
    lat: FloatArray
    indptr: IntArray
    indices: IntArray
    length_m: FloatArray
    time_s: FloatArray

    @property
    def node_count(self) -> int:
        return len(self.lon)

    @property
    def arc_count(self) -> int:
        return len(self.indices)

    def tails(self) -> IntArray:
        """The start node of every arc (the CSR rows, expanded)."""
        return np.repeat(np.arange(self.node_count, dtype=np.int64), np.diff(self.indptr))

    def matrix(self, weight: FloatArray) -> csr_matrix:
        """The sparse adjacency matrix with `weight` (length_m or time_s) on the arcs."""
        n = self.node_count
        return csr_matrix((weight, self.indices, self.indptr), shape=(n, n))


@dataclass(frozen=True)
class Arcs:
    """Directed arcs between node positions, before the component is chosen."""

    tail: IntArray
    head: IntArray
    length_m: FloatArray
    time_s: FloatArray


def geodesic_lengths(lon: FloatArray, lat: FloatArray, tail: IntArray, head: IntArray) -> FloatArray:
    """Geodesic metres of straight segments between node positions (WGS-84 ellipsoid)."""
    _, _, metres = _GEOD.inv(lon[tail], lat[tail], lon[head], lat[head])
    return np.maximum(np.asarray(metres, dtype=np.float64), _MIN_ARC_M)


def largest_component(profile: str, lon: FloatArray, lat: FloatArray, arcs: Arcs) -> RoadGraph:
    """The largest strongly connected component of `arcs` as a renumbered RoadGraph (shortest of
    parallel arcs kept, self-loops dropped); an empty graph when there are no arcs."""
    keep = arcs.tail != arcs.head
    tail, head = arcs.tail[keep], arcs.head[keep]
    length, time = arcs.length_m[keep], arcs.time_s[keep]
    order = np.lexsort((length, head, tail))  # by (tail, head), shortest first
    tail, head, length, time = tail[order], head[order], length[order], time[order]
    first = np.ones(len(tail), dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    tail, head, length, time = tail[first], head[first], length[first], time[first]
    n = len(lon)
    if len(tail) == 0:
        return _graph(profile, lon[:0], lat[:0], tail, head, length, time)
    ones = csr_matrix((np.ones(len(tail)), (tail, head)), shape=(n, n))
    _, labels = connected_components(ones, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    members = np.flatnonzero(labels == biggest)
    renumber = np.full(n, -1, dtype=np.int64)
    renumber[members] = np.arange(len(members))
    inside = (renumber[tail] >= 0) & (renumber[head] >= 0)
    return _graph(
        profile,
        lon[members],
        lat[members],
        renumber[tail[inside]],
        renumber[head[inside]],
        length[inside],
        time[inside],
    )


def _graph(
    profile: str, lon: FloatArray, lat: FloatArray, tail: IntArray, head: IntArray, length: FloatArray, time: FloatArray
) -> RoadGraph:
    """CSR arrays from arcs already sorted by (tail, head)."""
    indptr = np.zeros(len(lon) + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=len(lon)), out=indptr[1:])
    return RoadGraph(profile, lon, lat, indptr, head.astype(np.int64), length, time)


@dataclass(frozen=True)
class NetworkFile:
    """What a network file holds: its description and one graph per profile."""

    meta: dict[str, Any]
    graphs: dict[str, RoadGraph]


def save(path: Path, meta: dict[str, Any], graphs: dict[str, RoadGraph]) -> None:
    """Write atomically (a temporary file renamed over `path`), so a running service never loads half."""
    arrays = {f"{name}.{field}": getattr(graph, field) for name, graph in graphs.items() for field in _ARRAYS}
    arrays["meta"] = np.array(json.dumps({**meta, "profiles": list(graphs)}, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial.npz")
    np.savez_compressed(partial, **arrays)
    partial.replace(path)


def load(path: Path) -> NetworkFile:
    """Read a file written by `save` (no pickles are allowed in it)."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        graphs = {name: RoadGraph(name, *(data[f"{name}.{field}"] for field in _ARRAYS)) for name in meta["profiles"]}
    return NetworkFile(meta, graphs)
