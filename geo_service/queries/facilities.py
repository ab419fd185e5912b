"""Facility reads and writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from geoalchemy2 import WKTElement
from sqlalchemy import Connection, RowMapping, Select, func, insert, select

from geo_service.db.models import DataRevision, District, Facility
from geo_service.records import FacilityRecord

#: Columns every facility read returns; lon/lat come from the point so no WKB parsing is needed.
FACILITY_COLUMNS = (
    Facility.id,
    Facility.code,
    Facility.kind,
    Facility.name,
    Facility.address,
    Facility.district_adcode,
    District.name.label("district"),
    Facility.township,
    Facility.amenities,
    Facility.opening_hours,
    Facility.access_method,
    Facility.host_org,
    Facility.host_type,
    Facility.phone,
    Facility.status,
    Facility.last_verified_at,
    Facility.area_m2,
    Facility.truck_parking_spaces,
    Facility.details,
    Facility.is_sample,
    func.ST_X(Facility.geom).label("lon"),
    func.ST_Y(Facility.geom).label("lat"),
)


@dataclass(frozen=True)
class FacilityFilter:
    """Validated list filters (the service checks the codes; this only builds SQL)."""

    kinds: tuple[str, ...] = ()
    district_adcodes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()


def _filtered(query: Select, filters: FacilityFilter) -> Select:
    if filters.kinds:
        query = query.where(Facility.kind.in_(filters.kinds))
    if filters.district_adcodes:
        query = query.where(Facility.district_adcode.in_(filters.district_adcodes))
    if filters.statuses:
        query = query.where(Facility.status.in_(filters.statuses))
    return query


def list_facilities(conn: Connection, filters: FacilityFilter, limit: int, offset: int) -> Sequence[RowMapping]:
    """One page of facilities in a stable order (by id)."""
    query = select(*FACILITY_COLUMNS).join(District, District.adcode == Facility.district_adcode)
    query = _filtered(query, filters).order_by(Facility.id).limit(limit).offset(offset)
    return conn.execute(query).mappings().all()


def count_facilities(conn: Connection, filters: FacilityFilter) -> int:
    """How many facilities match, for numberMatched and paging links."""
    return int(conn.scalar(_filtered(select(func.count()).select_from(Facility), filters)) or 0)


def existing_codes(conn: Connection, codes: Sequence[str]) -> set[str]:
    """Which of `codes` are already stored (chunked to stay under SQLite's bound-parameter limit)."""
    found: set[str] = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        found.update(conn.scalars(select(Facility.code).where(Facility.code.in_(chunk))))
    return found


def insert_facilities(conn: Connection, records: Sequence[FacilityRecord]) -> int:
    """Insert facilities in one statement per chunk; the caller owns the transaction."""
    rows = [
        record.model_dump(exclude={"lon", "lat"}) | {"geom": WKTElement(record.wkt, srid=4326)} for record in records
    ]
    for start in range(0, len(rows), 500):
        conn.execute(insert(Facility), rows[start : start + 500])
    return len(rows)


def open_facilities(conn: Connection) -> Sequence[RowMapping]:
    """Every facility with status `open` (what riders are offered), for the in-memory nearest index."""
    query = select(*FACILITY_COLUMNS).join(District, District.adcode == Facility.district_adcode)
    return conn.execute(query.where(Facility.status == "open").order_by(Facility.id)).mappings().all()


def data_revision(conn: Connection) -> int:
    """The counter that triggers bump on every facility/district write (migration 0002)."""
    return int(conn.scalar(select(DataRevision.revision).where(DataRevision.id == 1)) or 0)
