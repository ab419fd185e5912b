"""Table and layer exports in the formats planners open: CSV (UTF-8 with BOM for Excel), XLSX,
GeoPackage and GeoJSON. Pure functions from (Geo)DataFrames to bytes."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
    "geojson": "application/geo+json",
    "zip": "application/zip",
}


def table_bytes(frame: pd.DataFrame, fmt: str, sheet: str = "summary", notes: dict[str, object] | None = None) -> bytes:
    """CSV or XLSX of a table; XLSX gets a second sheet with the notes (method, radius, sources)."""
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8-sig")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet, index=False)
        if notes:
            pd.DataFrame({"item": list(notes), "value": [str(v) for v in notes.values()]}).to_excel(
                writer, sheet_name="notes", index=False
            )
    return buffer.getvalue()


def geopackage_bytes(layers: dict[str, gpd.GeoDataFrame]) -> bytes:
    """One GeoPackage holding each frame as the layer of its name (empty frames left out)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "layers.gpkg"
        for name, frame in layers.items():
            if len(frame):
                frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
        return path.read_bytes()


def layer_bytes(frame: gpd.GeoDataFrame, fmt: str, layer: str) -> bytes:
    """GeoPackage or GeoJSON of a layer (WGS-84)."""
    if fmt == "geojson":
        return frame.to_json(drop_id=True, ensure_ascii=False).encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{layer}.gpkg"
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        return path.read_bytes()
