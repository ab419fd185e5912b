"""Facility reads and writes."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import orjson
from geoalchemy2 import WKTElement
from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    Select,
    Text,
    and_,
    cast,
    column,
    func,
    insert,
    or_,
    select,
    table,
)

from geo_service.db.models import DataRevision, District, Facility, ProblemReport, facility_change
from geo_service.records import FacilityColumns, FacilityRecord

#: A facility's position as two columns, so no WKB parsing is needed.
POSITION = (func.ST_X(Facility.geom).label("lon"), func.ST_Y(Facility.geom).label("lat"))
#: Open problem reports of the facility of the row (an index lookup on (status, facility_id)).
OPEN_REPORTS = (
    select(func.count())
    .select_from(ProblemReport)
    .where(ProblemReport.status == "open", ProblemReport.facility_id == Facility.id)
    .correlate(Facility)
    .scalar_subquery()
)

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
    *POSITION,
    OPEN_REPORTS.label("open_reports"),
)


@dataclass(frozen=True)
class FacilityFilter:
    """Validated list filters (the service checks the codes; this only builds SQL)."""

    kinds: tuple[str, ...] = ()
    district_adcodes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north (WGS-84, west <= east)
    text: str | None = None  # substring of the name or the code, case-insensitive
    include_deleted: bool = False  # soft-deleted rows are invisible unless asked for (an admin restoring)
    is_sample: bool | None = None  # only synthetic rows (True), only real ones (False), or both
    verified_before: date | None = None  # never verified, or last verified before this date
    with_open_reports: bool = False  # only facilities with problem reports waiting
    ids: tuple[int, ...] = ()  # only these facilities


# SpatiaLite's R*Tree of facility.geom (created by GeoAlchemy2's spatial_index); PostGIS uses its GiST index.
_SPATIALITE_RTREE = table(
    "idx_facility_geom", column("pkid"), column("xmin"), column("xmax"), column("ymin"), column("ymax")
)


def _in_bbox(bbox: tuple[float, float, float, float], dialect: str) -> ColumnElement[bool]:
    """Points inside the box, edges included: an index-backed prefilter plus the exact comparison."""
    west, south, east, north = bbox
    if dialect == "postgresql":
        prefilter = Facility.geom.op("&&")(func.ST_MakeEnvelope(west, south, east, north, 4326))
    else:
        rtree = _SPATIALITE_RTREE.c
        hits = select(rtree.pkid).where(
            rtree.xmin <= east, rtree.xmax >= west, rtree.ymin <= north, rtree.ymax >= south
        )
        prefilter = Facility.id.in_(hits)
    x, y = func.ST_X(Facility.geom), func.ST_Y(Facility.geom)
    return and_(prefilter, x.between(west, east), y.between(south, north))


#: Rows not soft-deleted: what every read offers unless it asks for the deleted ones.
NOT_DELETED = Facility.deleted_at.is_(None)


def _filtered(query: Select, filters: FacilityFilter, dialect: str) -> Select:
    if not filters.include_deleted:
        query = query.where(NOT_DELETED)
    if filters.kinds:
        query = query.where(Facility.kind.in_(filters.kinds))
    if filters.district_adcodes:
        query = query.where(Facility.district_adcode.in_(filters.district_adcodes))
    if filters.statuses:
        query = query.where(Facility.status.in_(filters.statuses))
    if filters.bbox is not None:
        query = query.where(_in_bbox(filters.bbox, dialect))
    query = _stewardship_filters(query, filters)
    if filters.text:
        needle = filters.text
        query = query.where(
            or_(Facility.name.icontains(needle, autoescape=True), Facility.code.icontains(needle, autoescape=True))
        )
    return query


def _stewardship_filters(query: Select, filters: FacilityFilter) -> Select:
    """The console's filters: sample or real, overdue verification, open reports, chosen ids."""
    if filters.is_sample is not None:
        query = query.where(Facility.is_sample.is_(filters.is_sample))
    if filters.verified_before is not None:
        query = query.where(
            or_(Facility.last_verified_at.is_(None), Facility.last_verified_at < filters.verified_before)
        )
    if filters.with_open_reports:
        query = query.where(OPEN_REPORTS > 0)
    if filters.ids:
        query = query.where(Facility.id.in_(filters.ids))
    return query


#: Columns a facility table may be sorted by.
SortKey = Literal["id", "code", "name", "district", "kind", "status", "last_verified_at", "open_reports"]
_SORT_COLUMNS: dict[str, Any] = {  # mapped attributes and a scalar subquery
    "id": Facility.id,
    "code": Facility.code,
    "name": Facility.name,
    "district": Facility.district_adcode,
    "kind": Facility.kind,
    "status": Facility.status,
    "last_verified_at": Facility.last_verified_at,
    "open_reports": OPEN_REPORTS,
}


def sorted_facilities(
    conn: Connection, filters: FacilityFilter, sort: SortKey, descending: bool, limit: int, offset: int
) -> Sequence[RowMapping]:
    """One page in the order of `sort` (never-verified rows first when ascending by verification),
    ties broken by id so that paging is stable."""
    key = _SORT_COLUMNS[sort]
    order = key.desc().nulls_last() if descending else key.asc().nulls_first()
    query = select(*FACILITY_COLUMNS).join(District, District.adcode == Facility.district_adcode)
    query = _filtered(query, filters, conn.dialect.name).order_by(order, Facility.id)
    return conn.execute(query.limit(limit).offset(offset)).mappings().all()


def list_facilities(conn: Connection, filters: FacilityFilter, limit: int, offset: int) -> Sequence[RowMapping]:
    """One page of facilities in a stable order (by id)."""
    query = select(*FACILITY_COLUMNS).join(District, District.adcode == Facility.district_adcode)
    query = _filtered(query, filters, conn.dialect.name).order_by(Facility.id).limit(limit).offset(offset)
    return conn.execute(query).mappings().all()


def export_facilities(conn: Connection, filters: FacilityFilter, *, with_source: bool) -> Sequence[RowMapping]:
    """Every matching facility in id order, with the list's columns (plus `source` when asked): an export."""
    columns = (*FACILITY_COLUMNS, Facility.source) if with_source else FACILITY_COLUMNS
    query = select(*columns).join(District, District.adcode == Facility.district_adcode)
    return conn.execute(_filtered(query, filters, conn.dialect.name).order_by(Facility.id)).mappings().all()


def count_facilities(conn: Connection, filters: FacilityFilter) -> int:
    """How many facilities match, for numberMatched and paging links."""
    query = _filtered(select(func.count()).select_from(Facility), filters, conn.dialect.name)
    return int(conn.scalar(query) or 0)


def grid_counts(conn: Connection, filters: FacilityFilter, cell_deg: float) -> Sequence[RowMapping]:
    """Matching facilities aggregated on a lon/lat grid of `cell_deg` degrees: count and mean position per
    non-empty cell (what a zoomed-out map draws instead of thousands of markers)."""
    x, y = func.ST_X(Facility.geom), func.ST_Y(Facility.geom)
    gx, gy = func.floor(x / cell_deg), func.floor(y / cell_deg)
    query = select(func.count().label("count"), func.avg(x).label("lon"), func.avg(y).label("lat")).select_from(
        Facility
    )
    query = _filtered(query, filters, conn.dialect.name).group_by(gx, gy).order_by(gx, gy)
    return conn.execute(query).mappings().all()


def count_by_district(conn: Connection, filters: FacilityFilter) -> dict[str, int]:
    """district adcode → matching facilities (districts without any are absent)."""
    query = select(Facility.district_adcode, func.count()).group_by(Facility.district_adcode)
    return {adcode: int(n) for adcode, n in conn.execute(_filtered(query, filters, conn.dialect.name)).all()}


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


def open_facility_columns(conn: Connection, size: int, ids: Collection[int] | None = None) -> Iterator[FacilityColumns]:
    """The facilities with status `open` and not deleted (what riders are offered), for the nearest index
    — only those of `ids` when given (an index patch) — as columns of `size` rows, from one
    statement streamed in id order: one consistent read (the caller reads the data
    revision first, so the change log brings in what is written meanwhile).

    Values are the driver's, JSON decoded here, and a batch is turned into columns at once: through
    SQLAlchemy's row objects, or per-row dicts, a national read left 70–100 MB more with the process
    after it was freed (small objects pin the allocator's pages); as the driver's tuples, ~20 MB."""
    query = _open_facilities_query()
    if ids is not None:
        query = query.where(Facility.id.in_(sorted(ids)))
    selected = [
        cast(value, Text).label(value.name) if value.name in _JSON_COLUMNS else value
        for value in query.selected_columns
    ]
    sql = str(query.with_only_columns(*selected).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    result = conn.execution_options(yield_per=size).exec_driver_sql(sql)  # a server-side cursor, `size` a fetch
    names = list(result.keys())
    while chunk := result.fetchmany(size):
        columns: dict[str, Sequence[Any]] = dict(zip(names, zip(*chunk, strict=True), strict=True))
        for name in _JSON_COLUMNS:
            columns[name] = [None if text is None else orjson.loads(text) for text in columns[name]]
        yield FacilityColumns(columns, len(chunk))


_JSON_COLUMNS = ("amenities", "details")


def no_facility_columns() -> FacilityColumns:
    """A batch of no rows with every column of open_facility_columns."""
    return FacilityColumns({value.name: () for value in _open_facilities_query().selected_columns}, 0)


def _open_facilities_query() -> Select:
    query = select(*FACILITY_COLUMNS).join(District, District.adcode == Facility.district_adcode)
    return query.where(Facility.status == "open", NOT_DELETED).order_by(Facility.id)


def data_revision(conn: Connection) -> int:
    """The counter that triggers bump on every facility/district write (migration 0002)."""
    return int(conn.scalar(select(DataRevision.revision).where(DataRevision.id == 1)) or 0)


@dataclass(frozen=True)
class Changes:
    """What changed after a revision, up to `revision` (the current one): the facilities whose indexed
    rows changed, or None when the log cannot say (everything may have changed, or the log no longer
    reaches back that far) and only a full read is right."""

    revision: int
    facility_ids: frozenset[int] | None


def changes_since(conn: Connection, after: int) -> Changes:
    """The change log (migration 0012) after revision `after`."""
    revision, complete_from = conn.execute(
        select(DataRevision.revision, DataRevision.changes_from).where(DataRevision.id == 1)
    ).one()
    if after < complete_from:
        return Changes(int(revision), None)
    logged = facility_change.c
    query = select(logged.facility_id).where(logged.revision > after, logged.revision <= revision).distinct()
    ids = set(conn.scalars(query))
    return Changes(int(revision), None if None in ids else frozenset(ids))


def facility_points(conn: Connection, kinds: tuple[str, ...] = (), status: str = "open") -> Sequence[RowMapping]:
    """id, code, kind, district, name, address, township, lon, lat of the facilities of `kinds` (all when
    empty) with `status`, not deleted."""
    columns = (Facility.district_adcode, Facility.name, Facility.address, Facility.township)
    query = select(Facility.id, Facility.code, Facility.kind, *columns, *POSITION)
    query = query.where(Facility.status == status, NOT_DELETED)
    if kinds:
        query = query.where(Facility.kind.in_(kinds))
    return conn.execute(query.order_by(Facility.id)).mappings().all()


def filtered(query: Select, filters: FacilityFilter, dialect: str) -> Select:
    """`query` narrowed to the facilities matching `filters` (soft-deleted ones left out unless asked for),
    for selects built elsewhere (the OGC API items, the vector tiles)."""
    return _filtered(query, filters, dialect)
