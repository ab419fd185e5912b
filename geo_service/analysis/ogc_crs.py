"""The coordinate reference systems of OGC API – Features Part 2, for output (`crs`) and input (`bbox-crs`,
`filter-crs`).

Stored coordinates are WGS-84 lon/lat, which is CRS84. EPSG:4326 is the same datum with the axes in the
order EPSG defines them, latitude first (Part 2 requires honouring it). EPSG:4490 (CGCS2000, the Chinese
national datum) differs from WGS-84 by centimetres, less than the data's precision, so its numbers are the
WGS-84 ones, latitude first, as PROJ's own (ballpark) transformation gives them. EPSG:3857 is Web Mercator
in metres, computed with pyproj.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class OutputCrs:
    """A supported CRS: its URI, the EPSG code (None for CRS84), and whether its first axis is latitude."""

    uri: str
    epsg: int | None
    lat_first: bool

    @property
    def projected(self) -> bool:
        return self.epsg == 3857


CRS84: Final = OutputCrs("http://www.opengis.net/def/crs/OGC/1.3/CRS84", None, False)
EPSG_4326: Final = OutputCrs("http://www.opengis.net/def/crs/EPSG/0/4326", 4326, True)
EPSG_4490: Final = OutputCrs("http://www.opengis.net/def/crs/EPSG/0/4490", 4490, True)
EPSG_3857: Final = OutputCrs("http://www.opengis.net/def/crs/EPSG/0/3857", 3857, False)
SUPPORTED: Final = (CRS84, EPSG_4326, EPSG_4490, EPSG_3857)
_ALIASES: Final = {
    "CRS84": CRS84,
    "OGC:CRS84": CRS84,
    "[OGC:CRS84]": CRS84,
    "EPSG:4326": EPSG_4326,
    "[EPSG:4326]": EPSG_4326,
    "EPSG:4490": EPSG_4490,
    "[EPSG:4490]": EPSG_4490,
    "EPSG:3857": EPSG_3857,
    "[EPSG:3857]": EPSG_3857,
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84h": CRS84,
}
_BY_URI: Final = {crs.uri: crs for crs in SUPPORTED} | {
    crs.uri.replace("http://", "https://"): crs for crs in SUPPORTED
}
#: Web Mercator's latitude limit: the square world of the tile pyramid
MERCATOR_MAX_LAT: Final = 85.05112877980659


def lookup(name: str) -> OutputCrs | None:
    """The CRS named by a URI (http or https) or a CURIE such as `EPSG:4490`; None when unsupported."""
    return _BY_URI.get(name) or _ALIASES.get(name.strip())


@cache
def _mercator(inverse: bool) -> Transformer:
    if inverse:
        return Transformer.from_crs(3857, 4326, always_xy=True)
    return Transformer.from_crs(4326, 3857, always_xy=True)


def from_lonlat(lon: ArrayLike, lat: ArrayLike, crs: OutputCrs) -> tuple[FloatArray, FloatArray]:
    """WGS-84 lon/lat → the (first axis, second axis) coordinates of `crs`."""
    lon_a, lat_a = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if crs.projected:
        x, y = _mercator(False).transform(
            np.clip(lon_a, -180, 180), np.clip(lat_a, -MERCATOR_MAX_LAT, MERCATOR_MAX_LAT)
        )
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return (lat_a, lon_a) if crs.lat_first else (lon_a, lat_a)


def to_lonlat(first: ArrayLike, second: ArrayLike, crs: OutputCrs) -> tuple[FloatArray, FloatArray]:
    """Coordinates of `crs` in its own axis order → WGS-84 lon/lat."""
    a, b = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    if crs.projected:
        lon, lat = _mercator(True).transform(a, b)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    return (b, a) if crs.lat_first else (a, b)


def geometry_from_lonlat(geom: shapely.Geometry, crs: OutputCrs) -> shapely.Geometry:
    """A WGS-84 lon/lat geometry with every vertex in `crs`."""
    if crs == CRS84:
        return geom

    def convert(xy: FloatArray) -> FloatArray:
        return np.column_stack(from_lonlat(xy[:, 0], xy[:, 1], crs))

    return shapely.transform(geom, convert)


def geometry_to_lonlat(geom: shapely.Geometry, crs: OutputCrs) -> shapely.Geometry:
    """A geometry given in `crs` with every vertex in WGS-84 lon/lat."""
    if crs == CRS84:
        return geom

    def convert(xy: FloatArray) -> FloatArray:
        return np.column_stack(to_lonlat(xy[:, 0], xy[:, 1], crs))

    return shapely.transform(geom, convert)


def bbox_to_lonlat(values: tuple[float, float, float, float], crs: OutputCrs) -> tuple[float, float, float, float]:
    """A `bbox` given in `crs` (its axis order: lat first for EPSG:4326/4490) → west, south, east, north."""
    lon, lat = to_lonlat([values[0], values[2]], [values[1], values[3]], crs)
    return float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])
