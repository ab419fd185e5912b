"""Freshness: per district, how many facilities were verified in the last 90/180/365 days, and the list
of overdue ones a county editor works through (oldest verification first, never-verified first of all).

Counted over the facilities meant to be checked: not deleted and not closed for good. Editors see their
districts, viewers and admins every district. Days are local days (GEO_TIMEZONE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection

from geo_service import vocab
from geo_service.authorization import Principal, require_principal
from geo_service.errors import InvalidParameter
from geo_service.queries import freshness as freshness_queries
from geo_service.queries.freshness import DistrictFreshness
from geo_service.services.facility_table import TablePage, TableQuery, facility_table

#: The ages the table counts, in days.
CUTOFF_DAYS: tuple[int, ...] = (90, 180, 365)
_CHECKED_STATUSES = tuple(status for status in vocab.STATUSES if status != "closed")


@dataclass(frozen=True)
class FreshnessReport:
    today: date
    overdue_days: int
    districts: list[DistrictFreshness]  # verified_since follows CUTOFF_DAYS
    overdue: TablePage


def freshness(
    conn: Connection, principal: Principal | None, today: date, *, overdue_days: int, page: int, page_size: int
) -> FreshnessReport:
    """The counts per district and one page of the facilities not verified within `overdue_days`."""
    known = require_principal(principal)
    if overdue_days not in CUTOFF_DAYS:
        raise InvalidParameter("days", f"可选 {list(CUTOFF_DAYS)} (one of {list(CUTOFF_DAYS)} days)")
    scope = tuple(sorted(known.districts)) if known.role == "editor" else None
    cutoffs = tuple(today - timedelta(days=days) for days in CUTOFF_DAYS)
    counts = freshness_queries.district_freshness(conn, cutoffs, scope)
    query = TableQuery(
        statuses=_CHECKED_STATUSES, stale_days=overdue_days, sort="last_verified_at", page=page, page_size=page_size
    )
    return FreshnessReport(today, overdue_days, counts, facility_table(conn, known, query, today))
