"""GeoJSON FeatureCollections of Points, parsed with orjson (no GDAL: lists and objects survive).

Property values that are lists or objects (amenities, details) are kept as their JSON text, booleans as
`true`/`false`, so a GeoJSON export reads back through the same cell parsers as a spreadsheet. The
legacy `crs` member (GeoJSON 2008) is reported as the file's CRS; RFC 7946 files have none.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from geo_service.errors import InvalidFile
from geo_service.interchange import cells, messages
from geo_service.interchange.file_crs import normalise_crs
from geo_service.interchange.limits import UploadLimits, check_row_count
from geo_service.interchange.tables import CellValue, RawRow, RawTable, RowIssue


def read_geojson(data: bytes, limits: UploadLimits) -> RawTable:
    try:
        document = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise InvalidFile(
            "不是有效的 GeoJSON（须为 UTF-8 编码的 JSON）", f"not valid GeoJSON (UTF-8 JSON): {exc}"
        ) from None
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise InvalidFile("GeoJSON 须为 FeatureCollection", "the GeoJSON must be a FeatureCollection")
    check_row_count(len(features), limits)
    rows = [_row(number, feature) for number, feature in enumerate(features, start=1)]
    headers = list(dict.fromkeys(key for row in rows for key in row.values))
    return RawTable(format="geojson", headers=headers, rows=rows, encoding="utf-8", source_crs=_crs_member(document))


def _crs_member(document: dict[str, Any]) -> str | None:
    crs = document.get("crs")
    props = crs.get("properties") if isinstance(crs, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    return normalise_crs(name) if isinstance(name, str) else None


def _value(value: Any) -> CellValue:
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return cells.normalise(value)


def _row(number: int, feature: Any) -> RawRow:
    if not isinstance(feature, dict):
        return RawRow(number=number, values={}, issues=(messages.issue(number, "geometry", "", messages.NOT_POINT),))
    props = feature.get("properties")
    values = {str(key): _value(value) for key, value in props.items()} if isinstance(props, dict) else {}
    point, problem = _point(number, feature.get("geometry"))
    lon, lat = point if point else (None, None)
    return RawRow(number=number, values=values, lon=lon, lat=lat, issues=(problem,) if problem else ())


def _point(number: int, geometry: Any) -> tuple[tuple[float, float] | None, RowIssue | None]:
    """The point of a Point (or one-point MultiPoint) geometry; None without geometry; else an issue."""
    if geometry is None:
        return None, None
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind == "MultiPoint" and isinstance(coords, list) and len(coords) == 1:
        kind, coords = "Point", coords[0]
    if kind != "Point":
        return None, messages.issue(number, "geometry", kind or "", messages.NOT_POINT)
    if not isinstance(coords, list) or len(coords) < 2 or not all(_is_number(c) for c in coords[:2]):
        return None, messages.issue(number, "geometry", orjson.dumps(coords).decode(), messages.NOT_A_NUMBER)
    return (float(coords[0]), float(coords[1])), None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
