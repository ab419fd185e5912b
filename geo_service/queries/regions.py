"""Region reads and writes (a region groups the districts loaded together)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from geo_service.db.models import District, Facility, Region


def save_region(conn: Connection, code: str, name: str, source: str, seats: str, population: str) -> None:
    """Insert or refresh the region row."""
    values = {"name": name, "source": source, "seats": seats, "population": population}
    if conn.scalar(select(Region.code).where(Region.code == code)) is None:
        conn.execute(insert(Region).values(code=code, created_at=datetime.now(UTC), **values))
    else:
        conn.execute(update(Region).where(Region.code == code).values(values))


def set_district_region(conn: Connection, adcodes: Sequence[str], region_code: str) -> None:
    conn.execute(update(District).where(District.adcode.in_(adcodes)).values(region_code=region_code))


def owners(conn: Connection, adcodes: Sequence[str]) -> dict[str, str | None]:
    """adcode → region code of those districts already stored."""
    rows = conn.execute(select(District.adcode, District.region_code).where(District.adcode.in_(adcodes)))
    return {row.adcode: row.region_code for row in rows}


def list_regions(conn: Connection) -> Sequence[RowMapping]:
    """Regions with their unit and facility counts, in code order."""
    units = (
        select(func.count()).where(District.region_code == Region.code, District.level == "district").scalar_subquery()
    )
    facilities = (
        select(func.count())
        .select_from(Facility)
        .join(District, District.adcode == Facility.district_adcode)
        .where(District.region_code == Region.code, Facility.deleted_at.is_(None))
        .scalar_subquery()
    )
    query = select(
        Region.code,
        Region.name,
        Region.source,
        Region.seats,
        Region.population,
        units.label("units"),
        facilities.label("facilities"),
    ).order_by(Region.code)
    return conn.execute(query).mappings().all()


def region_names(conn: Connection) -> list[str]:
    return list(conn.scalars(select(Region.name).order_by(Region.code)))


def find_region(conn: Connection, key: str) -> str | None:
    """The code of the region given by code or name."""
    return conn.scalar(select(Region.code).where((Region.code == key) | (Region.name == key)))


def region_facility_count(conn: Connection, code: str) -> int:
    query = (
        select(func.count())
        .select_from(Facility)
        .join(District, District.adcode == Facility.district_adcode)
        .where(District.region_code == code)
    )
    return int(conn.scalar(query) or 0)


def delete_region(conn: Connection, code: str) -> int:
    """Delete the region and its districts; returns the districts deleted."""
    deleted = conn.execute(delete(District).where(District.region_code == code)).rowcount
    conn.execute(delete(Region).where(Region.code == code))
    return int(deleted)
