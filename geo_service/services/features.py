"""OGC API – Features items: check a request, read one page, know how many match.

Every parameter is checked here and a bad one is a 400 naming it, as the standard asks. Pages ordered by
id continue by keyset (`after`, the last id of the page: as fast at row 180,000 as at row 1); `offset`
still works. `numberMatched` is counted once per distinct query and data revision (the counter triggers
bump on every write), so paging through a large result does not count the whole table on every page.
A filtered query ordered by id reads the ids of all its matches once per revision instead
(geo_service.services.feature_ids): its count, and every page's ids without a sort.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection

from geo_service.analysis.ogc_crs import CRS84, OutputCrs, bbox_to_lonlat, lookup
from geo_service.errors import BadRequest, NotFound
from geo_service.moments import checked_moment
from geo_service.queries import facilities as facility_queries
from geo_service.queries import features as feature_queries
from geo_service.queries.cql import Compare, Expr, FieldType, Logic, Scalar
from geo_service.services.cql2 import FilterLang, parse_filter
from geo_service.services.feature_ids import IdLists
from geo_service.services.ogc_catalog import CollectionSpec
from geo_service.services.ogc_collections import Extent, collection_extent
from geo_service.services.ogc_gaps import GapFeature, coverage_gaps
from geo_service.settings import Settings

_COUNT_CACHE_SIZE = 2048
_LARGEST = 2**53  # whole numbers beyond this overflow SQL's integers (and JSON's)


@dataclass(frozen=True)
class ItemsRequest:
    """An items request as the client sent it (strings; `properties` are `name=value` conditions)."""

    limit: str | None = None
    offset: str | None = None
    after: str | None = None
    bbox: str | None = None
    bbox_crs: str | None = None
    crs: str | None = None
    datetime: str | None = None
    filter: str | None = None
    filter_lang: str | None = None
    filter_crs: str | None = None
    sortby: str | None = None
    select: str | None = None  # the `properties` parameter: which properties each feature carries
    conditions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemsPage:
    """One page: the rows (facility or district mappings, or gap features), the paging state, the output CRS."""

    collection: CollectionSpec
    rows: Sequence[Any]  # facilities: tuples of `columns`
    matched: int
    limit: int
    offset: int
    crs: OutputCrs
    next_after: int | None = None  # keyset continuation (pages ordered by id)
    next_offset: int | None = None  # offset continuation (sorted pages, districts, gaps)
    select: tuple[str, ...] | None = None
    columns: tuple[str, ...] = feature_queries.FEATURE_COLUMNS


def _int(name: str, raw: str | None, minimum: int = 0) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(name, f"需要整数 (must be a whole number, got {raw!r})") from None
    if value < minimum:
        raise BadRequest(name, f"不能小于 {minimum} (must be at least {minimum}, got {value})")
    if value > _LARGEST:
        raise BadRequest(name, f"不能大于 {_LARGEST} (must be at most {_LARGEST})")
    return value


def page_size(raw: str | None, settings: Settings) -> int:
    """`limit`: default GEO_OGC_DEFAULT_LIMIT; above GEO_OGC_MAX_LIMIT it is clamped, as Part 1 allows."""
    value = _int("limit", raw, minimum=1)
    return settings.ogc_default_limit if value is None else min(value, settings.ogc_max_limit)


def output_crs(name: str, raw: str | None) -> OutputCrs:
    if raw is None or raw == "":
        return CRS84
    crs = lookup(raw)
    if crs is None:
        raise BadRequest(
            name, f"不支持的坐标系 (unsupported CRS {raw!r}; supported: CRS84, EPSG:4326, EPSG:4490, EPSG:3857)"
        )
    return crs


def parse_box(raw: str | None, crs_raw: str | None) -> tuple[float, float, float, float] | None:
    """`bbox` (4 numbers, or 6 with heights, which are ignored) in `bbox-crs` → WGS-84 west, south, east, north."""
    if raw is None or raw == "":
        if crs_raw:
            raise BadRequest("bbox-crs", "只能与 bbox 一起使用 (only meaningful with bbox)")
        return None
    try:
        numbers = [float(part) for part in raw.split(",")]
    except ValueError:
        raise BadRequest("bbox", f"需要 4 个用逗号分隔的数 (expected 4 comma-separated numbers, got {raw!r})") from None
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(abs(v) < float("inf") for v in numbers):
        raise BadRequest("bbox", f"需要 4 个有限的数 (expected 4 finite numbers, got {raw!r})")
    west, south, east, north = bbox_to_lonlat(
        (numbers[0], numbers[1], numbers[2], numbers[3]), output_crs("bbox-crs", crs_raw)
    )
    if not (west <= east and south <= north):
        raise BadRequest("bbox", f"最小值须不大于最大值 (lower corner must not exceed the upper one: {raw!r})")
    return max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0)


def _instant(raw: str, end: bool) -> datetime | None:
    """One end of a `datetime` interval: `..` or empty is open; a date covers its whole (UTC) day."""
    if raw in ("", ".."):
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
            return moment
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            "datetime", f"需要 RFC 3339 时间或区间 (expected an RFC 3339 instant or interval, got {raw!r})"
        ) from None
    try:
        checked_moment(value)
    except ValueError as exc:
        raise BadRequest("datetime", str(exc)) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def parse_datetime(raw: str | None) -> tuple[datetime | None, datetime | None] | None:
    """`datetime` (an instant, a date, or `start/end` with `..` for an open end) as an interval on updated_at."""
    if raw is None or raw == "":
        return None
    if "/" in raw:
        start_raw, _, end_raw = raw.partition("/")
        start, end = _instant(start_raw, False), _instant(end_raw, True)
        if start is None and end is None:
            raise BadRequest("datetime", "区间两端不能都开放 (an interval needs at least one end)")
        if start is not None and end is not None and start > end:
            raise BadRequest("datetime", f"开始晚于结束 (the start is after the end: {raw!r})")
        return start, end
    if len(raw) == 10:
        return _instant(raw, False), _instant(raw, True)
    moment = _instant(raw, False)
    return moment, moment


def parse_sortby(raw: str | None, sortables: Mapping[str, FieldType]) -> tuple[tuple[str, bool], ...]:
    """`sortby=+name,-area_m2`: (queryable, descending) pairs; id always breaks ties last."""
    if raw is None or raw == "":
        return ()
    keys = []
    for part in raw.split(","):
        part = part.strip()
        descending = part.startswith("-")
        name = part.lstrip("+-").strip()
        if sortables.get(name) in (None, "geometry"):
            raise BadRequest("sortby", f"不能按 {name!r} 排序 (not a sortable property; see /queryables)")
        keys.append((name, descending))
    return tuple(keys)


def parse_select(raw: str | None, queryables: Mapping[str, FieldType]) -> tuple[str, ...] | None:
    """`properties=code,name`: the properties each feature carries (None: all of them)."""
    if raw is None:
        return None
    names = tuple(part.strip() for part in raw.split(",") if part.strip())
    unknown = [name for name in names if name not in queryables]
    if unknown:
        raise BadRequest("properties", f"未知属性 (unknown properties {unknown}; see /queryables)")
    return names


def _condition_value(name: str, raw: str, kind: FieldType) -> Scalar:
    try:
        if kind in ("integer", "number"):
            number = int(raw) if kind == "integer" else float(raw)
            if not abs(number) <= _LARGEST:
                raise ValueError(raw)
            return number
        if kind == "date":
            return date.fromisoformat(raw)
        if kind == "datetime":
            moment = checked_moment(datetime.fromisoformat(raw))
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    except ValueError:
        raise BadRequest(name, f"需要 {kind} 类型的值 (must be a {kind}, got {raw!r})") from None
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise BadRequest(name, f"需要 true 或 false (must be true or false, got {raw!r})")
        return raw == "true"
    return raw


def conditions(raw: Mapping[str, str], queryables: Mapping[str, FieldType]) -> tuple[Expr, ...]:
    """`name=value` query parameters on queryables, as equality conditions (Part 1, "parameters for
    filtering on feature properties"); the caller has already refused names that are not queryables."""
    return tuple(Compare(name, "=", _condition_value(name, value, queryables[name])) for name, value in raw.items())


@dataclass(frozen=True)
class CheckedItems:
    """An items request after checking: the SQL conditions, the page and the output CRS."""

    query: feature_queries.FeatureQuery
    limit: int
    offset: int
    crs: OutputCrs
    select: tuple[str, ...] | None


def _filter(spec: CollectionSpec, req: ItemsRequest) -> Expr | None:
    parts: list[Expr] = list(conditions(req.conditions, spec.queryables))
    if req.filter is not None:
        lang = req.filter_lang or "cql2-text"
        if lang not in ("cql2-text", "cql2-json"):
            raise BadRequest(
                "filter-lang", f"需要 cql2-text 或 cql2-json (must be cql2-text or cql2-json, got {lang!r})"
            )
        filter_lang: FilterLang = "cql2-text" if lang == "cql2-text" else "cql2-json"
        parts.append(parse_filter(req.filter, filter_lang, spec.queryables, output_crs("filter-crs", req.filter_crs)))
    elif req.filter_lang or req.filter_crs:
        raise BadRequest(
            "filter-lang" if req.filter_lang else "filter-crs", "只能与 filter 一起使用 (only meaningful with filter)"
        )
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Logic("and", tuple(parts))


def _computed_only_pages(spec: CollectionSpec, req: ItemsRequest) -> None:
    used = [
        name
        for name, value in (("filter", req.filter), ("sortby", req.sortby), ("datetime", req.datetime))
        if value is not None
    ]
    used += list(req.conditions)
    if used:
        raise BadRequest(
            used[0],
            "计算得出的集合只支持 bbox、limit、offset 和 crs "
            "(a computed collection offers bbox, limit, offset and crs only)",
        )


def check_items(spec: CollectionSpec, req: ItemsRequest, settings: Settings) -> CheckedItems:
    """Every parameter of an items request checked (a 400 naming the first bad one)."""
    if not spec.filterable:
        _computed_only_pages(spec, req)
    if req.datetime and "updated_at" not in spec.queryables:
        raise BadRequest("datetime", "这个集合没有时间属性 (this collection has no temporal property)")
    sort = parse_sortby(req.sortby, spec.queryables)
    after = _int("after", req.after)
    if after is not None and (sort or spec.source != "facilities"):
        raise BadRequest("after", "只能用于按 id 排序的设施页 (continues facility pages ordered by id only)")
    query = feature_queries.FeatureQuery(
        kinds=spec.kinds,
        bbox=parse_box(req.bbox, req.bbox_crs),
        where=_filter(spec, req),
        updated=parse_datetime(req.datetime),
        sort=sort,
        after=after,
    )
    return CheckedItems(
        query,
        page_size(req.limit, settings),
        _int("offset", req.offset) or 0,
        output_crs("crs", req.crs),
        parse_select(req.select, spec.queryables),
    )


def _read_rows(conn: Connection, spec: CollectionSpec, checked: CheckedItems) -> tuple[Sequence[Any], int]:
    """A page's rows (one more than asked) and the data revision they were read at."""
    if spec.source == "facilities":
        rows: Sequence[Any] = feature_queries.facility_page(conn, checked.query, checked.limit, checked.offset)
        revision = int(rows[0].data_revision) if rows else None
    else:
        rows = feature_queries.district_page(conn, checked.query, checked.limit, checked.offset)
        revision = int(rows[0]["data_revision"]) if rows else None
    return rows, facility_queries.data_revision(conn) if revision is None else revision


def _by_id_list(query: feature_queries.FeatureQuery) -> bool:
    """Filtered and ordered by id: read through the ids of all matches. An unfiltered page is a range of
    the primary key already, and a sorted one pages by offset."""
    return not query.sort and (query.bbox is not None or query.where is not None or query.updated is not None)


class FeatureService:
    """Items of the collections, with numberMatched and the computed gaps cached per data revision.

    One per app (app.state.features), shared by the threads serving requests."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._counts: OrderedDict[tuple[Any, ...], int] = OrderedDict()
        self._lock = threading.Lock()
        self._gaps: tuple[int, list[GapFeature]] | None = None
        self._extents: dict[str, tuple[int, Extent]] = {}
        self._ids = IdLists(int(settings.ogc_id_cache_mb * 2**20))

    def items(self, conn: Connection, spec: CollectionSpec, req: ItemsRequest) -> ItemsPage:
        return self.page(conn, spec, check_items(spec, req, self.settings))

    def quick(self, spec: CollectionSpec, checked: CheckedItems, most: int) -> bool:
        """Whether the page is read without a scan: stored, at most `most` features, and, when filtered,
        the ids of its matches already kept (a cold box scans its index; a kept list may still turn out
        stale after a write, then it is read again)."""
        if not spec.filterable or checked.limit > most:
            return False
        if spec.source != "facilities" or not _by_id_list(checked.query):
            return True
        return self._ids.get(replace(checked.query, after=None)) is not None

    def page(self, conn: Connection, spec: CollectionSpec, checked: CheckedItems) -> ItemsPage:
        """The page of a checked request (check_items)."""
        if spec.source == "gaps":
            return self._gap_page(conn, spec, checked, facility_queries.data_revision(conn))
        if spec.source == "facilities" and _by_id_list(checked.query):
            page = self._id_list_page(conn, spec, checked)
            if page is not None:
                return page
        return self._sql_page(conn, spec, checked)

    def _sql_page(self, conn: Connection, spec: CollectionSpec, checked: CheckedItems) -> ItemsPage:
        """A page read by one query (keyset or offset), numberMatched from the count cache."""
        rows, revision = _read_rows(conn, spec, checked)
        more = len(rows) > checked.limit
        rows = rows[: checked.limit]
        matched = self.matched(conn, spec, checked.query, revision)
        page = ItemsPage(spec, rows, matched, checked.limit, checked.offset, checked.crs, select=checked.select)
        if not more:
            return page
        if spec.source == "facilities" and not checked.query.sort:
            return replace(page, next_after=int(rows[-1].id))
        return replace(page, next_offset=checked.offset + checked.limit)

    def _id_list_page(self, conn: Connection, spec: CollectionSpec, checked: CheckedItems) -> ItemsPage | None:
        """A filtered page from the ids of all matches (kept per revision), or None when writes kept
        changing the data between reading the ids and the rows (the caller then reads it by one query)."""
        key = replace(checked.query, after=None)
        for _attempt in range(2):
            found = self._ids.get(key)
            if found is None:
                found = self._ids.put(key, *feature_queries.facility_ids(conn, key))
            ids, more = found.page(checked.query.after, checked.offset, checked.limit)
            rows = feature_queries.facilities_by_id(conn, ids) if ids else []
            revision = int(rows[0].data_revision) if rows else facility_queries.data_revision(conn)
            if revision == found.revision and len(rows) == len(ids):
                page = ItemsPage(spec, rows, len(found.ids), checked.limit, checked.offset, checked.crs)
                page = replace(page, select=checked.select)
                return replace(page, next_after=ids[-1]) if more else page
            self._ids.drop(key)
        return None

    def matched(
        self, conn: Connection, spec: CollectionSpec, query: feature_queries.FeatureQuery, revision: int
    ) -> int:
        """How many features match `query` (whatever page), counted once per data revision."""
        key = (revision, spec.source, replace(query, after=None, sort=()))
        with self._lock:
            if key in self._counts:
                self._counts.move_to_end(key)
                return self._counts[key]
        count = (feature_queries.count_facilities if spec.source == "facilities" else feature_queries.count_districts)(
            conn, key[2]
        )
        with self._lock:
            self._counts[key] = count
            while len(self._counts) > _COUNT_CACHE_SIZE:
                self._counts.popitem(last=False)
        return count

    def extent(self, conn: Connection, spec: CollectionSpec) -> Extent:
        """The collection's extent, computed once per data revision."""
        revision = facility_queries.data_revision(conn)
        cached = self._extents.get(spec.id)
        if cached is not None and cached[0] == revision:
            return cached[1]
        extent = collection_extent(conn, spec)
        self._extents[spec.id] = (revision, extent)
        return extent

    def gaps(self, conn: Connection, revision: int) -> list[GapFeature]:
        """The coverage gaps of the current data (computed again after any write)."""
        cached = self._gaps
        if cached is not None and cached[0] == revision:
            return cached[1]
        features = coverage_gaps(conn.engine, self.settings)
        self._gaps = (revision, features)
        return features

    def _gap_page(self, conn: Connection, spec: CollectionSpec, checked: CheckedItems, revision: int) -> ItemsPage:
        features = self.gaps(conn, revision)
        if checked.query.bbox is not None:
            features = [f for f in features if f.intersects(checked.query.bbox)]
        end = checked.offset + checked.limit
        rows = features[checked.offset : end]
        page = ItemsPage(spec, rows, len(features), checked.limit, checked.offset, checked.crs, select=checked.select)
        return replace(page, next_offset=end) if end < len(features) else page

    def item(self, conn: Connection, spec: CollectionSpec, item_id: str, crs_raw: str | None) -> ItemsPage:
        """One feature as a page of one (404 when absent, deleted, or of another kind)."""
        crs = output_crs("crs", crs_raw)
        row: Any = None
        if spec.source == "facilities" and item_id.isdigit() and int(item_id) <= _LARGEST:  # a larger id is no row
            row = feature_queries.facility_by_id(conn, int(item_id), spec.kinds)
        elif spec.source == "districts":
            row = feature_queries.district_by_id(conn, item_id)
        elif spec.source == "gaps":
            row = next((f for f in self.gaps(conn, facility_queries.data_revision(conn)) if f.id == item_id), None)
        if row is None:
            raise NotFound(f"没有这个要素 (no feature {item_id!r} in {spec.id})")
        return ItemsPage(spec, [row], 1, 1, 0, crs)
