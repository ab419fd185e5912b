"""GCJ-02 / BD-09 conversions: round trips and agreement with two independent implementations."""

from __future__ import annotations

import eviltransform
import numpy as np
import prcoords
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geo_service.analysis import crs

GEOD = Geod(ellps="WGS84")
# Binzhou and a margin around it (the service area the boundaries cover).
LONS = st.floats(min_value=117.0, max_value=118.7)
LATS = st.floats(min_value=36.5, max_value=38.5)


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@settings(max_examples=300, deadline=None)
@given(LONS, LATS)
def test_wgs_gcj_round_trip_under_1m(lon: float, lat: float) -> None:
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    assert metres(lon, lat, float(back[0]), float(back[1])) < 1.0


@settings(max_examples=300, deadline=None)
@given(LONS, LATS)
def test_wgs_bd_round_trip_under_1m(lon: float, lat: float) -> None:
    back = crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lon, lat))
    assert metres(lon, lat, float(back[0]), float(back[1])) < 1.0


@settings(max_examples=200, deadline=None)
@given(LONS, LATS)
def test_gcj_agrees_with_eviltransform(lon: float, lat: float) -> None:
    ours = crs.wgs84_to_gcj02(lon, lat)
    their_lat, their_lon = eviltransform.wgs2gcj(lat, lon)
    assert metres(float(ours[0]), float(ours[1]), their_lon, their_lat) < 1.0
    ours_inv = crs.gcj02_to_wgs84(lon, lat)
    inv_lat, inv_lon = eviltransform.gcj2wgs_exact(lat, lon)
    assert metres(float(ours_inv[0]), float(ours_inv[1]), inv_lon, inv_lat) < 1.0


@settings(max_examples=200, deadline=None)
@given(LONS, LATS)
def test_bd_agrees_with_prcoords(lon: float, lat: float) -> None:
    ours = crs.wgs84_to_bd09(lon, lat)
    theirs = prcoords.wgs_bd(prcoords.Coords(lat, lon))
    assert metres(float(ours[0]), float(ours[1]), theirs.lon, theirs.lat) < 1.0
    ours_inv = crs.bd09_to_wgs84(lon, lat)
    theirs_inv = prcoords.bd_wgs_bored(prcoords.Coords(lat, lon))
    assert metres(float(ours_inv[0]), float(ours_inv[1]), theirs_inv.lon, theirs_inv.lat) < 1.0


def test_offset_in_binzhou_is_about_half_a_kilometre() -> None:
    """The reason the conversion matters: the GCJ-02 shift is larger than the station spacing rule."""
    gcj = crs.wgs84_to_gcj02(117.97, 37.38)
    assert 400 < metres(117.97, 37.38, float(gcj[0]), float(gcj[1])) < 700


def test_vectorised_matches_scalar() -> None:
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(117, 118.7, 50), rng.uniform(36.5, 38.5, 50)
    vec = crs.wgs84_to_bd09(lon, lat)
    for i in range(50):
        one = crs.wgs84_to_bd09(lon[i], lat[i])
        assert (vec[0][i], vec[1][i]) == (float(one[0]), float(one[1]))


def test_outside_china_is_unchanged() -> None:
    lon, lat = crs.wgs84_to_gcj02(2.35, 48.85)
    assert (float(lon), float(lat)) == (2.35, 48.85)


@pytest.mark.parametrize("system", crs.COORD_SYSTEMS)
def test_to_and_from_wgs84_are_inverse(system: crs.CoordSystem) -> None:
    lon, lat = crs.from_wgs84(118.0, 37.4, system)
    back = crs.to_wgs84(lon, lat, system)
    assert metres(118.0, 37.4, float(back[0]), float(back[1])) < 0.01


def test_unknown_system_rejected() -> None:
    with pytest.raises(ValueError, match="unknown coordinate system"):
        crs.to_wgs84(118.0, 37.4, "utm")  # type: ignore[arg-type]
