"""CQL2 filters (OGC API – Features Part 3) → checked expressions of geo_service.queries.cql.

pygeofilter parses the text and JSON encodings. Everything it returns is checked here before any SQL
exists: each property must be one of the collection's queryables, each literal must have the
property's type (a string is never compared with a number), and geometry literals must be finite,
valid and are converted from `filter-crs` to WGS-84. Anything else — a syntax error (reported with its
position), an unknown property, an unsupported operator or function — is a 400 naming `filter`.

Two pygeofilter readings of CQL2 JSON are corrected first: a `{"bbox": [...]}` literal (it reads the four
numbers in the wrong order) and the three-argument form of `between` of CQL2 1.0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

import shapely
from pygeofilter import ast, values
from shapely.geometry import box, shape

from geo_service.analysis.ogc_crs import CRS84, OutputCrs, geometry_to_lonlat
from geo_service.errors import BadRequest
from geo_service.queries.cql import (
    Between,
    Compare,
    CompareOp,
    Expr,
    FieldType,
    InList,
    Intersects,
    IsNull,
    Like,
    Logic,
    Not,
    Scalar,
)

FilterLang = Literal["cql2-text", "cql2-json"]
GEOMETRY = "geometry"
_COMPARISONS: dict[type, CompareOp] = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}
_FLIPPED: dict[CompareOp, CompareOp] = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
MAX_FILTER_LENGTH = 20_000
_LARGEST = 2**53


def _fail(message: str, position: int | None = None) -> BadRequest:
    return BadRequest("filter", message, position)


def parse_filter(raw: str, lang: FilterLang, queryables: Mapping[str, FieldType], crs: OutputCrs = CRS84) -> Expr:
    """The checked expression of a `filter` in `lang`, its geometry literals given in `crs`."""
    if not raw.strip():
        raise _fail("空的过滤表达式，位置 0 (empty filter expression at character 0)", 0)
    if len(raw) > MAX_FILTER_LENGTH:
        raise _fail(f"过滤表达式过长 (longer than {MAX_FILTER_LENGTH} characters)")
    node = _parse_text(raw) if lang == "cql2-text" else _parse_json(raw)
    return _Checker(queryables, crs, raw).expr(node)


def _parse_text(raw: str) -> Any:
    # imported on the first filter: building the lark grammar takes ~0.3 s, which every worker would
    # otherwise spend at start-up
    import lark
    from pygeofilter.parsers.cql2_text import parse as parse_text

    try:
        return parse_text(raw)
    except lark.exceptions.UnexpectedInput as exc:
        position = exc.pos_in_stream if exc.pos_in_stream is not None else exc.column - 1
        near = raw[position : position + 20]
        raise _fail(
            f"CQL2 语法错误，位置 {position} (syntax error at character {position}, line {exc.line} column "
            f"{exc.column}, near {near!r})",
            position,
        ) from None
    except (lark.exceptions.LarkError, ValueError, TypeError) as exc:
        raise _fail(f"CQL2 无法解析 (cannot parse: {exc.__class__.__name__})") from None


def _parse_json(raw: str) -> Any:
    from pygeofilter.parsers.cql2_json import parse as parse_json

    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _fail(
            f"JSON 语法错误，位置 {exc.pos} (invalid JSON at character {exc.pos}: {exc.msg})", exc.pos
        ) from None
    try:
        return parse_json(_normalised(document))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise _fail(f"不是有效的 CQL2 JSON (not a valid CQL2 JSON expression: {str(exc)[:200]})") from None


def _normalised(node: Any) -> Any:
    """CQL2 1.0 JSON as pygeofilter reads it: bbox literals as polygons, between's bounds as one list."""
    if isinstance(node, list):
        return [_normalised(item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"}:
        return _bbox_polygon(node["bbox"])
    if node.get("op") == "between" and isinstance(node.get("args"), list) and len(node["args"]) == 3:
        first, low, high = node["args"]
        return {"op": "between", "args": [_normalised(first), [_normalised(low), _normalised(high)]]}
    return {key: _normalised(value) for key, value in node.items()}


def _bbox_polygon(numbers: Any) -> dict[str, Any]:
    if not (isinstance(numbers, list) and len(numbers) == 4 and all(_is_number(v) for v in numbers)):
        raise _fail("bbox 需要 4 个数 (a bbox literal needs 4 numbers: minx, miny, maxx, maxy)")
    return dict(shapely.geometry.mapping(box(*numbers)))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Checker:
    """Walks pygeofilter's tree into checked nodes; every failure is a 400 naming `filter`."""

    def __init__(self, queryables: Mapping[str, FieldType], crs: OutputCrs, raw: str) -> None:
        self.queryables, self.crs, self.raw = queryables, crs, raw

    def expr(self, node: Any) -> Expr:
        handler = self._handlers().get(type(node))
        if handler is None:
            raise _fail(f"不支持的表达式 (unsupported expression: {_describe(node)})")
        return handler(node)

    def _handlers(self) -> dict[type, Callable[[Any], Expr]]:
        return {
            ast.And: lambda n: Logic("and", (self.expr(n.lhs), self.expr(n.rhs))),
            ast.Or: lambda n: Logic("or", (self.expr(n.lhs), self.expr(n.rhs))),
            ast.Not: lambda n: Not(self.expr(n.sub_node)),
            **dict.fromkeys(_COMPARISONS, self._compare),
            ast.Like: self._like,
            ast.Between: self._between,
            ast.In: self._in,
            ast.IsNull: lambda n: IsNull(self._property(n.lhs), negate=bool(n.not_)),
            ast.GeometryIntersects: self._intersects,
        }

    def _property(self, node: Any) -> str:
        if not isinstance(node, ast.Attribute):
            raise _fail(f"这里需要属性名 (expected a property name, got {_describe(node)})")
        name = str(node.name)
        if name not in self.queryables and name != GEOMETRY:
            raise _fail(f"未知属性 {name!r} (unknown property; see /queryables)", _position_of(self.raw, name))
        return name

    def _literal(self, value: Any, name: str) -> Scalar:
        kind = self.queryables.get(name)
        if kind is None or kind == "geometry":
            raise _fail(f"{name} 只能用于空间函数 (only spatial functions apply to {name})")
        return _typed(value, kind, name)

    def _compare(self, node: Any) -> Expr:
        op = _COMPARISONS[type(node)]
        lhs, rhs = node.lhs, node.rhs
        if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
            lhs, rhs, op = rhs, lhs, _FLIPPED[op]
        name = self._property(lhs)
        if isinstance(rhs, ast.Attribute):
            raise _fail("不支持属性之间的比较 (comparing two properties is not supported)")
        return Compare(name, op, self._literal(rhs, name))

    def _like(self, node: Any) -> Expr:
        name = self._property(node.lhs)
        if self.queryables.get(name) != "string" or not isinstance(node.pattern, str):
            raise _fail(f"LIKE 只适用于文本属性 (LIKE needs a text property and a text pattern: {name})")
        if node.nocase:
            raise _fail("不支持不区分大小写的 LIKE (case-insensitive LIKE is not supported)")
        return Like(name, node.pattern, negate=bool(node.not_))

    def _between(self, node: Any) -> Expr:
        name = self._property(node.lhs)
        low, high = self._literal(node.low, name), self._literal(node.high, name)
        return Between(name, low, high, negate=bool(node.not_))

    def _in(self, node: Any) -> Expr:
        name = self._property(node.lhs)
        items = tuple(self._literal(value, name) for value in node.sub_nodes)
        if not items:
            raise _fail("IN 列表为空 (IN needs at least one value)")
        return InList(name, items, negate=bool(node.not_))

    def _intersects(self, node: Any) -> Expr:
        lhs, rhs = node.lhs, node.rhs
        if not isinstance(lhs, ast.Attribute):
            lhs, rhs = rhs, lhs
        if self._property(lhs) != GEOMETRY:
            raise _fail(f"S_INTERSECTS 的第一个参数必须是 {GEOMETRY} (S_INTERSECTS applies to {GEOMETRY})")
        geom = geometry_to_lonlat(_geometry(rhs), self.crs)
        west, south, east, north = (float(v) for v in geom.bounds)
        return Intersects(geom.wkt, (west, south, east, north))


def _geometry(node: Any) -> shapely.Geometry:
    """A geometry literal (GeoJSON-like from pygeofilter, or BBOX(...)) as a valid shapely geometry."""
    if isinstance(node, ast.Function) and str(node.name).lower() == "bbox":
        args = node.arguments
        if len(args) != 4 or not all(_is_number(v) for v in args):
            raise _fail("BBOX 需要 4 个数 (BBOX needs 4 numbers: minx, miny, maxx, maxy)")
        return box(*args)
    if not isinstance(node, values.Geometry):
        raise _fail(f"这里需要几何字面量 (expected a geometry literal, got {_describe(node)})")
    try:
        geom = shape(node.geometry)
    except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise _fail(f"无效的几何 (invalid geometry literal: {exc})") from None
    if geom.is_empty or not bool(shapely.is_valid(geom)) or not all(map(_finite, geom.bounds)):
        raise _fail("无效的几何 (the geometry literal is empty, invalid or not finite)")
    return geom


def _finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")


def _typed(value: Any, kind: FieldType, name: str) -> Scalar:
    """`value` as a literal of `kind`, or a 400: a filter never compares across types."""
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": _is_number(value),
        "boolean": isinstance(value, bool),
        "date": isinstance(value, date) and not isinstance(value, datetime),
        "datetime": isinstance(value, datetime),
    }.get(kind, False)
    if not ok:
        raise _fail(f"{name} 需要 {kind} 类型的值 ({name} is a {kind}, got {_describe(value)})")
    if kind in ("number", "integer") and not (_finite(float(value)) and abs(value) <= _LARGEST):
        raise _fail(f"{name}: 数值必须有限且不超过 2^53 (numbers must be finite and at most 2^53 in size)")
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    scalar: Scalar = value
    return scalar


def _describe(node: Any) -> str:
    if isinstance(node, ast.Node):
        return type(node).__name__
    return f"{type(node).__name__} {str(node)[:40]!r}"


def _position_of(raw: str, name: str) -> int | None:
    match = re.search(rf'(?<![\w"]){re.escape(name)}(?![\w"])|"{re.escape(name)}"', raw)
    return match.start() if match else None
