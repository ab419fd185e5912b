"""Pairs of points within a distance of each other, by WGS-84 geodesic distance.

Used to find likely duplicates (a new facility a few metres from an existing one). A KD-tree on unit
vectors finds every candidate within the radius on the sphere (widened by the sphere's worst error
against the ellipsoid, so none is missed); each candidate is then measured exactly with pyproj.Geod.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo_service.analysis.nearest import EARTH_RADIUS_M, GEOD, SPHERE_ERROR, unit_vectors

FloatArray = NDArray[np.float64]


class Pair(NamedTuple):
    """Point `a` of the first set and point `b` of the second, `distance_m` apart."""

    a: int
    b: int
    distance_m: float


def pairs_within(first: FloatArray, second: FloatArray, radius_m: float) -> list[Pair]:
    """Every (i, j) with first[i] and second[j] (both (n, 2) lon/lat arrays) at most radius_m apart,
    ordered by i then distance."""
    if not len(first) or not len(second):
        return []
    angle = radius_m * (1 + SPHERE_ERROR) / EARTH_RADIUS_M
    chord = 2 * math.sin(min(angle, math.pi) / 2)
    tree = cKDTree(unit_vectors(second[:, 0], second[:, 1]))
    hits = tree.query_ball_point(unit_vectors(first[:, 0], first[:, 1]), chord)
    a = np.array([i for i, found in enumerate(hits) for _ in found], dtype=np.intp)
    b = np.array([j for found in hits for j in found], dtype=np.intp)
    if not len(a):
        return []
    _, _, metres = GEOD.inv(first[a, 0], first[a, 1], second[b, 0], second[b, 1])
    metres = np.asarray(metres)
    close = metres <= radius_m
    found = [Pair(int(i), int(j), float(d)) for i, j, d in zip(a[close], b[close], metres[close], strict=True)]
    return sorted(found, key=lambda pair: (pair.a, pair.distance_m))
