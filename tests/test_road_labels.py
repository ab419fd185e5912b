"""Per-node labels (analysis.road_labels) on the real OSM test extracts, against networkx's Dijkstra on
the same graph with the snapped points inserted as nodes: the labels hold each node's K nearest
facilities at their road distances, and network nearest answered from them — or by the search they
fall back to — is the brute-force answer, one-way streets included."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from geo_service.analysis.network import Attachments, labels_for, nearest_by_road
from tests.road_support import brute_graph, road_index, seeded_points

FACILITIES, ORIGINS, LABEL_K = 120, 60, 8
CASES = [("Helsinki", "drive"), ("test", "drive"), ("Helsinki", "ebike")]  # one-way streets in the drive ones


def _setup(extract: str, profile: str, seed: int):  # type: ignore[no-untyped-def]
    index = road_index(extract, profile)
    flon, flat = seeded_points(index.graph, FACILITIES, seed=seed)
    olon, olat = seeded_points(index.graph, ORIGINS, seed=seed + 1)
    g, names = brute_graph(index, index.snap(np.concatenate([flon, olon]), np.concatenate([flat, olat])))
    targets = index.targets(index.attach(index.snap(flon, flat)))
    origins = index.attach(index.snap(olon, olat))
    return index, g, names, targets, origins


def _one(attachments: Attachments, i: int) -> Attachments:
    return attachments.take(np.array([i]))


def _brute(g: nx.DiGraph, names: list[object], origin: int) -> tuple[np.ndarray, dict[object, list[object]]]:
    lengths, paths = nx.single_source_dijkstra(g, names[FACILITIES + origin], weight="length")
    return np.array([lengths.get(names[f], np.inf) for f in range(FACILITIES)]), paths


@pytest.mark.parametrize(("extract", "profile"), CASES)
def test_labels_hold_each_nodes_k_nearest_facilities(extract: str, profile: str) -> None:
    index, g, names, targets, _ = _setup(extract, profile, seed=51)
    labelled = np.random.default_rng(52).random(FACILITIES) < 0.8
    labels = labels_for(index, targets, labelled, LABEL_K)
    nodes = np.random.default_rng(53).choice(index.graph.node_count, 40, replace=False)
    for node in nodes.tolist():
        lengths = nx.single_source_dijkstra_path_length(g, node, weight="length")
        brute = np.array([lengths.get(names[f], np.inf) if labelled[f] else np.inf for f in range(FACILITIES)])
        want = np.sort(brute)[:LABEL_K]
        held = labels.target[node][labels.target[node] >= 0]
        np.testing.assert_allclose(labels.metres[node][: len(held)], want[: len(held)], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(brute[held], labels.metres[node][: len(held)], rtol=1e-9, atol=1e-6)
        assert len(held) == min(LABEL_K, int(labelled.sum()))
        assert labelled[held].all()


@pytest.mark.parametrize(("extract", "profile"), CASES)
def test_nearest_from_labels_equals_brute_force_and_the_search(extract: str, profile: str) -> None:
    index, g, names, targets, origins = _setup(extract, profile, seed=61)
    labels = labels_for(index, targets, targets.everyone, LABEL_K)
    answered = []
    for i in range(ORIGINS):
        brute, paths = _brute(g, names, i)
        for k in (1, 5):
            hits = nearest_by_road(index, _one(origins, i), targets, k, 1e9, labels=labels)
            searched = nearest_by_road(index, _one(origins, i), targets, k, 1e9)
            answered.append(hits.answered_by)
            np.testing.assert_allclose(hits.distance_m, np.sort(brute)[:k], rtol=1e-9, atol=1e-6)
            np.testing.assert_allclose(brute[hits.positions], hits.distance_m, rtol=1e-9, atol=1e-6)
            path_times = [nx.path_weight(g, paths[names[int(f)]], "time") for f in hits.positions]
            np.testing.assert_allclose(hits.time_s, path_times, rtol=1e-5, atol=1e-3)
            np.testing.assert_allclose(hits.distance_m, searched.distance_m, rtol=1e-9, atol=1e-6)
            assert hits.searched_m >= hits.distance_m[-1]
    assert answered.count("labels") > 0.8 * len(answered)  # with K = 8 the labels prove nearly all


def test_a_rare_filter_falls_back_to_the_search_and_stays_exact() -> None:
    """Few eligible facilities: the labels rarely hold k of them, so the search answers; a refusing
    `accept`, a cap and a larger k than the labels hold must give the brute-force answer either way."""
    index, g, names, targets, origins = _setup("Helsinki", "drive", seed=71)
    labels = labels_for(index, targets, targets.everyone, LABEL_K)
    rare = np.random.default_rng(72).random(FACILITIES) < 0.1
    common = np.random.default_rng(73).random(FACILITIES) < 0.7
    by: dict[tuple[int, str], int] = {}
    for i in range(ORIGINS):
        brute, _ = _brute(g, names, i)
        cases = [(rare, 3, 1e9, 0), (common, 2, 1e9, 3), (common, 12, 1e9, 0), (common, 5, 800.0, 0)]
        for case, (eligible, k, cap, refuse) in enumerate(cases):

            def accept(p: int, refuse: int = refuse) -> bool:
                return refuse == 0 or p % refuse != 0

            allowed = eligible & np.array([accept(p) for p in range(FACILITIES)]) & (brute <= cap)
            hits = nearest_by_road(index, _one(origins, i), targets, k, cap, eligible, accept, labels)
            by[case, hits.answered_by] = by.get((case, hits.answered_by), 0) + 1
            np.testing.assert_allclose(hits.distance_m, np.sort(brute[allowed])[:k], rtol=1e-9, atol=1e-6)
            assert set(hits.positions.tolist()) <= set(np.flatnonzero(allowed).tolist())
            assert hits.searched_m <= cap
    assert by.get((0, "search"), 0) > ORIGINS / 2  # the rare filter mostly falls back
    assert by.get((1, "labels"), 0) > 0 and by.get((3, "labels"), 0) > 0  # a refusing accept, a cap
