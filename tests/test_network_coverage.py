"""Coverage by road on the real Helsinki extract against networkx: reached demand equals the
brute-force Dijkstra answer; the service-area polygon contains every reached node."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely

from geo_service.analysis.network_coverage import cover, nearest_nodes, service_area
from tests.road_support import road_index, seeded_points


@pytest.mark.parametrize(("profile", "cost", "limit"), [("walk", "length", 800.0), ("ebike", "time", 240.0)])
def test_reached_demand_equals_brute_force(profile: str, cost: str, limit: float) -> None:
    index = road_index("Helsinki", profile)
    graph = index.graph
    facilities, _ = nearest_nodes(index, *seeded_points(graph, 8, seed=31))
    demand, _ = nearest_nodes(index, *seeded_points(graph, 500, seed=32))
    coverage = cover(index, facilities, demand, limit, cost)  # type: ignore[arg-type]
    g = nx.DiGraph()
    weights = graph.length_m if cost == "length" else graph.time_s
    for tail, head, weight in zip(graph.tails(), graph.indices, weights, strict=True):
        g.add_edge(int(tail), int(head), weight=float(weight))
    to_facility = nx.multi_source_dijkstra_path_length(g.reverse(copy=True), set(facilities.tolist()), weight="weight")
    brute = np.array([to_facility.get(int(node), np.inf) <= limit for node in demand])
    assert 0 < brute.sum() < len(demand)  # the limit leaves some demand out: the test can fail
    np.testing.assert_array_equal(coverage.reached, brute)
    reached_cost = np.array([to_facility[int(node)] for node in demand[brute]])
    np.testing.assert_allclose(coverage.cost[brute], reached_cost, rtol=1e-9)

    area = service_area(index, coverage, limit, cost, buffer_m=25.0)  # type: ignore[arg-type]
    reached_nodes = [node for node, value in to_facility.items() if value <= limit]
    points = shapely.points(graph.lon[reached_nodes], graph.lat[reached_nodes])
    assert shapely.covers(area, points).all()
    assert area.is_valid
    # not the whole extract: nodes with no reached road within the buffer lie outside it
    lines = shapely.linestrings(np.stack([index.xy[graph.tails()], index.xy[graph.indices]], axis=1))
    reached_lines = [
        line for line, head in zip(lines, graph.indices, strict=True) if to_facility.get(int(head), np.inf) <= limit
    ]
    close = shapely.STRtree(reached_lines).query(shapely.points(index.xy), predicate="dwithin", distance=30.0)
    outside_near = np.ones(graph.node_count, dtype=bool)
    outside_near[close[0]] = False
    outside_near[reached_nodes] = False
    far = np.flatnonzero(outside_near)
    assert len(far) and not shapely.covers(area, shapely.points(graph.lon[far], graph.lat[far])).any()
