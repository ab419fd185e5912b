"""OGC API – Features items as GeoJSON: facility rows, district rows and gap features → Features in the
requested CRS (geo_service.analysis.ogc_crs), with the properties the client selected.

Dates and instants stay Python objects: JSON_OPTIONS tell orjson to write them as RFC 3339, naive ones
(SQLite keeps UTC without an offset) as UTC with a `Z` — faster than converting every value by hand.

Facility properties are flat and typed the way GIS clients build a layer schema from them (QGIS and GDAL
read the first page to decide the fields): no labels, no nested objects except the amenity list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
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
JSON_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


def _amenities(raw: Any) -> list[str]:
    """The amenity list of a row: its JSON text (as the OGC queries read it) or an already parsed list."""
    if raw is None:
        return []
    if isinstance(raw, str | bytes):
        return list(orjson.loads(raw) or [])
    return list(raw)


def _picker(indices: Sequence[int]) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """row → the values at `indices`, as a sequence whatever their number (itemgetter in C for two or more)."""
    if len(indices) > 1:
        return itemgetter(*indices)
    return lambda row: tuple(row[i] for i in indices)


def facility_features(
    rows: Sequence[Sequence[Any]],
    columns: Sequence[str],
    crs: OutputCrs,
    select: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Point features of facility rows: tuples whose `columns` name FACILITY_PROPERTIES, `id`, `lon` and
    `lat` (geo_service.queries.features.FEATURE_COLUMNS); coordinates in `crs`."""
    at = {name: i for i, name in enumerate(columns)}
    names = tuple(n for n in FACILITY_PROPERTIES if select is None or n in select)
    values = _picker([at[n] for n in names])
    amenities = at["amenities"] if "amenities" in names else None
    fid, lon, lat = at["id"], at["lon"], at["lat"]
    if crs == CRS84:
        coords = [(row[lon], row[lat]) for row in rows]
    else:
        first, second = from_lonlat([row[lon] for row in rows], [row[lat] for row in rows], crs)
        coords = list(zip(first.tolist(), second.tolist(), strict=True))
    features = []
    for row, (x, y) in zip(rows, coords, strict=True):
        props = dict(zip(names, values(row), strict=True))
        if amenities is not None:
            props["amenities"] = _amenities(row[amenities])
        geometry = {"type": "Point", "coordinates": [x, y]}
        features.append({"type": "Feature", "id": row[fid], "geometry": geometry, "properties": props})
    return features


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
