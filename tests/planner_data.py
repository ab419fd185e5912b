"""The planner tests' data: the Binzhou sample plus the two stations that used to split the counts.

- BORDER: an open station recorded in 滨城区 whose point lies ~60 m across the line, inside 沾化区 (an
  import keeps the stated district of a point that falls just across it, with a warning). Counted by
  point-in-polygon it moved to 沾化区; by its stated district it stays in 滨城区.
- PAUSED: a temporarily closed station, which the public map shows but no coverage figure counts.

Every count the planner sees (API summary, XLSX, map legend and tooltips, the panel) must agree with the
stated districts of the open stations, read here straight from the table.
"""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import Engine, func, select

from geo_service.db.models import Facility
from geo_service.queries.districts import district_shapes
from geo_service.queries.facilities import insert_facilities
from geo_service.records import FacilityRecord

STATED, ACROSS = "371602", "371603"  # 滨城区, 沾化区
BORDER_CODE, PAUSED_CODE = "PLAN-BORDER", "PLAN-PAUSED"


def point_across_the_border(engine: Engine) -> tuple[float, float]:
    """A point inside ACROSS and outside STATED, within ~100 m of their shared line."""
    with engine.connect() as conn:
        shapes = {row["adcode"]: shapely.from_wkb(bytes(row["wkb"])) for row in district_shapes(conn, [STATED, ACROSS])}
    stated, across = shapes[STATED], shapes[ACROSS]
    line = shapely.intersection(stated.boundary, across.buffer(1e-6))
    middle = line.interpolate(0.5, normalized=True)
    for dx, dy in ((dx, dy) for r in (0.0006, 0.001) for dx in (-r, 0, r) for dy in (-r, 0, r)):
        point = shapely.Point(middle.x + dx, middle.y + dy)
        if across.contains(point) and not stated.contains(point):
            return round(point.x, 6), round(point.y, 6)
    raise AssertionError("no point just across the border")


def add_planner_stations(engine: Engine) -> None:
    lon, lat = point_across_the_border(engine)
    common = {"kind": "station", "address": "测试路 1 号（合成）", "is_sample": True}
    records = [
        FacilityRecord(code=BORDER_CODE, name="跨界驿站（示例）", district_adcode=STATED, lon=lon, lat=lat, **common),
        FacilityRecord(
            code=PAUSED_CODE,
            name="暂停驿站（示例）",
            district_adcode=STATED,
            lon=118.0,
            lat=37.38,
            status="temporarily_closed",
            **common,
        ),
    ]
    with engine.begin() as conn:
        insert_facilities(conn, records)


def open_stations_by_stated_district(engine: Engine) -> dict[str, int]:
    """adcode → open stations, straight from the facility table."""
    query = (
        select(Facility.district_adcode, func.count())
        .where(Facility.kind == "station", Facility.status == "open", Facility.deleted_at.is_(None))
        .group_by(Facility.district_adcode)
    )
    with engine.connect() as conn:
        return {adcode: int(n) for adcode, n in conn.execute(query).all()}


def inside_count(engine: Engine, adcode: str) -> int:
    """Open stations whose point lies inside the district's polygon (the assignment no count may use)."""
    with engine.connect() as conn:
        (row,) = district_shapes(conn, [adcode])
        points = conn.execute(
            select(func.ST_X(Facility.geom), func.ST_Y(Facility.geom)).where(
                Facility.kind == "station", Facility.status == "open", Facility.deleted_at.is_(None)
            )
        ).all()
    xy = np.array(points, dtype=np.float64)
    return int(shapely.contains_xy(shapely.from_wkb(bytes(row["wkb"])), xy[:, 0], xy[:, 1]).sum())
