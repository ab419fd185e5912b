"""Facility listing and lookup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, RowMapping

from geo_service import vocab
from geo_service.errors import InvalidParameter
from geo_service.queries import districts as district_queries
from geo_service.queries import facilities as facility_queries
from geo_service.services.validation import check_codes


@dataclass(frozen=True)
class FacilityPage:
    rows: Sequence[RowMapping]
    matched: int
    limit: int
    offset: int


def _resolve_districts(conn: Connection, keys: Sequence[str]) -> tuple[str, ...]:
    adcodes = []
    for key in keys:
        adcode = district_queries.resolve_district(conn, key)
        if adcode is None:
            raise InvalidParameter("district", f"unknown district {key!r}; give an adcode (371602) or a name (滨城区)")
        adcodes.append(adcode)
    return tuple(adcodes)


def list_facilities(
    conn: Connection,
    *,
    kinds: Sequence[str],
    districts: Sequence[str],
    statuses: Sequence[str],
    limit: int,
    offset: int,
) -> FacilityPage:
    """A page of facilities filtered by kind, district (adcode or name) and status."""
    filters = facility_queries.FacilityFilter(
        kinds=check_codes("kind", kinds, vocab.KINDS),
        district_adcodes=_resolve_districts(conn, districts),
        statuses=check_codes("status", statuses, vocab.STATUSES),
    )
    rows = facility_queries.list_facilities(conn, filters, limit, offset)
    matched = facility_queries.count_facilities(conn, filters)
    return FacilityPage(rows=rows, matched=matched, limit=limit, offset=offset)
