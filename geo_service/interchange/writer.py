"""`write_facilities`: ExportRows → the bytes of one export file, plus its media type and extension."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from geo_service.interchange.export_rows import ExportRow, Lang

ExportFormat = Literal["geojson", "csv", "xlsx", "gpkg", "kml"]
EXPORT_FORMATS: Final[tuple[ExportFormat, ...]] = ("geojson", "csv", "xlsx", "gpkg", "kml")
MEDIA_TYPES: Final[dict[ExportFormat, str]] = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
    "kml": "application/vnd.google-earth.kml+xml",
}


def write_facilities(rows: Sequence[ExportRow], fmt: ExportFormat, lang: Lang = "zh") -> bytes:
    """The export file. `lang` chooses CSV/XLSX headers and labels (zh: Chinese, en: English codes);
    layers always use English field names. Every format reads back through read_upload + map_columns
    + parse_rows(source_crs="wgs84") to the same records.

    The writers are imported on first use (openpyxl and GDAL cost a serving worker ~45 MB that most
    never use)."""
    from geo_service.interchange.write_layers import write_geojson, write_gpkg, write_kml
    from geo_service.interchange.write_tables import write_csv, write_xlsx

    if fmt == "csv":
        return write_csv(rows, lang)
    if fmt == "xlsx":
        return write_xlsx(rows, lang)
    if fmt == "geojson":
        return write_geojson(rows)
    if fmt == "gpkg":
        return write_gpkg(rows)
    if fmt == "kml":
        return write_kml(rows)
    raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
