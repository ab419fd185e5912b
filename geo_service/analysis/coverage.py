"""Coverage of an area and its demand by facilities with a service radius, in a metric frame.

Inputs are already projected (geo_service.analysis.metric): the area as a polygon in metres, sites and
demand as (n, 2) arrays of metres. A service area is a 32-gon whose radius is enlarged so that its area
equals the disc's (unions of overlapping discs are then within 0.01% of exact); whether a demand point is
covered is decided by exact distance, not by the polygon, so demand figures carry no polygon error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

QUAD_SEGMENTS = 8  # segments per quarter circle
_SIDES = 4 * QUAD_SEGMENTS
# a regular n-gon of circumradius r has area r² · n/2 · sin(2π/n); scale r so that it equals π r²
EQUAL_AREA_SCALE = 1.0 / math.sqrt(_SIDES / (2 * math.pi) * math.sin(2 * math.pi / _SIDES))
MULTIPOINT_BUFFER_MAX = 2000
FloatArray = NDArray[np.float64]


def service_area(sites_xy: FloatArray, radius_m: float) -> BaseGeometry:
    """Union of the discs of radius_m around the sites, as equal-area polygons (empty when none)."""
    if not len(sites_xy):
        return shapely.Polygon()
    # Buffering a MultiPoint lets GEOS union the discs as it builds them (~2-4x faster than one buffer
    # per point + union_all), but its memory explodes on tens of thousands of clustered points (a
    # national zone ran out of 24 GB): large sets take the cascaded union instead.
    radius = radius_m * EQUAL_AREA_SCALE
    if len(sites_xy) <= MULTIPOINT_BUFFER_MAX:
        return shapely.buffer(shapely.multipoints(sites_xy), radius, quad_segs=QUAD_SEGMENTS)
    return shapely.union_all(shapely.buffer(shapely.points(sites_xy), radius, quad_segs=QUAD_SEGMENTS))


class SiteIndex:
    """Nearest-site distances for many batches of points against one set of sites."""

    def __init__(self, sites_xy: FloatArray) -> None:
        self.tree = cKDTree(sites_xy) if len(sites_xy) else None

    def distances(self, points_xy: FloatArray) -> FloatArray:
        """Metres from each point to its nearest site (inf when there are no sites)."""
        if self.tree is None:
            return np.full(len(points_xy), np.inf)
        distances, _ = self.tree.query(points_xy, k=1, workers=-1)
        return np.asarray(distances, dtype=np.float64)


def nearest_distances(points_xy: FloatArray, sites_xy: FloatArray) -> FloatArray:
    """Distance in metres from each point to its nearest site (inf when there are no sites)."""
    return SiteIndex(sites_xy).distances(points_xy)


def weighted_quantile(values: FloatArray, weights: FloatArray, q: float) -> float:
    """The q-quantile of values with weights (inverse of the weighted CDF); NaN when weights sum to 0."""
    if not len(values) or weights.sum() <= 0:
        return float("nan")
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, q * cumulative[-1])])


def weighted_mean(values: FloatArray, weights: FloatArray) -> float:
    return float(np.average(values, weights=weights)) if len(values) and weights.sum() > 0 else float("nan")


@dataclass(frozen=True)
class AreaCoverage:
    """One polygon's coverage: its gap (metric), areas, and each demand point's distance to a site."""

    gap: BaseGeometry
    area_m2: float
    covered_m2: float
    distances: FloatArray
    weights: FloatArray

    def demand_covered(self, radius_m: float) -> float:
        return float(self.weights[self.distances <= radius_m].sum())


def area_coverage(
    area: BaseGeometry, covered: BaseGeometry, distances: FloatArray, weights: FloatArray
) -> AreaCoverage:
    """Coverage of `area` by the service area `covered` (from service_area over every nearby site:
    people cross district lines); `distances` are the demand points' distances to the nearest site."""
    gap = area if covered.is_empty else shapely.difference(area, covered)
    return AreaCoverage(
        gap=shapely.make_valid(gap),
        area_m2=area.area,
        covered_m2=area.area - gap.area,
        distances=distances,
        weights=weights,
    )


def square_cells(area: BaseGeometry, size_m: float) -> tuple[NDArray[np.object_], FloatArray]:
    """The size_m grid cells (aligned to multiples of size_m) clipped to the area, and their centroids.

    Every part of the area is in exactly one cell, so cell areas add up to the area."""
    west, south, east, north = area.bounds
    xs = np.arange(np.floor(west / size_m) * size_m, east, size_m)
    ys = np.arange(np.floor(south / size_m) * size_m, north, size_m)
    grid_x, grid_y = (a.ravel() for a in np.meshgrid(xs, ys))
    shapely.prepare(area)
    squares = shapely.box(grid_x, grid_y, grid_x + size_m, grid_y + size_m)
    squares = squares[shapely.intersects(area, squares)]
    clipped = shapely.intersection(squares, area)
    clipped = clipped[~shapely.is_empty(clipped) & (shapely.area(clipped) > 0)]
    centroids = shapely.get_coordinates(shapely.centroid(clipped))
    return clipped, centroids
