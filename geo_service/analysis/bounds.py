"""Bounding boxes in WGS-84 lon/lat: their union, and a box grown by a distance.

A grown box is a coarse gate or pre-filter (is a query point near the data? which sites can reach an
area?), never a distance measurement: it must over-reach, never fall short, so it grows by the shortest
degree of latitude and widens longitude for the box's edge farthest from the equator.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

import numpy as np
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

#: (west, south, east, north) in degrees
Bounds = tuple[float, float, float, float]

METRES_PER_DEGREE_MIN: Final = 110_574.0  # a degree of latitude at the equator, the shortest anywhere
_MIN_COS_LAT: Final = 0.01  # caps the longitude widening near the poles (~89.4°)


def union_bounds(boxes: Iterable[Bounds]) -> Bounds | None:
    """The smallest box holding every box; None when there are none."""
    listed = list(boxes)
    if not listed:
        return None
    return (
        min(b[0] for b in listed),
        min(b[1] for b in listed),
        max(b[2] for b in listed),
        max(b[3] for b in listed),
    )


def points_bounds(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Bounds | None:
    """The box of points given as lon and lat arrays; None when there are none."""
    if not len(lon):
        return None
    return (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))


def grown_bounds(bounds: Bounds, margin_m: float) -> Bounds:
    """`bounds` grown by at least margin_m on every side."""
    west, south, east, north = bounds
    dlat = margin_m / METRES_PER_DEGREE_MIN
    dlon = dlat / max(math.cos(math.radians(max(abs(south), abs(north)) + dlat)), _MIN_COS_LAT)
    return (west - dlon, south - dlat, east + dlon, north + dlat)


def contains(bounds: Bounds, lon: float, lat: float) -> bool:
    """Whether (lon, lat) is inside `bounds`, edges included."""
    west, south, east, north = bounds
    return west <= lon <= east and south <= lat <= north


def points_near(lonlat: NDArray[np.float64], area: BaseGeometry, reach_m: float) -> NDArray[np.float64]:
    """The rows of an (n, 2) lon/lat array inside the area's box grown by reach_m: a superset of the points
    within reach_m of the area (the sites whose service area can touch it)."""
    west, south, east, north = grown_bounds(area.bounds, reach_m)
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    return lonlat[(lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)]
