"""OGC API – Features (Part 1 core, Part 2 CRS, paging, HTML, OpenAPI) on both backends, checked against
the sample file and hand-made rows (tests/ogc_data.py)."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from shapely.geometry import Point, box

from geo_service.app import create_app
from geo_service.settings import Settings
from tests.databases import BACKENDS
from tests.ogc_data import HOSTILE, Expected, expected, ogc_database

MAX_LIMIT = 100
EXPECTED: Expected = expected()
ITEMS = "/ogc/collections/facilities/items"


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    database = ogc_database(str(request.param), tmp_path_factory.mktemp("ogc"))
    with database as url, TestClient(create_app(Settings(db_url=url, ogc_max_limit=MAX_LIMIT))) as client:
        yield client


def _harvest(api: TestClient, url: str, **params) -> tuple[list[dict], list[str]]:
    """Every feature by following next links; also the next links themselves."""
    features, links, query = [], [], params
    while url:
        body = api.get(url, params=query).json()
        features += body["features"]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        if url:
            links.append(url)
        query = None
    return features, links


def test_landing_page_links_and_conformance(api: TestClient) -> None:
    body = api.get("/ogc").json()
    rels = {link["rel"] for link in body["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= rels
    classes = api.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2" in classes
    assert not any("ogcapi-features-4" in c or "cql2/1.0/conf/accent" in c for c in classes)  # not implemented


def test_collections_and_their_extents(api: TestClient) -> None:
    body = api.get("/ogc/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == ["facilities", "stations", "rest_bases", "mediation_centres", "districts", "coverage_gaps"]
    stations = api.get("/ogc/collections/stations").json()
    lons = [f["lon"] for f in EXPECTED.features if f["properties"]["kind"] == "station"]
    lats = [f["lat"] for f in EXPECTED.features if f["properties"]["kind"] == "station"]
    assert stations["extent"]["spatial"]["bbox"][0] == pytest.approx([min(lons), min(lats), max(lons), max(lats)])
    assert len(stations["extent"]["temporal"]["interval"][0]) == 2
    assert api.get("/ogc/collections/nowhere").status_code == 404


def test_every_facility_across_keyset_pages(api: TestClient) -> None:
    features, links = _harvest(api, ITEMS, limit=40)
    assert len(features) == len({f["id"] for f in features}) == len(EXPECTED.features)
    assert {f["properties"]["code"] for f in features} == EXPECTED.codes()
    assert links and all("after=" in link and "offset=" not in link for link in links)
    by_code = {f["code"]: f for f in EXPECTED.features}
    for feature in features:
        known = by_code[feature["properties"]["code"]]
        assert feature["geometry"]["coordinates"] == [known["lon"], known["lat"]]  # exactly, not approximately


def test_offset_paging_and_number_matched(api: TestClient) -> None:
    everything = _harvest(api, ITEMS, limit=MAX_LIMIT)[0]
    body = api.get(ITEMS, params={"offset": 25, "limit": 10}).json()
    assert [f["id"] for f in body["features"]] == [f["id"] for f in everything[25:35]]
    assert body["numberMatched"] == len(EXPECTED.features) and body["numberReturned"] == 10
    prev = next(link["href"] for link in body["links"] if link["rel"] == "prev")
    assert "offset=15" in prev


def test_limit_default_clamp_and_bounds(api: TestClient) -> None:
    assert api.get(ITEMS).json()["numberReturned"] == 10
    assert api.get(ITEMS, params={"limit": MAX_LIMIT}).json()["numberReturned"] == MAX_LIMIT
    assert api.get(ITEMS, params={"limit": 10 * MAX_LIMIT}).json()["numberReturned"] == MAX_LIMIT
    for bad in ({"limit": 0}, {"limit": "ten"}, {"offset": -1}, {"after": "x"}, {"offset": "1" + "0" * 30}):
        response = api.get(ITEMS, params=bad)
        assert response.status_code == 400, bad
        assert response.json()["detail"][0]["loc"] == ["query", next(iter(bad))]


@pytest.mark.parametrize(
    "params",
    [{"foo": "1"}, {"LIMIT": "5"}, {"f": "xml"}, {"bbox": "1,2,3"}, {"crs": "EPSG:2000"}, {"datetime": "soon"}],
)
def test_unknown_or_invalid_parameters_are_400(api: TestClient, params: dict) -> None:
    response = api.get(ITEMS, params=params)
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["query", next(iter(params))]


def test_repeated_parameter_is_400(api: TestClient) -> None:
    assert api.get(f"{ITEMS}?limit=1&limit=2").status_code == 400


def test_bbox_and_property_filters_match_brute_force(api: TestClient) -> None:
    area = box(117.9, 37.3, 118.1, 37.5)
    features = _harvest(api, ITEMS, bbox="117.9,37.3,118.1,37.5", limit=MAX_LIMIT)[0]
    assert {f["properties"]["code"] for f in features} == {
        f["code"] for f in EXPECTED.features if area.intersects(Point(f["lon"], f["lat"]))
    }
    closed = _harvest(api, ITEMS, status="closed", kind="station", limit=MAX_LIMIT)[0]
    assert {f["properties"]["code"] for f in closed} == EXPECTED.codes(
        lambda p: p["status"] == "closed" and p["kind"] == "station"
    )
    rest = _harvest(api, "/ogc/collections/rest_bases/items", limit=MAX_LIMIT)[0]
    assert {f["properties"]["code"] for f in rest} == EXPECTED.codes(lambda p: p["kind"] == "rest_base")


def test_a_crawl_of_pages_and_boxes_keeps_nothing_per_page_or_box(api: TestClient) -> None:
    """Pages of every size, offset and keyset start, and boxes never asked before, answer right; and what
    the worker keeps does not grow with them: a statement kept per page or box would be a few hundred
    objects that every full pass of the cyclic collector walks (1,024 of them made each pass ~100 ms)."""
    everything = [f["id"] for f in _harvest(api, ITEMS, limit=MAX_LIMIT)[0]]

    def asked(count: int, first: int) -> int:
        for i in range(first, first + count):
            west, south = 117.3 + (i % 40) * 0.025, 36.9 + (i // 40) * 0.025
            area = box(west, south, west + 0.2, south + 0.2)
            params = {"bbox": f"{west},{south},{west + 0.2},{south + 0.2}", "limit": 3, "offset": i % 2}
            body = api.get(ITEMS, params=params).json()
            assert body["numberMatched"] == sum(area.intersects(Point(f["lon"], f["lat"])) for f in EXPECTED.features)
            limit, start = 1 + i % 7, everything[i % len(everything)]
            page = api.get(ITEMS, params={"after": start, "limit": limit}).json()
            assert [f["id"] for f in page["features"]] == [x for x in everything if x > start][:limit]
        gc.collect()
        return len(gc.get_objects())

    before = asked(20, 0)
    growth = asked(100, 20) - before
    assert growth < 100 * 30, f"{growth} more objects tracked after 100 more boxes and pages"


def test_soft_deleted_facility_is_never_served(api: TestClient) -> None:
    codes = {f["properties"]["code"] for f in _harvest(api, ITEMS, limit=MAX_LIMIT)[0]}
    assert "T-DELETED" not in codes
    found = api.get(ITEMS, params={"filter": "code = 'T-DELETED'"}).json()
    assert found["numberMatched"] == 0 and found["features"] == []


def test_one_item_and_its_kind(api: TestClient) -> None:
    first = api.get(ITEMS, params={"limit": 1, "kind": "rest_base"}).json()["features"][0]
    item = api.get(f"{ITEMS}/{first['id']}").json()
    assert item["properties"] == first["properties"] and item["geometry"] == first["geometry"]
    assert api.get(f"/ogc/collections/rest_bases/items/{first['id']}").status_code == 200
    assert api.get(f"/ogc/collections/stations/items/{first['id']}").status_code == 404
    assert api.get(f"{ITEMS}/999999").status_code == 404


def test_crs_axis_orders_and_content_crs(api: TestClient) -> None:
    plain = api.get(ITEMS, params={"limit": 5}).json()["features"]
    mercator = Transformer.from_crs(4326, 3857, always_xy=True)
    for crs, check in [
        ("http://www.opengis.net/def/crs/EPSG/0/4326", lambda lon, lat, xy: xy == [lat, lon]),
        ("http://www.opengis.net/def/crs/EPSG/0/4490", lambda lon, lat, xy: xy == [lat, lon]),
        (
            "http://www.opengis.net/def/crs/EPSG/0/3857",
            lambda lon, lat, xy: xy == pytest.approx(list(mercator.transform(lon, lat)), abs=1e-6),
        ),
    ]:
        response = api.get(ITEMS, params={"limit": 5, "crs": crs})
        assert response.headers["content-crs"] == f"<{crs}>"
        for before, after in zip(plain, response.json()["features"], strict=True):
            assert check(*before["geometry"]["coordinates"], after["geometry"]["coordinates"]), crs
    assert (
        api.get(ITEMS, params={"limit": 1}).headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    )


def test_bbox_crs_lat_lon_order_selects_the_same_features(api: TestClient) -> None:
    lonlat = _harvest(api, ITEMS, bbox="117.9,37.3,118.1,37.5", limit=MAX_LIMIT)[0]
    latlon = _harvest(api, ITEMS, bbox="37.3,117.9,37.5,118.1", limit=MAX_LIMIT, **{"bbox-crs": "EPSG:4490"})[0]
    assert [f["id"] for f in lonlat] == [f["id"] for f in latlon] and lonlat


def test_datetime_on_updated_at(api: TestClient) -> None:
    total = len(EXPECTED.features)
    assert api.get(ITEMS, params={"datetime": "2000-01-01T00:00:00Z/.."}).json()["numberMatched"] == total
    assert api.get(ITEMS, params={"datetime": "../2000-01-01T00:00:00Z"}).json()["numberMatched"] == 0
    assert api.get(ITEMS, params={"datetime": "2000-01-01"}).json()["numberMatched"] == 0


def test_sortby_orders_like_python(api: TestClient) -> None:
    features = _harvest(api, ITEMS, sortby="-area_m2,code", limit=MAX_LIMIT)[0]
    got = [f["properties"]["code"] for f in features]
    rows = [(f["properties"].get("area_m2"), f["code"]) for f in EXPECTED.features]
    nulls = sorted(code for area, code in rows if area is None)
    ranked = sorted(((area, code) for area, code in rows if area is not None), key=lambda r: (-r[0], r[1]))
    assert got == nulls + [code for _, code in ranked]  # descending: empty values first, as PostgreSQL does
    assert api.get(ITEMS, params={"sortby": "geometry"}).status_code == 400


def test_properties_selection_keeps_geometry(api: TestClient) -> None:
    feature = api.get(ITEMS, params={"limit": 1, "properties": "code,name"}).json()["features"][0]
    assert set(feature["properties"]) == {"code", "name"} and feature["geometry"]["type"] == "Point"
    compact = api.get(ITEMS, params={"limit": 100, "properties": "code"}).content
    assert len(compact) / 100 < 160  # bytes per feature in the compact form


def test_number_matched_follows_every_write(api: TestClient) -> None:
    from sqlalchemy import update

    from geo_service.db.models import Facility

    before = api.get(ITEMS, params={"status": "planned"}).json()["numberMatched"]
    engine = api.app.state.engine
    with engine.begin() as conn:
        conn.execute(update(Facility).where(Facility.code == "T-NULLS").values(status="planned"))
    try:
        assert api.get(ITEMS, params={"status": "planned"}).json()["numberMatched"] == before + 1
    finally:
        with engine.begin() as conn:
            conn.execute(update(Facility).where(Facility.code == "T-NULLS").values(status="open"))
    assert api.get(ITEMS, params={"status": "planned"}).json()["numberMatched"] == before


BOX = "117.9,37.3,118.1,37.5"


def _inside(api: TestClient) -> list[int]:
    """Ids of the facilities in BOX (edges included), in id order, by brute force over every page."""
    area = box(117.9, 37.3, 118.1, 37.5)
    everything = _harvest(api, ITEMS, limit=MAX_LIMIT)[0]
    return [f["id"] for f in everything if area.intersects(Point(*f["geometry"]["coordinates"]))]


def test_filtered_pages_are_slices_of_the_brute_force_order(api: TestClient) -> None:
    inside = _inside(api)
    assert len(inside) > 12
    features, links = _harvest(api, ITEMS, bbox=BOX, limit=5)
    assert [f["id"] for f in features] == inside and all("after=" in link for link in links)
    body = api.get(ITEMS, params={"bbox": BOX, "after": inside[3], "offset": 2, "limit": 4}).json()
    assert [f["id"] for f in body["features"]] == inside[6:10] and body["numberMatched"] == len(inside)
    beyond = api.get(ITEMS, params={"bbox": BOX, "after": inside[-1]}).json()
    assert beyond["features"] == [] and beyond["numberMatched"] == len(inside)
    assert not [link for link in beyond["links"] if link["rel"] == "next"]


def test_filtered_pages_follow_a_write_between_pages(api: TestClient) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from geo_service.db.models import Facility

    inside = _inside(api)
    first = api.get(ITEMS, params={"bbox": BOX, "limit": 3}).json()
    assert [f["id"] for f in first["features"]] == inside[:3] and first["numberMatched"] == len(inside)
    following = next(link["href"] for link in first["links"] if link["rel"] == "next")
    engine = api.app.state.engine
    with engine.begin() as conn:  # the last one in the box goes, after its ids were read
        conn.execute(update(Facility).where(Facility.id == inside[-1]).values(deleted_at=datetime.now(UTC)))
    try:
        target = urlsplit(following)
        rest, _links = _harvest(api, target.path, **dict(parse_qsl(target.query)))
        assert [f["id"] for f in rest] == inside[3:-1]
        assert api.get(following).json()["numberMatched"] == len(inside) - 1
    finally:
        with engine.begin() as conn:
            conn.execute(update(Facility).where(Facility.id == inside[-1]).values(deleted_at=None))
    assert api.get(ITEMS, params={"bbox": BOX}).json()["numberMatched"] == len(inside)


def test_districts_and_gaps(api: TestClient) -> None:
    districts = api.get("/ogc/collections/districts/items", params={"limit": 100}).json()
    assert districts["numberMatched"] == 8 and {f["geometry"]["type"] for f in districts["features"]} == {
        "MultiPolygon"
    }
    county = api.get("/ogc/collections/districts/items", params={"level": "district"}).json()
    assert county["numberMatched"] == 7
    gaps = api.get("/ogc/collections/coverage_gaps/items", params={"limit": 100}).json()
    reference = api.get("/api/v1/coverage/gaps", params={"kind": "station"}).json()
    assert sorted(f["id"] for f in gaps["features"]) == sorted(f["properties"]["adcode"] for f in reference["features"])
    assert api.get("/ogc/collections/coverage_gaps/items", params={"filter": "name = 'x'"}).status_code == 400


def test_queryables_are_json_schema(api: TestClient) -> None:
    response = api.get("/ogc/collections/facilities/queryables")
    assert response.headers["content-type"].startswith("application/schema+json")
    body = response.json()
    assert body["properties"]["geometry"]["format"] == "geometry-point"
    assert body["properties"]["kind"]["enum"] == ["station", "rest_base", "mediation_centre"]
    assert body["properties"]["updated_at"] == {"title": "updated_at", "type": "string", "format": "date-time"}


def test_openapi_is_3_0_and_self_contained(api: TestClient) -> None:
    response = api.get("/ogc/api")
    assert response.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    body = response.json()
    assert body["openapi"].startswith("3.0.") and "$ref" not in json.dumps(body)
    params = {p["name"]: p for p in body["paths"]["/collections/stations/items"]["get"]["parameters"]}
    assert params["limit"]["schema"]["maximum"] == MAX_LIMIT
    assert {"bbox", "crs", "filter", "sortby", "datetime", "kind", "status"} <= set(params)


def test_html_pages_in_chinese_and_english_escape_everything(api: TestClient) -> None:
    hostile = api.get(ITEMS, params={"code": "T-HOSTILE", "f": "html"})
    assert hostile.headers["content-type"].startswith("text/html")
    assert HOSTILE not in hostile.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.text
    assert '<html lang="zh-CN">' in api.get("/ogc", headers={"accept": "text/html"}).text
    english = api.get("/ogc/collections", params={"f": "html", "lang": "en"}).text
    assert '<html lang="en">' in english and "All facilities" in english
    for path in (
        "/ogc/conformance",
        "/ogc/collections/stations",
        "/ogc/collections/stations/queryables",
        f"{ITEMS}/1",
        "/ogc/api",
    ):
        assert api.get(path, params={"f": "html"}).status_code == 200, path
