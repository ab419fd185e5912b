"""Vector tiles (Mapbox Vector Tile 2.1) of the facility collections and the districts, and their TileJSON.

Below GEO_TILES_CLUSTER_BELOW_ZOOM a tile's facilities are aggregated on a grid: each cluster carries its
count and the count of each kind, and the counts add up to every facility in the tile. From that zoom on,
every facility is its own point: no tile is ever truncated. PostGIS encodes with ST_AsMVT; SpatiaLite's
rows are encoded here with mapbox-vector-tile. Encoded tiles are kept per data revision (tiles do not
change until the data does), gzipped once, and tagged with a content hash for ETag / If-None-Match.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import wkb
from sqlalchemy import Connection

from geo_service import vocab
from geo_service.analysis.tiles import EXTENT, Tile, to_tile_pixels
from geo_service.errors import BadRequest, NotFound
from geo_service.queries import facilities as facility_queries
from geo_service.queries import tiles as tile_queries
from geo_service.queries.tiles import TileFilter
from geo_service.services.ogc_catalog import CollectionSpec
from geo_service.services.validation import check_codes, resolve_districts
from geo_service.settings import Settings

KINDS = tuple(vocab.KINDS)
MAX_ZOOM = 22
_BUFFER_UNITS = 64


@dataclass(frozen=True)
class EncodedTile:
    """An encoded tile, its gzipped form and its strong ETag."""

    body: bytes
    gzipped: bytes
    etag: str


def tile_of(z: int, x: int, y: int) -> Tile:
    """The tile, or a 400 naming the coordinate that is out of range."""
    if not 0 <= z <= MAX_ZOOM:
        raise BadRequest("z", f"缩放级别须在 0–{MAX_ZOOM} (zoom must be between 0 and {MAX_ZOOM}, got {z})")
    try:
        return Tile(z, x, y)
    except ValueError as exc:
        raise BadRequest("x" if not 0 <= x < (1 << z) else "y", str(exc)) from None


def _encode_layer(name: str, features: list[dict[str, Any]]) -> bytes:
    """Features already in tile coordinates (0..EXTENT, y downwards) as one MVT layer."""
    if not features:
        return b""
    options = {"extents": EXTENT, "y_coord_down": True}
    return bytes(mapbox_vector_tile.encode([{"name": name, "features": features}], default_options=options))


def _point_features(rows: Sequence[Mapping[Any, Any]], keys: Sequence[str], tile: Tile) -> list[dict[str, Any]]:
    px, py = to_tile_pixels(tile, [r["lon"] for r in rows], [r["lat"] for r in rows])
    px, py = np.rint(px), np.rint(py)
    return [
        {"geometry": shapely.Point(float(px[i]), float(py[i])), "properties": {k: row[k] for k in keys}, **_fid(row)}
        for i, row in enumerate(rows)
    ]


def _fid(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {"id": int(row["id"])} if "id" in row else {}


def _district_features(rows: Sequence[Mapping[Any, Any]], tile: Tile) -> list[dict[str, Any]]:
    clip = shapely.box(-_BUFFER_UNITS, -_BUFFER_UNITS, EXTENT + _BUFFER_UNITS, EXTENT + _BUFFER_UNITS)

    def to_pixels(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.column_stack(to_tile_pixels(tile, xy[:, 0], xy[:, 1]))

    out = []
    for row in rows:
        outline = shapely.transform(wkb.loads(bytes(row["wkb"])), to_pixels)
        part = shapely.make_valid(shapely.set_precision(shapely.intersection(outline, clip), 1.0))
        if not part.is_empty:
            out.append(
                {"geometry": part, "properties": {"adcode": row["adcode"], "name": row["name"], "level": row["level"]}}
            )
    return out


def tile_filter(
    conn: Connection, spec: CollectionSpec, statuses: Sequence[str] = (), districts: Sequence[str] = ()
) -> TileFilter:
    """The facilities a tile of `spec` holds, narrowed to statuses and districts (adcodes or names; checked)."""
    return TileFilter(
        kinds=spec.kinds,
        statuses=check_codes("status", statuses, vocab.STATUSES),
        district_adcodes=resolve_districts(conn, districts),
    )


def encode_tile(conn: Connection, spec: CollectionSpec, which: TileFilter, tile: Tile, settings: Settings) -> bytes:
    """The MVT bytes of one tile of `spec` (an empty body when the tile holds nothing)."""
    postgis = conn.dialect.name == "postgresql"
    clustered = tile.z < settings.tiles_cluster_below_zoom
    grid = settings.tiles_cluster_grid
    if spec.source == "districts":
        if postgis:
            return tile_queries.mvt_districts(conn, spec.id, tile)
        return _encode_layer(spec.id, _district_features(tile_queries.district_shapes(conn, tile), tile))
    if clustered:
        if postgis:
            return tile_queries.mvt_clusters(conn, spec.id, which, KINDS, tile, grid)
        cells = tile_queries.clusters(conn, which, KINDS, tile, grid)
        return _encode_layer(spec.id, _point_features(cells, ("count", *KINDS), tile))
    if postgis:
        return tile_queries.mvt_points(conn, spec.id, which, tile)
    rows = tile_queries.points(conn, which, tile)
    return _encode_layer(spec.id, _point_features(rows, ("code", "kind", "name", "status"), tile))


@dataclass(frozen=True)
class TileKey:
    """What a tile depends on: the data revision, the collection, the tile and the filter."""

    revision: int
    spec: CollectionSpec
    tile: Tile
    which: TileFilter


class TileService:
    """Encoded tiles cached per data revision, within GEO_TILES_CACHE_MB per worker (least recently used
    first out). One per app (app.state.tiles), shared by the threads serving requests."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cache: OrderedDict[TileKey, EncodedTile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def tile(self, conn: Connection, spec: CollectionSpec, tile: Tile, which: TileFilter) -> EncodedTile:
        """The encoded tile (from the cache when the data has not changed since it was encoded)."""
        key, hit = self.cached(conn, spec, tile, which)
        return hit or self.encode(conn, key)

    def cached(
        self, conn: Connection, spec: CollectionSpec, tile: Tile, which: TileFilter
    ) -> tuple[TileKey, EncodedTile | None]:
        """The tile's cache key for the current data revision, and the tile when it is cached."""
        if not spec.has_tiles:
            raise NotFound(f"这个集合没有矢量瓦片 (no vector tiles for {spec.id})")
        key = TileKey(facility_queries.data_revision(conn), spec, tile, which)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
        return key, hit

    def encode(self, conn: Connection, key: TileKey) -> EncodedTile:
        """Encode the tile of `key` and keep it."""
        body = encode_tile(conn, key.spec, key.which, key.tile, self.settings)
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        encoded = EncodedTile(body, gzip.compress(body, 6), f'"{digest}"')
        self._keep(key, encoded)
        return encoded

    def _keep(self, key: TileKey, encoded: EncodedTile) -> None:
        budget = int(self.settings.tiles_cache_mb * 1024 * 1024)
        size = len(encoded.body) + len(encoded.gzipped)
        if size > budget:
            return
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = encoded
            self._bytes += size
            while self._bytes > budget:
                _old, dropped = self._cache.popitem(last=False)
                self._bytes -= len(dropped.body) + len(dropped.gzipped)


def _fields(spec: CollectionSpec) -> dict[str, str]:
    if spec.source == "districts":
        return {"adcode": "String", "name": "String", "level": "String"}
    points = {"code": "String", "kind": "String", "name": "String", "status": "String"}
    return {"count": "Number", **dict.fromkeys(KINDS, "Number"), **points}


def tilejson(
    spec: CollectionSpec,
    tiles_url: str,
    bounds: tuple[float, float, float, float] | None,
    settings: Settings,
    lang: str,
) -> dict[str, Any]:
    """TileJSON 3.0.0 of the collection's tiles; `tiles_url` is the {z}/{x}/{y} template."""
    west, south, east, north = bounds or (-180.0, -85.0511, 180.0, 85.0511)
    below = settings.tiles_cluster_below_zoom
    description = spec.description(lang)
    if spec.source == "facilities":
        description += (
            f"; below zoom {below} clusters (count, and the count of each kind, adding up to the tile's "
            f"facilities), from zoom {below} every facility (code, kind, name, status)"
        )
    layer = {"id": spec.id, "description": description, "minzoom": 0, "maxzoom": MAX_ZOOM, "fields": _fields(spec)}
    return {
        "tilejson": "3.0.0",
        "name": spec.title(lang),
        "description": spec.description(lang),
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": [west, south, east, north],
        "center": [(west + east) / 2, (south + north) / 2, min(MAX_ZOOM, 8)],
        "vector_layers": [layer],
        "attribution": "geo_service",
    }
