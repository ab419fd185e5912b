"""SQL of bulk imports: the stored rows an import compares with, and its writes in bulk statements.

Every write is an executemany in chunks of CHUNK rows (one statement shape per chunk, so SQLite and
psycopg send them as batches), never a statement per row: 10,000 rows commit in about a second. The
caller owns the transaction (services.imports commits everything in one `engine.begin()`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import Connection, RowMapping, Text, bindparam, cast, column, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from geo_service.db.models import Facility, ImportBatch
from geo_service.queries.facilities import NOT_DELETED, POSITION
from geo_service.records import FacilityRecord

CHUNK: Final = 500  # rows per executemany call
PG_CHUNK: Final = 5000  # rows per unnest statement (one array parameter per column)
_JSON_FIELDS: Final = ("amenities", "details")
#: The stored fields of a facility that an import may set (FacilityRecord's fields; lon/lat from POSITION).
RECORD_FIELDS: Final = tuple(name for name in FacilityRecord.model_fields if name not in ("lon", "lat"))
_STORED = (Facility.id, Facility.deleted_at, *(Facility.__table__.c[name] for name in RECORD_FIELDS), *POSITION)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def stored_by_code(conn: Connection, codes: Sequence[str]) -> dict[str, RowMapping]:
    """code → the stored row (id, deleted_at, every record field, lon, lat), soft-deleted rows included:
    a code stays taken after a delete."""
    found: dict[str, RowMapping] = {}
    for chunk in _chunks(codes):
        for row in conn.execute(select(*_STORED).where(Facility.code.in_(chunk))).mappings():
            found[row["code"]] = row
    return found


def positions_in_box(conn: Connection, west: float, south: float, east: float, north: float) -> Sequence[RowMapping]:
    """id, code, name, lon, lat of the facilities (not deleted) inside a lon/lat box."""
    x, y = POSITION[0].element, POSITION[1].element
    query = select(Facility.id, Facility.code, Facility.name, *POSITION).where(
        NOT_DELETED, x.between(west, east), y.between(south, north)
    )
    return conn.execute(query.order_by(Facility.id)).mappings().all()


def insert_batch(conn: Connection, values: Mapping[str, object]) -> tuple[int, datetime]:
    """A new import_batch row (actor, file_name, checksum, format, crs, counts); its id and time."""
    row = conn.execute(insert(ImportBatch).values(dict(values)).returning(ImportBatch.id, ImportBatch.at)).one()
    return int(row.id), row.at


def store_report(conn: Connection, batch_id: int, report: Mapping[str, object]) -> None:
    conn.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(report=dict(report)))


def get_batch(conn: Connection, batch_id: int) -> RowMapping | None:
    return conn.execute(select(ImportBatch.__table__).where(ImportBatch.id == batch_id)).mappings().first()


def _rows(records: Sequence[FacilityRecord], batch_id: int) -> list[dict[str, Any]]:
    return [{**r.model_dump(exclude={"lon", "lat"}), "wkt": r.wkt, "import_batch_id": batch_id} for r in records]


def _changed(excluded: Any, fields: Sequence[str]) -> dict[str, Any]:
    """The SET of an upsert: `fields` (lon/lat: the point), the batch link and updated_at."""
    changed: dict[str, Any] = {name: excluded[name] for name in fields if name in RECORD_FIELDS and name != "code"}
    if "lon" in fields or "lat" in fields:
        changed["geom"] = excluded.geom
    return changed | {"import_batch_id": excluded.import_batch_id, "updated_at": func.now()}


def _unnest_type(name: str) -> Any:
    """The element type of a column's array parameter (JSON travels as text and is cast back)."""
    return Text() if name in (*_JSON_FIELDS, "wkt") else Facility.__table__.c[name].type


def _postgresql_write(
    conn: Connection, records: Sequence[FacilityRecord], batch_id: int, fields: Sequence[str] | None
) -> None:
    """INSERT … SELECT FROM unnest(one array per column): one statement per PG_CHUNK rows, whose text
    never changes (psycopg prepares it once) and which fires the statement-level data revision trigger
    once, where an executemany fires it per row and the revision row's versions pile up (quadratic in
    one transaction). `fields` given: ON CONFLICT (code) DO UPDATE SET those fields."""
    names = [*RECORD_FIELDS, "import_batch_id", "wkt"]
    params = [bindparam(f"a_{name}", type_=postgresql.ARRAY(_unnest_type(name))) for name in names]
    typed = [column(name, _unnest_type(name)) for name in names]
    source = func.unnest(*params).table_valued(*typed).render_derived(name="given")
    picked = [cast(source.c[n], postgresql.JSONB) if n in _JSON_FIELDS else source.c[n] for n in names[:-1]]
    query = select(*picked, func.ST_GeomFromText(source.c.wkt, 4326))
    statement = postgresql.insert(Facility).from_select([*names[:-1], "geom"], query)
    if fields is not None:
        statement = statement.on_conflict_do_update(
            index_elements=[Facility.code], set_=_changed(statement.excluded, fields)
        )
    for start in range(0, len(records), PG_CHUNK):
        rows = _rows(records[start : start + PG_CHUNK], batch_id)
        arrays = {f"a_{name}": [row[name] for row in rows] for name in names}
        for name in _JSON_FIELDS:
            arrays[f"a_{name}"] = [orjson.dumps(value).decode() for value in arrays[f"a_{name}"]]
        conn.execute(statement, arrays)


def insert_records(conn: Connection, records: Sequence[FacilityRecord], batch_id: int) -> None:
    """Insert new facilities linked to the batch (SQLite: an executemany; its triggers are per row anyway)."""
    if conn.dialect.name == "postgresql":
        _postgresql_write(conn, records, batch_id, None)
        return
    statement = insert(Facility).values(geom=func.ST_GeomFromText(bindparam("wkt"), 4326))
    for chunk in _chunks(records):
        conn.execute(statement, _rows(chunk, batch_id))


def update_records(conn: Connection, records: Sequence[FacilityRecord], fields: Sequence[str], batch_id: int) -> None:
    """Set `fields` (record fields; `lon`/`lat` set the point) of the stored facilities with these codes
    (ids kept) and link them to the batch, as an upsert on code: the other columns of each row (the
    record merged with the stored row) are only the VALUES an upsert needs, never written."""
    if conn.dialect.name == "postgresql":
        _postgresql_write(conn, records, batch_id, fields)
        return
    statement = sqlite.insert(Facility).values(geom=func.ST_GeomFromText(bindparam("wkt"), 4326))
    statement = statement.on_conflict_do_update(
        index_elements=[Facility.code], set_=_changed(statement.excluded, fields)
    )
    for chunk in _chunks(records):
        conn.execute(statement, _rows(chunk, batch_id))


def batch_ids_by_code(conn: Connection, batch_id: int) -> dict[str, int]:
    """code → id of every facility linked to the batch."""
    query = select(Facility.code, Facility.id).where(Facility.import_batch_id == batch_id)
    return {code: int(facility_id) for code, facility_id in conn.execute(query)}
