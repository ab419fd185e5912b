"""The coverage gaps as a computed collection: per district, the area beyond the default service radius
of the open stations (geo_service.services.coverage), recomputed when the data changes."""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry import box
from sqlalchemy import Engine

from geo_service.services.coverage import CoverageQuery, coverage_report, gaps_frame
from geo_service.settings import Settings


@dataclass(frozen=True)
class GapFeature:
    """The uncovered part of one district (WGS-84), its area and the demand it leaves unreached."""

    id: str  # the district's adcode
    name: str
    area_km2: float
    uncovered_demand: float
    geometry: shapely.Geometry

    def intersects(self, bbox: tuple[float, float, float, float]) -> bool:
        return bool(self.geometry.intersects(box(*bbox)))


def coverage_gaps(engine: Engine, settings: Settings) -> list[GapFeature]:
    """Gaps of the stations with the default preset (walk-15), one feature per district that has any."""
    report, _notes = coverage_report(engine, CoverageQuery(kinds=("station",)), settings)
    frame = gaps_frame(report)
    return [
        GapFeature(str(row.adcode), str(row.name), float(row.area_km2), float(row.uncovered_demand), row.geometry)
        for row in frame.itertuples()
    ]
