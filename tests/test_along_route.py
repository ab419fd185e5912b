"""POST /api/v1/facilities/along-route on a hand-built route with stations placed at known geodesic
positions (left, right, behind the start, beyond the end, just inside and just outside the buffer), on
both backends; the same route as GCJ-02 / BD-09 polylines, GPX and a lon,lat list gives the same answer."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polyline
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from sqlalchemy import Engine

from geo_service.analysis import crs
from geo_service.app import create_app
from geo_service.queries.facilities import insert_facilities
from geo_service.records import FacilityRecord
from geo_service.services import setup
from geo_service.settings import Settings
from tests.databases import DATA_DIR

GEOD = Geod(ellps="WGS84")
ALONG = "/api/v1/facilities/along-route"
LON = 118.0  # the route runs due north along this meridian (a geodesic), through three vertices
ROUTE = [(LON, 37.30), (LON, 37.37), (LON, 37.45)]
BUFFER_M = 1000.0
# code → (along_m, offset_m, side) where placed; a None side marks stations that must not be listed
PLACED = {
    "LEFT": (2000.0, 300.0, "left"),
    "RIGHT": (5000.0, 150.0, "right"),
    "SECOND_LEG": (9000.0, 800.0, "right"),  # past the middle vertex
    "JUST_INSIDE": (12000.0, 995.0, "left"),
    "JUST_OUTSIDE": (7000.0, 1005.0, None),
}
BEHIND = GEOD.fwd(LON, 37.30, 180, 200)[:2]  # 200 m behind the start, inside the round buffer
BEYOND = GEOD.fwd(LON, 37.45, 0, 300)[:2]  # 300 m past the end


def _position(along_m: float, offset_m: float, side: str | None) -> tuple[float, float]:
    foot_lon, foot_lat, _ = GEOD.fwd(LON, 37.30, 0, along_m)
    lon, lat, _ = GEOD.fwd(foot_lon, foot_lat, 270 if side == "left" else 90, offset_m)
    return lon, lat


def _record(code: str, lon: float, lat: float, **extra) -> FacilityRecord:
    return FacilityRecord(
        code=code, kind="station", name=f"{code} 驿站（合成）", district_adcode="371602", lon=lon, lat=lat, **extra
    )


@pytest.fixture
def route_client(empty_engine: Engine, empty_db_url: str) -> Iterator[TestClient]:
    setup.upgrade_schema(empty_engine)
    setup.load_boundaries(empty_engine, DATA_DIR)
    records = [_record(code, *_position(*placed)) for code, placed in PLACED.items()]
    records[1] = records[1].model_copy(update={"amenities": ["truck_parking"], "truck_parking_spaces": 12})
    records[2] = records[2].model_copy(update={"amenities": ["truck_parking"], "truck_parking_spaces": 3})
    records += [_record("BEHIND", *BEHIND), _record("BEYOND", *BEYOND)]
    with empty_engine.begin() as conn:
        insert_facilities(conn, records)
    with TestClient(create_app(Settings(db_url=empty_db_url))) as client:
        yield client


def _along(client: TestClient, **body) -> dict:
    response = client.post(ALONG, json={"buffer_m": BUFFER_M, **body})
    assert response.status_code == 200, response.text
    return response.json()


def _answer(body: dict) -> list[tuple[str, float, float, str]]:
    return [
        (f["properties"]["code"], f["properties"]["along_m"], f["properties"]["offset_m"], f["properties"]["side"])
        for f in body["features"]
    ]


def test_order_along_offset_and_side_are_exact(route_client: TestClient) -> None:
    body = _along(route_client, route={"type": "LineString", "coordinates": ROUTE})
    expected = sorted(((code, *placed) for code, placed in PLACED.items() if placed[2]), key=lambda row: row[1])
    got = _answer(body)
    assert [row[0] for row in got] == [row[0] for row in expected]  # behind, beyond and outside left out
    for (_, along_m, offset_m, side), (_, want_along, want_offset, want_side) in zip(got, expected, strict=True):
        assert along_m == pytest.approx(want_along, abs=0.05)  # the JSON carries 0.1 m
        assert offset_m == pytest.approx(want_offset, abs=0.05)
        assert side == want_side
    route_length = GEOD.inv(LON, 37.30, LON, 37.45)[2]
    assert body["route"]["length_m"] == pytest.approx(route_length, abs=0.05)
    assert body["features"][0]["properties"]["distance_m"] == body["features"][0]["properties"]["offset_m"]


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_vendor_polylines_give_the_wgs84_answer_within_a_metre(route_client: TestClient, system: str) -> None:
    wgs = _answer(_along(route_client, route={"type": "LineString", "coordinates": ROUTE}))
    lon, lat = crs.from_wgs84(np.array([p[0] for p in ROUTE]), np.array([p[1] for p in ROUTE]), system)
    encoded = polyline.encode(list(zip(lat.tolist(), lon.tolist(), strict=True)), 6)
    vendor = _answer(_along(route_client, route=encoded, crs=system, polyline_precision=6))
    assert [row[0] for row in vendor] == [row[0] for row in wgs]
    for mine, theirs in zip(vendor, wgs, strict=True):
        assert abs(mine[1] - theirs[1]) <= 1 and abs(mine[2] - theirs[2]) <= 1 and mine[3] == theirs[3]


def test_gpx_and_lonlat_lists_are_the_same_route(route_client: TestClient) -> None:
    wgs = _answer(_along(route_client, route={"type": "LineString", "coordinates": ROUTE}))
    points = "".join(f'<trkpt lat="{lat}" lon="{lon}"></trkpt>' for lon, lat in ROUTE)
    gpx = f'<?xml version="1.0"?><gpx version="1.1" creator="t"><trk><trkseg>{points}</trkseg></trk></gpx>'
    assert _answer(_along(route_client, route=gpx)) == wgs
    assert _answer(_along(route_client, route=";".join(f"{lon},{lat}" for lon, lat in ROUTE))) == wgs


def test_truck_filter(route_client: TestClient) -> None:
    route = {"type": "LineString", "coordinates": ROUTE}
    assert [row[0] for row in _answer(_along(route_client, route=route, truck_parking=True))] == ["RIGHT", "SECOND_LEG"]
    assert [row[0] for row in _answer(_along(route_client, route=route, min_truck_spaces=5))] == ["RIGHT"]


def _refused(client: TestClient, body: dict | str, status: int = 422) -> dict:
    if isinstance(body, str):
        response = client.post(ALONG, content=body, headers={"content-type": "application/json"})
    else:
        response = client.post(ALONG, json=body)
    assert response.status_code == status, response.text
    return response.json()


@pytest.mark.parametrize(
    ("route", "fragment"),
    [
        ({"type": "LineString", "coordinates": [[118.0, 37.3], [118.0, 37.3]]}, "two distinct points"),
        ("118.0,37.3", "two distinct points"),
        (polyline.encode([(37.3 + i * 1e-5, 118.0) for i in range(100_000)]), "at most"),
        ("<gpx><trk><trkseg>", "GPX"),
        ('<!DOCTYPE gpx [<!ENTITY a "b">]><gpx/>', "DOCTYPE"),
        ("118.0,37.3;200,37.4", "lon within"),
        ({"type": "LineString", "coordinates": [[100.0, 37.3], [110.0, 37.3]]}, "longitude"),
    ],
)
def test_bad_routes_are_422_naming_the_route(route_client: TestClient, route, fragment: str) -> None:
    detail = _refused(route_client, {"route": route})["detail"]
    assert detail[0]["loc"] == ["body", "route"] and fragment in detail[0]["msg"]


def test_bad_numbers_and_codes_are_422(route_client: TestClient) -> None:
    nan_route = '{"route": {"type": "LineString", "coordinates": [[118.0, NaN], [118.0, 37.4]]}}'
    assert _refused(route_client, nan_route)["detail"]
    assert _refused(route_client, '{"route": "118,37.3;118,37.4", "buffer_m": NaN}')["detail"]
    route = {"type": "LineString", "coordinates": ROUTE}
    assert _refused(route_client, {"route": route, "buffer_m": 1e6})["detail"][0]["loc"] == ["body", "buffer_m"]
    assert _refused(route_client, {"route": route, "kind": ["boat"]})["detail"][0]["loc"] == ["body", "kind"]
    long_route = {"type": "LineString", "coordinates": [[115.0, 30.0], [118.0, 40.0]]}
    assert "km" in _refused(route_client, {"route": long_route})["detail"][0]["msg"]
    huge = {"type": "LineString", "coordinates": [[118.0, 37.3 + i * 1e-5] for i in range(100_000)]}
    assert "at most 20000" in _refused(route_client, {"route": huge})["detail"][0]["msg"]


@pytest.mark.parametrize(("lang", "unknown"), [("zh", "营业时间未知"), ("en", "Hours unknown")])
def test_stations_along_say_their_hours_in_words(route_client: TestClient, lang: str, unknown: str) -> None:
    body = _along(route_client, route={"type": "LineString", "coordinates": ROUTE}, lang=lang)
    words = {
        (f["properties"]["hours_text"], f["properties"]["state_text"], f["properties"]["changes_at"])
        for f in body["features"]
    }
    assert words == {(unknown, unknown, None)}  # the fixture's stations have no hours
