"""The committed Binzhou boundaries: areas, validity, tiling, and their round trip through each backend."""

from __future__ import annotations

import itertools
import json

import pytest
from pyproj import Geod
from shapely.geometry import shape
from shapely.ops import unary_union
from sqlalchemy import Engine, text

from geo_service.data_files import BOUNDARIES
from tests.databases import DATA_DIR

GEOD = Geod(ellps="WGS84")
# Published areas (km²) the derived polygons must match within 0.5%.
EXPECTED_KM2 = {
    "371600": 9139,
    "371602": 1041,
    "371603": 1784,
    "371621": 1368,
    "371622": 795,
    "371623": 2001,
    "371625": 896,
    "371681": 1254,
}


def _features() -> dict[str, dict]:
    data = json.loads((DATA_DIR / BOUNDARIES).read_text(encoding="utf-8"))
    return {f["properties"]["adcode"]: f for f in data["features"]}


def geodesic_km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


@pytest.mark.parametrize(("adcode", "expected"), sorted(EXPECTED_KM2.items()))
def test_area_within_half_a_percent(adcode: str, expected: float) -> None:
    area = geodesic_km2(shape(_features()[adcode]["geometry"]))
    assert area == pytest.approx(expected, rel=0.005)


def test_valid_multipolygons_in_wgs84_range() -> None:
    for feature in _features().values():
        geom = shape(feature["geometry"])
        assert geom.geom_type == "MultiPolygon" and geom.is_valid and not geom.is_empty
        minx, miny, maxx, maxy = geom.bounds
        assert 117 < minx < maxx < 119 and 36 < miny < maxy < 39


def test_districts_do_not_overlap_and_tile_the_city() -> None:
    features = _features()
    districts = {code: shape(f["geometry"]) for code, f in features.items() if f["properties"]["level"] == "district"}
    assert len(districts) == 7
    for (a, ga), (b, gb) in itertools.combinations(districts.items(), 2):
        overlap = ga.intersection(gb)
        assert overlap.is_empty or geodesic_km2(overlap) < 1e-4, f"{a} overlaps {b}"
    city = shape(features["371600"]["geometry"])
    assert geodesic_km2(city.symmetric_difference(unary_union(list(districts.values())))) < 0.01


def _db_area_km2(engine: Engine, adcode: str) -> float:
    if engine.dialect.name == "postgresql":
        sql = "SELECT ST_Area(geom::geography) FROM district WHERE adcode = :a"
    else:
        sql = "SELECT ST_Area(geom, 1) FROM district WHERE adcode = :a"
    with engine.connect() as conn:
        return float(conn.execute(text(sql), {"a": adcode}).scalar_one()) / 1e6


@pytest.mark.parametrize("adcode", sorted(EXPECTED_KM2))
def test_database_area_matches_file(loaded_engine: Engine, adcode: str) -> None:
    """Each backend's own geodesic area of the stored polygon agrees with pyproj's on the file."""
    expected = geodesic_km2(shape(_features()[adcode]["geometry"]))
    assert _db_area_km2(loaded_engine, adcode) == pytest.approx(expected, rel=1e-4)
