"""OGC API – Features items as GeoJSON: facility rows, district rows and gap features → Features in the
requested CRS (geo_service.analysis.ogc_crs), with the properties the client selected.

Dates and instants stay Python objects: JSON_OPTIONS tell orjson to write them as RFC 3339, naive ones
(SQLite keeps UTC without an offset) as UTC with a `Z` — faster than converting every value by hand.

Facility properties are flat and typed the way GIS clients build a layer schema from them (QGIS and GDAL
read the first page to decide the fields): no labels, no nested objects except the amenity list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import shapely
from shapely import wkb
from shapely.geometry import mapping

from geo_service.analysis.ogc_crs import CRS84, OutputCrs, from_lonlat, geometry_from_lonlat

FACILITY_PROPERTIES = (
    "code",
    "kind",
    "name",
    "address",
    "district_code",
    "district",
    "township",
    "amenities",
    "opening_hours",
    "access_method",
    "host_org",
    "host_type",
    "phone",
    "status",
    "last_verified_at",
    "area_m2",
    "truck_parking_spaces",
    "is_sample",
    "updated_at",
)
DISTRICT_PROPERTIES = ("adcode", "name", "level", "parent_adcode", "population", "population_year")
GAP_PROPERTIES = ("adcode", "name", "area_km2", "uncovered_demand")
_ROW_KEYS = {"district_code": "district_adcode"}
JSON_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


def _facility_properties(row: Mapping[str, Any], pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    props = {name: row[key] for name, key in pairs}
    if "amenities" in props:
        props["amenities"] = list(props["amenities"] or [])
    return props


def facility_features(
    rows: Sequence[Mapping[str, Any]], crs: OutputCrs, select: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Point features of facility rows (columns of geo_service.queries.features), coordinates in `crs`."""
    pairs = [(n, _ROW_KEYS.get(n, n)) for n in FACILITY_PROPERTIES if select is None or n in select]
    if crs == CRS84:
        coords = [(row["lon"], row["lat"]) for row in rows]
    else:
        first, second = from_lonlat([row["lon"] for row in rows], [row["lat"] for row in rows], crs)
        coords = list(zip(first.tolist(), second.tolist(), strict=True))
    return [
        {
            "type": "Feature",
            "id": row["id"],
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": _facility_properties(row, pairs),
        }
        for row, (x, y) in zip(rows, coords, strict=True)
    ]


def _shape_feature(fid: Any, geom: shapely.Geometry, props: dict[str, Any], crs: OutputCrs) -> dict[str, Any]:
    if geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    return {"type": "Feature", "id": fid, "geometry": mapping(geometry_from_lonlat(geom, crs)), "properties": props}


def district_features(
    rows: Sequence[Mapping[str, Any]], crs: OutputCrs, select: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """MultiPolygon features of district rows (with their outline as WKB)."""
    names = [n for n in DISTRICT_PROPERTIES if select is None or n in select]
    return [_shape_feature(row["id"], wkb.loads(bytes(row["wkb"])), {n: row[n] for n in names}, crs) for row in rows]


def gap_features(gaps: Sequence[Any], crs: OutputCrs, select: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """MultiPolygon features of the computed coverage gaps (geo_service.services.ogc_gaps.GapFeature)."""
    names = [n for n in GAP_PROPERTIES if select is None or n in select]
    out = []
    for gap in gaps:
        values = {
            "adcode": gap.id,
            "name": gap.name,
            "area_km2": gap.area_km2,
            "uncovered_demand": gap.uncovered_demand,
        }
        out.append(_shape_feature(gap.id, gap.geometry, {n: values[n] for n in names}, crs))
    return out


def feature_collection(features: list[dict[str, Any]], matched: int, links: list[dict[str, str]]) -> dict[str, Any]:
    """An items page: the features with numberMatched, numberReturned, timeStamp and links."""
    return {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }
