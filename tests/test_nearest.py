"""GET /api/v1/facilities/nearest against an independent brute force (pyproj.Geod over the sample file)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import eviltransform
import numpy as np
import pytest
from pyproj import Geod

from geo_service.data_files import SAMPLE_FACILITIES
from tests.databases import DATA_DIR

GEOD = Geod(ellps="WGS84")
SAMPLE = json.loads((DATA_DIR / SAMPLE_FACILITIES).read_text(encoding="utf-8"))["features"]
OPEN = [f for f in SAMPLE if f["properties"]["status"] == "open"]
LON = np.array([f["geometry"]["coordinates"][0] for f in OPEN])
LAT = np.array([f["geometry"]["coordinates"][1] for f in OPEN])
AMENITY_CHOICES = [(), (), ("toilet",), ("ebike_charging",), ("truck_parking",), ("microwave", "toilet"), ("aed",)]
KIND_CHOICES = [(), (), ("station",), ("rest_base",), ("station", "mediation_centre")]


def brute_force(lon: float, lat: float, kinds, amenities, limit: int, max_distance_m: float | None):
    keep = np.array(
        [
            (not kinds or f["properties"]["kind"] in kinds) and set(amenities) <= set(f["properties"]["amenities"])
            for f in OPEN
        ]
    )
    _, _, dist = GEOD.inv(np.full(len(OPEN), lon), np.full(len(OPEN), lat), LON, LAT)
    dist = np.where(keep, dist, np.inf)
    if max_distance_m is not None:
        dist = np.where(dist <= max_distance_m, dist, np.inf)
    order = np.argsort(dist, kind="stable")[:limit]
    return [(OPEN[i]["properties"]["code"], float(dist[i])) for i in order if np.isfinite(dist[i])]


def _query(client, **params):
    response = client.get("/api/v1/facilities/nearest", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    return response.json()["features"]


def test_matches_brute_force_for_1000_seeded_queries(client) -> None:
    rng = np.random.default_rng(20261124)
    for _ in range(1000):
        lon, lat = float(rng.uniform(117.1, 118.6)), float(rng.uniform(36.6, 38.4))
        kinds = KIND_CHOICES[rng.integers(len(KIND_CHOICES))]
        amenities = AMENITY_CHOICES[rng.integers(len(AMENITY_CHOICES))]
        limit = int(rng.integers(1, 12))
        radius = None if rng.random() < 0.7 else float(rng.uniform(500, 20_000))
        params = {"lon": lon, "lat": lat, "kind": list(kinds), "amenity": list(amenities), "limit": limit}
        if radius is not None:
            params["max_distance_m"] = radius
        got = [(f["properties"]["code"], f["properties"]["distance_m"]) for f in _query(client, **params)]
        expected = brute_force(lon, lat, kinds, amenities, limit, radius)
        assert len(got) == len(expected), params
        for (code, distance), (want_code, want_distance) in zip(got, expected, strict=True):
            assert distance == pytest.approx(want_distance, rel=1e-3, abs=1.0), params
            if code != want_code:  # only a tie may swap places
                assert abs(distance - want_distance) <= 1.0, params
        distances = [d for _, d in got]
        assert distances == sorted(distances)


def test_only_open_facilities_by_default(client) -> None:
    closed = {f["properties"]["code"] for f in SAMPLE if f["properties"]["status"] != "open"}
    for feature in SAMPLE:
        if feature["properties"]["code"] in closed:
            lon, lat = feature["geometry"]["coordinates"]
            codes = {f["properties"]["code"] for f in _query(client, lon=lon, lat=lat, limit=3)}
            assert feature["properties"]["code"] not in codes


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_vendor_coordinates_give_the_same_answer(client, system: str) -> None:
    """A phone reporting GCJ-02/BD-09 (converted here by an independent library) gets the WGS-84 answer."""
    import prcoords

    rng = np.random.default_rng(3)
    for _ in range(50):
        lon, lat = float(rng.uniform(117.3, 118.4)), float(rng.uniform(36.8, 38.2))
        if system == "gcj02":
            v_lat, v_lon = eviltransform.wgs2gcj(lat, lon)
        else:
            bd = prcoords.wgs_bd(prcoords.Coords(lat, lon))
            v_lat, v_lon = bd.lat, bd.lon
        expected = _query(client, lon=lon, lat=lat, limit=5)
        got = _query(client, lon=v_lon, lat=v_lat, crs=system, limit=5)
        assert [f["id"] for f in got] == [f["id"] for f in expected]
        for a, b in zip(got, expected, strict=True):
            assert a["properties"]["distance_m"] == pytest.approx(b["properties"]["distance_m"], abs=1.0)


def test_ignoring_the_crs_would_be_wrong(client) -> None:
    """The ~530 m GCJ-02 shift changes the distance a rider is told; the conversion is not cosmetic."""
    lon, lat = 117.97, 37.38
    g_lat, g_lon = eviltransform.wgs2gcj(lat, lon)
    right = _query(client, lon=g_lon, lat=g_lat, crs="gcj02", limit=1)[0]["properties"]["distance_m"]
    wrong = _query(client, lon=g_lon, lat=g_lat, limit=1)[0]["properties"]["distance_m"]
    truth = _query(client, lon=lon, lat=lat, limit=1)[0]["properties"]["distance_m"]
    assert right == pytest.approx(truth, abs=1.0)
    assert abs(wrong - truth) > 50


NEAREST_PROPERTIES = {
    "id",
    "code",
    "kind",
    "name",
    "address",
    "district",
    "distance_m",
    "bearing",
    "amenities",
    "amenity_labels",
    "opening_hours",
    "open_now",
    "open_state",
    "hours_text",
    "state_text",
    "changes_at",
    "access_method",
    "status",
    "last_verified_at",
    "is_sample",
    "navigation",
}


def test_properties_and_navigation_links(client) -> None:
    feature = _query(client, lon=117.97, lat=37.38, limit=1, mode="drive")[0]
    props = feature["properties"]
    lon, lat = feature["geometry"]["coordinates"]
    assert set(props) >= NEAREST_PROPERTIES
    _, _, dist = GEOD.inv(117.97, 37.38, lon, lat)
    az, _, _ = GEOD.inv(117.97, 37.38, lon, lat)
    assert props["distance_m"] == pytest.approx(dist, abs=0.1)
    assert props["bearing"] == pytest.approx(az % 360, abs=0.1)
    nav = {name: (urlsplit(url), parse_qs(urlsplit(url).query)) for name, url in props["navigation"].items()}
    amap = nav["amap"][1]
    assert nav["amap"][0].netloc == "uri.amap.com" and amap["coordinate"] == ["wgs84"] and amap["mode"] == ["car"]
    assert [float(v) for v in amap["to"][0].split(",")[:2]] == pytest.approx([lon, lat], abs=1e-6)
    baidu = nav["baidu"][1]
    assert baidu["coord_type"] == ["wgs84"] and baidu["mode"] == ["driving"] and baidu["src"]
    dest = baidu["destination"][0].split("|")[0].removeprefix("latlng:")
    assert [float(v) for v in dest.split(",")] == pytest.approx([lat, lon], abs=1e-6)
    tencent = nav["tencent"][1]
    assert tencent["coord_type"] == ["1"] and tencent["type"] == ["drive"] and tencent["referer"]
    assert [float(v) for v in tencent["tocoord"][0].split(",")] == pytest.approx([lat, lon], abs=1e-6)
    assert props["name"] in parse_qs(urlsplit(props["navigation"]["tencent"]).query)["to"][0]


def test_riding_mode_by_default(client) -> None:
    props = _query(client, lon=117.97, lat=37.38, limit=1)[0]["properties"]
    assert "mode=ride" in props["navigation"]["amap"] and "mode=riding" in props["navigation"]["baidu"]
    assert "type=bike" in props["navigation"]["tencent"]


@pytest.mark.parametrize(
    ("params", "parameter", "fragment"),
    [
        ({"lon": 200, "lat": 37.4}, "lon", "[-180, 180]"),
        ({"lon": 117.9, "lat": 100}, "lat", "[-90, 90]"),
        ({"lon": "nan", "lat": 37.4}, "lon", "finite"),
        ({"lon": 117.9, "lat": "inf"}, "lat", "finite"),
        ({"lon": 37.38, "lat": 117.97}, "lat", "swapped"),
        ({"lon": 37.38, "lat": 80.0}, "lon", "outside the service area"),
        ({"lon": 2.35, "lat": 48.85}, "lon", "outside the service area"),
        ({"lat": 37.4}, "lon", "required"),
        ({"lon": 117.9, "lat": 37.4, "limit": 51}, "limit", "between 1 and 50"),
        ({"lon": 117.9, "lat": 37.4, "limit": 0}, "limit", "between 1 and 50"),
        ({"lon": 117.9, "lat": 37.4, "max_distance_m": 60000}, "max_distance_m", "at most"),
        ({"lon": 117.9, "lat": 37.4, "max_distance_m": -5}, "max_distance_m", "> 0"),
        ({"lon": 117.9, "lat": 37.4, "kind": "spaceport"}, "kind", "unknown"),
        ({"lon": 117.9, "lat": 37.4, "amenity": "sauna"}, "amenity", "unknown"),
        ({"lon": 117.9, "lat": 37.4, "crs": "utm"}, "crs", "wgs84"),
        ({"lon": 117.9, "lat": 37.4, "mode": "fly"}, "mode", "ride"),
        ({"lon": 117.9, "lat": 37.4, "at": "tomorrow"}, "at", "datetime"),
    ],
)
def test_bad_input_is_422_naming_the_parameter(client, params: dict, parameter: str, fragment: str) -> None:
    response = client.get("/api/v1/facilities/nearest", params=params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [["query", parameter]]
    assert fragment.lower() in detail[0]["msg"].lower()


def test_fast_path_and_fastapi_route_answer_alike(loaded_db_url: str) -> None:
    """The documented FastAPI route and the fast path in front of it give the same body and errors."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from geo_service.app import create_app
    from geo_service.settings import Settings

    app = create_app(Settings(db_url=loaded_db_url))

    async def without_fast_path(scope, receive, send):
        await FastAPI.__call__(app, scope, receive, send)

    with TestClient(app) as fast:
        slow = TestClient(without_fast_path)
        for params in ({"lon": 117.97, "lat": 37.38, "at": "2026-11-24T10:00"}, {"lon": 117.97, "lat": 100}):
            a, b = (
                fast.get("/api/v1/facilities/nearest", params=params),
                slow.get("/api/v1/facilities/nearest", params=params),
            )
            assert (a.status_code, a.headers["content-type"], a.content) == (
                b.status_code,
                b.headers["content-type"],
                b.content,
            )
        spec = fast.get("/openapi.json").json()["paths"]["/api/v1/facilities/nearest"]["get"]
        assert {p["name"] for p in spec["parameters"]} >= {"lon", "lat", "crs", "kind", "amenity", "open_now", "at"}


def test_openapi_states_the_caps_the_app_serves_with() -> None:
    """Defaults and caps in the documentation come from Settings, not from copied literals."""
    from geo_service.app import create_app
    from geo_service.settings import Settings

    settings = Settings(nearest_default_limit=3, nearest_max_limit=12, nearest_max_distance_m=7000)
    spec = create_app(settings).openapi()["paths"]["/api/v1/facilities/nearest"]["get"]
    schemas = {p["name"]: p["schema"] for p in spec["parameters"]}
    assert (schemas["limit"]["default"], schemas["limit"]["maximum"]) == (3, 12)
    assert schemas["max_distance_m"]["maximum"] == 7000
