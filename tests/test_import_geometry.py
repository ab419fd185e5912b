"""The pure parts of the import checks: point-in-district and distance to a district in metres, pairs
of points within a radius (against a brute-force geodesic matrix), and name similarity."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo_service.analysis.districts import DistrictShapes
from geo_service.analysis.proximity import pairs_within
from geo_service.services.import_checks import comparable_name, similar_names

GEOD = Geod(ellps="WGS84")
SQUARES = DistrictShapes({"A": shapely.box(117.0, 37.0, 118.0, 38.0), "B": shapely.box(118.0, 37.0, 119.0, 38.0)})


def test_containment_and_the_shared_edge() -> None:
    lon = np.array([117.5, 118.5, 120.0, 118.0])
    lat = np.array([37.5, 37.5, 37.5, 37.5])
    assert SQUARES.contains("A", lon, lat).tolist() == [True, False, False, True]  # the edge counts
    assert SQUARES.contains("unknown", lon, lat).tolist() == [False] * 4
    assert [SQUARES.containing(x, y) for x, y in zip(lon, lat, strict=True)] == ["A", "B", None, "A"]


@pytest.mark.parametrize("metres", [30.0, 150.0, 2000.0])
def test_distance_outside_a_district_is_geodesic_metres(metres: float) -> None:
    """East of the meridian edge at 118°: the distance is the geodesic to the edge at that latitude."""
    lon, lat, _ = GEOD.fwd(118.0, 37.5, 90.0, metres)
    assert SQUARES.distance_m("A", lon, lat) == pytest.approx(metres, rel=1e-3)
    assert SQUARES.distance_m("A", 117.5, 37.5) == 0.0
    assert SQUARES.distance_m("nowhere", 117.5, 37.5) == float("inf")


def test_locate_takes_the_nearest_district_within_the_tolerance() -> None:
    lon, lat, _ = GEOD.fwd(119.0, 37.5, 90.0, 100.0)  # 100 m east of B
    assert SQUARES.locate(lon, lat, tolerance_m=150) == "B"
    assert SQUARES.locate(lon, lat, tolerance_m=50) is None
    assert SQUARES.locate(117.2, 37.2, tolerance_m=0) == "A"


def test_pairs_within_match_a_brute_force_geodesic_matrix() -> None:
    rng = np.random.default_rng(20261202)
    first = np.column_stack([117.9 + rng.random(300) * 0.01, 37.4 + rng.random(300) * 0.01])
    second = np.column_stack([117.9 + rng.random(200) * 0.01, 37.4 + rng.random(200) * 0.01])
    a, b = np.meshgrid(np.arange(300), np.arange(200), indexing="ij")
    _, _, metres = GEOD.inv(first[a.ravel(), 0], first[a.ravel(), 1], second[b.ravel(), 0], second[b.ravel(), 1])
    expected = {(int(i), int(j)) for i, j, d in zip(a.ravel(), b.ravel(), metres, strict=True) if d <= 50}
    found = pairs_within(first, second, 50.0)
    assert {(p.a, p.b) for p in found} == expected and len(expected) > 50
    assert all(p.distance_m <= 50 for p in found)
    assert [(p.a, p.distance_m) for p in found] == sorted((p.a, p.distance_m) for p in found)
    assert pairs_within(first[:0], second, 50.0) == []


@pytest.mark.parametrize(
    ("first", "second", "similar"),
    [
        ("滨城区市中街道工会驿站", "滨城区市中街道工会驿站（示例）", True),  # a bracketed note
        ("市中街道 工会驿站", "市中街道工会驿站", True),  # spacing
        ("ＡＢＣ驿站", "abc驿站", True),  # full-width, case
        ("黄河五路工会驿站", "黄河五路驿站", True),  # contained
        ("建设银行工会驿站", "工商银行工会驿站", False),  # another bank: 75% alike
        ("邮政驿站", "加油站", False),
        ("", "驿站", False),
    ],
)
def test_similar_names(first: str, second: str, similar: bool) -> None:
    assert similar_names(first, second) is similar
    assert comparable_name("Ａ·B（注）") == "ab"
