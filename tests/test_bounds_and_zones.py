"""Boxes grown by a distance, bounds unions, zones and point projection, checked against pyproj's
geodesic (an independent measure) and hand-computed answers; no database."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo_service.analysis.bounds import contains, grown_bounds, points_near, union_bounds
from geo_service.analysis.metric import ZONE_WIDTH_DEG, local_frame, zones

GEOD = Geod(ellps="WGS84")
RNG = np.random.default_rng(8)


def test_union_bounds_by_hand() -> None:
    assert union_bounds([(1, 2, 3, 4), (0, 3, 2, 5), (2, -1, 2.5, 0)]) == (0, -1, 3, 5)
    assert union_bounds([(1, 2, 3, 4)]) == (1, 2, 3, 4)
    assert union_bounds([]) is None


@pytest.mark.parametrize("case", range(40))
def test_a_grown_box_holds_every_point_within_the_margin(case: int) -> None:
    """From each corner and edge midpoint, walk margin_m geodesically outwards: still inside."""
    west, south = RNG.uniform(-170, 160), RNG.uniform(-75, 70)
    box = (west, south, west + RNG.uniform(0.01, 8), south + RNG.uniform(0.01, 4))
    margin_m = RNG.uniform(100, 100_000)
    grown = grown_bounds(box, margin_m)
    w, s, e, n = box
    starts = {(w, s): (180, 270), (w, n): (0, 270), (e, s): (90, 180), (e, n): (0, 90)}
    starts |= {(w, (s + n) / 2): (270,), (e, (s + n) / 2): (90,), ((w + e) / 2, s): (180,), ((w + e) / 2, n): (0,)}
    for (lon, lat), directions in starts.items():
        for azimuth in np.linspace(min(directions), max(directions), 7):
            end_lon, end_lat, _ = GEOD.fwd(lon, lat, azimuth, margin_m * 0.999999)
            assert contains(grown, end_lon, end_lat), (box, margin_m, azimuth)


def test_a_grown_box_over_reaches_by_at_most_about_one_percent_in_latitude() -> None:
    for lat in (0.0, 37.4, 60.0):
        grown = grown_bounds((118.0, lat - 0.1, 118.2, lat), 50_000)
        reach = GEOD.inv(118.1, lat, 118.1, grown[3])[2]
        assert 50_000 <= reach <= 50_000 * 1.011


def test_points_near_keeps_every_point_within_reach() -> None:
    area = shapely.Polygon([(117.5, 37.2), (118.3, 37.3), (118.1, 37.9), (117.7, 37.8)])
    points = np.column_stack([RNG.uniform(116.5, 119.3, 4000), RNG.uniform(36.4, 38.7, 4000)])
    kept = {tuple(p) for p in points_near(points, area, 20_000)}
    ring = np.asarray(shapely.segmentize(area.exterior, 0.002).coords)
    for lon, lat in points:
        _, _, distances = GEOD.inv(np.full(len(ring), lon), np.full(len(ring), lat), ring[:, 0], ring[:, 1])
        if area.contains(shapely.Point(lon, lat)) or distances.min() <= 20_000:
            assert (lon, lat) in kept
    assert len(kept) < len(points)  # it does filter


def test_a_narrow_area_is_one_zone_with_its_parts_untouched() -> None:
    parts = [shapely.box(117.0, 37.0, 117.5, 37.5), shapely.box(119.5, 37.0, 120.5, 37.8)]  # straddles 120°E
    (zone,) = zones(parts)
    assert zone.parts[0] is parts[0] and zone.parts[1] is parts[1]
    assert zone.extent.bounds == (117.0, 37.0, 120.5, 37.8)


def test_a_wide_area_is_cut_into_bands_that_add_up() -> None:
    parts = [shapely.box(118.0, 30.0, 125.0, 31.0), shapely.box(127.0, 30.0, 128.0, 31.0)]  # bands 19, 20, 21
    found = zones(parts)
    assert len(found) == 3
    for zone in found:
        west, _, east, _ = zone.extent.bounds
        band = np.floor(west / ZONE_WIDTH_DEG)
        assert east <= (band + 1) * ZONE_WIDTH_DEG
    for i, part in enumerate(parts):
        assert sum(zone.parts[i].area for zone in found) == pytest.approx(part.area)
    assert found[1].parts[1].is_empty  # the second box lies only in the third band


def test_projected_points_keep_geodesic_distances_and_round_trip() -> None:
    frame = local_frame(118.0, 37.4)
    lonlat = np.column_stack([RNG.uniform(117.5, 118.5, 200), RNG.uniform(37.0, 37.8, 200)])
    xy = frame.project_points(lonlat)
    planar = np.hypot(*(xy[1:] - xy[:-1]).T)
    _, _, geodesic = GEOD.inv(lonlat[:-1, 0], lonlat[:-1, 1], lonlat[1:, 0], lonlat[1:, 1])
    np.testing.assert_allclose(planar, geodesic, rtol=1e-4)
    np.testing.assert_allclose(frame.unproject_points(xy), lonlat, atol=1e-9)
    assert frame.project_points(np.empty((0, 2))).shape == (0, 2)
