"""A driver's route as sent by a client: a GeoJSON LineString, a GPX file, an encoded polyline, or a
`lon,lat;lon,lat` list (the form Amap's route answers use), in WGS-84, GCJ-02 or BD-09.

Every form becomes one pair of WGS-84 vertex arrays, converted once (analysis.crs). The caps
(vertex count, length) are checked as early as each form allows: the count before any conversion.
"""

from __future__ import annotations

import math
import re
from typing import Literal

import gpxpy
import gpxpy.gpx
import numpy as np
import polyline
from geojson_pydantic import LineString

from geo_service.analysis import crs
from geo_service.analysis.metric import ZONE_WIDTH_DEG
from geo_service.errors import InvalidParameter

RouteFormat = Literal["geojson", "gpx", "polyline", "lonlat"]
ROUTE_FORMATS: tuple[RouteFormat, ...] = ("geojson", "gpx", "polyline", "lonlat")
_LONLAT_LIST = re.compile(r"^\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*(;\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*)*;?\s*$")
_XML_DECLARATIONS = ("<!DOCTYPE", "<!ENTITY")


def _refuse(message_zh: str, message_en: str, code: str = "route_unreadable") -> InvalidParameter:
    """A 422 on the body's route, Chinese first; `code` names the problem for pages (maps.i18n error_<code>)."""
    return InvalidParameter("route", f"{message_zh} / {message_en}", location="body", code=code)


def infer_format(route: LineString | str) -> RouteFormat:
    if isinstance(route, LineString):
        return "geojson"
    text = route.lstrip()
    if text.startswith("<"):
        return "gpx"
    # an encoded polyline is written in the characters ? … ~ only: a leading digit or sign is a number list
    return "lonlat" if text[:1] in set("0123456789-") else "polyline"


def _positions(route: LineString | str, form: RouteFormat, precision: int) -> list[tuple[float, float]]:
    """(lon, lat) vertices in the sender's coordinate system."""
    if form == "geojson":
        if not isinstance(route, LineString):
            raise _refuse(
                "route_format geojson 需要 GeoJSON LineString 对象",
                "route_format geojson needs a GeoJSON LineString object",
            )
        return [(float(p[0]), float(p[1])) for p in route.coordinates]
    if not isinstance(route, str):
        raise _refuse(f"route_format {form} 需要字符串形式的路线", f"route_format {form} needs the route as a string")
    if form == "gpx":
        return _gpx(route)
    if form == "lonlat":
        if not _LONLAT_LIST.match(route):
            raise _refuse("应为 `经度,纬度;经度,纬度;…`", "expected `lon,lat;lon,lat;…`")
        return [(float(x), float(y)) for x, y in (pair.split(",") for pair in route.strip().strip(";").split(";"))]
    try:
        return [(lon, lat) for lat, lon in polyline.decode(route.strip(), precision)]
    except (ValueError, TypeError, IndexError) as exc:
        raise _refuse(
            f"不是精度为 {precision} 的编码折线", f"not an encoded polyline of precision {precision}"
        ) from exc


def _gpx(text: str) -> list[tuple[float, float]]:
    if any(marker in text for marker in _XML_DECLARATIONS):
        raise _refuse("不接受含 DOCTYPE 或实体的 GPX", "GPX with a DOCTYPE or entities is not accepted")
    try:
        document = gpxpy.parse(text)
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise _refuse("无法读取的 GPX 文件", f"not a readable GPX file: {exc}") from exc
    track = [(p.longitude, p.latitude) for t in document.tracks for s in t.segments for p in s.points]
    planned = [(p.longitude, p.latitude) for r in document.routes for p in r.points]
    return track or planned


def read_route(
    route: LineString | str,
    form: RouteFormat | None,
    coord_system: crs.CoordSystem,
    *,
    precision: int = 5,
    max_points: int,
) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 lon and lat arrays of the route's vertices (consecutive repeats dropped)."""
    positions = _positions(route, form or infer_format(route), precision)
    if len(positions) > max_points:
        raise _refuse(
            f"路线有 {len(positions)} 个点，最多 {max_points} 个（请简化）",
            f"has {len(positions)} points; at most {max_points} are searched along (simplify it)",
            "route_too_many_points",
        )
    values = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(values).all():
        raise _refuse("每个坐标都须是有限数值", "every coordinate must be a finite number", "route_coordinates")
    lon, lat = values[:, 0], values[:, 1]
    if ((np.abs(lon) > 180) | (np.abs(lat) > 90)).any():
        raise _refuse(
            "坐标应为经度、纬度（度；经度 ±180 内，纬度 ±90 内）",
            "coordinates must be lon, lat in degrees (lon within ±180, lat within ±90)",
            "route_coordinates",
        )
    if coord_system != "wgs84":
        lon, lat = crs.to_wgs84(lon, lat, coord_system)
    moved = np.ones(len(lon), dtype=bool)
    moved[1:] = (np.diff(lon) != 0) | (np.diff(lat) != 0)
    lon, lat = lon[moved], lat[moved]
    if len(lon) < 2:
        raise _refuse("路线至少需要两个不同的点", "needs at least two distinct points", "route_too_few_points")
    if float(lon.max() - lon.min()) > ZONE_WIDTH_DEG:
        raise _refuse(
            f"路线跨越超过 {ZONE_WIDTH_DEG:g}° 经度，请分段查询",
            f"spans more than {ZONE_WIDTH_DEG:g}° of longitude; search it in parts",
            "route_too_wide",
        )
    return lon, lat


def check_length(length_m: float, max_length_m: float) -> None:
    if not math.isfinite(length_m) or length_m > max_length_m:
        raise _refuse(
            f"路线长 {length_m / 1000:.0f} 公里，最多 {max_length_m / 1000:g} 公里",
            f"is {length_m / 1000:.0f} km long; at most {max_length_m / 1000:g} km are searched along",
            "route_too_long",
        )
