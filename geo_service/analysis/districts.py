"""Which district a point lies in, and how far outside a district it is, in metres.

Imports check every row's point against the district it states (and find the district of rows that
state none). Outlines are prepared once, so a containment test costs microseconds; a distance is
measured in a transverse Mercator centred on the district (analysis/metric.py), never in degrees,
and only for the few points that fall outside.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo_service.analysis.metric import MetricFrame, frame_for

FloatArray = NDArray[np.float64]
_MAX_EDGE_DEG = 0.0005  # ~50 m: the bow of a projected edge this long is under a millimetre


class DistrictShapes:
    """County-level outlines (WGS-84) by adcode, prepared for point tests."""

    def __init__(self, outlines: Mapping[str, BaseGeometry]) -> None:
        self._outlines = dict(outlines)
        for outline in self._outlines.values():
            shapely.prepare(outline)
        self._metric: dict[str, tuple[MetricFrame, BaseGeometry]] = {}

    @property
    def adcodes(self) -> tuple[str, ...]:
        return tuple(self._outlines)

    def contains(self, adcode: str, lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
        """Whether each point lies inside (or on the edge of) district `adcode`."""
        outline = self._outlines.get(adcode)
        if outline is None:
            return np.zeros(len(lon), dtype=bool)
        return np.asarray(shapely.intersects_xy(outline, lon, lat), dtype=bool)

    def containing(self, lon: float, lat: float) -> str | None:
        """The district the point lies in (the first by adcode on a shared edge), or None."""
        for adcode in sorted(self._outlines):
            if shapely.intersects_xy(self._outlines[adcode], lon, lat):
                return adcode
        return None

    def distance_m(self, adcode: str, lon: float, lat: float) -> float:
        """Metres from the point to district `adcode` (0 inside); infinite for an unknown district."""
        if adcode not in self._outlines:
            return float("inf")
        if adcode not in self._metric:
            outline = self._outlines[adcode]
            frame = frame_for(outline)
            # Long edges are densified first: straight in lon/lat, they curve once projected.
            self._metric[adcode] = (frame, frame.project(shapely.segmentize(outline, _MAX_EDGE_DEG)))
        frame, outline = self._metric[adcode]
        x, y = frame.project_points(np.array([[lon, lat]], dtype=np.float64))[0]
        return float(outline.distance(Point(x, y)))

    def locate(self, lon: float, lat: float, tolerance_m: float) -> str | None:
        """The district containing the point, else the nearest one within `tolerance_m`, else None."""
        inside = self.containing(lon, lat)
        if inside is not None:
            return inside
        near = [(self.distance_m(adcode, lon, lat), adcode) for adcode in sorted(self._outlines)]
        best = min(near, default=None)
        return best[1] if best is not None and best[0] <= tolerance_m else None
