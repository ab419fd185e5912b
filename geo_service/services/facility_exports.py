"""Facility exports: the facilities matching the list's filters as one file (GeoJSON, CSV, XLSX,
GeoPackage, KML), built by geo_service.interchange so that it imports again unchanged.

What is exported: what `GET /api/v1/facilities` shows the same caller. The public gets the list's
public fields (phone included, as on the public map); an authenticated caller (viewer or higher) also
gets `source`, the provenance of each row, which is internal. Soft-deleted facilities are never
exported. Exports are bounded rather than streamed: a count first, and more than
GEO_EXPORT_MAX_ROWS matching facilities is a 422 asking for narrower filters (an XLSX or GeoPackage
cannot be streamed anyway, and the cap keeps every export importable again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, RowMapping

from geo_service.authorization import Principal
from geo_service.errors import ExportTooLarge
from geo_service.interchange import MEDIA_TYPES, ExportFormat, ExportRow, write_facilities
from geo_service.interchange.export_rows import Lang
from geo_service.queries import facilities as facility_queries
from geo_service.records import FacilityRecord
from geo_service.services.facilities import facility_filter

_RECORD_FIELDS = tuple(FacilityRecord.model_fields)


@dataclass(frozen=True)
class ExportRequest:
    """What to export: the format, the table language (CSV/XLSX headers and labels) and the list filters."""

    format: ExportFormat
    lang: Lang = "zh"
    kinds: Sequence[str] = ()
    districts: Sequence[str] = ()
    statuses: Sequence[str] = ()
    bbox: tuple[float, float, float, float] | None = None
    text: str | None = None


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    media_type: str
    file_name: str
    count: int


def _record(row: RowMapping) -> FacilityRecord:
    """A stored row as a record, without re-validating what the database already constrains (one odd
    legacy value must not make a whole export fail)."""
    values = {name: row[name] for name in _RECORD_FIELDS if name in row}
    values["amenities"] = list(values.get("amenities") or [])
    values["details"] = dict(values.get("details") or {})
    values.setdefault("source", None)
    return FacilityRecord.model_construct(**values)


def file_name(request: ExportRequest, district_adcodes: Sequence[str], today: date) -> str:
    """`facilities[-<adcode>…]-YYYYMMDD.<format>`: ASCII, so every browser saves it as named."""
    parts = ["facilities", *district_adcodes[:3], today.strftime("%Y%m%d")]
    return "-".join(parts) + f".{request.format}"


def export_facilities(
    conn: Connection, principal: Principal | None, request: ExportRequest, *, max_rows: int, today: date
) -> ExportFile:
    """The export file; ExportTooLarge (422) when more than `max_rows` facilities match."""
    filters = facility_filter(
        conn,
        kinds=request.kinds,
        districts=request.districts,
        statuses=request.statuses,
        bbox=request.bbox,
        text=request.text,
    )
    matched = facility_queries.count_facilities(conn, filters)
    if matched > max_rows:
        raise ExportTooLarge(
            f"符合条件的设施有 {matched:,} 个，超过导出上限 {max_rows:,}；请按区县、类型或范围缩小 / "
            f"{matched:,} facilities match, more than the export limit of {max_rows:,}; "
            "narrow them by district, kind or bbox"
        )
    rows = facility_queries.export_facilities(conn, filters, with_source=principal is not None)
    export = [ExportRow(_record(row), id=int(row["id"]), district_name=row["district"]) for row in rows]
    data = write_facilities(export, request.format, request.lang)
    name = file_name(request, filters.district_adcodes, today)
    return ExportFile(data, MEDIA_TYPES[request.format], name, len(export))
