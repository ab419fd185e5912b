"""SQL of the vector tiles: the facilities of one tile as points or as grid clusters, and district outlines.

A facility is in a tile when west <= lon < east and south < lat <= north (geo_service.analysis.tiles), so
each one is in exactly one tile per zoom and cluster counts add up. PostGIS encodes the tile itself
(ST_AsMVT); for SpatiaLite, which has no MVT functions, these queries return the rows that
geo_service.services.tiles encodes in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, RowMapping, Select, case, func, literal, select

from geo_service.analysis.ogc_crs import MERCATOR_MAX_LAT
from geo_service.analysis.tiles import EXTENT, Tile, lonlat_bounds
from geo_service.db.models import District, Facility
from geo_service.queries import facilities as facility_queries

Box = tuple[float, float, float, float]
_BUFFER = 64  # MVT units drawn beyond the tile edge (labels, symbols)


def _lon() -> ColumnElement[float]:
    return func.ST_X(Facility.geom)


def _lat() -> ColumnElement[float]:
    return func.ST_Y(Facility.geom)


@dataclass(frozen=True)
class TileFilter:
    """Which facilities a tile holds: of these kinds, statuses and districts (each: all when empty)."""

    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    district_adcodes: tuple[str, ...] = ()


def _in_tile(query: Select, which: TileFilter, box: Box, dialect: str) -> Select:
    """The facilities `which` selects in the half-open box: index prefilter, then the exact edges."""
    west, south, east, north = box
    prefilter = facility_queries.FacilityFilter(
        kinds=which.kinds,
        statuses=which.statuses,
        district_adcodes=which.district_adcodes,
        bbox=(max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0)),
    )
    query = facility_queries.filtered(query, prefilter, dialect)
    return query.where(_lon() >= west, _lon() < east, _lat() > south, _lat() <= north)


def points(conn: Connection, which: TileFilter, tile: Tile) -> Sequence[RowMapping]:
    """id, code, kind, name, status, lon, lat of every facility in the tile (none left out)."""
    query = select(
        Facility.id,
        Facility.code,
        Facility.kind,
        Facility.name,
        Facility.status,
        _lon().label("lon"),
        _lat().label("lat"),
    )
    query = _in_tile(query.select_from(Facility), which, lonlat_bounds(tile), conn.dialect.name)
    return conn.execute(query.order_by(Facility.id)).mappings().all()


def _cells(box: Box, grid: int) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """Cell column and row of each facility on a `grid` × `grid` lon/lat grid over the tile."""
    west, south, east, north = box
    cx = func.floor((_lon() - west) * (grid / (east - west)))
    cy = func.floor((north - _lat()) * (grid / (north - south)))
    return cx, cy


def _cluster_select(which: TileFilter, all_kinds: Sequence[str], tile: Tile, grid: int, dialect: str) -> Select:
    box = lonlat_bounds(tile)
    cx, cy = _cells(box, grid)
    per_kind = [func.sum(case((Facility.kind == kind, 1), else_=0)).label(kind) for kind in all_kinds]
    query = select(
        func.count().label("count"), func.avg(_lon()).label("lon"), func.avg(_lat()).label("lat"), *per_kind
    ).select_from(Facility)
    return _in_tile(query, which, box, dialect).group_by(cx, cy)


def clusters(
    conn: Connection, which: TileFilter, all_kinds: Sequence[str], tile: Tile, grid: int
) -> Sequence[RowMapping]:
    """count, mean lon/lat and the count of each kind per non-empty cell: the counts add up to the tile's
    facilities."""
    return conn.execute(_cluster_select(which, all_kinds, tile, grid, conn.dialect.name)).mappings().all()


def _mercator_point(lon: ColumnElement[float], lat: ColumnElement[float]) -> ColumnElement:
    clamped = func.least(func.greatest(lat, -MERCATOR_MAX_LAT), MERCATOR_MAX_LAT)
    return func.ST_Transform(func.ST_SetSRID(func.ST_MakePoint(lon, clamped), 4326), 3857)


def _envelope(tile: Tile) -> ColumnElement:
    return func.ST_TileEnvelope(tile.z, tile.x, tile.y)


def _mvt(conn: Connection, inner: Select, layer: str, id_column: str | None) -> bytes:
    sub = inner.subquery("tile_rows")
    args = [sub.table_valued(), literal(layer), EXTENT, literal("geom")]
    if id_column:
        args.append(literal(id_column))
    blob = conn.scalar(select(func.ST_AsMVT(*args)).select_from(sub))
    return bytes(blob or b"")


def mvt_points(conn: Connection, layer: str, which: TileFilter, tile: Tile) -> bytes:
    """PostGIS: the tile's facilities as an encoded MVT layer (not clipped: a point on the edge is kept)."""
    geom = func.ST_AsMVTGeom(_mercator_point(_lon(), _lat()), _envelope(tile), EXTENT, _BUFFER, False)
    inner = select(Facility.id, Facility.code, Facility.kind, Facility.name, Facility.status, geom.label("geom"))
    inner = _in_tile(inner.select_from(Facility), which, lonlat_bounds(tile), "postgresql")
    return _mvt(conn, inner, layer, "id")


def mvt_clusters(
    conn: Connection, layer: str, which: TileFilter, all_kinds: Sequence[str], tile: Tile, grid: int
) -> bytes:
    """PostGIS: the tile's clusters as an encoded MVT layer, each at the mean position of its facilities."""
    cells = _cluster_select(which, all_kinds, tile, grid, "postgresql").subquery("cells")
    geom = func.ST_AsMVTGeom(_mercator_point(cells.c.lon, cells.c.lat), _envelope(tile), EXTENT, _BUFFER, False)
    inner = select(cells.c["count"], *(cells.c[kind] for kind in all_kinds), geom.label("geom"))
    return _mvt(conn, inner, layer, None)


def district_shapes(conn: Connection, tile: Tile) -> Sequence[RowMapping]:
    """adcode, name, level and WKB outline of the districts touching the tile (SpatiaLite path)."""
    west, south, east, north = lonlat_bounds(tile)
    box = func.BuildMbr(max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0), 4326)
    query = select(District.adcode, District.name, District.level, func.ST_AsBinary(District.geom).label("wkb"))
    query = query.where(func.ST_Intersects(District.geom, box) == 1).order_by(District.adcode)
    return conn.execute(query).mappings().all()


def mvt_districts(conn: Connection, layer: str, tile: Tile) -> bytes:
    """PostGIS: district outlines clipped to the tile (plus its buffer) as an encoded MVT layer."""
    envelope = _envelope(tile)
    geom = func.ST_AsMVTGeom(func.ST_Transform(District.geom, 3857), envelope, EXTENT, _BUFFER, True)
    inner = select(District.adcode, District.name, District.level, geom.label("geom")).where(
        func.ST_Intersects(District.geom, func.ST_Transform(envelope, 4326))
    )
    return _mvt(conn, inner, layer, None)
