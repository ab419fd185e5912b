"""Points along a route: which lie within a buffer of it, how far along, how far off, and on which side.

The route is measured in a transverse Mercator frame centred on it (analysis.metric), where each point
finds its nearest route segment (a shapely STRtree on the segments) and its foot on it. The answer is
then stated in geodesic metres: `along_m` is the geodesic length of the route up to the foot (whole
segments plus the foot's share of its segment), `offset_m` the geodesic distance from the foot to the
point. The corridor has flat ends: a point whose foot falls before the start or past the end of the
route is behind the driver or beyond the destination, not along the way. `side` is left or right of the
direction of travel.

Candidates come from a KD-tree on unit vectors (the nearest index's own) queried around points spaced
along the route, so only the few points near the route are ever projected or measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod
from scipy.spatial import cKDTree

from geo_service.analysis.metric import MetricFrame, local_frame
from geo_service.analysis.nearest import unit_vectors

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
GEOD = Geod(ellps="WGS84")
_EARTH_MIN_RADIUS_M = 6_356_752.0  # the polar radius: chords computed with it never miss a point
_CHORD_MARGIN = 1.01


@dataclass(frozen=True)
class Route:
    """A route in WGS-84 with its frame, metric vertices and cumulative geodesic lengths."""

    lon: FloatArray
    lat: FloatArray
    frame: MetricFrame
    xy: FloatArray  # (n, 2) metres
    cumulative_m: FloatArray  # (n,) geodesic metres from the start to each vertex

    @property
    def length_m(self) -> float:
        return float(self.cumulative_m[-1])


@dataclass(frozen=True)
class Along:
    """Points within the buffer, in order along the route (positions into the points given)."""

    positions: IntArray
    along_m: FloatArray
    offset_m: FloatArray
    left: NDArray[np.bool_]
    bearing_deg: FloatArray  # from the foot on the route to the point
    foot: FloatArray  # (n, 2) lon/lat of each point's foot on the route


def route(lon: FloatArray, lat: FloatArray) -> Route:
    """Measure a route given as vertex arrays (validated by the caller: ≥ 2 finite, distinct points)."""
    centre = ((float(lon.min()) + float(lon.max())) / 2, (float(lat.min()) + float(lat.max())) / 2)
    frame = local_frame(round(centre[0], 4), round(centre[1], 4))
    _, _, steps = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    cumulative = np.concatenate([[0.0], np.cumsum(np.asarray(steps, dtype=np.float64))])
    return Route(lon, lat, frame, frame.project_points(np.column_stack([lon, lat])), cumulative)


def candidates(line: Route, tree: cKDTree, buffer_m: float) -> IntArray:
    """Rows of `tree` (unit vectors) that may lie within `buffer_m` of the route: a superset."""
    spacing = max(buffer_m, 50.0)
    stations = np.arange(0.0, line.length_m + spacing, spacing)
    samples = _points_at(line, np.minimum(stations, line.length_m))
    reach = buffer_m + spacing / 2
    chord = 2 * np.sin(min(reach * _CHORD_MARGIN / (2 * _EARTH_MIN_RADIUS_M), np.pi / 2))
    found = tree.query_ball_point(unit_vectors(samples[:, 0], samples[:, 1]), chord)
    rows = np.unique(np.concatenate([np.asarray(group, dtype=np.int64) for group in found]))
    return rows.astype(np.int64)


def _points_at(line: Route, stations_m: FloatArray) -> FloatArray:
    """Lon/lat at geodesic distances along the route (interpolated in the frame within a segment)."""
    segment = np.clip(np.searchsorted(line.cumulative_m, stations_m, side="right") - 1, 0, len(line.xy) - 2)
    span = np.maximum(line.cumulative_m[segment + 1] - line.cumulative_m[segment], 1e-9)
    share = ((stations_m - line.cumulative_m[segment]) / span)[:, None]
    xy = line.xy[segment] + share * (line.xy[segment + 1] - line.xy[segment])
    return line.frame.unproject_points(xy)


def along(line: Route, lon: FloatArray, lat: FloatArray, buffer_m: float) -> Along:
    """The points within `buffer_m` of the route, ordered by along_m (then offset, then position)."""
    points = line.frame.project_points(np.column_stack([lon, lat]))
    a, b = line.xy[:-1], line.xy[1:]
    tree = shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1)))
    pairs = tree.query_nearest(shapely.points(points), all_matches=False)
    segment = np.zeros(len(points), dtype=np.int64)
    segment[pairs[0]] = pairs[1]
    ab, ap = b[segment] - a[segment], points - a[segment]
    t = (ap * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-12)
    outside = ((segment == 0) & (t < 0)) | ((segment == len(a) - 1) & (t > 1))
    t = np.clip(t, 0.0, 1.0)
    feet = line.frame.unproject_points(a[segment] + t[:, None] * ab)
    azimuth, _, offset = GEOD.inv(feet[:, 0], feet[:, 1], lon, lat)
    offset, bearing = np.asarray(offset, dtype=np.float64), np.asarray(azimuth, dtype=np.float64) % 360.0
    steps = line.cumulative_m[segment + 1] - line.cumulative_m[segment]
    along_m = line.cumulative_m[segment] + t * steps
    keep = np.flatnonzero(~outside & (offset <= buffer_m))
    keep = keep[np.lexsort((keep, offset[keep], along_m[keep]))]
    left = (ab[keep, 0] * ap[keep, 1] - ab[keep, 1] * ap[keep, 0]) > 0
    return Along(keep, along_m[keep], offset[keep], left, bearing[keep], feet[keep])
