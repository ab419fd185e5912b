"""Coverage and planning endpoints on both backends: a hand-built district, and Binzhou checked by
an independent Monte-Carlo estimate (UTM 50N + KD-tree, not our polygons)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Geod, Transformer
from sqlalchemy import Engine

from geo_service.analysis.metric import local_frame
from geo_service.app import create_app
from geo_service.queries.districts import upsert_districts
from geo_service.queries.facilities import insert_facilities
from geo_service.records import DistrictRecord, FacilityRecord
from geo_service.services import setup
from geo_service.settings import Settings
from tests.databases import DATA_DIR

GEOD = Geod(ellps="WGS84")
FRAME = local_frame(118.0, 37.4)  # the fixture is drawn in metres around this point
R = 1000.0


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = FRAME.to_wgs84.transform(x, y)
    return float(lon), float(lat)


@pytest.fixture
def square_client(empty_engine: Engine, empty_db_url: str) -> Iterator[TestClient]:
    """A 10 km × 10 km district with three stations: one half outside on the west edge, two overlapping."""
    setup.upgrade_schema(empty_engine)
    square = shapely.segmentize(shapely.box(-5000, -5000, 5000, 5000), 100)
    district = DistrictRecord(
        adcode="999001",
        name="测试区",
        level="district",
        population=10_000,
        population_year=2020,
        seat_lon=118.0,
        seat_lat=37.4,
        wkt=FRAME.unproject(square).wkt,
    )
    sites = [(-5000.0, 0.0), (1000.0, 1000.0), (2200.0, 1000.0)]
    records = [
        FacilityRecord(
            code=f"T{i}",
            kind="station",
            name=f"T{i}",
            district_adcode="999001",
            lon=_lonlat(*xy)[0],
            lat=_lonlat(*xy)[1],
        )
        for i, xy in enumerate(sites)
    ]
    with empty_engine.begin() as conn:
        upsert_districts(conn, [district])
        insert_facilities(conn, records)
    with TestClient(create_app(Settings(db_url=empty_db_url))) as client:
        yield client


def _lens(r: float, d: float) -> float:
    return 2 * r * r * math.acos(d / (2 * r)) - (d / 2) * math.sqrt(4 * r * r - d * d)


COVERED_KM2 = (math.pi * R**2 / 2 + 2 * math.pi * R**2 - _lens(R, 1200.0)) / 1e6


def test_hand_built_fixture_is_exact_to_a_tenth_of_a_percent(square_client: TestClient) -> None:
    summary = square_client.get("/api/v1/coverage/summary", params={"radius_m": R}).json()
    row = summary["districts"][0]
    assert row["area_km2"] == pytest.approx(100.0, rel=1e-3)
    assert row["covered_km2"] == pytest.approx(COVERED_KM2, rel=1e-3)
    assert row["covered_area_pct"] == pytest.approx(COVERED_KM2, rel=1e-3)  # of 100 km²
    # T0 sits exactly on the boundary: it covers half a disc inside, and counts once, in its stated district
    # (the district every count of the product uses, not whether its point falls inside the polygon)
    assert row["facilities"] == 3 and row["demand"] == pytest.approx(10_000)
    gaps = square_client.get("/api/v1/coverage/gaps", params={"radius_m": R}).json()
    assert len(gaps["features"]) == 1
    assert gaps["features"][0]["properties"]["area_km2"] == pytest.approx(100 - COVERED_KM2, rel=1e-3)
    gap = shapely.geometry.shape(gaps["features"][0]["geometry"])
    assert gap.is_valid and abs(GEOD.geometry_area_perimeter(gap)[0]) / 1e6 == pytest.approx(
        100 - COVERED_KM2, rel=2e-3
    )


def test_supplied_demand_and_plan_on_the_fixture(square_client: TestClient) -> None:
    """One demand point 4 km east of everything: the single suggested site must reach it."""
    target = _lonlat(4500.0, -4000.0)
    demand = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(target)},
                "properties": {"weight": 7},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(_lonlat(1500, 1000))},
                "properties": {"weight": 3},
            },
        ],
    }
    body = square_client.post("/api/v1/plan/sites", json={"count": 1, "radius_m": R, "demand": demand}).json()
    assert body["coverage_before"]["demand_pct"] == pytest.approx(30.0)
    assert body["coverage_after"]["demand_pct"] == pytest.approx(100.0)
    site = body["features"][0]["properties"]
    assert GEOD.inv(site["lon"], site["lat"], *target)[2] <= R
    assert site["gain_demand"] == pytest.approx(7.0)


def test_binzhou_gap_area_agrees_with_monte_carlo(client) -> None:
    """Uniform points by area (UTM 50N, independent of our frames and polygons); covered = KD-tree."""
    gaps = client.get("/api/v1/coverage/gaps", params={"preset": "walk-15"}).json()
    summary = client.get("/api/v1/coverage/summary", params={"preset": "walk-15"}).json()
    stations = client.get("/api/v1/facilities", params={"kind": "station", "status": "open", "limit": 500}).json()
    city = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in gaps["features"]])
    boundary_area = sum(r["area_km2"] for r in summary["districts"])
    utm = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    boundary = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in _districts()])
    sx, sy = utm.transform(*np.array([f["geometry"]["coordinates"] for f in stations["features"]]).T)
    rng = np.random.default_rng(5)
    west, south, east, north = shapely.transform(boundary, lambda xy: np.column_stack(utm.transform(*xy.T))).bounds
    px, py = rng.uniform(west, east, 400_000), rng.uniform(south, north, 400_000)
    inv = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
    lon, lat = inv.transform(px, py)
    inside = shapely.contains_xy(boundary, lon, lat)
    from scipy.spatial import cKDTree

    distances, _ = cKDTree(np.column_stack([sx, sy])).query(np.column_stack([px[inside], py[inside]]))
    uncovered_share = float((distances > 1000).mean())
    gap_total = sum(f["properties"]["area_km2"] for f in gaps["features"])
    assert gap_total == pytest.approx(uncovered_share * boundary_area, rel=0.01)
    assert not city.is_empty


def _districts() -> list[dict]:
    import json

    data = json.loads((DATA_DIR / "boundaries" / "binzhou.geojson").read_text(encoding="utf-8"))
    return [f for f in data["features"] if f["properties"]["level"] == "district"]


def test_binzhou_districts_add_up_to_the_total(client) -> None:
    summary = client.get("/api/v1/coverage/summary", params={"radius_m": 800}).json()
    rows, total = summary["districts"], summary["total"]
    for key in ("area_km2", "covered_km2", "demand", "demand_covered", "facilities", "population"):
        assert sum(r[key] for r in rows) == pytest.approx(total[key], rel=1e-9), key
    city_km2 = abs(GEOD.geometry_area_perimeter(shapely.geometry.shape(next(f for f in _city())["geometry"]))[0]) / 1e6
    assert total["area_km2"] == pytest.approx(city_km2, rel=1e-3)
    assert "population-weighted" in summary["demand_method"]


def _city() -> list[dict]:
    import json

    data = json.loads((DATA_DIR / "boundaries" / "binzhou.geojson").read_text(encoding="utf-8"))
    return [f for f in data["features"] if f["properties"]["level"] == "city"]


def test_exports(client) -> None:
    csv = client.get("/api/v1/coverage/summary", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and "滨城区" in csv.content.decode("utf-8-sig")
    xlsx = client.get("/api/v1/coverage/summary", params={"format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    grid = client.get("/api/v1/coverage/grid", params={"cell": "h3:7", "district": "阳信县"}).json()
    assert grid["features"] and all(f["properties"]["distance_m"] >= 0 for f in grid["features"])


def test_plan_never_duplicates_a_locked_facility(client) -> None:
    stations = client.get("/api/v1/facilities", params={"kind": "station", "status": "open", "limit": 30}).json()
    existing = [f["geometry"]["coordinates"] for f in stations["features"]]
    candidates = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": c}, "properties": {"name": f"已有{i}"}}
            for i, c in enumerate(existing)
        ]
        + [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [117.5, 37.9]},
                "properties": {"name": "新"},
            }
        ],
    }
    body = client.post("/api/v1/plan/sites", json={"count": 5, "preset": "walk-15", "candidates": candidates}).json()
    assert [f["properties"]["name"] for f in body["features"]] == ["新"]
    gains = [f["properties"]["gain_demand"] for f in body["features"]]
    assert gains == sorted(gains, reverse=True)


def test_greedy_plan_gains_are_non_increasing(client) -> None:
    body = client.post(
        "/api/v1/plan/sites", json={"count": 10, "preset": "walk-15", "solver": "greedy", "district": ["阳信县"]}
    ).json()
    gains = [f["properties"]["gain_demand"] for f in body["features"]]
    assert len(gains) == 10 and gains == sorted(gains, reverse=True)
    assert body["coverage_after"]["demand_pct"] > body["coverage_before"]["demand_pct"]
    assert body["solver"] == "greedy"


BAD_POLYGON = {
    "type": "Polygon",
    "coordinates": [[[117.5, 37.5], [117.7, 37.7], [117.7, 37.5], [117.5, 37.7], [117.5, 37.5]]],
}


@pytest.mark.parametrize(
    ("method", "path", "payload", "loc"),
    [
        ("get", "/api/v1/coverage/gaps", {"radius_m": 0}, ["query", "radius_m"]),
        ("get", "/api/v1/coverage/gaps", {"radius_m": 1e6}, ["query", "radius_m"]),
        ("get", "/api/v1/coverage/gaps", {"preset": "jog-5"}, ["query", "preset"]),
        ("get", "/api/v1/coverage/summary", {"district": "朝阳区"}, ["query", "district"]),
        ("get", "/api/v1/coverage/summary", {"kind": "spaceport"}, ["query", "kind"]),
        ("get", "/api/v1/coverage/grid", {"cell": "square:5"}, ["query", "cell"]),
        ("get", "/api/v1/coverage/grid", {"cell": "hex:9"}, ["query", "cell"]),
        ("post", "/api/v1/plan/sites", {"count": 501}, ["body", "count"]),
        ("post", "/api/v1/plan/sites", {"count": 5, "radius_m": -1}, ["body", "radius_m"]),
        ("post", "/api/v1/plan/sites", {"count": 5, "district": ["朝阳区"]}, ["body", "district"]),
        (
            "post",
            "/api/v1/plan/sites",
            {
                "count": 5,
                "demand": {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "geometry": {"type": "Point", "coordinates": [118, 37]},
                            "properties": {"weight": -2},
                        }
                    ],
                },
            },
            ["body", "demand"],
        ),
        ("post", "/api/v1/plan/sites", {"count": 5, "demand": {"type": "Feature"}}, ["body", "demand"]),
        (
            "post",
            "/api/v1/plan/sites",
            {
                "count": 5,
                "candidates": {
                    "type": "FeatureCollection",
                    "features": [
                        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}}
                    ],
                },
            },
            ["body", "candidates"],
        ),
        ("post", "/api/v1/plan/sites", {"count": 5, "area": BAD_POLYGON}, ["body", "area"]),
        ("post", "/api/v1/plan/sites", {"count": 0}, ["body", "count"]),
    ],
)
def test_bad_input_is_4xx_naming_the_problem(client, method: str, path: str, payload: dict, loc: list) -> None:
    response = client.get(path, params=payload) if method == "get" else client.post(path, json=payload)
    assert response.status_code == 422, response.text
    assert [d["loc"][:2] for d in response.json()["detail"]] == [loc]


def test_openapi_documents_the_plan_geojson_and_the_presets(client) -> None:
    from geo_service.services.study_area import PRESETS

    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/v1/plan/sites"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    plan_schema = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    refs = {s.get("$ref", "").rsplit("/", 1)[-1] for s in plan_schema["properties"]["candidates"]["anyOf"]}
    assert "FeatureCollection_PointFeature_" in refs and "Point" in spec["components"]["schemas"]
    gaps = spec["paths"]["/api/v1/coverage/gaps"]["get"]["parameters"]
    preset = next(p for p in gaps if p["name"] == "preset")
    assert all(name in preset["description"] for name in PRESETS)
