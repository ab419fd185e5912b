"""Coverage maths on a hand-built fixture whose answers are computed by hand (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from geo_service.analysis.coverage import (
    EQUAL_AREA_SCALE,
    MULTIPOINT_BUFFER_MAX,
    QUAD_SEGMENTS,
    area_coverage,
    nearest_distances,
    service_area,
    square_cells,
    weighted_quantile,
)
from geo_service.analysis.demand import grid_points, population_weights

R = 1000.0
SQUARE = shapely.box(0, 0, 10_000, 10_000)  # 100 km²
# S1 on the west edge (half its disc is outside), S2 and S3 overlap (centres 1,200 m apart).
SITES = np.array([[0.0, 5000.0], [6000.0, 6000.0], [7200.0, 6000.0]])


def lens(r: float, d: float) -> float:
    """Area shared by two discs of radius r whose centres are d apart."""
    return 2 * r * r * math.acos(d / (2 * r)) - (d / 2) * math.sqrt(4 * r * r - d * d)


COVERED = math.pi * R**2 / 2 + 2 * math.pi * R**2 - lens(R, 1200.0)
# Demand: inside S1's half disc, inside the lens, inside S3 only, and three uncovered points.
DEMAND = np.array([[300, 5000], [6600, 6000], [7900, 6000], [5000, 1000], [9900, 9900], [1500, 5000]], float)
WEIGHTS = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])


def _coverage(sites: np.ndarray):  # type: ignore[no-untyped-def]
    return area_coverage(SQUARE, service_area(sites, R), nearest_distances(DEMAND, sites), WEIGHTS)


def test_gap_and_covered_area_match_the_hand_computation() -> None:
    result = _coverage(SITES)
    assert result.area_m2 == pytest.approx(1e8)
    assert result.covered_m2 == pytest.approx(COVERED, rel=1e-3)
    assert result.gap.area == pytest.approx(1e8 - COVERED, rel=1e-3)
    assert result.gap.is_valid


def test_a_lone_disc_has_the_exact_area() -> None:
    assert service_area(np.array([[0.0, 0.0]]), R).area == pytest.approx(math.pi * R**2, rel=1e-12)


def test_covered_demand_is_exact() -> None:
    result = _coverage(SITES)
    assert result.demand_covered(R) == 10 + 20 + 30
    assert result.distances[3] == pytest.approx(math.hypot(1000, 5000))  # to S2
    assert result.distances[5] == pytest.approx(1500.0)  # to S1


def test_many_sites_are_unioned_by_groups_to_the_same_area_as_one_union() -> None:
    """Past MULTIPOINT_BUFFER_MAX the discs are unioned group by group (clusters that overlap, lone
    discs, discs just out of reach of each other): the same point set as GEOS's one cascaded union of
    each site's own buffer, and lone discs keep their exact area."""
    rng = np.random.default_rng(7)
    towns = rng.uniform(0, 200_000, (12, 2))
    clustered = towns[rng.integers(len(towns), size=MULTIPOINT_BUFFER_MAX)] + rng.normal(
        0, 1500, (MULTIPOINT_BUFFER_MAX, 2)
    )
    scattered = rng.uniform(0, 200_000, (800, 2))
    pair = np.array([[300_000.0, 0.0], [300_000.0 + 2 * R * EQUAL_AREA_SCALE * 0.999, 0.0]])  # barely overlapping
    sites = np.vstack([clustered, scattered, pair])
    grouped = service_area(sites, R)
    one_union = shapely.union_all(shapely.buffer(shapely.points(sites), R * EQUAL_AREA_SCALE, quad_segs=QUAD_SEGMENTS))
    assert grouped.is_valid
    assert grouped.area == pytest.approx(one_union.area, rel=1e-9)
    assert shapely.symmetric_difference(grouped, one_union).area < 1e-6 * one_union.area
    lone = service_area(np.vstack([sites, [[-50_000.0, -50_000.0]]]), R).area - grouped.area
    assert lone == pytest.approx(math.pi * R**2, rel=1e-9)


def test_no_sites_leaves_everything_uncovered() -> None:
    result = _coverage(np.empty((0, 2)))
    assert result.covered_m2 == 0 and result.demand_covered(R) == 0 and np.isinf(result.distances).all()


def test_square_cells_tile_the_area() -> None:
    cells, centroids = square_cells(SQUARE.difference(shapely.Point(5000, 5000).buffer(2000)), 700.0)
    assert sum(c.area for c in cells) == pytest.approx(SQUARE.area - math.pi * 2000**2, rel=1e-3)
    assert len(cells) == len(centroids)


def test_population_weights_sum_to_population_and_favour_the_seat() -> None:
    points = grid_points(SQUARE, 500.0)
    assert len(points) == 400
    weights = population_weights(points, 12_345.0, (5000.0, 5000.0))
    assert weights.sum() == pytest.approx(12_345.0)
    near = np.hypot(points[:, 0] - 5000, points[:, 1] - 5000) < 2000
    kernel = np.exp(-((points[:, 0] - 5000) ** 2 + (points[:, 1] - 5000) ** 2) / (2 * 3000.0**2))
    expected = 12_345.0 * (0.5 / len(points) + 0.5 * kernel / kernel.sum())
    assert weights == pytest.approx(expected)
    assert weights[near].mean() > weights[~near].mean()


def test_weighted_quantile_against_expanded_sample() -> None:
    values, weights = np.array([5.0, 1.0, 3.0]), np.array([1.0, 2.0, 1.0])
    expanded = np.array([1.0, 1.0, 3.0, 5.0])
    for q in (0.25, 0.5, 0.75, 0.9):
        assert weighted_quantile(values, weights, q) == np.quantile(expanded, q, method="inverted_cdf")
