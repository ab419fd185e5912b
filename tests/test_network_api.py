"""metric=network on GET /api/v1/facilities/nearest, on both backends, over seeded facilities on the real
Helsinki extract: the answer equals networkx's Dijkstra; the straight-line answer is unchanged."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from geo_service.app import create_app
from geo_service.queries.facilities import insert_facilities
from geo_service.records import FacilityRecord
from geo_service.services import setup
from geo_service.services.nearest import NearestQuery
from geo_service.services.network_nearest import RoadSearchNeeded, find_by_road
from geo_service.settings import Settings
from tests.databases import DATA_DIR
from tests.road_support import brute_graph, road_index, seeded_points, write_network

NEAREST = "/api/v1/facilities/nearest"
FACILITIES, ORIGINS = 60, 25


def _records(lon: np.ndarray, lat: np.ndarray) -> list[FacilityRecord]:
    return [
        FacilityRecord(
            code=f"HEL-{i:03d}",
            kind="station" if i % 3 else "rest_base",
            name=f"测试驿站 {i}（合成）",
            district_adcode="371602",
            lon=float(x),
            lat=float(y),
            amenities=["toilet"] if i % 2 else [],
            is_sample=True,
        )
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]


@pytest.fixture
def roads_client(empty_engine: Engine, empty_db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    setup.upgrade_schema(empty_engine)
    setup.load_boundaries(empty_engine, DATA_DIR)
    lon, lat = seeded_points(road_index("Helsinki", "ebike").graph, FACILITIES, seed=21)
    with empty_engine.begin() as conn:
        insert_facilities(conn, _records(lon, lat))
    network = write_network(tmp_path / "network.npz")
    # the poller labels the first revision at the start and then sleeps: the tests refresh by hand
    # (_refreshed), so a revision they make stays unlabelled until they label it
    settings = Settings(db_url=empty_db_url, network_path=network, index_refresh_s=3600)
    with TestClient(create_app(settings)) as client:
        yield client


def _get(client: TestClient, **params) -> dict:
    response = client.get(NEAREST, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_network_nearest_over_http_equals_brute_force(roads_client: TestClient) -> None:
    index = road_index("Helsinki", "ebike")
    flon, flat = seeded_points(index.graph, FACILITIES, seed=21)
    olon, olat = seeded_points(index.graph, ORIGINS, seed=22)
    g, names = brute_graph(index, index.snap(np.concatenate([flon, olon]), np.concatenate([flat, olat])))
    _refreshed(roads_client)  # the labels, which the poller builds in the background after the start
    answered = []
    for i in range(ORIGINS):
        body = _get(roads_client, lon=olon[i], lat=olat[i], metric="network", profile="ebike", limit=5)
        answered.append(body["query"]["answered_by"])
        lengths = nx.single_source_dijkstra_path_length(g, names[FACILITIES + i], weight="length")
        brute = {f"HEL-{f:03d}": lengths[names[f]] for f in range(FACILITIES)}
        got = [(f["properties"]["code"], f["properties"]["network_distance_m"]) for f in body["features"]]
        expected = sorted(brute.values())[:5]
        np.testing.assert_allclose([m for _, m in got], expected, rtol=1e-3, atol=0.06)  # 0.1 m in the JSON
        assert all(abs(brute[code] - metres) <= max(0.06, 1e-3 * metres) for code, metres in got)
        assert body["query"]["metric"] == "network" and body["query"]["snap_distance_m"] >= 0
        assert "OpenStreetMap" in body["attribution"] and body["network"]["source"] == "Helsinki.osm.pbf"
        assert all(
            f["properties"]["travel_time_s"] > 0 or f["properties"]["network_distance_m"] == 0 for f in body["features"]
        )
    assert answered.count("labels") > ORIGINS / 2


def test_a_filter_the_labels_cannot_prove_is_searched_and_labels_follow_edits(roads_client: TestClient) -> None:
    """kind=rest_base with a toilet: 10 of the 60 facilities, rarely 5 among a node's 8 labels, so the
    search answers, still exactly; a facility added at the rider is first by road once the labels of
    the new data revision are built (what the poller does after each refresh)."""
    index = road_index("Helsinki", "ebike")
    flon, flat = seeded_points(index.graph, FACILITIES, seed=21)
    olon, olat = seeded_points(index.graph, ORIGINS, seed=22)
    g, names = brute_graph(index, index.snap(np.concatenate([flon, olon]), np.concatenate([flat, olat])))
    rare = {f"HEL-{f:03d}" for f in range(FACILITIES) if f % 6 == 3}
    _refreshed(roads_client)
    answered = []
    for i in range(ORIGINS):
        params = {"lon": olon[i], "lat": olat[i], "metric": "network", "limit": 5}
        body = _get(roads_client, **params, kind="rest_base", amenity="toilet")
        answered.append(body["query"]["answered_by"])
        lengths = nx.single_source_dijkstra_path_length(g, names[FACILITIES + i], weight="length")
        expected = sorted(lengths[names[f]] for f in range(FACILITIES) if f % 6 == 3)[:5]
        got = [f["properties"]["network_distance_m"] for f in body["features"]]
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=0.06)
        assert {f["properties"]["code"] for f in body["features"]} <= rare
    assert answered.count("search") > ORIGINS / 2
    engine = roads_client.app.state.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        insert_facilities(conn, [_records(olon[:1], olat[:1])[0].model_copy(update={"code": "HEL-NEW"})])
    snapshot = _refreshed(roads_client)
    body = _get(roads_client, lon=olon[0], lat=olat[0], metric="network", limit=5)
    assert body["data_revision"] == snapshot.revision
    assert body["features"][0]["properties"]["code"] == "HEL-NEW" and body["query"]["answered_by"] == "labels"
    assert body["features"][0]["properties"]["network_distance_m"] < 0.1


def test_the_event_loop_answers_only_what_the_labels_prove(roads_client: TestClient) -> None:
    """find_by_road(search=False), the event loop's attempt: the search's exact answer whenever the
    labels prove it, RoadSearchNeeded otherwise (then the thread runs the search), and never any
    snapping of a whole revision the poller has not labelled yet."""
    state = roads_client.app.state  # type: ignore[attr-defined]
    index = road_index("Helsinki", "ebike")
    olon, olat = seeded_points(index.graph, ORIGINS, seed=22)
    _refreshed(roads_client)
    outcomes = []
    for i in range(ORIGINS):
        for filters in ({}, {"kinds": ["rest_base"], "amenities": ["toilet"]}):
            query = NearestQuery(lon=float(olon[i]), lat=float(olat[i]), limit=5, **filters)  # type: ignore[arg-type]
            searched = find_by_road(state.nearest, state.roads, query, "ebike")
            try:
                on_loop = find_by_road(state.nearest, state.roads, query, "ebike", search=False)
            except RoadSearchNeeded:
                outcomes.append("thread")
                assert searched.answered_by == "search"
                continue
            outcomes.append("loop")
            assert on_loop.answered_by == "labels" == searched.answered_by
            assert [h.hit.position for h in on_loop.hits] == [h.hit.position for h in searched.hits]
            assert [h.network_distance_m for h in on_loop.hits] == [h.network_distance_m for h in searched.hits]
    assert "loop" in outcomes and "thread" in outcomes
    with state.engine.begin() as conn:  # a new revision, not yet labelled
        insert_facilities(conn, [_records(olon[:1], olat[:1])[0].model_copy(update={"code": "HEL-NEW"})])
    state.nearest.refresh()
    revision = state.nearest.snapshot.revision
    with pytest.raises(RoadSearchNeeded):
        find_by_road(state.nearest, state.roads, NearestQuery(lon=float(olon[0]), lat=float(olat[0])), "ebike", False)
    assert state.roads.labelled_targets("ebike", revision) is None
    assert (revision, "ebike") not in state.roads._current().targets  # nothing snapped on the loop
    body = _get(roads_client, lon=olon[0], lat=olat[0], metric="network", limit=5)  # the thread's search
    assert body["query"]["answered_by"] == "search" and body["features"][0]["properties"]["code"] == "HEL-NEW"


def _refreshed(client: TestClient):  # type: ignore[no-untyped-def]
    """What the lifespan's poller does every GEO_INDEX_REFRESH_S: the index, then the road labels."""
    state = client.app.state  # type: ignore[attr-defined]
    state.nearest.refresh()
    snapshot = state.nearest.snapshot
    state.roads.prepare(snapshot.revision, snapshot.lon, snapshot.lat)
    return snapshot


def test_filters_apply_by_road_and_straight_line_stays_the_default(roads_client: TestClient) -> None:
    index = road_index("Helsinki", "ebike")
    lon, lat = seeded_points(index.graph, 1, seed=23)
    params = {"lon": lon[0], "lat": lat[0], "limit": 5}
    straight = _get(roads_client, **params)
    assert "network_distance_m" not in straight["features"][0]["properties"] and "attribution" not in straight
    distances = [f["properties"]["distance_m"] for f in straight["features"]]
    assert distances == sorted(distances)
    toilets = _get(roads_client, **params, metric="network", amenity="toilet", kind="station")
    assert toilets["features"]
    for feature in toilets["features"]:
        assert feature["properties"]["kind"] == "station" and "toilet" in feature["properties"]["amenities"]
    ready = roads_client.get("/readyz").json()
    assert ready["road_network"]["source"] == "Helsinki.osm.pbf" and ready["road_network"]["built_at"]
    assert ready["road_network"]["profiles"] == ["ebike", "drive"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"metric": "network", "profile": "truck"}, "profile"),  # not built into this file
        ({"metric": "network", "profile": "boat"}, "profile"),
        ({"metric": "roads"}, "metric"),
        ({"metric": "network", "max_distance_m": "nan"}, "max_distance_m"),
    ],
)
def test_bad_network_queries_are_422(roads_client: TestClient, params: dict, parameter: str) -> None:
    index = road_index("Helsinki", "ebike")
    response = roads_client.get(NEAREST, params={"lon": index.graph.lon[0], "lat": index.graph.lat[0], **params})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", parameter]


def test_a_point_far_from_every_road_is_422(roads_client: TestClient) -> None:
    graph = road_index("Helsinki", "ebike").graph
    response = roads_client.get(
        NEAREST, params={"lon": graph.lon.max() + 0.2, "lat": graph.lat.max(), "metric": "network"}
    )
    assert response.status_code == 422
    assert "road" in response.json()["detail"][0]["msg"]


def test_without_a_network_file_metric_network_says_how_to_build_one(client) -> None:
    response = client.get(NEAREST, params={"lon": 117.97, "lat": 37.38, "metric": "network"})
    assert response.status_code == 422
    assert "network build" in response.json()["detail"][0]["msg"]
    assert client.get(NEAREST, params={"lon": 117.97, "lat": 37.38}).status_code == 200


def test_the_poller_builds_labels_and_rebuilds_them_after_an_edit(
    empty_engine: Engine, empty_db_url: str, tmp_path: Path
) -> None:
    """Nobody calls prepare here: the lifespan's poller builds the labels after the start and again for
    the data revision an insert makes (until then the search answers)."""
    setup.upgrade_schema(empty_engine)
    setup.load_boundaries(empty_engine, DATA_DIR)
    graph = road_index("Helsinki", "ebike").graph
    lon, lat = seeded_points(graph, FACILITIES, seed=21)
    with empty_engine.begin() as conn:
        insert_facilities(conn, _records(lon, lat))
    olon, olat = seeded_points(graph, 1, seed=24)
    settings = Settings(db_url=empty_db_url, network_path=write_network(tmp_path / "network.npz"), index_refresh_s=0.05)
    params = {"lon": olon[0], "lat": olat[0], "metric": "network", "limit": 3}
    with TestClient(create_app(settings)) as client:
        before = _until_labels(client, params)
        with empty_engine.begin() as conn:
            insert_facilities(conn, [_records(olon, olat)[0].model_copy(update={"code": "HEL-NEW"})])
        after = _until_labels(client, params, revision=before["data_revision"] + 1)
    assert after["features"][0]["properties"]["code"] == "HEL-NEW"
    assert [f["properties"]["code"] for f in after["features"][1:]] == [
        f["properties"]["code"] for f in before["features"][:2]
    ]


def _until_labels(client: TestClient, params: dict, revision: int = 0) -> dict:
    """The first answer from the labels at data revision ≥ `revision` (the poller runs every 0.05 s)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = _get(client, **params)
        if body["query"]["answered_by"] == "labels" and body["data_revision"] >= revision:
            return body
        time.sleep(0.05)
    raise AssertionError(f"no answer from the labels at revision {revision}: {body['query']}")
