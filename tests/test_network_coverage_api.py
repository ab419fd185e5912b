"""Coverage and planning by road (metric=network) over HTTP, on both backends: two districts laid over the
real Helsinki extract, seeded stations on it; reached demand, gaps, grid costs and the plan are checked
against networkx's Dijkstra on the same graph; bad budgets are named 422s checked before any work."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

import networkx as nx
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine

from geo_service.analysis.metric import zones
from geo_service.app import create_app
from geo_service.db.engine import make_engine
from geo_service.queries.districts import upsert_districts
from geo_service.queries.facilities import insert_facilities
from geo_service.records import DistrictRecord, FacilityRecord
from geo_service.services import setup
from geo_service.services.study_area import load_study_area, piece_demand
from geo_service.settings import Settings
from tests.databases import BACKENDS, new_database
from tests.road_support import road_index, seeded_points, write_network

STATIONS = 4
MAX_SNAP_M = 2_000.0  # the settings' default
_ENGINES: dict[TestClient, Engine] = {}  # the database behind each module server


@pytest.fixture(scope="module", params=BACKENDS)
def roads_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("netcov")
    with new_database(str(request.param), tmp) as url:
        settings = Settings(db_url=url, network_path=write_network(tmp / "network.npz", profiles=("walk", "ebike")))
        engine = make_engine(settings)
        setup.upgrade_schema(engine)
        with engine.begin() as conn:
            _place_on_helsinki(conn)
        with TestClient(create_app(settings)) as client:
            _ENGINES[client] = engine
            yield client
        engine.dispose()


def _place_on_helsinki(conn: Connection) -> None:
    """Two districts (the west and east halves of the extract's box) and seeded stations."""
    graph = road_index("Helsinki", "walk").graph
    west, east, south, north = graph.lon.min(), graph.lon.max(), graph.lat.min(), graph.lat.max()
    middle = (west + east) / 2
    halves = [(west, middle), (middle, east)]
    lon, lat = seeded_points(graph, STATIONS, seed=41)
    upsert_districts(
        conn,
        [
            DistrictRecord(
                adcode=f"99000{i + 1}",
                name=f"赫尔辛基测试区 {i + 1}",
                level="district",
                population=20_000,
                population_year=2024,
                seat_lon=(a + b) / 2,
                seat_lat=(south + north) / 2,
                wkt=shapely.box(a, south, b, north).wkt,
            )
            for i, (a, b) in enumerate(halves)
        ],
    )
    insert_facilities(
        conn,
        [
            FacilityRecord(
                code=f"HEL-C{i}",
                kind="station",
                name=f"测试驿站 {i}",
                district_adcode=f"99000{1 + (x > middle)}",
                lon=float(x),
                lat=float(y),
                is_sample=True,
            )
            for i, (x, y) in enumerate(zip(lon, lat, strict=True))
        ],
    )


def _brute(profile: str, cost: str) -> tuple[nx.DiGraph, np.ndarray]:
    """networkx on the same graph, and every node's position in the network's metric frame."""
    index = road_index("Helsinki", profile)
    graph = index.graph
    weights = graph.length_m if cost == "length" else graph.time_s
    g = nx.DiGraph()
    for tail, head, weight in zip(graph.tails(), graph.indices, weights, strict=True):
        g.add_edge(int(tail), int(head), weight=float(weight))
    return g, index.xy


def _nearest_node(profile: str, lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: the nearest node of each point and its distance (metres, in the network's frame)."""
    index = road_index("Helsinki", profile)
    points = index.frame.project_points(lonlat)
    gaps = np.hypot(*(points[:, None, :] - index.xy[None, :, :]).transpose(2, 0, 1))
    nearest = gaps.argmin(axis=1)
    return nearest, gaps[np.arange(len(points)), nearest]


def _to_sites(g: nx.DiGraph, sources: set[int], limit: float) -> dict[int, float]:
    """Each node's cost to the nearest of `sources` (the rider rides to the station), within `limit`."""
    found = nx.multi_source_dijkstra_path_length(g.reverse(copy=False), sources, cutoff=limit, weight="weight")
    return {int(node): float(cost) for node, cost in found.items()}


def _stations(client: TestClient) -> np.ndarray:
    body = client.get("/api/v1/facilities", params={"kind": "station", "limit": 100}).json()
    return np.array([f["geometry"]["coordinates"] for f in body["features"]])


def _demand(client: TestClient) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The default demand surface per district (the model is not what is under test here)."""
    with _ENGINES[client].connect() as conn:
        area = load_study_area(conn, ["station"], [])
    found = []
    for zone in zones([d.geom for d in area.districts]):
        for district, part in zip(area.districts, zone.parts, strict=True):
            xy, weights = piece_demand(district, part, zone.frame, zone.frame.project(part), None, 500.0)
            found.append((district.adcode, zone.frame.unproject_points(xy), weights))
    return found


@pytest.mark.parametrize(
    ("profile", "budget", "cost"), [("walk", {"radius_m": 250}, "length"), ("ebike", {"max_time_s": 40}, "time")]
)
def test_summary_and_gaps_by_road_equal_networkx(roads_app: TestClient, profile: str, budget: dict, cost: str) -> None:
    params = {"metric": "network", "profile": profile, **budget}
    limit = float(next(iter(budget.values())))
    g, _ = _brute(profile, cost)
    station_nodes, station_snap = _nearest_node(profile, _stations(roads_app))
    to_site = _to_sites(g, set(station_nodes[station_snap <= MAX_SNAP_M].tolist()), limit)
    expected = {}
    for adcode, lonlat, weights in _demand(roads_app):
        nodes, snap = _nearest_node(profile, lonlat)
        reached = np.array([to_site.get(int(n), np.inf) <= limit for n in nodes]) & (snap <= MAX_SNAP_M)
        expected[adcode] = (float(weights.sum()), float(weights[reached].sum()))
    assert 0 < sum(r for _, r in expected.values()) < sum(d for d, _ in expected.values())  # the test can fail

    response = roads_app.get("/api/v1/coverage/summary", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    got = {row["adcode"]: (row["demand"], row["demand_covered"]) for row in body["districts"]}
    assert got.keys() == expected.keys()
    for adcode, (demand, reached) in expected.items():
        assert got[adcode] == pytest.approx((demand, reached), rel=1e-9)
    assert body["metric"] == "network" and body["profile"] == profile
    assert (
        body[next(iter(budget))] == limit and "OpenStreetMap" in body["attribution"] and "ODbL" in body["attribution"]
    )
    assert body["network"]["source"] == "Helsinki.osm.pbf" and "buffered" in body["service_area"]
    unit = "distance_m" if cost == "length" else "time_s"
    assert f"p90_{unit}" in body["total"] and f"mean_{unit}" in body["total"]

    _check_gaps(roads_app.get("/api/v1/coverage/gaps", params=params).json(), expected, to_site, profile, limit)


def _check_gaps(gaps: dict, expected: dict, to_site: dict[int, float], profile: str, limit: float) -> None:
    """Uncovered demand per district as expected; the gaps leave out every reached node, keep others."""
    assert gaps["metric"] == "network" and "OpenStreetMap" in gaps["attribution"]
    uncovered = {f["properties"]["adcode"]: f["properties"]["uncovered_demand"] for f in gaps["features"]}
    for adcode, (demand, reached) in expected.items():
        assert uncovered.get(adcode, 0.0) == pytest.approx(demand - reached, rel=1e-9, abs=1e-9)
    graph = road_index("Helsinki", profile).graph
    gap = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in gaps["features"]])
    reached_nodes = [n for n, c in to_site.items() if c <= limit]
    inside = shapely.points(graph.lon[reached_nodes], graph.lat[reached_nodes])
    assert not shapely.contains(gap, inside).any()
    far = [n for n in range(graph.node_count) if n not in to_site]
    assert shapely.contains(gap, shapely.points(graph.lon[far], graph.lat[far])).any()


def test_grid_by_road_reports_each_cells_road_distance(roads_app: TestClient) -> None:
    limit = 400.0
    params = {"metric": "network", "profile": "walk", "radius_m": limit, "cell": "square:200"}
    response = roads_app.get("/api/v1/coverage/grid", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metric"] == "network" and "OpenStreetMap" in body["attribution"]
    g, _ = _brute("walk", "length")
    station_nodes, _ = _nearest_node("walk", _stations(roads_app))
    to_site = _to_sites(g, set(station_nodes.tolist()), limit)
    centres = np.array([shapely.geometry.shape(f["geometry"]).centroid.coords[0] for f in body["features"]])
    # the grid measures from each cell's centre (the centroid of the clipped square)
    nodes, _ = _nearest_node("walk", centres)
    got = [f["properties"]["network_distance_m"] for f in body["features"]]
    expected = [to_site.get(int(n)) for n in nodes]
    assert any(e is None for e in expected) and any(e is not None for e in expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert (mine is None) == (theirs is None)
        if theirs is not None:
            assert mine == pytest.approx(theirs, rel=1e-6, abs=1e-6)


def test_plan_by_road_is_the_optimum_networkx_finds(roads_app: TestClient) -> None:
    graph = road_index("Helsinki", "walk").graph
    demand = np.column_stack(seeded_points(graph, 150, seed=42))
    candidates = np.column_stack(seeded_points(graph, 8, seed=43))
    limit, count = 200.0, 2
    spec = {
        "count": count,
        "metric": "network",
        "profile": "walk",
        "radius_m": limit,
        "solver": "exact",
        "demand": _points(demand, weight=True),
        "candidates": _points(candidates),
    }
    response = roads_app.post("/api/v1/plan/sites", json=spec)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metric"] == "network" and body["profile"] == "walk" and "OpenStreetMap" in body["attribution"]

    g, _ = _brute("walk", "length")
    demand_nodes, _ = _nearest_node("walk", demand)
    stations, _ = _nearest_node("walk", _stations(roads_app))
    candidate_nodes, _ = _nearest_node("walk", candidates)

    def covered(sites: list[int]) -> int:
        to_site = _to_sites(g, set(stations.tolist()) | set(sites), limit)
        return sum(to_site.get(int(n), np.inf) <= limit for n in demand_nodes)

    before = covered([])
    best = max(covered([int(candidate_nodes[a]), int(candidate_nodes[b])]) for a, b in combinations(range(8), 2))
    assert before < best
    assert body["coverage_before"]["demand_pct"] == pytest.approx(100 * before / len(demand))
    assert body["coverage_after"]["demand_pct"] == pytest.approx(100 * best / len(demand))
    chosen = [int(candidate_nodes[f["properties"]["candidate_id"]]) for f in body["features"]]
    assert covered(chosen) == best


def _points(lonlat: np.ndarray, weight: bool = False) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
                "properties": {"weight": 1} if weight else {"candidate_id": i},
            }
            for i, (x, y) in enumerate(lonlat)
        ],
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"metric": "network", "profile": "truck", "radius_m": 500}, "profile"),  # not in this network file
        ({"metric": "network", "max_time_s": 999_999}, "max_time_s"),  # over GEO_NETWORK_MAX_TIME_S
        ({"metric": "network", "radius_m": 500, "max_time_s": 60}, "max_time_s"),  # one budget, not two
        ({"metric": "network"}, "max_time_s"),  # no budget
        ({"metric": "network", "preset": "walk-15"}, "preset"),  # presets are straight-line
        ({"metric": "network", "radius_m": 1e9}, "radius_m"),
        ({"max_time_s": 60}, "max_time_s"),  # only by road
        ({"metric": "roads"}, "metric"),
    ],
)
def test_bad_road_budgets_are_named_422s_in_chinese_then_english(
    roads_app: TestClient, params: dict, field: str
) -> None:
    for path in ("/api/v1/coverage/summary", "/api/v1/coverage/gaps", "/api/v1/coverage/grid"):
        response = roads_app.get(path, params=params)
        assert response.status_code == 422, (path, response.text)
        (detail,) = response.json()["detail"]
        assert detail["loc"] == ["query", field]
        zh, _, en = detail["msg"].partition(" / ")
        assert en and any("\u4e00" <= ch <= "\u9fff" for ch in zh), detail["msg"]
    body = {"count": 1, **{k: v for k, v in params.items() if k != "preset"}}
    if "preset" in params:
        body["preset"] = params["preset"]
    response = roads_app.post("/api/v1/plan/sites", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == field


def test_too_many_road_candidates_is_a_422_before_any_search(roads_app: TestClient, monkeypatch) -> None:
    settings = roads_app.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(settings, "network_plan_max_candidates", 3)
    graph = road_index("Helsinki", "walk").graph
    spec = {
        "count": 1,
        "metric": "network",
        "profile": "walk",
        "radius_m": 200,
        "candidates": _points(np.column_stack(seeded_points(graph, 8, seed=44))),
    }
    response = roads_app.post("/api/v1/plan/sites", json=spec)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "candidates"]


def test_without_a_network_coverage_by_road_says_how_to_build_one(client) -> None:
    response = client.get("/api/v1/coverage/summary", params={"metric": "network", "radius_m": 500})
    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert detail["loc"] == ["query", "metric"] and "network build" in detail["msg"]
    assert detail["msg"].startswith("尚未建立道路网")
