"""Single-facility reads and writes for the editing API. The caller owns the transaction.

Every change is a conditional UPDATE on (id, version) that raises the version by one, so a write based
on a version someone else has already replaced touches no row — atomically, on both backends: PostgreSQL
re-checks the WHERE clause after waiting for the other writer's row lock, and SQLite serialises writers
(the statement begins its write transaction and waits for the lock before it reads the row).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from geoalchemy2 import WKTElement
from sqlalchemy import Connection, RowMapping, and_, column, func, insert, literal_column, select, table, update
from sqlalchemy.exc import IntegrityError

from geo_service.db.models import District, Facility
from geo_service.queries.facilities import FACILITY_COLUMNS
from geo_service.records import FacilityRecord

#: The public columns plus what only signed-in callers see (and what the ETag is made of).
DETAIL_COLUMNS = (
    *FACILITY_COLUMNS,
    Facility.version,
    Facility.deleted_at,
    Facility.last_verified_by,
    Facility.import_batch_id,
    Facility.source,
    Facility.created_at,
    Facility.updated_at,
)
_CODE_CONSTRAINT = "uq_facility_code"
_SPATIALITE_DISTRICT_RTREE = table(
    "idx_district_geom", column("pkid"), column("xmin"), column("xmax"), column("ymin"), column("ymax")
)


class WriteOutcome(Enum):
    WRITTEN = "written"
    STALE = "stale"  # no row has that id and version any more
    CODE_TAKEN = "code_taken"  # another facility (perhaps soft-deleted) already has the code


@dataclass(frozen=True)
class CoveringDistrict:
    adcode: str
    name: str


def facility_detail(conn: Connection, facility_id: int) -> RowMapping | None:
    """The facility with its stewardship columns, soft-deleted or not (None when there is no such id)."""
    query = (
        select(*DETAIL_COLUMNS)
        .join(District, District.adcode == Facility.district_adcode)
        .where(Facility.id == facility_id)
    )
    return conn.execute(query).mappings().first()


def facility_id_by_code(conn: Connection, code: str) -> int | None:
    return conn.scalar(select(Facility.id).where(Facility.code == code))


def _is_code_violation(exc: IntegrityError) -> bool:
    """A unique violation of facility.code, as PostgreSQL (constraint name) or SQLite (column) words it."""
    text = str(exc.orig)
    return _CODE_CONSTRAINT in text or "facility.code" in text


def record_values(record: FacilityRecord) -> dict[str, object]:
    """Column values of a validated record (the point as a WGS-84 geometry)."""
    return record.model_dump(exclude={"lon", "lat"}) | {"geom": WKTElement(record.wkt, srid=4326)}


def insert_facility(conn: Connection, record: FacilityRecord, now: datetime) -> int | None:
    """The new facility's id (version 1), or None when its code is taken."""
    values = record_values(record) | {"version": 1, "created_at": now, "updated_at": now}
    try:
        return int(conn.execute(insert(Facility).values(values).returning(Facility.id)).scalar_one())
    except IntegrityError as exc:
        if _is_code_violation(exc):
            return None
        raise


def update_if_version(
    conn: Connection, facility_id: int, expected_version: int, values: Mapping[str, object], now: datetime
) -> WriteOutcome:
    """`UPDATE … SET …, version = version + 1, updated_at = now WHERE id = :id AND version = :expected`."""
    statement = (
        update(Facility)
        .where(Facility.id == facility_id, Facility.version == expected_version)
        .values({**values, "version": Facility.version + 1, "updated_at": now})
    )
    try:
        result = conn.execute(statement)
    except IntegrityError as exc:
        if _is_code_violation(exc):
            return WriteOutcome.CODE_TAKEN
        raise
    return WriteOutcome.WRITTEN if result.rowcount == 1 else WriteOutcome.STALE


def covering_districts(conn: Connection, lon: float, lat: float) -> list[CoveringDistrict]:
    """County-level districts whose polygon covers the WGS-84 point (boundary included): one inside a
    district, two on a shared border, none outside. ST_Covers on both backends, behind the spatial index."""
    point = func.ST_GeomFromText(f"POINT({lon!r} {lat!r})", 4326)
    query = select(District.adcode, District.name).where(District.level == "district")
    if conn.dialect.name != "postgresql":  # PostGIS's ST_Covers uses the GiST index by itself
        rtree = _SPATIALITE_DISTRICT_RTREE.c
        boxes = select(rtree.pkid).where(
            and_(rtree.xmin <= lon, rtree.xmax >= lon, rtree.ymin <= lat, rtree.ymax >= lat)
        )
        query = query.where(literal_column("district.rowid").in_(boxes))  # the R*Tree keys rows by rowid
    query = query.where(func.ST_Covers(District.geom, point)).order_by(District.adcode)
    return [CoveringDistrict(adcode, name) for adcode, name in conn.execute(query)]
