"""Web Mercator tile arithmetic (the XYZ / WebMercatorQuad pyramid) for the vector tiles.

Each facility belongs to exactly one tile of a zoom level: a tile holds the points with
west <= lon < east and south < lat <= north (rows count downwards from the north), and neighbouring tiles
compute their shared edge with the same function from the same integer, so the edge is the same float in
both. That is what lets cluster counts add up across tiles, with no point counted twice or lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo_service.analysis.ogc_crs import MERCATOR_MAX_LAT

EARTH_RADIUS_M: Final = 6378137.0
HALF_WORLD_M: Final = math.pi * EARTH_RADIUS_M  # 20037508.342789244
EXTENT: Final = 4096  # MVT coordinate units per tile side
MAX_ZOOM: Final = 24
_OUTSIDE_LAT: Final = 91.0
_OUTSIDE_LON: Final = 181.0


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    def __post_init__(self) -> None:
        if not 0 <= self.z <= MAX_ZOOM:
            raise ValueError(f"zoom must be between 0 and {MAX_ZOOM}, got {self.z}")
        side = 1 << self.z
        if not (0 <= self.x < side and 0 <= self.y < side):
            raise ValueError(f"x and y must be between 0 and {side - 1} at zoom {self.z}, got {self.x}/{self.y}")


def _lon_edge(x: int, z: int) -> float:
    return x / (1 << z) * 360.0 - 180.0


def _lat_edge(y: int, z: int) -> float:
    n = math.pi * (1.0 - 2.0 * y / (1 << z))
    return math.degrees(math.atan(math.sinh(n)))


def lonlat_bounds(tile: Tile) -> tuple[float, float, float, float]:
    """west, south, east, north of `tile` in degrees, for west <= lon < east and south < lat <= north.

    The outer rows and the last column reach past the poles and the antimeridian (±91°, 181°), so that
    every valid point, even beyond Web Mercator's ±85.05°, lies in exactly one tile."""
    last = (1 << tile.z) - 1
    north = _OUTSIDE_LAT if tile.y == 0 else _lat_edge(tile.y, tile.z)
    south = -_OUTSIDE_LAT if tile.y == last else _lat_edge(tile.y + 1, tile.z)
    east = _OUTSIDE_LON if tile.x == last else _lon_edge(tile.x + 1, tile.z)
    return _lon_edge(tile.x, tile.z), south, east, north


def mercator_bounds(tile: Tile) -> tuple[float, float, float, float]:
    """xmin, ymin, xmax, ymax of `tile` in EPSG:3857 metres (what ST_TileEnvelope returns)."""
    size = 2 * HALF_WORLD_M / (1 << tile.z)
    xmin = -HALF_WORLD_M + tile.x * size
    ymax = HALF_WORLD_M - tile.y * size
    return xmin, ymax - size, xmin + size, ymax


def to_mercator(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """WGS-84 degrees → EPSG:3857 metres (latitudes clamped to the square world)."""
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.clip(np.asarray(lat, dtype=np.float64), -MERCATOR_MAX_LAT, MERCATOR_MAX_LAT)
    x = np.radians(lon_a) * EARTH_RADIUS_M
    y = np.log(np.tan(np.pi / 4 + np.radians(lat_a) / 2)) * EARTH_RADIUS_M
    return x, y


def to_tile_pixels(tile: Tile, lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """WGS-84 degrees → tile coordinates (0..EXTENT, y downwards), unrounded."""
    xmin, _ymin, xmax, ymax = mercator_bounds(tile)
    x, y = to_mercator(lon, lat)
    scale = EXTENT / (xmax - xmin)
    return (x - xmin) * scale, (ymax - y) * scale


def from_tile_pixels(tile: Tile, px: ArrayLike, py: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Tile coordinates (y downwards) → WGS-84 degrees: the inverse of to_tile_pixels."""
    xmin, _ymin, xmax, ymax = mercator_bounds(tile)
    scale = (xmax - xmin) / EXTENT
    x = xmin + np.asarray(px, dtype=np.float64) * scale
    y = ymax - np.asarray(py, dtype=np.float64) * scale
    return np.degrees(x / EARTH_RADIUS_M), np.degrees(2 * np.arctan(np.exp(y / EARTH_RADIUS_M)) - np.pi / 2)
