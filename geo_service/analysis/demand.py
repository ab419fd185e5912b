"""Demand surfaces: where the workers who need a station are, as weighted points in metres.

Without measured demand (rider GPS traces, order density), the default spreads each district's
resident population over a regular grid inside it: URBAN_SHARE of it in a Gaussian around the county
seat (σ = SEAT_SIGMA_M), the rest evenly. It is a planning assumption, not an observation, and every
output states it (DEFAULT_METHOD).
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

URBAN_SHARE = 0.5
SEAT_SIGMA_M = 3000.0
DEFAULT_METHOD = (
    "population-weighted grid: each district's population (its year is given per district) spread over "
    "{cell:g} m cells, " + f"{URBAN_SHARE:.0%} as a Gaussian (σ {SEAT_SIGMA_M / 1000:g} km) around the county "
    "seat, the rest evenly"
)
AREA_METHOD = "area-weighted grid: no population figures, demand spread evenly by area ({cell:g} m cells, 1 per km²)"


def grid_points(polygon: BaseGeometry, cell_m: float) -> NDArray[np.float64]:
    """Centres of a cell_m grid (aligned to multiples of cell_m) inside the polygon; at least one point."""
    west, south, east, north = polygon.bounds
    xs = np.arange(np.floor(west / cell_m) * cell_m + cell_m / 2, east, cell_m)
    ys = np.arange(np.floor(south / cell_m) * cell_m + cell_m / 2, north, cell_m)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    shapely.prepare(polygon)
    inside = points[shapely.contains_xy(polygon, points[:, 0], points[:, 1])]
    if len(inside):
        return inside
    point = polygon.representative_point()
    return np.array([[point.x, point.y]])


def population_weights(
    points: NDArray[np.float64], population: float, seat_xy: tuple[float, float] | None
) -> NDArray[np.float64]:
    """Spread `population` over `points` (metres): URBAN_SHARE around the seat, the rest evenly."""
    shape = np.full(len(points), (1 - URBAN_SHARE) / len(points))
    if seat_xy is None:
        shape *= 1 / (1 - URBAN_SHARE)
    else:
        d2 = (points[:, 0] - seat_xy[0]) ** 2 + (points[:, 1] - seat_xy[1]) ** 2
        kernel = np.exp(-d2 / (2 * SEAT_SIGMA_M**2))
        shape += URBAN_SHARE * kernel / kernel.sum() if kernel.sum() > 0 else URBAN_SHARE / len(points)
    return population * shape / shape.sum()
