"""The values that travel between the stages of an import: a file read into rows, and the issues found.

Readers (`read_*`) produce a RawTable of untyped cells; `columns` decides which header is which field;
`rows` turns cells into validated FacilityInput records or RowIssues. Keeping these plain frozen
dataclasses means the database side and the HTTP routes can hold, count and serialise them without
knowing which reader made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FileFormat = Literal["csv", "xlsx", "geojson", "gpkg", "shapefile", "kml"]
#: Formats whose rows carry a point geometry (lon/lat columns are then not needed).
GEOMETRY_FORMATS: frozenset[FileFormat] = frozenset({"geojson", "gpkg", "shapefile", "kml"})

#: One cell as read: text, a number, or empty. Booleans, dates, lists and objects are turned into text
#: by the readers (`true`, `2026-07-07`, JSON) so every later stage sees one small set of types.
CellValue = str | float | int | None


@dataclass(frozen=True)
class RowIssue:
    """One problem with one cell (a rejection) or one remark about it (a warning).

    `row` is the number the user sees: the spreadsheet row (header = row 1 ⇒ first data row = 2), or the
    1-based feature index of a GeoJSON/GeoPackage/Shapefile/KML. `field` is the canonical field
    (`lat`, `amenities`, … or `row`/`geometry`/`file`), `column` the header as written in the file.
    """

    row: int
    field: str
    value: str
    reason_zh: str
    reason_en: str
    column: str | None = None


@dataclass(frozen=True)
class RawRow:
    """One data row: its cells by header, and for geometry formats the point in the file's CRS.

    `issues` holds what the reader itself refuses in this row (a formula cell, more cells than headers,
    a non-point geometry); they become rejections in `rows.parse_rows`.
    """

    number: int
    values: dict[str, CellValue]
    lon: float | None = None
    lat: float | None = None
    issues: tuple[RowIssue, ...] = ()


@dataclass(frozen=True)
class RawTable:
    """An uploaded file as rows of cells, before any column is interpreted.

    `encoding` is the text encoding detected or declared (CSV: `utf-8`, `utf-8-sig`, `gb18030`, `utf-16`;
    Shapefile: its .cpg), `source_crs` the CRS the file states (`EPSG:4326`, `OGC:CRS84`, or WKT from a
    .prj), `layer` the sheet or layer that was read.
    """

    format: FileFormat
    headers: list[str]
    rows: list[RawRow]
    encoding: str | None = None
    source_crs: str | None = None
    layer: str | None = None
    warnings: tuple[RowIssue, ...] = field(default=())

    @property
    def has_geometry(self) -> bool:
        return self.format in GEOMETRY_FORMATS
