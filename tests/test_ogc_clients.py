"""Real GIS clients against a real server on loopback, on both backends: GDAL's OAPIF driver (through
pyogrio) and OWSLib read every collection, every page, bbox and attribute filters, and EPSG:4490, and get
exactly the database's counts and coordinates. Pages are capped at 50 features (GEO_OGC_MAX_LIMIT), so
reading the 300-odd facilities takes several pages in every client."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pyogrio
import pytest
from owslib.ogcapi.features import Features
from shapely.geometry import Point, box

from tests import browser
from tests.databases import BACKENDS
from tests.ogc_data import expected, ogc_database

EXPECTED = expected()
PAGE = 50
COLLECTIONS = ["facilities", "stations", "rest_bases", "mediation_centres", "districts", "coverage_gaps"]
AREA = (117.9, 37.3, 118.1, 37.5)
EPSG_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = ogc_database(str(request.param), tmp_path_factory.mktemp("clients"))
    with database as url, browser.serve(url, ogc_max_limit=str(PAGE)) as base:
        yield base


def _positions(frame) -> dict[str, tuple[float, float]]:
    return {code: (geom.x, geom.y) for code, geom in zip(frame["code"], frame.geometry, strict=True)}


def _truth(where=lambda f: True) -> dict[str, tuple[float, float]]:
    return {f["code"]: (f["lon"], f["lat"]) for f in EXPECTED.features if where(f)}


def test_gdal_lists_every_collection(server: str) -> None:
    layers = pyogrio.list_layers(f"OAPIF:{server}/ogc")
    assert [str(name) for name, _geometry in layers] == COLLECTIONS


def test_gdal_reads_every_facility_across_pages(server: str) -> None:
    frame = pyogrio.read_dataframe(f"OAPIF:{server}/ogc/collections/facilities")
    assert len(frame) == len(EXPECTED.features) > 5 * PAGE
    assert _positions(frame) == _truth()  # exact: GDAL reads the same doubles the database holds
    assert frame.crs.to_string() in ("OGC:CRS84", "EPSG:4326")


def test_gdal_honours_bbox_and_attribute_filters(server: str) -> None:
    frame = pyogrio.read_dataframe(f"OAPIF:{server}/ogc/collections/facilities", bbox=AREA)
    assert _positions(frame) == _truth(lambda f: box(*AREA).intersects(Point(f["lon"], f["lat"])))
    frame = pyogrio.read_dataframe(
        f"OAPIF:{server}/ogc/collections/facilities", where="kind = 'rest_base' AND status = 'open'"
    )
    assert _positions(frame) == _truth(
        lambda f: f["properties"]["kind"] == "rest_base" and f["properties"]["status"] == "open"
    )


def test_gdal_reads_in_cgcs2000(server: str) -> None:
    frame = pyogrio.read_dataframe(f"OAPIF:{server}/ogc/collections/stations", CRS="EPSG:4490")
    assert frame.crs.to_epsg() == 4490
    assert _positions(frame) == _truth(lambda f: f["properties"]["kind"] == "station")  # GDAL hands lon/lat back


def test_gdal_reads_districts_and_gaps(server: str) -> None:
    districts = pyogrio.read_dataframe(f"OAPIF:{server}/ogc/collections/districts")
    assert sorted(districts["adcode"]) == sorted(districts["adcode"].unique()) and len(districts) == 8
    gaps = pyogrio.read_dataframe(f"OAPIF:{server}/ogc/collections/coverage_gaps")
    assert len(gaps) >= 1 and all(gaps.geometry.is_valid)


def _owslib_all(api: Features, collection: str, **params) -> list[dict]:
    """Every page, following the server's next links (their `after` key) as a client must."""
    features, extra = [], {}
    while True:
        page = api.collection_items(collection, limit=PAGE, **params, **extra)
        features += page["features"]
        nxt = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        if nxt is None:
            return features
        extra = {"after": parse_qs(urlsplit(nxt).query)["after"][0]}


def test_owslib_reads_the_same(server: str) -> None:
    api = Features(f"{server}/ogc")
    assert [c["id"] for c in api.collections()["collections"]] == COLLECTIONS
    everything = _owslib_all(api, "facilities")
    assert {f["properties"]["code"]: tuple(f["geometry"]["coordinates"]) for f in everything} == _truth()
    in_area = _owslib_all(api, "facilities", bbox=list(AREA))
    assert {f["properties"]["code"] for f in in_area} == set(
        _truth(lambda f: box(*AREA).intersects(Point(f["lon"], f["lat"])))
    )
    filtered = _owslib_all(api, "facilities", filter="kind = 'mediation_centre'")
    assert {f["properties"]["code"] for f in filtered} == EXPECTED.codes(lambda p: p["kind"] == "mediation_centre")
    cgcs = _owslib_all(api, "stations", crs=EPSG_4490)
    truth = _truth(lambda f: f["properties"]["kind"] == "station")
    assert {f["properties"]["code"]: tuple(f["geometry"]["coordinates"][::-1]) for f in cgcs} == truth  # lat, lon
    assert "area_m2" in api.collection_queryables("facilities")["properties"]
