"""Facility files in and out, database-free: reading uploads into validated rows with a row-by-row
report, and writing exports. The database side (upserts, batches, audit) and the HTTP routes build on
these functions.

Why a package of one-job modules rather than one flat module: an import passes through five distinct
stages (guard the container, decode the format, map the headers, parse the cells, convert the
coordinates), each with its own hostile-input concerns and tests; exports are a second direction with
their own formats. One module per stage keeps each under a screen and lets the readers be swapped
without touching the validation.

    read_upload(name, data, limits)      reader.py  → RawTable      (tables.py; detect, archive, xml_guard, read_*)
    map_columns(headers, mapping)        columns.py → ColumnMap
    parse_rows(table, columns, crs, districts)  rows.py → ParsedRows  (values, coords, messages)
    write_facilities(rows, fmt, lang)    writer.py  → bytes         (export_rows, write_tables, write_layers)

A round trip — write_facilities, then read_upload + map_columns + parse_rows with crs wgs84 — gives
back every record exactly, in every format.
"""

from geo_service.interchange.columns import ColumnMap, map_columns
from geo_service.interchange.export_rows import ExportRow
from geo_service.interchange.limits import UploadLimits, check_body_size
from geo_service.interchange.reader import read_upload
from geo_service.interchange.rows import DistrictAt, ParsedRow, ParsedRows, parse_rows
from geo_service.interchange.tables import FileFormat, RawRow, RawTable, RowIssue
from geo_service.interchange.writer import EXPORT_FORMATS, MEDIA_TYPES, ExportFormat, write_facilities

__all__ = [
    "EXPORT_FORMATS",
    "MEDIA_TYPES",
    "ColumnMap",
    "DistrictAt",
    "ExportFormat",
    "ExportRow",
    "FileFormat",
    "ParsedRow",
    "ParsedRows",
    "RawRow",
    "RawTable",
    "RowIssue",
    "UploadLimits",
    "check_body_size",
    "map_columns",
    "parse_rows",
    "read_upload",
    "write_facilities",
]
