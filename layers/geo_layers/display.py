"""Coordinates as the basemap draws them.

Data is stored and served in WGS-84. Amap's tiles are drawn in GCJ-02, about 530 m away in Binzhou, so
on that basemap every overlay is shifted to GCJ-02 before it is drawn; otherwise markers sit on the
wrong street. OSM and Tianditu tiles are WGS-84 (Tianditu's CGCS2000 differs by centimetres).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from geo_service.analysis.crs import from_wgs84

DisplayCrs = Literal["wgs84", "gcj02"]
DECIMALS = 6  # ≈ 0.1 m, like every other output


def display_points(lon: ArrayLike, lat: ArrayLike, crs: DisplayCrs) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """WGS-84 lon/lat arrays → the basemap's coordinates, rounded."""
    x, y = from_wgs84(lon, lat, crs)
    return np.round(x, DECIMALS), np.round(y, DECIMALS)


def display_geometry(geom: shapely.Geometry, crs: DisplayCrs, simplify_deg: float = 0.0) -> shapely.Geometry:
    """A WGS-84 geometry in the basemap's coordinates (every vertex shifted), rounded; `simplify_deg` drops
    vertices closer than that to the outline (an outline at city zoom needs ~30 m, not the survey's 1 m)."""

    def shift(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.column_stack(display_points(xy[:, 0], xy[:, 1], crs))

    if simplify_deg > 0:
        geom = shapely.simplify(geom, simplify_deg, preserve_topology=True)
    return shapely.transform(geom, shift)


#: vertex spacing kept in district outlines drawn on maps (≈ 30 m)
OUTLINE_DEG = 0.0003
