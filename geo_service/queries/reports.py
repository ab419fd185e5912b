"""Problem report reads and writes. The caller owns the transaction.

The per-address limit is counted in the database, so it holds across workers and hosts: the new row is
inserted first and the window counted after it, in the same transaction. On SQLite the insert takes the
write lock, so no other writer can slip in between; on PostgreSQL a transaction-scoped advisory lock on
the address hash serialises the submissions of one address (and only those).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Row, func, insert, select, true, update

from geo_service import vocab
from geo_service.db.models import Facility, ProblemReport


@dataclass(frozen=True)
class NewReport:
    facility_id: int
    kind: str
    note: str | None
    lon: float | None  # WGS-84, both or neither
    lat: float | None
    address_hash: str


@dataclass(frozen=True)
class StoredReport:
    """A report with what its queue shows of the facility. The address hash never leaves this module."""

    id: int
    facility_id: int
    facility_code: str
    facility_name: str
    district_adcode: str
    kind: str
    kind_label: str  # the kind in words, for queues and clients that show it
    note: str | None
    lon: float | None
    lat: float | None
    status: str
    resolution: str | None
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ReportFilter:
    status: str | None = None
    facility_id: int | None = None
    district_adcodes: tuple[str, ...] | None = None  # None: every district


_COLUMNS = (
    ProblemReport.id,
    ProblemReport.facility_id,
    Facility.code.label("facility_code"),
    Facility.name.label("facility_name"),
    Facility.district_adcode,
    ProblemReport.kind,
    ProblemReport.note,
    ProblemReport.lon,
    ProblemReport.lat,
    ProblemReport.status,
    ProblemReport.resolution,
    ProblemReport.resolution_note,
    ProblemReport.resolved_by,
    ProblemReport.resolved_at,
    ProblemReport.created_at,
)


def _lock_address(conn: Connection, address_hash: str) -> None:
    if conn.dialect.name == "postgresql":
        key = int(address_hash[:15], 16)  # 60 bits of the hash: a bigint advisory lock key
        conn.execute(select(func.pg_advisory_xact_lock(key)))


def insert_report(conn: Connection, report: NewReport, now: datetime) -> int:
    """Insert the report (status open) and return its id; count the window next with `count_since`."""
    _lock_address(conn, report.address_hash)
    values = {**report.__dict__, "status": "open", "created_at": now}
    return int(conn.execute(insert(ProblemReport).values(values).returning(ProblemReport.id)).scalar_one())


def count_since(conn: Connection, address_hash: str, since: datetime) -> tuple[int, datetime | None]:
    """Reports from the address created after `since`, and the oldest of them."""
    query = select(func.count(), func.min(ProblemReport.created_at)).where(
        ProblemReport.address_hash == address_hash, ProblemReport.created_at > since
    )
    count, oldest = conn.execute(query).one()  # min() keeps the column's type: an aware UTC datetime
    return int(count), oldest


def _where(filters: ReportFilter) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = true()
    if filters.status is not None:
        condition = condition & (ProblemReport.status == filters.status)
    if filters.facility_id is not None:
        condition = condition & (ProblemReport.facility_id == filters.facility_id)
    if filters.district_adcodes is not None:
        condition = condition & Facility.district_adcode.in_(filters.district_adcodes)
    return condition


def _report(row: Row) -> StoredReport:
    kind = row._mapping["kind"]
    return StoredReport(**row._mapping, kind_label=vocab.REPORT_KINDS.get(kind, kind))


def list_reports(
    conn: Connection, filters: ReportFilter, limit: int, offset: int, *, newest_first: bool = False
) -> list[StoredReport]:
    """Matching reports, oldest first (a queue), or newest first."""
    query = select(*_COLUMNS).join(Facility, Facility.id == ProblemReport.facility_id).where(_where(filters))
    order = ProblemReport.id.desc() if newest_first else ProblemReport.id
    return [_report(row) for row in conn.execute(query.order_by(order).limit(limit).offset(offset))]


def count_reports(conn: Connection, filters: ReportFilter) -> int:
    query = select(func.count()).select_from(ProblemReport).join(Facility, Facility.id == ProblemReport.facility_id)
    return int(conn.scalar(query.where(_where(filters))) or 0)


def report_by_id(conn: Connection, report_id: int) -> StoredReport | None:
    query = select(*_COLUMNS).join(Facility, Facility.id == ProblemReport.facility_id)
    row = conn.execute(query.where(ProblemReport.id == report_id)).first()
    return None if row is None else _report(row)


def resolve_if_open(
    conn: Connection, report_id: int, *, status: str, resolution: str, note: str | None, by: str, at: datetime
) -> bool:
    """Close an open report; False when it is no longer open (someone resolved it first)."""
    statement = (
        update(ProblemReport)
        .where(ProblemReport.id == report_id, ProblemReport.status == "open")
        .values(status=status, resolution=resolution, resolution_note=note, resolved_by=by, resolved_at=at)
    )
    return conn.execute(statement).rowcount == 1
