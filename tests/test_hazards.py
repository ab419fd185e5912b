"""Hostile input, class by class: each request with the status it must get, on both backends.

Every refusal must name the field it refuses (in `detail[].loc`, or in the message of the body limit) and
stay short: a value sent back is cut to a few hundred characters, never echoed whole. Then the wrong
answers the same probing found (a kind repeated, `lat=0` blamed on `lon`, overflowing weights, links
following the Host header), a connection that must stay usable after a huge offset, and a proof that
the suite's traceback check (tests/log_guard.py) fails a test whose route raised.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo_service.app import create_app
from geo_service.settings import Settings
from tests import browser

BIG = str(2**63)  # one past the largest 64-bit integer
NEAREST = "/api/v1/facilities/nearest"
PLAN = "/api/v1/plan/sites"
ALONG = "/api/v1/facilities/along-route"
ROUTE = '"route": "118.0,37.40;118.1,37.45"'
SHORT = 1200  # bytes: enough for a bilingual message and a clipped value, far from an echoed 1.5 MB
EXTREME = ("0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59+23:59")


@dataclass(frozen=True)
class Hazard:
    name: str
    method: str
    path: str
    status: int
    field: str  # the last part of detail[].loc that must name the problem ("body" for the whole body)
    params: dict[str, Any] = field(default_factory=dict)
    body: bytes | None = None


def _point(lon: float, lat: float, weight: str) -> str:
    geometry = f'{{"type": "Point", "coordinates": [{lon}, {lat}]}}'
    return f'{{"type": "Feature", "geometry": {geometry}, "properties": {{"weight": {weight}}}}}'


def _demand(weight: str) -> bytes:
    features = ", ".join([_point(118.0, 37.40, weight), _point(118.01, 37.41, weight)])
    collection = f'{{"type": "FeatureCollection", "features": [{features}]}}'
    return f'{{"count": 1, "radius_m": 1000, "district": ["371602"], "demand": {collection}}}'.encode()


HAZARDS = [
    # non-finite numbers in query strings, every lon/lat reader
    Hazard("nearest lon=nan", "GET", NEAREST, 422, "lon", {"lon": "nan", "lat": 37.4}),
    Hazard("nearest lat=inf", "GET", NEAREST, 422, "lat", {"lon": 118.0, "lat": "inf"}),
    Hazard("nearest lat=0 is lat's fault", "GET", NEAREST, 422, "lat", {"lon": 118.0, "lat": 0}),
    Hazard("nearest lon=0 is lon's fault", "GET", NEAREST, 422, "lon", {"lon": 0, "lat": 37.4}),
    Hazard("map nearby lon=nan", "GET", "/maps/nearby", 422, "lon", {"lon": "nan", "lat": 37.4}),
    Hazard("map nearby lat=nan", "GET", "/maps/nearby", 422, "lat", {"lon": 118.0, "lat": "nan"}),
    Hazard("embed nearby lon=inf", "GET", "/embed/nearby", 422, "lon", {"lon": "inf", "lat": 37.4}),
    Hazard("map radius nan", "GET", "/maps/coverage", 422, "radius_m", {"radius_m": "nan"}),
    Hazard(
        "viewport cell nan", "GET", "/maps/data/facilities", 422, "cell", {"bbox": "118,37,118.1,37.1", "cell": "nan"}
    ),
    Hazard("coverage radius 1e400", "GET", "/api/v1/coverage/summary", 422, "radius_m", {"radius_m": "1e400"}),
    Hazard("grid cell square:nan", "GET", "/api/v1/coverage/grid", 422, "cell", {"cell": "square:nan"}),
    Hazard("list bbox nan", "GET", "/api/v1/facilities", 422, "bbox", {"bbox": "nan,37,118,38"}),
    # integers beyond 64 bits
    Hazard("list offset 2^63", "GET", "/api/v1/facilities", 422, "offset", {"offset": BIG}),
    Hazard("list limit 2^63", "GET", "/api/v1/facilities", 422, "limit", {"limit": BIG}),
    Hazard("facility id 2^63", "GET", f"/api/v1/facilities/{BIG}", 422, "facility_id"),
    # past the INTEGER key (PostgreSQL's driver refused it with a 500; found by tests/test_schemathesis.py)
    Hazard("facility id 2^31", "GET", f"/api/v1/facilities/{2**31}", 422, "facility_id"),
    Hazard("reported facility 2^31", "POST", f"/api/v1/facilities/{2**31}/reports", 422, "facility_id", body=b"{}"),
    Hazard("nearest limit 2^63", "GET", NEAREST, 422, "limit", {"lon": 118.0, "lat": 37.4, "limit": BIG}),
    Hazard("map count 2^63", "GET", "/maps/coverage", 422, "count", {"count": BIG}),
    Hazard("OGC offset 2^63", "GET", "/ogc/collections/facilities/items", 400, "offset", {"offset": BIG}),
    Hazard("tile zoom 2^63", "GET", f"/tiles/facilities/{BIG}/0/0.mvt", 400, "z"),
    Hazard("plan count 2^63", "POST", PLAN, 422, "count", body=f'{{"count": {BIG}}}'.encode()),
    Hazard("plan count 10^30", "POST", PLAN, 422, "count", body=b'{"count": 1000000000000000000000000000000}'),
    Hazard("along limit 2^63", "POST", ALONG, 422, "limit", body=f'{{{ROUTE}, "limit": {BIG}}}'.encode()),
    # extreme datetimes
    *(Hazard(f"nearest at {at}", "GET", NEAREST, 422, "at", {"lon": 118.0, "lat": 37.4, "at": at}) for at in EXTREME),
    *(
        Hazard(f"along at {at}", "POST", ALONG, 422, "at", body=f'{{{ROUTE}, "open_now": true, "at": "{at}"}}'.encode())
        for at in EXTREME
    ),
    Hazard(
        "OGC datetime", "GET", "/ogc/collections/facilities/items", 400, "datetime", {"datetime": f"{EXTREME[0]}/.."}
    ),
    # NaN, Infinity and overflow in JSON bodies
    Hazard("plan radius NaN", "POST", PLAN, 422, "radius_m", body=b'{"count": 1, "radius_m": NaN}'),
    Hazard("plan radius Infinity", "POST", PLAN, 422, "radius_m", body=b'{"count": 1, "radius_m": Infinity}'),
    Hazard("plan radius -Infinity", "POST", PLAN, 422, "radius_m", body=b'{"count": 1, "radius_m": -Infinity}'),
    Hazard("plan radius 1e400", "POST", PLAN, 422, "radius_m", body=b'{"count": 1, "radius_m": 1e400}'),
    Hazard("plan demand weight NaN", "POST", PLAN, 422, "weight", body=_demand("NaN")),
    Hazard("plan weights 1e308 overflow", "POST", PLAN, 422, "demand", body=_demand("1e308")),
    Hazard("along buffer NaN", "POST", ALONG, 422, "buffer_m", body=f'{{{ROUTE}, "buffer_m": NaN}}'.encode()),
    Hazard(
        "along vertex NaN",
        "POST",
        ALONG,
        422,
        0,  # type: ignore[arg-type]  # loc ends at the coordinate: route.coordinates.1.0
        body=b'{"route": {"type": "LineString", "coordinates": [[118, 37.4], [NaN, 37.5]]}}',
    ),
    Hazard("new facility NaN", "POST", "/api/v1/facilities", 422, "lon", body=b'{"name": "x", "lon": NaN}'),
    # lone surrogates
    Hazard("plan preset surrogate", "POST", PLAN, 422, "preset", body=b'{"count": 1, "preset": "\\ud800"}'),
    Hazard("along route surrogate", "POST", ALONG, 422, "route", body=b'{"route": "\\udc00"}'),
    Hazard(
        "report note surrogate",
        "POST",
        "/api/v1/facilities/1/reports",
        422,
        "note",
        body=b'{"kind": "closed", "note": "a\\ud800b"}',
    ),
    Hazard("surrogate in a key", "POST", PLAN, 422, "body", body=b'{"count": 1, "\\ud800": 1}'),
    # wrong GeoJSON types
    Hazard(
        "plan area FeatureCollection",
        "POST",
        PLAN,
        422,
        "area",
        body=b'{"count": 1, "area": {"type": "FeatureCollection", "features": []}}',
    ),
    Hazard(
        "plan area Point",
        "POST",
        PLAN,
        422,
        "area",
        body=b'{"count": 1, "area": {"type": "Point", "coordinates": [118, 37]}}',
    ),
    Hazard(
        "plan demand Polygon",
        "POST",
        PLAN,
        422,
        "demand",
        body=b'{"count": 1, "demand": {"type": "Polygon", "coordinates": []}}',
    ),
    Hazard(
        "along route Point", "POST", ALONG, 422, "route", body=b'{"route": {"type": "Point", "coordinates": [118, 37]}}'
    ),
    # nesting, size, vertex counts, broken JSON
    Hazard("deep nesting", "POST", PLAN, 422, "body", body=b"[" * 100_000 + b"]" * 100_000),
    Hazard("nesting past orjson's limit", "POST", PLAN, 422, "body", body=b'{"a": ' * 2000 + b"1" + b"}" * 2000),
    Hazard("nesting within orjson's limit", "POST", PLAN, 422, "body", body=b"[" * 1000 + b"]" * 1000),
    Hazard("broken JSON", "POST", PLAN, 422, "body", body=b'{"count": 1,'),
    Hazard("body over the limit", "POST", PLAN, 413, "", body=b" " * (2 * 1024 * 1024 + 1)),
    Hazard(
        "route of 200,000 vertices", "POST", ALONG, 422, "route", body=b'{"route": "' + b"118,37.4;" * 200_000 + b'"}'
    ),
    Hazard(
        "demand of 210,000 points",
        "POST",
        PLAN,
        413,  # the body limit (2 MiB) refuses it before the point cap would
        "",
        body=_demand("1").replace(b'"features": [', b'"features": [' + b"{}," * 700_000),
    ),
    # a long value is not echoed whole
    Hazard("1.5 MB preset", "POST", PLAN, 422, "preset", body=b'{"count": 1, "preset": "' + b"x" * 1_500_000 + b'"}'),
    Hazard("50 kB kind", "GET", "/api/v1/facilities", 422, "kind", {"kind": "x" * 50_000}),
]


def _names_the_field(detail: Any, name: str) -> bool:
    if name == "":
        return isinstance(detail, str) and "too large" in detail
    return isinstance(detail, list) and any(
        entry["loc"][-1] == name or (name == "body" and entry["loc"][:1] == ["body"]) or name in map(str, entry["loc"])
        for entry in detail
    )


@pytest.mark.parametrize("content_type", ["application/json", None])
def test_a_body_without_a_content_type_is_read_as_strictly(client, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(PLAN, content=b'{"count": 1, "radius_m": NaN}', headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "radius_m"]


@pytest.mark.parametrize("hazard", HAZARDS, ids=[h.name for h in HAZARDS])
def test_hazard_is_refused_naming_the_field_briefly(client, hazard: Hazard) -> None:
    headers = {"Content-Type": "application/json"} if hazard.body is not None else {}
    response = client.request(hazard.method, hazard.path, params=hazard.params, content=hazard.body, headers=headers)
    assert response.status_code == hazard.status, response.text[:400]
    assert len(response.content) < SHORT, response.text[:400]
    assert _names_the_field(response.json()["detail"], str(hazard.field)), response.text[:400]


def test_a_repeated_kind_finds_each_facility_once(client) -> None:
    once = client.get(NEAREST, params={"lon": 118.0, "lat": 37.4, "limit": 10, "kind": "station"}).json()
    twice = client.get(NEAREST, params={"lon": 118.0, "lat": 37.4, "limit": 10, "kind": ["station", "station"]}).json()
    ids = [f["id"] for f in twice["features"]]
    assert len(ids) == len(set(ids)) == 10
    assert ids == [f["id"] for f in once["features"]]
    listed = client.get("/api/v1/facilities", params={"kind": ["station", "station"], "limit": 500}).json()
    assert len({f["id"] for f in listed["features"]}) == len(listed["features"]) == listed["numberMatched"]


def test_large_finite_weights_still_give_shares(client) -> None:
    response = client.post(PLAN, content=_demand("1e12"), headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text[:300]
    shares = response.json()["coverage_after"]
    assert 0 <= shares["demand_pct"] <= 100 and shares["demand_pct"] is not None


def _next_link(client: TestClient, **headers: str) -> str:
    body = client.get("/api/v1/facilities", params={"limit": 1}, headers=headers).json()
    return next(link["href"] for link in body["links"] if link["rel"] == "next")


def test_links_do_not_follow_the_host_header(loaded_db_url: str) -> None:
    with TestClient(create_app(Settings(db_url=loaded_db_url, access_log=False))) as plain:
        assert _next_link(plain, host="evil.example").startswith("http://testserver/api/v1/facilities?")
        items = plain.get("/ogc/collections/facilities/items", params={"limit": 1}, headers={"host": "evil.example"})
        assert "evil.example" not in items.text
    public = Settings(db_url=loaded_db_url, access_log=False, public_base_url="https://geo.example.cn")
    with TestClient(create_app(public)) as behind_proxy:
        assert _next_link(behind_proxy, host="evil.example").startswith("https://geo.example.cn/api/v1/facilities?")
    trusted = Settings(db_url=loaded_db_url, access_log=False, trusted_hosts=["geo.example.cn", "testserver"])
    with TestClient(create_app(trusted)) as named:
        assert _next_link(named, host="geo.example.cn").startswith("http://geo.example.cn/api/v1/facilities?")
        refused = named.get("/api/v1/facilities", headers={"host": "evil.example"})
        assert refused.status_code == 400 and refused.headers["x-content-type-options"] == "nosniff"


def _exchange(sock: socket.socket, path: str) -> bytes:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    return head + b"\r\n\r\n" + rest


def test_a_huge_offset_leaves_the_connection_usable(tmp_path: Path) -> None:
    from tests.databases import loaded_database

    with loaded_database("spatialite", tmp_path) as url, browser.serve(url, ready_path="/healthz") as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            first = _exchange(sock, f"/api/v1/facilities?offset={BIG}")
            second = _exchange(sock, "/api/v1/facilities?limit=1")  # the same keep-alive connection
    assert first.startswith(b"HTTP/1.1 422") and b'"offset"' in first
    assert second.startswith(b"HTTP/1.1 200") and json.loads(second.partition(b"\r\n\r\n")[2])["numberReturned"] == 1


_BROKEN_ROUTE_TEST = """
from fastapi.testclient import TestClient
from geo_service.app import create_app
from geo_service.settings import Settings


def boom():
    raise RuntimeError("a bug in a route")


def test_route_raises(tmp_path):
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'x.sqlite'}"))
    app.add_api_route("/boom", boom)
    assert TestClient(app, raise_server_exceptions=False).get("/boom").status_code == 500
"""


@pytest.mark.server_error  # the inner run's records pass this process's loggers too
def test_the_traceback_check_fails_a_test_whose_route_raised(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken=_BROKEN_ROUTE_TEST)
    result = pytester.runpytest_inprocess("-p", "tests.log_guard", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)  # the test body passes; the check fails it in teardown
    result.stdout.fnmatch_lines(["*unhandled traceback in the log*a bug in a route*"])
    marked = _BROKEN_ROUTE_TEST.replace(
        "def test_route_raises", "import pytest\n\n@pytest.mark.server_error\ndef test_route_raises"
    )
    pytester.makepyfile(test_broken=marked)
    pytester.runpytest_inprocess("-p", "tests.log_guard", "-p", "no:cacheprovider").assert_outcomes(passed=1)
