"""Vector tiles on both backends, decoded with mapbox-vector-tile and checked against tiles computed here
with the textbook Web Mercator formulas: every facility of a tile at z >= 10, clusters whose counts add
up below, a facility on a tile corner counted once, soft-deleted rows absent, caching headers."""

from __future__ import annotations

import gzip
import math
from collections import Counter, defaultdict
from collections.abc import Iterator

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient

from geo_service.app import create_app
from geo_service.settings import Settings
from tests.databases import BACKENDS
from tests.ogc_data import CORNER_TILE, expected, ogc_database

EXPECTED = expected()
KINDS = ("station", "rest_base", "mediation_centre")
PLAIN = {"accept-encoding": "identity"}


def textbook_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def textbook_pixel(lon: float, lat: float, z: int, x: int, y: int) -> tuple[float, float]:
    n = 2**z
    px = ((lon + 180.0) / 360.0 * n - x) * 4096
    py = ((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n - y) * 4096
    return px, py


def by_tile(z: int, where=lambda p: True) -> dict[tuple[int, int], list[dict]]:
    tiles: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for f in EXPECTED.features:
        if f["code"] != "T-CORNER" and where(f["properties"]):
            tiles[textbook_tile(f["lon"], f["lat"], z)].append(f)
    corner = next(f for f in EXPECTED.features if f["code"] == "T-CORNER")
    if where(corner["properties"]):  # exactly on an edge: the tile whose west/north edge it is (see analysis.tiles)
        shift = CORNER_TILE[0] - z
        tiles[(CORNER_TILE[1] >> shift, CORNER_TILE[2] >> shift)].append(corner)
    return tiles


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    database = ogc_database(str(request.param), tmp_path_factory.mktemp("tiles"))
    with database as url, TestClient(create_app(Settings(db_url=url))) as client:
        yield client


def _decode(api: TestClient, path: str, **params) -> list[dict]:
    response = api.get(path, params=params, headers=PLAIN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    if not response.content:
        return []
    layers = mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})
    return layers[path.split("/")[2]]["features"]


@pytest.mark.parametrize("z", [10, 12])
def test_every_facility_is_in_its_tile_at_high_zoom(api: TestClient, z: int) -> None:
    for (x, y), members in by_tile(z).items():
        features = _decode(api, f"/tiles/facilities/{z}/{x}/{y}.mvt")
        assert Counter(f["properties"]["code"] for f in features) == Counter(m["code"] for m in members), (z, x, y)
        where = {m["code"]: m for m in members}
        for feature in features:
            known = where[feature["properties"]["code"]]
            assert feature["properties"]["kind"] == known["properties"]["kind"]
            px, py = textbook_pixel(known["lon"], known["lat"], z, x, y)
            gx, gy = feature["geometry"]["coordinates"]
            assert abs(gx - px) <= 1 and abs(gy - py) <= 1


@pytest.mark.parametrize("z", [0, 3, 6, 9])
def test_cluster_counts_add_up_to_the_facilities_of_each_tile(api: TestClient, z: int) -> None:
    grand = 0
    for (x, y), members in by_tile(z).items():
        clusters = _decode(api, f"/tiles/facilities/{z}/{x}/{y}.mvt")
        assert all(c["geometry"]["type"] == "Point" for c in clusters)
        assert sum(c["properties"]["count"] for c in clusters) == len(members), (z, x, y)
        for kind in KINDS:
            assert sum(c["properties"][kind] for c in clusters) == sum(m["properties"]["kind"] == kind for m in members)
        grand += sum(c["properties"]["count"] for c in clusters)
    assert grand == len(EXPECTED.features)


def test_status_and_kind_collections_narrow_the_clusters(api: TestClient) -> None:
    z = 7
    for (x, y), members in by_tile(z, lambda p: p["status"] == "open" and p["kind"] == "station").items():
        clusters = _decode(api, f"/tiles/stations/{z}/{x}/{y}.mvt", status="open")
        assert sum(c["properties"]["count"] for c in clusters) == len(members)


def test_a_facility_on_a_tile_corner_is_in_exactly_one_tile(api: TestClient) -> None:
    z, x, y = CORNER_TILE
    found = {
        (tx, ty): [f["properties"]["code"] for f in _decode(api, f"/tiles/facilities/{z}/{tx}/{ty}.mvt")]
        for tx in (x - 1, x)
        for ty in (y - 1, y)
    }
    holders = [tile for tile, codes in found.items() if "T-CORNER" in codes]
    assert holders == [(x, y)]


def test_soft_deleted_facility_is_in_no_tile(api: TestClient) -> None:
    for z in (5, 12):
        x, y = textbook_tile(117.97, 37.43, z)
        codes = [f["properties"].get("code") for f in _decode(api, f"/tiles/facilities/{z}/{x}/{y}.mvt")]
        assert "T-DELETED" not in codes
    x, y = textbook_tile(117.97, 37.43, 4)
    counts = sum(c["properties"]["count"] for c in _decode(api, f"/tiles/facilities/4/{x}/{y}.mvt"))
    assert counts == len(by_tile(4)[(x, y)])


def test_empty_tile_is_an_empty_body(api: TestClient) -> None:
    assert _decode(api, "/tiles/facilities/12/0/0.mvt") == []


def test_districts_tiles_hold_their_outlines(api: TestClient) -> None:
    x, y = textbook_tile(117.97, 37.38, 8)
    features = _decode(api, f"/tiles/districts/8/{x}/{y}.mvt")
    assert "371602" in {f["properties"]["adcode"] for f in features}
    assert {f["geometry"]["type"] for f in features} <= {"Polygon", "MultiPolygon"}


def test_etag_cache_control_and_gzip(api: TestClient) -> None:
    x, y = textbook_tile(117.97, 37.38, 10)
    path = f"/tiles/facilities/10/{x}/{y}.mvt"
    plain = api.get(path, headers=PLAIN)
    assert plain.headers["cache-control"].startswith("public, max-age=")
    assert api.get(path, headers={**PLAIN, "if-none-match": plain.headers["etag"]}).status_code == 304
    raw = api.build_request("GET", path, headers={"accept-encoding": "gzip"})
    zipped = api.send(raw, stream=True)
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(b"".join(zipped.iter_raw())) == plain.content
    assert zipped.headers["etag"] == plain.headers["etag"] and zipped.headers["vary"] == "Accept-Encoding"


def test_tilejson(api: TestClient) -> None:
    body = api.get("/tiles/facilities.json").json()
    assert body["tilejson"] == "3.0.0" and body["tiles"][0].endswith("/tiles/facilities/{z}/{x}/{y}.mvt")
    lons = [f["lon"] for f in EXPECTED.features]
    assert body["bounds"][0] == pytest.approx(min(lons)) and body["bounds"][2] == pytest.approx(max(lons))
    assert body["vector_layers"][0]["id"] == "facilities" and "count" in body["vector_layers"][0]["fields"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tiles/facilities/23/0/0.mvt", 400),
        ("/tiles/facilities/3/8/0.mvt", 400),
        ("/tiles/facilities/3/0/8.mvt", 400),
        ("/tiles/coverage_gaps/3/0/0.mvt", 404),
        ("/tiles/nowhere/3/0/0.mvt", 404),
        ("/tiles/facilities/3/0/0.mvt?status=gone", 422),
    ],
)
def test_bad_tiles(api: TestClient, path: str, status: int) -> None:
    assert api.get(path).status_code == status
