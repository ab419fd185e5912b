"""Facility listing and lookup."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, RowMapping

from geo_service import vocab
from geo_service.analysis.bounds import Bounds, union_bounds
from geo_service.errors import InvalidParameter
from geo_service.queries import districts as district_queries
from geo_service.queries import facilities as facility_queries
from geo_service.queries import regions as region_queries
from geo_service.services.validation import check_codes, resolve_districts


@dataclass(frozen=True)
class FacilityPage:
    rows: Sequence[RowMapping]
    matched: int
    limit: int
    offset: int


def parse_bbox(raw: str | None, parameter: str = "bbox") -> tuple[float, float, float, float] | None:
    """`minlon,minlat,maxlon,maxlat` (WGS-84) as a tuple; None when absent; a 422 naming `parameter` if bad."""
    if raw is None or not raw.strip():
        return None
    try:
        west, south, east, north = (float(part) for part in raw.split(","))
    except ValueError:
        raise InvalidParameter(parameter, f"expected minlon,minlat,maxlon,maxlat, got {raw!r}") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise InvalidParameter(parameter, f"coordinates must be finite numbers, got {raw!r}")
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidParameter(
            parameter, f"need -180 <= minlon <= maxlon <= 180 and -90 <= minlat <= maxlat <= 90: {raw!r}"
        )
    return west, south, east, north


def facility_filter(
    conn: Connection,
    *,
    kinds: Sequence[str] = (),
    districts: Sequence[str] = (),
    statuses: Sequence[str] = (),
    bbox: tuple[float, float, float, float] | None = None,
    text: str | None = None,
) -> facility_queries.FacilityFilter:
    """Checked filters: codes of the vocabularies, districts by adcode or name, a bounding box, a search text."""
    return facility_queries.FacilityFilter(
        kinds=check_codes("kind", kinds, vocab.KINDS),
        district_adcodes=resolve_districts(conn, districts),
        statuses=check_codes("status", statuses, vocab.STATUSES),
        bbox=bbox,
        text=(text or "").strip() or None,
    )


def list_facilities(
    conn: Connection,
    *,
    kinds: Sequence[str],
    districts: Sequence[str],
    statuses: Sequence[str],
    limit: int,
    offset: int,
    bbox: tuple[float, float, float, float] | None = None,
    text: str | None = None,
) -> FacilityPage:
    """A page of facilities filtered by kind, district (adcode or name), status, bounding box and name/code."""
    filters = facility_filter(conn, kinds=kinds, districts=districts, statuses=statuses, bbox=bbox, text=text)
    return matching_page(conn, filters, limit, offset)


def matching_page(
    conn: Connection, filters: facility_queries.FacilityFilter, limit: int, offset: int = 0
) -> FacilityPage:
    """A page of the facilities matching checked filters (see facility_filter), with the total matched."""
    rows = facility_queries.list_facilities(conn, filters, limit, offset)
    matched = facility_queries.count_facilities(conn, filters)
    return FacilityPage(rows=rows, matched=matched, limit=limit, offset=offset)


def count_matching(conn: Connection, filters: facility_queries.FacilityFilter) -> int:
    """How many facilities match checked filters."""
    return facility_queries.count_facilities(conn, filters)


def density_grid(conn: Connection, filters: facility_queries.FacilityFilter, cell_deg: float) -> Sequence[RowMapping]:
    """Matching facilities counted per grid cell of `cell_deg` degrees (count, mean lon/lat per cell)."""
    if not math.isfinite(cell_deg) or cell_deg <= 0:
        raise InvalidParameter("cell", f"must be a positive number of degrees, got {cell_deg}")
    return facility_queries.grid_counts(conn, filters, cell_deg)


def counts_by_district(conn: Connection, filters: facility_queries.FacilityFilter) -> dict[str, int]:
    """adcode → matching facilities."""
    return facility_queries.count_by_district(conn, filters)


def data_extent(conn: Connection) -> Bounds | None:
    """(west, south, east, north) of every district: the area the data covers (None when there are none)."""
    return union_bounds(district_queries.district_boxes(conn))


def empty_regions(conn: Connection) -> list[str]:
    """Names of the stored regions that hold no facility yet: a new region starts empty, and its pages
    say so rather than show a bare map."""
    return [row["name"] for row in region_queries.list_regions(conn) if not row["facilities"]]


def region_extents(conn: Connection) -> tuple[Bounds, ...]:
    """The box of each region: the nearest gate serves points near any of them, not the sea between two
    regions a continent apart."""
    boxes = (union_bounds(group) for group in district_queries.boxes_by_region(conn).values())
    return tuple(box for box in boxes if box is not None)


def district_outlines(conn: Connection, districts: Sequence[str] = ()) -> Sequence[RowMapping]:
    """County-level districts (all, or those named by adcode or name) with population, seat and WKB outline."""
    return district_queries.district_shapes(conn, resolve_districts(conn, districts))
