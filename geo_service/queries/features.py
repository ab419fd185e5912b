"""SQL of the OGC API – Features collections: facilities (all, or one kind) and districts.

A page is read by keyset when it is ordered by id (the `next` links: `id > last id`, served by the
primary key however deep the page) and by offset otherwise; one row more than asked is read, so the
caller knows whether a next page exists without counting. A filtered page can instead be read as the
ids of every match (`facility_ids`: one index scan, the count for free) and then its rows by id
(`facilities_by_id`), which the service caches per data revision. Soft-deleted facilities are never read.

Facility rows are plain tuples in the order of FEATURE_COLUMNS (a mapping per row costs more than the
rest of the feature); the amenities arrive as their JSON text, which the presenter parses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    Row,
    RowMapping,
    Select,
    Text,
    any_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY

from geo_service.db.models import DataRevision, District, Facility
from geo_service.queries import facilities as facility_queries
from geo_service.queries.cql import Column, Columns, Expr, SpatialColumn, bound, comparable, to_sql

FACILITY_FIELDS = {
    "id": Column(Facility.id.expression, "integer"),
    "code": Column(Facility.code.expression, "string"),
    "kind": Column(Facility.kind.expression, "string"),
    "name": Column(Facility.name.expression, "string"),
    "address": Column(Facility.address.expression, "string"),
    "district_code": Column(Facility.district_adcode.expression, "string"),
    "district": Column(District.name.expression, "string"),
    "township": Column(Facility.township.expression, "string"),
    "opening_hours": Column(Facility.opening_hours.expression, "string"),
    "access_method": Column(Facility.access_method.expression, "string"),
    "host_org": Column(Facility.host_org.expression, "string"),
    "host_type": Column(Facility.host_type.expression, "string"),
    "phone": Column(Facility.phone.expression, "string"),
    "status": Column(Facility.status.expression, "string"),
    "last_verified_at": Column(Facility.last_verified_at.expression, "date"),
    "area_m2": Column(Facility.area_m2.expression, "number"),
    "truck_parking_spaces": Column(Facility.truck_parking_spaces.expression, "integer"),
    "is_sample": Column(Facility.is_sample.expression, "boolean"),
    "updated_at": Column(Facility.updated_at.expression, "datetime"),
}
DISTRICT_FIELDS = {
    "adcode": Column(District.adcode.expression, "string"),
    "name": Column(District.name.expression, "string"),
    "level": Column(District.level.expression, "string"),
    "parent_adcode": Column(District.parent_adcode.expression, "string"),
    "population": Column(District.population.expression, "integer"),
    "population_year": Column(District.population_year.expression, "integer"),
}
#: the data revision, read with each page in the same round trip (numberMatched is cached by it)
_REVISION = select(DataRevision.revision).where(DataRevision.id == 1).scalar_subquery().label("data_revision")
#: the columns of a facility row as the OGC API reads it: its queryables, the amenities, the position
FEATURE_COLUMNS = (*FACILITY_FIELDS, "amenities", "lon", "lat")


@lru_cache(maxsize=2)
def _feature_select(dialect: str) -> tuple[ColumnElement, ...]:
    """FEATURE_COLUMNS as SQL, read the way that costs least per row: the amenities as their JSON text
    (orjson parses it ~10× faster than the driver's json module) and, on PostgreSQL, updated_at as naive
    UTC (a zone-aware value is converted to the session's zone row by row: ~40% of a 1,000-row read).
    Both are written out the same: the presenter parses the JSON, naive instants are UTC."""
    fields = {name: field.sql for name, field in FACILITY_FIELDS.items()}
    raw: ColumnElement[str]
    if dialect == "postgresql":
        fields["updated_at"] = func.timezone("UTC", Facility.updated_at, type_=DateTime())
        raw = cast(Facility.amenities, Text)
    else:
        raw = type_coerce(Facility.amenities, Text)
    return (*(sql.label(name) for name, sql in fields.items()), raw.label("amenities"), *facility_queries.POSITION)


_DISTRICT_SELECT = (
    District.adcode.label("id"),
    *(column.sql.label(name) for name, column in DISTRICT_FIELDS.items()),
    func.ST_AsBinary(District.geom).label("wkb"),
)


@dataclass(frozen=True)
class FeatureQuery:
    """Checked conditions of an items request (built by geo_service.services.features)."""

    kinds: tuple[str, ...] = ()  # facilities only: the kinds of the collection
    bbox: tuple[float, float, float, float] | None = None  # WGS-84 west, south, east, north
    where: Expr | None = None  # filter and property conditions, checked against the queryables
    updated: tuple[datetime | None, datetime | None] | None = None  # datetime interval on updated_at
    sort: tuple[tuple[str, bool], ...] = field(default=())  # (queryable, descending); id breaks ties
    after: int | None = None  # keyset: ids greater than this (only when sorted by id)


def facility_columns(dialect: str) -> Columns:
    geometry = SpatialColumn(Facility.geom.expression, Facility.id.expression, "idx_facility_geom")
    return Columns(FACILITY_FIELDS, geometry, Facility.id.expression, dialect)


def district_columns(dialect: str) -> Columns:
    key = District.adcode.expression if dialect == "postgresql" else literal_column("district.rowid")
    geometry = SpatialColumn(District.geom.expression, key, "idx_district_geom")
    return Columns(DISTRICT_FIELDS, geometry, District.adcode.expression, dialect)


def _conditions(query: Select, fq: FeatureQuery, cols: Columns) -> Select:
    if fq.where is not None:
        query = query.where(to_sql(fq.where, cols))
    if fq.updated is not None:
        start, end = fq.updated
        column = cols.fields["updated_at"]
        if start is not None:
            query = query.where(comparable(column, cols.dialect) >= bound(start, column, cols.dialect))
        if end is not None:
            query = query.where(comparable(column, cols.dialect) <= bound(end, column, cols.dialect))
    return query


def _facility_query(query: Select, fq: FeatureQuery, dialect: str) -> Select:
    base = facility_queries.FacilityFilter(kinds=fq.kinds, bbox=fq.bbox)
    query = facility_queries.filtered(query.join(District, District.adcode == Facility.district_adcode), base, dialect)
    return _conditions(query, fq, facility_columns(dialect))


def _matching_ids(fq: FeatureQuery, dialect: str) -> Select:
    """The ids of the facilities matching `fq`, joined to their district only when the filter names it
    (every facility has one, so the join never drops a row; skipping it halves a dense box's scan)."""
    query = _conditions(select(Facility.id.label("id")), fq, facility_columns(dialect))
    if District.__tablename__ not in {getattr(table, "name", None) for table in query.get_final_froms()}:
        base = facility_queries.FacilityFilter(kinds=fq.kinds, bbox=fq.bbox)
        return facility_queries.filtered(query.select_from(Facility), base, dialect)
    return _facility_query(select(Facility.id.label("id")), fq, dialect)


def _ordered(query: Select, fq: FeatureQuery, cols: Columns) -> Select:
    keys: list[ColumnElement] = []
    for name, descending in fq.sort:
        sql = comparable(cols.fields[name], cols.dialect)
        keys.append(sql.desc().nulls_first() if descending else sql.asc().nulls_last())
    return query.order_by(*keys, cols.id_column)


#: a page's size, offset and keyset start, bound when the page is read (facility_page), not built in
_PAGE_ROWS, _PAGE_OFFSET = bindparam("page_rows", type_=Integer), bindparam("page_offset", type_=Integer)
_AFTER_ID = bindparam("after_id", type_=Integer)


@lru_cache(maxsize=64)
def _facility_page_query(fq: FeatureQuery, dialect: str) -> Select:
    """Built once per shape of request (building a select costs more than running it on a warm index):
    the page's size, offset and keyset start are parameters, so a crawl through the next links is one
    statement, not one per page. The cache stays small: each statement is a few hundred objects that
    every full pass of the cyclic collector walks (1,024 of them made those passes ~100 ms)."""
    query = _facility_query(select(*_feature_select(dialect), _REVISION), fq, dialect)
    if fq.after is not None:
        query = query.where(Facility.id > _AFTER_ID)
    return _ordered(query, fq, facility_columns(dialect)).limit(_PAGE_ROWS).offset(_PAGE_OFFSET)


def facility_page(conn: Connection, fq: FeatureQuery, limit: int, offset: int) -> Sequence[Row]:
    """Up to `limit` + 1 facilities (the extra row says a next page exists): FEATURE_COLUMNS, then the
    data revision."""
    params = {"page_rows": limit + 1, "page_offset": offset}
    if fq.after is not None:
        params["after_id"] = fq.after
        fq = replace(fq, after=0)  # the shape of the statement, whatever the id
    return conn.execute(_facility_page_query(fq, conn.dialect.name), params).all()


def _ids_query(fq: FeatureQuery, dialect: str) -> Select:
    """Built per call, not cached: it runs only when the ids of its query are not kept already (one scan
    per query and data revision), and a cache of statements keyed by their boxes and filters would keep
    a few hundred objects per box for the cyclic collector to walk."""
    matching = _matching_ids(fq, dialect).subquery()
    query = select(DataRevision.revision, matching.c.id).select_from(DataRevision)
    return query.outerjoin(matching, true()).where(DataRevision.id == 1).order_by(matching.c.id)


def facility_ids(conn: Connection, fq: FeatureQuery) -> tuple[int, list[int]]:
    """The data revision and the ids of every facility matching `fq` (its `after` and `sort` ignored), in
    id order, read in one statement so both come from one snapshot (no match is one row with a NULL id)."""
    rows = conn.execute(_ids_query(fq, conn.dialect.name)).all()
    return int(rows[0][0]), [row[1] for row in rows if row[1] is not None]


@lru_cache(maxsize=2)
def _by_id_query(dialect: str) -> Select:
    if dialect == "postgresql":
        chosen = Facility.id == any_(bindparam("ids", type_=ARRAY(Integer)))
    else:  # one JSON parameter, not one per id
        chosen = Facility.id.in_(select(column("value")).select_from(func.json_each(bindparam("ids"))))
    query = _facility_query(select(*_feature_select(dialect), _REVISION), FeatureQuery(), dialect)
    return query.where(chosen).order_by(Facility.id)


def facilities_by_id(conn: Connection, ids: Sequence[int]) -> Sequence[Row]:
    """The facilities of `ids` that are not deleted, in id order: FEATURE_COLUMNS, then the data revision."""
    dialect = conn.dialect.name
    given: object = list(ids) if dialect == "postgresql" else "[" + ",".join(map(str, ids)) + "]"
    return conn.execute(_by_id_query(dialect), {"ids": given}).all()


def count_facilities(conn: Connection, fq: FeatureQuery) -> int:
    matching = _matching_ids(replace(fq, after=None, sort=()), conn.dialect.name).subquery()
    return int(conn.scalar(select(func.count()).select_from(matching)) or 0)


def facility_by_id(conn: Connection, fid: int, kinds: tuple[str, ...]) -> Row | None:
    """One facility (not deleted; of `kinds` when given) as FEATURE_COLUMNS, or None."""
    dialect = conn.dialect.name
    query = _facility_query(select(*_feature_select(dialect)), FeatureQuery(kinds=kinds), dialect)
    return conn.execute(query.where(Facility.id == fid)).first()


def facility_extent(conn: Connection, kinds: tuple[str, ...]) -> RowMapping:
    """west, south, east, north, first and last updated_at of the facilities of `kinds` (all when empty)."""
    x, y = func.ST_X(Facility.geom), func.ST_Y(Facility.geom)
    query = select(
        func.min(x).label("west"),
        func.min(y).label("south"),
        func.max(x).label("east"),
        func.max(y).label("north"),
        func.min(Facility.updated_at).label("first"),
        func.max(Facility.updated_at).label("last"),
    )
    query = facility_queries.filtered(
        query.select_from(Facility), facility_queries.FacilityFilter(kinds=kinds), conn.dialect.name
    )
    return conn.execute(query).mappings().one()


def _district_query(query: Select, fq: FeatureQuery, dialect: str) -> Select:
    cols = district_columns(dialect)
    if fq.bbox is not None:
        west, south, east, north = fq.bbox
        if dialect == "postgresql":
            box = func.ST_MakeEnvelope(west, south, east, north, 4326)
            query = query.where(func.ST_Intersects(District.geom, box))
        else:
            query = query.where(func.ST_Intersects(District.geom, func.BuildMbr(west, south, east, north, 4326)) == 1)
    return _conditions(query, fq, cols)


def district_page(conn: Connection, fq: FeatureQuery, limit: int, offset: int) -> Sequence[RowMapping]:
    dialect = conn.dialect.name
    query = _ordered(_district_query(select(*_DISTRICT_SELECT, _REVISION), fq, dialect), fq, district_columns(dialect))
    return conn.execute(query.limit(limit + 1).offset(offset)).mappings().all()


def count_districts(conn: Connection, fq: FeatureQuery) -> int:
    query = _district_query(select(func.count()).select_from(District), fq, conn.dialect.name)
    return int(conn.scalar(query) or 0)


def district_by_id(conn: Connection, adcode: str) -> RowMapping | None:
    return conn.execute(select(*_DISTRICT_SELECT).where(District.adcode == adcode)).mappings().first()
