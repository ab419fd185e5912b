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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

QUAD_SEGMENTS = 8  # segments per quarter circle
_SIDES = 4 * QUAD_SEGMENTS
# a regular n-gon of circumradius r has area r² · n/2 · sin(2π/n); scale r so that it equals π r²
EQUAL_AREA_SCALE = 1.0 / math.sqrt(_SIDES / (2 * math.pi) * math.sin(2 * math.pi / _SIDES))
MULTIPOINT_BUFFER_MAX = 2000
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def service_area(sites_xy: FloatArray, radius_m: float) -> BaseGeometry:
    """Union of the discs of radius_m around the sites, as equal-area polygons (empty when none)."""
    if not len(sites_xy):
        return shapely.Polygon()
    # Buffering a MultiPoint lets GEOS union the discs as it builds them (~2-4x faster than one buffer
    # per point + union_all), but its memory explodes on tens of thousands of clustered points (a
    # national zone ran out of 24 GB): large sets are unioned by groups of overlapping discs instead.
    radius = radius_m * EQUAL_AREA_SCALE
    if len(sites_xy) <= MULTIPOINT_BUFFER_MAX:
        return shapely.buffer(shapely.multipoints(sites_xy), radius, quad_segs=QUAD_SEGMENTS)
    discs = disc_polygons(sites_xy, radius)
    parts = [
        discs[group[0]] if len(group) == 1 else shapely.union_all(discs[group])
        for group in _overlapping(sites_xy, radius)
    ]
    return shapely.multipolygons(shapely.get_parts(np.array(parts, dtype=object)))


def disc_polygons(sites_xy: FloatArray, radius: float) -> NDArray[np.object_]:
    """The polygon of radius `radius` (QUAD_SEGMENTS a quarter) around each site: GEOS's buffer of one
    point, moved to every site (a buffer per point cost ~7 µs each, ~1.2 s for the national stations)."""
    ring = shapely.get_coordinates(shapely.buffer(shapely.Point(0.0, 0.0), radius, quad_segs=QUAD_SEGMENTS))
    return shapely.polygons(sites_xy[:, None, :] + ring[None, :, :])


def _overlapping(sites_xy: FloatArray, radius: float) -> list[IntArray]:
    """The sites grouped so that discs of different groups cannot meet (centres more than two radii
    apart, through any chain of sites): their union is the union of each group's. Unioning the groups
    one by one, most of them a lone disc, is ~2.5x faster than one cascaded union of every disc at the
    national set, where GEOS spends its time merging ever larger results of far-apart discs."""
    pairs = cKDTree(sites_xy).query_pairs(2 * radius, output_type="ndarray")
    n = len(sites_xy)
    links = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(links, directed=False)
    order = np.argsort(labels, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(labels[order])) + 1)


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
