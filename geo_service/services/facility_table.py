"""The editor console's facility table: search, filters, sorting and paging, and the same selection as
points for the map beside it; and opening one facility for editing.

Editors see the facilities of their districts only (asking for another district is a 403); viewers and
admins see every district. "Not verified for N days" counts in local days (GEO_TIMEZONE).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, RowMapping

from geo_service import vocab
from geo_service.authorization import Principal, can_write, require_principal, require_write
from geo_service.errors import Forbidden, InvalidParameter
from geo_service.queries import districts as district_queries
from geo_service.queries import facilities as facility_queries
from geo_service.queries.facilities import SortKey
from geo_service.services import editing
from geo_service.services.accounts import utc_now
from geo_service.services.editing import FacilityView
from geo_service.services.validation import check_codes, resolve_districts

SampleChoice = Literal["all", "sample", "real"]
SORT_KEYS: tuple[SortKey, ...] = get_args(SortKey)
MAX_STALE_DAYS = 36500


@dataclass(frozen=True)
class TableQuery:
    """What the table shows: filters as the console's form sends them, a sort column and a page."""

    text: str | None = None
    districts: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    sample: str = "all"  # all, sample or real (SampleChoice)
    stale_days: int | None = None  # not verified for more than this many days (or never)
    open_reports: bool = False
    sort: str = "id"  # a SortKey
    descending: bool = False
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class TablePage:
    rows: Sequence[RowMapping]
    matched: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.matched / self.page_size))


@dataclass(frozen=True)
class DistrictChoice:
    adcode: str
    name: str


def local_today(zone: ZoneInfo, now: datetime | None = None) -> date:
    return utc_now(now).astimezone(zone).date()


def visible_districts(conn: Connection, principal: Principal) -> list[DistrictChoice]:
    """The county-level districts the principal sees: an editor's own, everyone else's all."""
    rows = district_queries.list_districts(conn, level="district")
    choices = [DistrictChoice(row["adcode"], row["name"]) for row in rows]
    if principal.role == "editor":
        return [choice for choice in choices if choice.adcode in principal.districts]
    return choices


def _districts_for(conn: Connection, principal: Principal, requested: Sequence[str]) -> tuple[str, ...]:
    adcodes = resolve_districts(conn, requested)
    if principal.role != "editor":
        return adcodes
    foreign = [adcode for adcode in adcodes if adcode not in principal.districts]
    if foreign:
        raise Forbidden(f"只能查看本区县的设施 (district {', '.join(foreign)} is not yours)")
    return adcodes or tuple(sorted(principal.districts))


def table_filter(
    conn: Connection, principal: Principal | None, query: TableQuery, today: date
) -> facility_queries.FacilityFilter:
    """The checked filter of a table query; a 422 naming the parameter, a 403 for a district not yours."""
    known = require_principal(principal)
    if query.stale_days is not None and not 0 <= query.stale_days <= MAX_STALE_DAYS:
        raise InvalidParameter("stale_days", f"须为 0–{MAX_STALE_DAYS} 天 (0 to {MAX_STALE_DAYS} days)")
    if query.sample not in get_args(SampleChoice):
        raise InvalidParameter("sample", f"可选 {list(get_args(SampleChoice))} (one of all, sample, real)")
    return facility_queries.FacilityFilter(
        kinds=check_codes("kind", query.kinds, vocab.KINDS),
        statuses=check_codes("status", query.statuses, vocab.STATUSES),
        district_adcodes=_districts_for(conn, known, query.districts),
        text=(query.text or "").strip() or None,
        is_sample=None if query.sample == "all" else query.sample == "sample",
        verified_before=None if query.stale_days is None else today - timedelta(days=query.stale_days),
        with_open_reports=query.open_reports,
    )


def facility_table(conn: Connection, principal: Principal | None, query: TableQuery, today: date) -> TablePage:
    """One page of the table; a page past the end is the last page."""
    sort = next((key for key in SORT_KEYS if key == query.sort), None)
    if sort is None:
        raise InvalidParameter("sort", f"可选 {list(SORT_KEYS)} (unknown sort column {query.sort!r})")
    if query.page < 1 or not 1 <= query.page_size <= 500:
        raise InvalidParameter("page", "页码须 ≥ 1，每页 1–500 行 (page ≥ 1, page size 1 to 500)")
    filters = table_filter(conn, principal, query, today)
    matched = facility_queries.count_facilities(conn, filters)
    page = min(query.page, max(1, math.ceil(matched / query.page_size)))
    offset = (page - 1) * query.page_size
    rows = facility_queries.sorted_facilities(conn, filters, sort, query.descending, query.page_size, offset)
    return TablePage(rows, matched, page, query.page_size)


def map_points(
    conn: Connection, principal: Principal | None, query: TableQuery, today: date, cap: int
) -> tuple[Sequence[RowMapping], int]:
    """Up to `cap` facilities of the table's selection (every page), for its map, and how many match."""
    filters = table_filter(conn, principal, query, today)
    rows = facility_queries.list_facilities(conn, filters, cap, 0)
    return rows, facility_queries.count_facilities(conn, filters)


def facilities_by_id(conn: Connection, ids: Sequence[int]) -> dict[int, RowMapping]:
    """The facilities of `ids` (deleted ones too), by id: what a page of problem reports points at."""
    if not ids:
        return {}
    filters = facility_queries.FacilityFilter(ids=tuple(ids), include_deleted=True)
    return {int(row["id"]): row for row in facility_queries.list_facilities(conn, filters, len(ids), 0)}


def facility_for_editing(
    conn: Connection, principal: Principal | None, facility_id: int, *, to_write: bool = False
) -> FacilityView:
    """A facility as the console opens it (deleted ones too); an editor may open its districts' only.
    `to_write`: the caller is about to change it, so a viewer is refused before any input is read."""
    known = require_principal(principal)
    view = editing.get_facility(conn, known, facility_id)
    if to_write:
        require_write(known, view.row["district_adcode"])
    if known.role == "editor" and not can_write(known, view.row["district_adcode"]):
        raise Forbidden(
            f"该设施属于 {view.row['district']}，不在你的区县内 "
            f"(facility {facility_id} belongs to district {view.row['district_adcode']}, not yours)"
        )
    return view
