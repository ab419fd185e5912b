"""User-supplied geometry (demand points, candidate sites, a study polygon) as GeoJSON, validated.

Every problem is reported with the feature's index and names the request field, so a planner can fix
the file instead of guessing; nothing is computed on a partly valid set.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo_service.errors import InvalidParameter

MAX_POINTS = 200_000


def parse_points(
    collection: Any, parameter: str, weight_key: str | None = None
) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """(lon/lat array, weights, properties) of a FeatureCollection of Points in WGS-84.

    Weights come from properties[weight_key] (default 1); they must be finite and ≥ 0."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise InvalidParameter(parameter, "must be a GeoJSON FeatureCollection of Points (WGS-84 lon/lat)")
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidParameter(parameter, "has no features")
    if len(features) > MAX_POINTS:
        raise InvalidParameter(parameter, f"has {len(features):,} features; at most {MAX_POINTS:,}")
    lonlat, weights, properties, problems = [], [], [], []
    for index, feature in enumerate(features):
        try:
            point, props = _point(feature)
            weight = _weight(props, weight_key)
        except ValueError as exc:
            problems.append(f"feature {index}: {exc}")
            continue
        lonlat.append(point)
        weights.append(weight)
        properties.append(props)
    if problems:
        raise InvalidParameter(
            parameter, "; ".join(problems[:10]) + (f" (+{len(problems) - 10} more)" if len(problems) > 10 else "")
        )
    return np.array(lonlat, dtype=np.float64), np.array(weights, dtype=np.float64), properties


def _point(feature: Any) -> tuple[tuple[float, float], dict]:
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise ValueError("geometry must be a Point")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list | tuple) or len(coords) < 2:
        raise ValueError("Point needs [lon, lat]")
    try:
        lon, lat = float(coords[0]), float(coords[1])
    except (TypeError, ValueError):
        raise ValueError("coordinates must be numbers") from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"({coords[0]}, {coords[1]}) is not a WGS-84 lon/lat")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise ValueError("properties must be an object")
    return (lon, lat), props


def _weight(props: dict, key: str | None) -> float:
    if key is None or props.get(key) is None:
        return 1.0
    try:
        weight = float(props[key])
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number") from None
    if not math.isfinite(weight) or weight < 0:
        raise ValueError(f"{key} must be finite and ≥ 0")
    return weight


def parse_area(geometry: Any, parameter: str) -> BaseGeometry:
    """A GeoJSON Polygon/MultiPolygon (WGS-84) that must be valid: planners draw these by hand."""
    try:
        polygon = shape(geometry)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
        raise InvalidParameter(parameter, f"is not a GeoJSON geometry ({exc})") from None
    if polygon.geom_type not in ("Polygon", "MultiPolygon") or polygon.is_empty:
        raise InvalidParameter(parameter, f"must be a non-empty Polygon or MultiPolygon, got {polygon.geom_type}")
    if not polygon.is_valid:
        raise InvalidParameter(parameter, f"is not a valid polygon: {shapely.is_valid_reason(polygon)}")
    west, south, east, north = polygon.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise InvalidParameter(parameter, "coordinates must be WGS-84 lon/lat")
    return polygon
