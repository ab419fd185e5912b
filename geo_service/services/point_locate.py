"""Where a typed, pasted or dragged point is: in WGS-84, on the map's basemap, and in which district.

The console's facility form asks this as the editor types coordinates (in WGS-84, GCJ-02 from Amap or
BD-09 from Baidu) so the pin moves and the district shows before anything is saved; the conversion is
the one every write uses (facility_input.wgs84_point), and the save validates the point again anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Connection

from geo_service.analysis import crs as crs_module
from geo_service.errors import InvalidParameter
from geo_service.queries import facility_edits
from geo_service.services.facility_input import wgs84_point


@dataclass(frozen=True)
class LocatedDistrict:
    adcode: str
    name: str


@dataclass(frozen=True)
class PointLocation:
    lon: float  # WGS-84
    lat: float
    display_lon: float  # in the basemap's coordinates (GCJ-02 on Amap tiles)
    display_lat: float
    districts: list[LocatedDistrict]  # none outside every district, two on a shared border


def locate_point(conn: Connection, lon: float, lat: float, crs: str, display: crs_module.CoordSystem) -> PointLocation:
    """The point of `lon`/`lat` in `crs`; a 422 naming lon for a position that is not one."""
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        bad = "lon" if not (math.isfinite(lon) and -180 <= lon <= 180) else "lat"
        raise InvalidParameter(bad, f"不是经纬度 (not a lon/lat position: {lon}, {lat})")
    x, y = wgs84_point(lon, lat, crs)
    dx, dy = crs_module.from_wgs84(x, y, display)
    districts = [LocatedDistrict(d.adcode, d.name) for d in facility_edits.covering_districts(conn, x, y)]
    return PointLocation(x, y, float(dx), float(dy), districts)
