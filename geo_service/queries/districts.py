"""District reads and writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import shapely
from geoalchemy2 import WKTElement
from shapely import wkb
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import Connection, RowMapping, func, insert, or_, select, update

from geo_service.db.models import District
from geo_service.records import DistrictRecord


def upsert_districts(conn: Connection, records: Iterable[DistrictRecord]) -> tuple[int, int]:
    """Insert new districts and refresh existing ones (boundaries and population); returns (inserted, updated)."""
    existing = set(conn.scalars(select(District.adcode)))
    inserted = updated = 0
    for record in records:
        values = record.model_dump(exclude={"wkt"}) | {"geom": WKTElement(_multipolygon_wkt(record.wkt), 4326)}
        if record.adcode in existing:
            conn.execute(update(District).where(District.adcode == record.adcode).values(values))
            updated += 1
        else:
            conn.execute(insert(District).values(values))
            inserted += 1
    return inserted, updated


def _multipolygon_wkt(wkt: str) -> str:
    """POLYGON or MULTIPOLYGON WKT as MULTIPOLYGON, the type of the column."""
    geom = shapely.from_wkt(wkt)
    return (MultiPolygon([geom]) if isinstance(geom, Polygon) else geom).wkt


def resolve_district(conn: Connection, key: str) -> str | None:
    """Adcode for a district given its adcode or its Chinese name (None when unknown)."""
    return conn.scalar(select(District.adcode).where(or_(District.adcode == key, District.name == key)))


def list_districts(conn: Connection, level: str | None = None) -> Sequence[RowMapping]:
    """Districts without geometry, with population and area-independent attributes."""
    query = select(
        District.adcode,
        District.name,
        District.level,
        District.parent_adcode,
        District.population,
        District.population_year,
        District.population_source,
    ).order_by(District.adcode)
    if level:
        query = query.where(District.level == level)
    return conn.execute(query).mappings().all()


def count_districts(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(District)) or 0)


def district_boxes(conn: Connection) -> list[tuple[float, float, float, float]]:
    """(min lon, min lat, max lon, max lat) of each district."""
    return [wkb.loads(bytes(blob)).bounds for blob in conn.scalars(select(func.ST_AsBinary(District.geom))) if blob]


def boxes_by_region(conn: Connection) -> dict[str | None, list[tuple[float, float, float, float]]]:
    """Region code → the boxes of its districts."""
    boxes: dict[str | None, list[tuple[float, float, float, float]]] = {}
    for region, blob in conn.execute(select(District.region_code, func.ST_AsBinary(District.geom))):
        boxes.setdefault(region, []).append(wkb.loads(bytes(blob)).bounds)
    return boxes


def district_shapes(conn: Connection, adcodes: tuple[str, ...] = (), level: str = "district") -> Sequence[RowMapping]:
    """Districts of `level` (all, or the given adcodes) with population, seat and WKB geometry."""
    query = (
        select(
            District.adcode,
            District.name,
            District.population,
            District.population_year,
            District.seat_lon,
            District.seat_lat,
            func.ST_AsBinary(District.geom).label("wkb"),
        )
        .where(District.level == level)
        .order_by(District.adcode)
    )
    if adcodes:
        query = query.where(District.adcode.in_(adcodes))
    return conn.execute(query).mappings().all()
