"""Facility layers for GIS tools: GeoJSON (RFC 7946, written directly with orjson so amenities stay a
list and details an object), GeoPackage and KML (through pyogrio/GDAL, flat typed attributes:
amenities as comma-separated codes, details as JSON text). All in WGS-84 lon/lat.

KML's own `id` attribute belongs to the placemark, so the database id is written as `facility_id`
there; the facility name becomes the placemark name, which every KML viewer shows.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import orjson
import pyogrio.raw
import shapely

from geo_service.interchange.export_rows import ExportRow, amenities_text, details_text, layer_properties

LAYER_NAME: Final = "facilities"


def write_geojson(rows: Sequence[ExportRow]) -> bytes:
    features = [
        {
            "type": "Feature",
            "id": row.id,
            "geometry": {"type": "Point", "coordinates": [row.record.lon, row.record.lat]},
            "properties": layer_properties(row),
        }
        for row in rows
    ]
    return orjson.dumps({"type": "FeatureCollection", "name": LAYER_NAME, "features": features})


def _flat(rows: Sequence[ExportRow]) -> list[dict[str, Any]]:
    """Layer properties with lists and objects as text, dates ISO (GDAL fields are scalars)."""
    flat = []
    for row in rows:
        props = layer_properties(row)
        props["amenities"] = amenities_text(row.record.amenities, "en")
        props["details"] = details_text(row.record.details)
        verified = row.record.last_verified_at
        props["last_verified_at"] = verified.isoformat() if verified else None
        props.setdefault("sample_label", None)
        flat.append(props)
    return flat


def _column(values: list[Any]) -> np.ndarray:
    """A typed field array: ints, bools and floats (None → NaN, written as null), text as object."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present) and len(present) == len(values):
        return np.array(values, dtype=bool)
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present) and len(present) == len(values):
        return np.array(values, dtype=np.int64)
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return np.array([None if v is None else str(v) for v in values], dtype=object)


def _write_ogr(rows: Sequence[ExportRow], driver: str, suffix: str, id_field: str) -> bytes:
    flat = _flat(rows)
    names = list(flat[0]) if flat else ["code", "name"]
    fields = [id_field if name == "id" else name for name in names]
    data = [_column([props.get(name) for props in flat]) for name in names]
    points = shapely.points([row.record.lon for row in rows], [row.record.lat for row in rows])
    with tempfile.TemporaryDirectory(prefix="geo-export-") as tmp:
        path = Path(tmp) / f"{LAYER_NAME}{suffix}"
        pyogrio.raw.write(
            path,
            shapely.to_wkb(np.atleast_1d(points)),
            data,
            fields,
            layer=LAYER_NAME,
            driver=driver,
            geometry_type="Point",
            crs="EPSG:4326",
        )
        return path.read_bytes()


def write_gpkg(rows: Sequence[ExportRow]) -> bytes:
    return _write_ogr(rows, "GPKG", ".gpkg", "id")


def write_kml(rows: Sequence[ExportRow]) -> bytes:
    return _write_ogr(rows, "KML", ".kml", "facility_id")
