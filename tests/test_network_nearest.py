"""Network nearest on the real OSM test extracts, against networkx's Dijkstra on the same graph with
the snapped points inserted as nodes (an independent construction of the same distances)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import connected_components

from geo_service.analysis.network import nearest_by_road
from tests.road_support import brute_graph, graphs, road_index, seeded_points

ORIGINS, FACILITIES, K = 500, 120, 5
CASES = [("Helsinki", "ebike"), ("Helsinki", "drive"), ("test", "walk"), ("test", "truck")]
BRUTE_CASES = [("Helsinki", "ebike"), ("test", "drive")]  # one-way streets in both


def _concat(*arrays: np.ndarray) -> np.ndarray:
    return np.concatenate(arrays)


@pytest.mark.parametrize(("extract", "profile"), CASES)
def test_snap_finds_the_nearest_segment(extract: str, profile: str) -> None:
    index = road_index(extract, profile)
    lon, lat = seeded_points(index.graph, 300, seed=7)
    snaps = index.snap(lon, lat)
    points = shapely.points(index.frame.project_points(np.column_stack([lon, lat])))
    lines = shapely.linestrings(np.stack([index.xy[index.ends[:, 0]], index.xy[index.ends[:, 1]]], axis=1))
    nearest = np.array([shapely.distance(point, lines).min() for point in points])
    np.testing.assert_allclose(snaps.distance_m, nearest, atol=1e-6)


@pytest.mark.parametrize(("extract", "profile"), BRUTE_CASES)
def test_network_nearest_equals_brute_force_dijkstra(extract: str, profile: str) -> None:
    index = road_index(extract, profile)
    flon, flat = seeded_points(index.graph, FACILITIES, seed=11)
    olon, olat = seeded_points(index.graph, ORIGINS, seed=12)
    snaps = index.snap(_concat(flon, olon), _concat(flat, olat))
    g, names = brute_graph(index, snaps)
    targets = index.targets(index.attach(index.snap(flon, flat)))
    origins = index.attach(index.snap(olon, olat))
    for i in range(ORIGINS):
        origin = _one(origins, i)
        hits = nearest_by_road(index, origin, targets, K, 1e9)
        lengths, paths = nx.single_source_dijkstra(g, names[FACILITIES + i], weight="length")
        brute = np.array([lengths.get(names[f], np.inf) for f in range(FACILITIES)])
        np.testing.assert_allclose(hits.distance_m, np.sort(brute)[:K], rtol=1e-3, atol=1e-6)
        np.testing.assert_allclose(brute[hits.positions], hits.distance_m, rtol=1e-3, atol=1e-6)
        path_times = [nx.path_weight(g, paths[names[int(f)]], "time") for f in hits.positions]
        np.testing.assert_allclose(hits.time_s, path_times, rtol=1e-3, atol=1e-6)


def test_filters_k_and_the_distance_cap_equal_brute_force_dijkstra() -> None:
    """The search stops early (k settled, or the cap): eligible masks, a refusing `accept`, larger k and a
    cap must still give exactly the brute-force answer restricted the same way."""
    index = road_index("Helsinki", "drive")
    flon, flat = seeded_points(index.graph, FACILITIES, seed=41)
    olon, olat = seeded_points(index.graph, 40, seed=42)
    g, names = brute_graph(index, index.snap(_concat(flon, olon), _concat(flat, olat)))
    targets = index.targets(index.attach(index.snap(flon, flat)))
    origins = index.attach(index.snap(olon, olat))
    eligible = np.random.default_rng(43).random(FACILITIES) < 0.5
    for i, (k, cap) in enumerate([(1, 1e9), (12, 1e9), (5, 1500.0), (30, 3000.0)] * 10):
        lengths = nx.single_source_dijkstra_path_length(g, names[FACILITIES + i], weight="length")
        brute = np.array([lengths.get(names[f], np.inf) for f in range(FACILITIES)])
        allowed = eligible & (np.arange(FACILITIES) % 3 != 0) & (brute <= cap)
        want = np.sort(brute[allowed])[:k]
        hits = nearest_by_road(index, _one(origins, i), targets, k, cap, eligible=eligible, accept=lambda p: p % 3 != 0)
        np.testing.assert_allclose(hits.distance_m, want, rtol=1e-9, atol=1e-6)
        assert set(hits.positions.tolist()) <= set(np.flatnonzero(allowed).tolist())
        assert hits.searched_m <= cap


def _one(attachments, i: int):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from geo_service.analysis.network import Snaps

    snaps = attachments.snaps
    one = Snaps(snaps.segment[i : i + 1], snaps.t[i : i + 1], snaps.distance_m[i : i + 1])
    return replace(
        attachments,
        snaps=one,
        **{name: getattr(attachments, name)[i : i + 1] for name in ("node", "out_m", "out_s", "in_m", "in_s")},
    )


def test_one_way_streets_make_the_two_directions_differ() -> None:
    index = road_index("Helsinki", "drive")
    lon, lat = seeded_points(index.graph, 60, seed=3)
    attached = index.attach(index.snap(lon, lat))
    g, names = brute_graph(index, attached.snaps)
    there = dict(nx.single_source_dijkstra_path_length(g, names[0], weight="length"))
    back = [nx.dijkstra_path_length(g, names[j], names[0], weight="length") for j in range(60)]
    differing = [j for j in range(1, 60) if abs(there[names[j]] - back[j]) > 50]
    assert differing, "the seeded points should include a pair whose two directions differ"
    j = differing[0]
    a_to_b = nearest_by_road(index, _one(attached, 0), index.targets(_one(attached, j)), 1, 1e9).distance_m[0]
    b_to_a = nearest_by_road(index, _one(attached, j), index.targets(_one(attached, 0)), 1, 1e9).distance_m[0]
    assert a_to_b == pytest.approx(there[names[j]], rel=1e-6)
    assert b_to_a == pytest.approx(back[j], rel=1e-6)
    assert abs(a_to_b - b_to_a) > 50
    walk = road_index("Helsinki", "walk").graph
    assert walk.arc_count == 2 * len(set(zip(*np.sort(np.stack([walk.tails(), walk.indices]), axis=0), strict=True)))


def test_every_profile_is_strongly_connected_and_trucks_skip_residential_streets() -> None:
    for extract in ("Helsinki", "test"):
        built = graphs(extract)
        for graph in built.values():
            n_components, _ = connected_components(graph.matrix(graph.length_m), directed=True, connection="strong")
            assert n_components == 1
        assert built["truck"].arc_count < built["drive"].arc_count
