"""detour=network on POST /api/v1/facilities/along-route, on both backends: along a route drawn through
the real Helsinki extract, each station's detour (foot on the route → station → foot, by road) equals
networkx's Dijkstra on the same graph with the feet and stations inserted as nodes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from geo_service.analysis import corridor
from geo_service.app import create_app
from geo_service.queries.facilities import insert_facilities
from geo_service.records import FacilityRecord
from geo_service.services import setup
from geo_service.settings import Settings
from tests.databases import DATA_DIR
from tests.road_support import brute_graph, road_index, seeded_points, write_network

ALONG = "/api/v1/facilities/along-route"
FACILITIES, BUFFER_M = 40, 400.0


def _route() -> tuple[np.ndarray, np.ndarray]:
    """A drive along roads: the shortest path between two far-apart nodes of the drive network."""
    graph = road_index("Helsinki", "drive").graph
    g = nx.DiGraph()
    for tail, head, length in zip(graph.tails(), graph.indices, graph.length_m, strict=True):
        g.add_edge(int(tail), int(head), length=float(length))
    west, east = int(np.argmin(graph.lon)), int(np.argmax(graph.lon))
    path = nx.dijkstra_path(g, west, east, weight="length")
    return graph.lon[path], graph.lat[path]


@pytest.fixture
def detour_client(empty_engine: Engine, empty_db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    setup.upgrade_schema(empty_engine)
    setup.load_boundaries(empty_engine, DATA_DIR)
    lon, lat = seeded_points(road_index("Helsinki", "drive").graph, FACILITIES, seed=51)
    records = [
        FacilityRecord(
            code=f"DET-{i:03d}",
            kind="station",
            name=f"绕行测试驿站 {i}（合成）",
            district_adcode="371602",
            lon=float(x),
            lat=float(y),
            is_sample=True,
        )
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]
    with empty_engine.begin() as conn:
        insert_facilities(conn, records)
    network = write_network(tmp_path / "network.npz", profiles=("drive",))
    with TestClient(create_app(Settings(db_url=empty_db_url, network_path=network))) as client:
        yield client


def test_detours_equal_brute_force_round_trips(detour_client: TestClient) -> None:
    lon, lat = _route()
    route = {"type": "LineString", "coordinates": np.column_stack([lon, lat]).tolist()}
    response = detour_client.post(
        ALONG, json={"route": route, "buffer_m": BUFFER_M, "detour": "network", "profile": "drive"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    features = body["features"]
    assert len(features) >= 3, "the seeded stations should include a few along the route"
    assert "OpenStreetMap" in body["attribution"] and body["network"]["profile"] == "drive"

    index = road_index("Helsinki", "drive")
    flon, flat = seeded_points(index.graph, FACILITIES, seed=51)
    codes = [int(f["properties"]["code"].split("-")[1]) for f in features]
    found = corridor.along(corridor.route(lon, lat), flon[codes], flat[codes], BUFFER_M)
    feet = found.foot[np.argsort(found.positions)]  # back in the order of `codes`
    snaps = index.snap(np.concatenate([feet[:, 0], flon[codes]]), np.concatenate([feet[:, 1], flat[codes]]))
    g, names = brute_graph(index, snaps)
    n = len(codes)
    for i, feature in enumerate(features):
        there, there_path = nx.single_source_dijkstra(g, names[i], names[n + i], weight="length")
        back, back_path = nx.single_source_dijkstra(g, names[n + i], names[i], weight="length")
        properties = feature["properties"]
        assert properties["detour_m"] == pytest.approx(there + back, rel=1e-3, abs=0.06)
        seconds = nx.path_weight(g, there_path, "time") + nx.path_weight(g, back_path, "time")
        assert properties["detour_s"] == pytest.approx(seconds, rel=1e-3, abs=0.06)
    # without detour the answer carries none
    plain = detour_client.post(ALONG, json={"route": route, "buffer_m": BUFFER_M}).json()
    assert "detour_m" not in plain["features"][0]["properties"] and "attribution" not in plain


def test_detour_refusals_name_the_problem(detour_client: TestClient, client: TestClient) -> None:
    route = {"type": "LineString", "coordinates": [[24.93, 60.16], [24.95, 60.17]]}
    too_many = detour_client.post(ALONG, json={"route": route, "detour": "network", "limit": 1000})
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"] == ["body", "limit"]
    truck = detour_client.post(ALONG, json={"route": route, "detour": "network", "profile": "truck"})
    assert truck.status_code == 422 and truck.json()["detail"][0]["loc"] == ["body", "profile"]
    unbuilt = client.post(ALONG, json={"route": route, "detour": "network"})  # this app has no network file
    assert unbuilt.status_code == 422
    detail = unbuilt.json()["detail"][0]
    assert detail["loc"] == ["body", "detour"] and detail["msg"].startswith("未建路网")
    assert "network build" in detail["msg"]
