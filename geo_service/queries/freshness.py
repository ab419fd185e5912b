"""How recently the facilities of each district were verified: counts by age of the last verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, and_, case, func, select

from geo_service.db.models import District, Facility
from geo_service.queries.facilities import NOT_DELETED

#: Facilities that are meant to be checked: not deleted and not closed for good.
NEEDS_CHECKING = and_(NOT_DELETED, Facility.status != "closed")


@dataclass(frozen=True)
class DistrictFreshness:
    """Facilities of one district and how many were verified on or after each cut-off date."""

    adcode: str
    name: str
    total: int
    verified_since: tuple[int, ...]  # one count per cut-off, in the order asked
    never_verified: int


def district_freshness(
    conn: Connection, cutoffs: tuple[date, ...], district_adcodes: tuple[str, ...] | None
) -> list[DistrictFreshness]:
    """One row per county-level district (those listed, or all when None), districts without facilities
    included, by adcode."""
    recent = [func.coalesce(func.sum(case((Facility.last_verified_at >= cut, 1), else_=0)), 0) for cut in cutoffs]
    never = func.coalesce(func.sum(case((Facility.last_verified_at.is_(None), 1), else_=0)), 0)
    query = (
        select(District.adcode, District.name, func.count(Facility.id), never, *recent)
        .select_from(District)
        .outerjoin(Facility, and_(Facility.district_adcode == District.adcode, NEEDS_CHECKING))
        .where(District.level == "district")
        .group_by(District.adcode, District.name)
        .order_by(District.adcode)
    )
    if district_adcodes is not None:
        query = query.where(District.adcode.in_(district_adcodes))
    return [
        DistrictFreshness(row[0], row[1], int(row[2]), tuple(int(n) for n in row[4:]), int(row[3]))
        for row in conn.execute(query)
    ]
