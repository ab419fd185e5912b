"""User-supplied geometry (demand points, candidate sites, a study polygon) as GeoJSON, validated.

The shape of the GeoJSON is checked by geojson-pydantic models, which also document it in OpenAPI; all
of a field's problems become one error naming that field. What a schema cannot say — WGS-84 ranges,
weights, polygon validity, size — is checked when the geometry is read, again naming the field and, for
points, each bad feature's index, so a planner can fix the file instead of guessing; nothing is computed
on a partly valid set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import shapely
from geojson_pydantic import Feature, FeatureCollection, MultiPolygon, Point, Polygon
from numpy.typing import NDArray
from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo_service.errors import InvalidParameter

MAX_POINTS = 200_000
MAX_PROBLEMS = 10
#: Largest weight of one point: MAX_POINTS of them still add up to a finite total (1e308 + 1e308 is inf,
#: and coverage shares were then NaN, written as null); no population or demand count comes near it.
MAX_WEIGHT = 1e15  # listed in one message; the rest are counted


class PointFeature(Feature[Point, dict[str, Any]]):
    """A Feature whose geometry is a Point (WGS-84 lon/lat); `properties` may be left out."""

    geometry: Point
    properties: dict[str, Any] | None = None


def _one_error(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """The GeoJSON model's problems with a field as one error on the field: the first problem of each
    feature (or member), with its path, so a file with many bad features gives a short message."""
    try:
        return handler(value)
    except ValidationError as exc:
        first: dict[tuple[int | str, ...], str] = {}
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            first.setdefault(tuple(error["loc"][:2]), f"{path}: {error['msg']}" if path else error["msg"])
        raise PydanticCustomError(
            "geojson", f"不是有效的 GeoJSON (not valid GeoJSON): {_listed(list(first.values()))}"
        ) from None


#: A GeoJSON FeatureCollection of Points (WGS-84 lon/lat)
PointCollection = Annotated[FeatureCollection[PointFeature], WrapValidator(_one_error)]
#: A GeoJSON Polygon or MultiPolygon (WGS-84 lon/lat)
AreaGeometry = Annotated[Polygon | MultiPolygon, Field(discriminator="type"), WrapValidator(_one_error)]


@dataclass(frozen=True)
class PointSet:
    """Points read from a collection, aligned by position."""

    lonlat: NDArray[np.float64]  # (n, 2)
    weights: NDArray[np.float64]  # properties[weight_key], 1 where absent
    properties: list[dict[str, Any]]


def read_points(collection: FeatureCollection[PointFeature], parameter: str, weight_key: str | None = None) -> PointSet:
    """The points of a collection; weights come from properties[weight_key] and must be finite and ≥ 0."""
    features = collection.features
    if not features:
        raise InvalidParameter(parameter, "has no features")
    if len(features) > MAX_POINTS:
        raise InvalidParameter(parameter, f"has {len(features):,} features; at most {MAX_POINTS:,}")
    lonlat, weights, properties, problems = [], [], [], []
    for index, feature in enumerate(features):
        props = feature.properties or {}
        try:
            point, weight = _lonlat(feature.geometry), _weight(props, weight_key)
        except ValueError as exc:
            problems.append(f"feature {index}: {exc}")
            continue
        lonlat.append(point)
        weights.append(weight)
        properties.append(props)
    if problems:
        raise InvalidParameter(parameter, _listed(problems))
    return PointSet(np.array(lonlat, dtype=np.float64), np.array(weights, dtype=np.float64), properties)


def _lonlat(point: Point) -> tuple[float, float]:
    lon, lat = point.coordinates[0], point.coordinates[1]
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"({lon}, {lat}) is not a WGS-84 lon/lat")
    return lon, lat


def _weight(props: dict[str, Any], key: str | None) -> float:
    if key is None or props.get(key) is None:
        return 1.0
    try:
        weight = float(props[key])
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number") from None
    if not math.isfinite(weight) or not 0 <= weight <= MAX_WEIGHT:
        raise ValueError(f"{key} must be finite, from 0 to {MAX_WEIGHT:g}")
    return weight


def _listed(problems: Sequence[str]) -> str:
    more = len(problems) - MAX_PROBLEMS
    return "; ".join(problems[:MAX_PROBLEMS]) + (f" (+{more} more)" if more > 0 else "")


def read_area(geometry: Polygon | MultiPolygon, parameter: str) -> BaseGeometry:
    """A non-empty, valid polygon in WGS-84 lon/lat: planners draw these by hand."""
    try:
        polygon = shape(geometry.__geo_interface__)
    except (IndexError, ValueError, shapely.errors.GEOSException) as exc:  # e.g. mixed 2D/3D, empty parts
        raise InvalidParameter(parameter, f"is not a GeoJSON geometry ({exc})") from None
    if polygon.is_empty:
        raise InvalidParameter(parameter, f"must be a non-empty Polygon or MultiPolygon, got {polygon.geom_type}")
    if not polygon.is_valid:
        raise InvalidParameter(parameter, f"is not a valid polygon: {shapely.is_valid_reason(polygon)}")
    west, south, east, north = polygon.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise InvalidParameter(parameter, "coordinates must be WGS-84 lon/lat")
    return polygon
