"""Filter expressions (CQL2 Basic, advanced comparisons, S_INTERSECTS) as typed nodes, and their SQL.

The service (geo_service.services.cql2) parses the client's text or JSON, checks every property against
the collection's queryables and every literal against the property's type, and builds these nodes; this
module only turns checked nodes into SQLAlchemy expressions. Property names are looked up in the
collection's own column map (never spliced into SQL) and every literal is a bound parameter, so a filter
cannot inject SQL whatever it contains.

The two backends are made to agree: string comparisons and LIKE are case-sensitive and compare code
points (PostgreSQL compares under COLLATE "C"; SQLite's LIKE is case-insensitive, so it uses GLOB), and
instants compare as instants (SQLite keeps them as text, compared through julianday).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    TableClause,
    and_,
    column,
    func,
    literal,
    not_,
    or_,
    select,
    table,
    true,
)

Scalar = str | int | float | bool | date | datetime
FieldType = Literal["string", "integer", "number", "boolean", "date", "datetime", "geometry"]
CompareOp = Literal["=", "<>", "<", "<=", ">", ">="]


@dataclass(frozen=True)
class Column:
    """A queryable column: its SQL expression and its type (which decides how literals compare)."""

    sql: ColumnElement[Any]
    type: FieldType


@dataclass(frozen=True)
class SpatialColumn:
    """The geometry of a collection, and the SpatiaLite R*Tree that indexes it (e.g. idx_facility_geom)."""

    sql: ColumnElement[Any]
    key: ColumnElement[Any]
    rtree: str


@dataclass(frozen=True)
class Compare:
    name: str
    op: CompareOp
    value: Scalar


@dataclass(frozen=True)
class Like:
    name: str
    pattern: str  # CQL2 pattern: % any run, _ one character, \ escapes the next one
    negate: bool = False


@dataclass(frozen=True)
class Between:
    name: str
    low: Scalar
    high: Scalar
    negate: bool = False


@dataclass(frozen=True)
class InList:
    name: str
    values: tuple[Scalar, ...]
    negate: bool = False


@dataclass(frozen=True)
class IsNull:
    name: str
    negate: bool = False


@dataclass(frozen=True)
class Intersects:
    """S_INTERSECTS(geometry, literal): the literal as WKT in WGS-84 lon/lat, with its bounds."""

    wkt: str
    bounds: tuple[float, float, float, float]


@dataclass(frozen=True)
class Logic:
    op: Literal["and", "or"]
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    part: Expr


Expr = Compare | Like | Between | InList | IsNull | Intersects | Logic | Not


@dataclass(frozen=True)
class Columns:
    """What a filter may name in one collection, and the dialect its SQL is for."""

    fields: Mapping[str, Column]
    geometry: SpatialColumn
    id_column: ColumnElement[Any]
    dialect: str


def to_sql(expr: Expr, cols: Columns) -> ColumnElement[bool]:
    """The SQL condition of a checked expression."""
    if isinstance(expr, Logic):
        parts = [to_sql(part, cols) for part in expr.parts]
        return and_(true(), *parts) if expr.op == "and" else or_(*parts)
    if isinstance(expr, Not):
        return not_(to_sql(expr.part, cols))
    if isinstance(expr, Intersects):
        return _intersects(expr, cols)
    column = cols.fields[expr.name]
    condition = _predicate(expr, column, cols.dialect)
    negate = getattr(expr, "negate", False)
    return not_(condition) if negate else condition


def _predicate(expr: Expr, column: Column, dialect: str) -> ColumnElement[bool]:
    sql = comparable(column, dialect)
    if isinstance(expr, IsNull):
        return column.sql.is_(None)
    if isinstance(expr, Compare):
        return _compare(sql, expr.op, bound(expr.value, column, dialect))
    if isinstance(expr, Between):
        return sql.between(bound(expr.low, column, dialect), bound(expr.high, column, dialect))
    if isinstance(expr, InList):
        return sql.in_([bound(v, column, dialect) for v in expr.values])
    if isinstance(expr, Like):
        return _like(column.sql, expr.pattern, dialect)
    raise TypeError(f"not a predicate: {expr!r}")


def _compare(sql: ColumnElement, op: CompareOp, value: ColumnElement) -> ColumnElement[bool]:
    if op == "=":
        return sql == value
    if op == "<>":
        return sql != value
    if op == "<":
        return sql < value
    if op == "<=":
        return sql <= value
    if op == ">":
        return sql > value
    return sql >= value


def comparable(column: Column, dialect: str) -> ColumnElement:
    """The column as it compares and sorts the same on both backends."""
    if column.type == "string" and dialect == "postgresql":
        return column.sql.collate("C")
    if column.type == "datetime" and dialect != "postgresql":
        return func.julianday(column.sql)
    return column.sql


def bound(value: Scalar, column: Column, dialect: str) -> ColumnElement:
    """A literal as a bound parameter of the column's type."""
    if column.type == "datetime" and isinstance(value, datetime) and dialect != "postgresql":
        return func.julianday(literal(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")))
    return literal(value, column.sql.type)


def _like(sql: ColumnElement, pattern: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return sql.collate("C").like(literal(pattern), escape="\\")
    return sql.op("GLOB", is_comparison=True)(literal(_glob(pattern)))


def _glob(pattern: str) -> str:
    """A CQL2 LIKE pattern as a SQLite GLOB pattern (case-sensitive, as CQL2 and PostgreSQL are)."""
    out, escaped = [], False
    for char in pattern:
        if escaped:
            out.append(f"[{char}]" if char in "*?[" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        else:
            out.append(f"[{char}]" if char in "*?[" else char)
    if escaped:
        out.append("\\")
    return "".join(out)


def _intersects(expr: Intersects, cols: Columns) -> ColumnElement[bool]:
    geom = cols.geometry
    if cols.dialect == "postgresql":
        return func.ST_Intersects(geom.sql, func.ST_GeomFromText(literal(expr.wkt), 4326))
    west, south, east, north = expr.bounds
    rtree = rtree_table(geom.rtree).c
    hits = select(rtree.pkid).where(rtree.xmin <= east, rtree.xmax >= west, rtree.ymin <= north, rtree.ymax >= south)
    exact = func.ST_Intersects(geom.sql, func.GeomFromText(literal(expr.wkt), 4326)) == 1
    return and_(geom.key.in_(hits), exact)


def rtree_table(name: str) -> TableClause:
    """A SpatiaLite R*Tree (its name comes from the model, never from a request)."""
    return table(name, column("pkid"), column("xmin"), column("xmax"), column("ymin"), column("ymax"))
