"""Checks a region's units pass before any is written, and the seat stand-in for units without one.

The checks are those the committed Binzhou boundaries pass (tests/test_boundaries.py): every unit named,
areal, valid, and no two units overlapping by more than OVERLAP_KM2 (shared borders digitised twice
differ by slivers of a few square metres, real overlaps by square kilometres).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import shapely
from pyproj import Geod
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

OVERLAP_KM2: Final = 1e-4  # 100 m²
_GEOD: Final = Geod(ellps="WGS84")


def geodesic_km2(geom: BaseGeometry) -> float:
    """Area on the WGS-84 ellipsoid of a lon/lat geometry, km²."""
    return abs(_GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def unit_problems(units: Sequence[tuple[str, str, BaseGeometry | None]]) -> list[str]:
    """Everything wrong with (code, name, lon/lat geometry) units, as `unit: problem` lines."""
    problems = []
    for code, name, geom in units:
        label = code or "?"
        if not name.strip():
            problems.append(f"{label}: 没有名称 / has no name")
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(f"{label}: 不是面 / is not a polygon ({'none' if geom is None else geom.geom_type})")
        elif not geom.is_valid:
            problems.append(f"{label}: 几何无效 / invalid geometry ({shapely.is_valid_reason(geom)})")
    if problems:
        return problems
    return _overlaps([(code, geom) for code, _, geom in units if geom is not None])


def _overlaps(units: Sequence[tuple[str, BaseGeometry]]) -> list[str]:
    geoms = [geom for _, geom in units]
    tree = shapely.STRtree(geoms)
    problems = []
    for i, j in zip(*tree.query(geoms, predicate="intersects"), strict=True):
        if i < j and geodesic_km2(geoms[i].intersection(geoms[j])) > OVERLAP_KM2:
            area = geodesic_km2(geoms[i].intersection(geoms[j]))
            problems.append(f"{units[i][0]}: 与 {units[j][0]} 重叠 / overlaps {units[j][0]} by {area:.3f} km²")
    return problems


def pole_of_inaccessibility(geom: BaseGeometry) -> tuple[float, float]:
    """(lon, lat) of the point of the unit's largest part farthest from its edge: the stand-in for a seat
    of government the data does not give. Found in degrees of longitude shrunk by cos(latitude), so
    east-west and north-south distances weigh alike, to about 10 m."""
    parts = list(getattr(geom, "geoms", [geom]))
    largest = max(parts, key=lambda p: p.area)
    scale = math.cos(math.radians(largest.centroid.y))
    squeezed = shapely.transform(largest, lambda xy: xy * [scale, 1.0])
    assert isinstance(squeezed, Polygon)
    point = polylabel(squeezed, tolerance=1e-4)
    return round(point.x / scale, 6), round(point.y, 6)
