"""`read_upload`: bytes of an uploaded file → RawTable, whatever the format.

The body cap is checked first, then the format is detected from the content, then one reader runs;
each reader checks the row cap while it reads and refuses hostile containers before parsing them.
"""

from __future__ import annotations

from geo_service.interchange.detect import detect_format
from geo_service.interchange.limits import UploadLimits, check_body_size
from geo_service.interchange.read_csv import read_csv
from geo_service.interchange.read_geojson import read_geojson
from geo_service.interchange.tables import RawTable


def read_upload(file_name: str, data: bytes, limits: UploadLimits, *, layer: str | None = None) -> RawTable:
    """Read an import file. `layer` picks a worksheet (XLSX) or layer (GeoPackage, Shapefile zip) by its
    exact name; by default the first.

    Raises PayloadTooLarge (413), UnsupportedFile (415) or InvalidFile (422); never anything else for
    any input bytes.

    The XLSX and GDAL readers are imported when their format first comes (openpyxl and GDAL cost a
    serving worker ~45 MB that most never use).
    """
    check_body_size(len(data), limits)
    fmt = detect_format(file_name, data)
    if fmt == "csv":
        return read_csv(data, limits)
    if fmt == "xlsx":
        from geo_service.interchange.read_xlsx import read_xlsx

        return read_xlsx(data, limits, sheet=layer)
    if fmt == "geojson":
        return read_geojson(data, limits)
    from geo_service.interchange.read_ogr import read_gpkg, read_kml, read_shapefile_zip

    if fmt == "gpkg":
        return read_gpkg(data, limits, layer=layer)
    if fmt == "shapefile":
        return read_shapefile_zip(data, limits, layer=layer)
    return read_kml(data, limits)
