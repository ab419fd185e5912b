"""Metric projections for measuring in metres.

A transverse Mercator centred on the data with scale 1 keeps distances and areas within 0.01% across
±1° of longitude (UTM's 0.9996 scale and off-centre meridian cost up to ~0.1%, enough to matter when
coverage is reported to 0.1%). Data wider than a UTM zone is split into 6° zones, each with its own
centred projection, so nothing is measured far from its central meridian.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

ZONE_WIDTH_DEG = 6.0
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class MetricFrame:
    """A local metric projection and its transforms to and from WGS-84 lon/lat (compared by identity:
    local_frame hands out one instance per centre)."""

    proj: str  # PROJ definition of the projection
    to_metric: Transformer
    to_wgs84: Transformer

    def project(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda xy: _apply(self.to_metric, xy))

    def unproject(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda xy: _apply(self.to_wgs84, xy))

    def project_points(self, lonlat: FloatArray) -> FloatArray:
        """An (n, 2) lon/lat array in metres (n may be 0)."""
        return _apply(self.to_metric, lonlat.reshape(-1, 2))

    def unproject_points(self, xy: FloatArray) -> FloatArray:
        """An (n, 2) array of metres as lon/lat (n may be 0)."""
        return _apply(self.to_wgs84, xy.reshape(-1, 2))


def _apply(transformer: Transformer, xy: FloatArray) -> FloatArray:
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y]).astype(np.float64, copy=False).reshape(-1, 2)


@functools.lru_cache(maxsize=256)
def local_frame(lon_0: float, lat_0: float) -> MetricFrame:
    """Transverse Mercator (WGS-84 ellipsoid, k=1) centred on (lon_0, lat_0); units metres.

    Built as PROJ pipelines (~0.1 ms) rather than from CRS objects (~20 ms, a database search), and
    cached, since the same areas are measured again."""
    proj = f"+proj=tmerc +lat_0={lat_0:.6f} +lon_0={lon_0:.6f} +k=1 +x_0=0 +y_0=0 +ellps=WGS84"
    degrees = "+step +proj=unitconvert +xy_in=deg +xy_out=rad"
    radians = "+step +proj=unitconvert +xy_in=rad +xy_out=deg"
    return MetricFrame(
        proj,
        Transformer.from_pipeline(f"+proj=pipeline {degrees} +step {proj}"),
        Transformer.from_pipeline(f"+proj=pipeline +step +inv {proj} {radians}"),
    )


def frame_for(area: BaseGeometry) -> MetricFrame:
    """The frame centred on a lon/lat geometry's bounding box."""
    west, south, east, north = area.bounds
    if east - west > ZONE_WIDTH_DEG:
        raise ValueError(f"area spans {east - west:.1f}° of longitude; split it with zones() first")
    return local_frame(round((west + east) / 2, 4), round((south + north) / 2, 4))


@dataclass(frozen=True)
class Zone:
    """One ≤6°-wide part of an area, with its centred frame and each input part's piece inside it."""

    frame: MetricFrame
    extent: BaseGeometry  # lon/lat: the area's piece in the band, or the bounding box of a narrow area
    parts: tuple[BaseGeometry, ...]  # aligned with the parts given to zones(); empty where a part is absent


def zones(parts: list[BaseGeometry]) -> list[Zone]:
    """The union of `parts` as zones with centred frames: one zone when it is narrower than a band (even
    if it straddles a band edge; the parts stay as they are), else one per fixed 6° band it touches (as
    UTM), the parts cut to the band."""
    west, south, east, north = shapely.total_bounds(parts)
    if east - west <= ZONE_WIDTH_DEG:
        whole = shapely.box(west, south, east, north)
        return [Zone(frame_for(whole), whole, tuple(parts))]
    area = shapely.union_all(parts)
    found = []
    for band in range(math.floor(west / ZONE_WIDTH_DEG), math.floor(east / ZONE_WIDTH_DEG) + 1):
        piece = area.intersection(box(band * ZONE_WIDTH_DEG, south, (band + 1) * ZONE_WIDTH_DEG, north))
        if not piece.is_empty:
            # a lone part's piece is the band's piece of the area itself: no second intersection
            cut = (piece,) if len(parts) == 1 else tuple(shapely.intersection(part, piece) for part in parts)
            found.append(Zone(frame_for(piece), piece, cut))
    return found
