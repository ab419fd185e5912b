"""Coverage maths on a hand-built fixture whose answers are computed by hand (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from geo_service.analysis.coverage import (
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
