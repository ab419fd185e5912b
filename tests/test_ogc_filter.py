"""CQL2 filters (Part 3) on both backends: every Basic CQL2 operator, LIKE/BETWEEN/IN, S_INTERSECTS with
each kind of geometry, text and JSON alike, checked against Python predicates over the sample file and
the hand-made rows; invalid filters are 400s with the error's position; injection attempts change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString, Point, Polygon, box

from geo_service.app import create_app
from geo_service.settings import Settings
from tests.databases import BACKENDS
from tests.ogc_data import HOSTILE, expected, ogc_database

EXPECTED = expected()
ITEMS = "/ogc/collections/facilities/items"
FIRST = EXPECTED.features[0]
SECOND = EXPECTED.features[1]
TRIANGLE = Polygon([(117.9, 37.3), (118.2, 37.3), (117.9, 37.6)])
LINE = LineString([(FIRST["lon"], FIRST["lat"]), (SECOND["lon"], SECOND["lat"])])
Pred = Callable[[dict[str, Any]], bool]


def _at(geom: Any) -> Pred:
    return lambda p: geom.intersects(Point(p["_lon"], p["_lat"]))


def _area(p: dict[str, Any]) -> float | None:
    return p.get("area_m2")


def _verified(p: dict[str, Any]) -> date | None:
    value = p.get("last_verified_at")
    return date.fromisoformat(value) if isinstance(value, str) else value


#: (CQL2 text, CQL2 JSON, the same predicate in Python)
CASES: list[tuple[str, dict[str, Any], Pred]] = [
    ("kind = 'station'", {"op": "=", "args": [{"property": "kind"}, "station"]}, lambda p: p["kind"] == "station"),
    ("kind <> 'station'", {"op": "<>", "args": [{"property": "kind"}, "station"]}, lambda p: p["kind"] != "station"),
    (
        "area_m2 < 100",
        {"op": "<", "args": [{"property": "area_m2"}, 100]},
        lambda p: _area(p) is not None and _area(p) < 100,
    ),
    (
        "area_m2 <= 100",
        {"op": "<=", "args": [{"property": "area_m2"}, 100]},
        lambda p: _area(p) is not None and _area(p) <= 100,
    ),
    (
        "area_m2 > 150.5",
        {"op": ">", "args": [{"property": "area_m2"}, 150.5]},
        lambda p: _area(p) is not None and _area(p) > 150.5,
    ),
    (
        "area_m2 >= 150",
        {"op": ">=", "args": [{"property": "area_m2"}, 150]},
        lambda p: _area(p) is not None and _area(p) >= 150,
    ),
    (
        "100 > area_m2",
        {"op": ">", "args": [100, {"property": "area_m2"}]},
        lambda p: _area(p) is not None and _area(p) < 100,
    ),
    (
        "truck_parking_spaces = 0",
        {"op": "=", "args": [{"property": "truck_parking_spaces"}, 0]},
        lambda p: p["truck_parking_spaces"] == 0,
    ),
    ("is_sample = false", {"op": "=", "args": [{"property": "is_sample"}, False]}, lambda p: not p["is_sample"]),
    (
        "code = 'T-HOSTILE'",
        {"op": "=", "args": [{"property": "code"}, "T-HOSTILE"]},
        lambda p: p["code"] == "T-HOSTILE",
    ),
    (
        "district_code = '371681' AND status = 'open'",
        {
            "op": "and",
            "args": [
                {"op": "=", "args": [{"property": "district_code"}, "371681"]},
                {"op": "=", "args": [{"property": "status"}, "open"]},
            ],
        },
        lambda p: p["district_adcode"] == "371681" and p["status"] == "open",
    ),
    (  # the district's name is its own table's column: 滨城区 is 371602
        "district = '滨城区' AND status = 'open'",
        {
            "op": "and",
            "args": [
                {"op": "=", "args": [{"property": "district"}, "滨城区"]},
                {"op": "=", "args": [{"property": "status"}, "open"]},
            ],
        },
        lambda p: p["district_adcode"] == "371602" and p["status"] == "open",
    ),
    (
        "kind = 'rest_base' OR kind = 'mediation_centre'",
        {
            "op": "or",
            "args": [
                {"op": "=", "args": [{"property": "kind"}, "rest_base"]},
                {"op": "=", "args": [{"property": "kind"}, "mediation_centre"]},
            ],
        },
        lambda p: p["kind"] in ("rest_base", "mediation_centre"),
    ),
    (
        "NOT (status = 'open')",
        {"op": "not", "args": [{"op": "=", "args": [{"property": "status"}, "open"]}]},
        lambda p: p["status"] != "open",
    ),
    ("phone IS NULL", {"op": "isNull", "args": [{"property": "phone"}]}, lambda p: p.get("phone") is None),
    (
        "phone IS NOT NULL",
        {"op": "not", "args": [{"op": "isNull", "args": [{"property": "phone"}]}]},
        lambda p: p.get("phone") is not None,
    ),
    ("name LIKE '%驿站%'", {"op": "like", "args": [{"property": "name"}, "%驿站%"]}, lambda p: "驿站" in p["name"]),
    (
        "code LIKE 'BZ-371602-S00_1'",
        {"op": "like", "args": [{"property": "code"}, "BZ-371602-S00_1"]},
        lambda p: len(p["code"]) == 15 and p["code"].startswith("BZ-371602-S00") and p["code"].endswith("1"),
    ),
    ("code LIKE 'bz-%'", {"op": "like", "args": [{"property": "code"}, "bz-%"]}, lambda p: False),  # case matters
    (
        "name NOT LIKE '%驿站%'",
        {"op": "not", "args": [{"op": "like", "args": [{"property": "name"}, "%驿站%"]}]},
        lambda p: "驿站" not in p["name"],
    ),
    (
        "area_m2 BETWEEN 100 AND 200",
        {"op": "between", "args": [{"property": "area_m2"}, 100, 200]},
        lambda p: _area(p) is not None and 100 <= _area(p) <= 200,
    ),
    (
        "area_m2 NOT BETWEEN 100 AND 200",
        {"op": "not", "args": [{"op": "between", "args": [{"property": "area_m2"}, 100, 200]}]},
        lambda p: _area(p) is not None and not 100 <= _area(p) <= 200,
    ),
    (
        "status IN ('closed', 'planned')",
        {"op": "in", "args": [{"property": "status"}, ["closed", "planned"]]},
        lambda p: p["status"] in ("closed", "planned"),
    ),
    (
        "status NOT IN ('open')",
        {"op": "not", "args": [{"op": "in", "args": [{"property": "status"}, ["open"]]}]},
        lambda p: p["status"] != "open",
    ),
    (
        "last_verified_at >= DATE('2026-07-01')",
        {"op": ">=", "args": [{"property": "last_verified_at"}, {"date": "2026-07-01"}]},
        lambda p: _verified(p) is not None and _verified(p) >= date(2026, 7, 1),
    ),
    (
        "updated_at > TIMESTAMP('2000-01-01T00:00:00Z')",
        {"op": ">", "args": [{"property": "updated_at"}, {"timestamp": "2000-01-01T00:00:00Z"}]},
        lambda p: True,
    ),
    (
        "S_INTERSECTS(geometry, BBOX(117.9, 37.3, 118.1, 37.5))",
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [117.9, 37.3, 118.1, 37.5]}]},
        _at(box(117.9, 37.3, 118.1, 37.5)),
    ),
    (
        f"S_INTERSECTS(geometry, {TRIANGLE.wkt})",
        {"op": "s_intersects", "args": [{"property": "geometry"}, TRIANGLE.__geo_interface__]},
        _at(TRIANGLE),
    ),
    (
        f"S_INTERSECTS(geometry, POINT({FIRST['lon']} {FIRST['lat']}))",
        {
            "op": "s_intersects",
            "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [FIRST["lon"], FIRST["lat"]]}],
        },
        _at(Point(FIRST["lon"], FIRST["lat"])),
    ),
    (
        f"S_INTERSECTS(geometry, {LINE.wkt})",
        {"op": "s_intersects", "args": [{"property": "geometry"}, LINE.__geo_interface__]},
        lambda p: p["code"] in (FIRST["code"], SECOND["code"]),
    ),  # the line joins two facilities
]


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    database = ogc_database(str(request.param), tmp_path_factory.mktemp("cql"))
    with database as url, TestClient(create_app(Settings(db_url=url, ogc_max_limit=1000))) as client:
        yield client


def _codes(api: TestClient, **params: str) -> set[str]:
    response = api.get(ITEMS, params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["numberMatched"] == body["numberReturned"]
    return {f["properties"]["code"] for f in body["features"]}


def _expected(predicate: Pred) -> set[str]:
    return EXPECTED.codes(lambda p: predicate(p))


for feature in EXPECTED.features:
    feature["properties"]["_lon"], feature["properties"]["_lat"] = feature["lon"], feature["lat"]


@pytest.mark.parametrize(("text", "as_json", "predicate"), CASES, ids=[case[0][:48] for case in CASES])
def test_text_and_json_filters_select_what_python_selects(
    api: TestClient, text: str, as_json: dict, predicate: Pred
) -> None:
    want = _expected(predicate)
    assert _codes(api, filter=text) == want
    assert _codes(api, filter=json.dumps(as_json), **{"filter-lang": "cql2-json"}) == want


def test_cases_are_not_trivial() -> None:
    sizes = [len(_expected(predicate)) for _, _, predicate in CASES]
    assert sum(1 for n in sizes if 0 < n < len(EXPECTED.features)) >= len(CASES) - 3


def test_filter_crs_takes_lat_lon_geometry(api: TestClient) -> None:
    lonlat = _codes(api, filter="S_INTERSECTS(geometry, BBOX(117.9, 37.3, 118.1, 37.5))")
    latlon = _codes(api, filter="S_INTERSECTS(geometry, BBOX(37.3, 117.9, 37.5, 118.1))", **{"filter-crs": "EPSG:4326"})
    assert latlon == lonlat and lonlat


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("name =", 5),
        ("kind == 'station'", 6),
        ("name = 'x' AND", 11),
        ("(kind = 'station'", None),
        ("kind = 'station')", 16),
        ("S_INTERSECTS(geometry, POINT(1))", 30),
        ("", 0),
    ],
)
def test_syntax_errors_are_400_with_the_position(api: TestClient, text: str, position: int | None) -> None:
    response = api.get(ITEMS, params={"filter": text})
    assert response.status_code == 400
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["query", "filter"]
    if position is not None:
        assert detail["position"] == position
        assert f"{position}" in detail["msg"]


@pytest.mark.parametrize(
    "text",
    [
        "nosuch = 1",
        "area_m2 = 'big'",
        "name = 5",
        "is_sample = 1",
        "last_verified_at = TIMESTAMP('2026-01-01T00:00:00Z')",
        "S_INTERSECTS(name, POINT(1 2))",
        "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))",
        "CASEI(name) = casei('x')",
        "area_m2 LIKE '1%'",
        "name < code",
        "S_CONTAINS(geometry, POINT(1 2))",
        "truck_parking_spaces = 99999999999999999999999",
        "area_m2 > 1e400",
    ],
)
def test_meaningless_filters_are_400(api: TestClient, text: str) -> None:
    response = api.get(ITEMS, params={"filter": text})
    assert response.status_code == 400, text
    assert response.json()["detail"][0]["loc"] == ["query", "filter"]


def test_unknown_property_reports_where_it_is(api: TestClient) -> None:
    response = api.get(ITEMS, params={"filter": "kind = 'station' AND nosuch = 1"})
    assert response.json()["detail"][0]["position"] == 21


@pytest.mark.parametrize(
    "raw",
    [
        "{broken",
        json.dumps({"op": "zz", "args": []}),
        json.dumps({"op": "=", "args": [{"property": "nosuch"}, 1]}),
        json.dumps({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [1, 2, 3]}]}),
        json.dumps([1]),
    ],
)
def test_invalid_json_filters_are_400(api: TestClient, raw: str) -> None:
    response = api.get(ITEMS, params={"filter": raw, "filter-lang": "cql2-json"})
    assert response.status_code == 400, raw


def test_json_syntax_error_reports_its_position(api: TestClient) -> None:
    response = api.get(ITEMS, params={"filter": '{"op": "=", "args": [', "filter-lang": "cql2-json"})
    assert response.json()["detail"][0]["position"] == 21


INJECTIONS_TEXT = [
    "name = 'x'' OR ''1''=''1'",
    "name = 'x; DROP TABLE facility; --'",
    "name = 'x\\' OR 1=1 --'",
    "\"name; DROP TABLE facility\" = 'x'",
    "\"name) OR (1=1\" = 'x'",
    "name LIKE '[*?%'",
    f"name = '{HOSTILE.replace(chr(39), '')}'",
]
INJECTIONS_JSON = [
    {"op": "=", "args": [{"property": "name) OR 1=1 --"}, "x"]},
    {"op": "=", "args": [{"property": "name"}, "x' OR '1'='1"]},
    {"op": "=", "args": [{"property": "facility.id"}, 1]},
    {"op": "like", "args": [{"property": "name"}, "%' OR 1=1 --"]},
]


@pytest.mark.parametrize("text", INJECTIONS_TEXT)
def test_injection_in_text_matches_nothing_or_is_refused(api: TestClient, text: str) -> None:
    response = api.get(ITEMS, params={"filter": text, "limit": 1000})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["features"] == []
    assert api.get(ITEMS, params={"limit": 1}).json()["numberMatched"] == len(EXPECTED.features)


@pytest.mark.parametrize("document", INJECTIONS_JSON)
def test_injection_in_json_matches_nothing_or_is_refused(api: TestClient, document: dict) -> None:
    response = api.get(ITEMS, params={"filter": json.dumps(document), "filter-lang": "cql2-json", "limit": 1000})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["features"] == []
    if "property" in document["args"][0] and document["args"][0]["property"] != "name":
        assert response.status_code == 400


def test_a_literal_is_data_not_sql(api: TestClient) -> None:
    """The hostile name (quotes, angle brackets, ampersand) is found by equality, so it reached SQL as a value."""
    assert _codes(
        api, filter=json.dumps({"op": "=", "args": [{"property": "name"}, HOSTILE]}), **{"filter-lang": "cql2-json"}
    ) == {"T-HOSTILE"}
