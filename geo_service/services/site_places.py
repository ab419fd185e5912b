"""Where a suggested site lies, in words a planner can look up on the ground: its district, its township
(when the data can tell), and the nearest road-side address we hold.

The nearest address is that of the nearest existing facility with an address, by geodesic distance, and
is stated as such (name, address, metres away): the data has no address points or road network, and a
site from the grid is a cell centre, not a street address. Facilities carry a township name but there are
no township boundaries, so a site's own township stays unknown and says so; the nearest facility's
township is given beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from geo_service.analysis.metric import FloatArray
from geo_service.analysis.nearest import GeodesicKNN
from geo_service.services.study_area import DistrictArea, StudyArea

#: stated in every plan output beside the sites' places
PLACE_METHOD = (
    "district: the county-level unit containing the site; township: not determined (the data has no township "
    "boundaries; nearest_township is the nearest facility's); nearest address: the nearest existing facility "
    "with an address, geodesic metres"
)


@dataclass(frozen=True)
class SitePlace:
    district_adcode: str | None = None
    district_name: str | None = None
    township: str | None = None  # always None today: no township boundaries (PLACE_METHOD)
    nearest_code: str | None = None
    nearest_name: str | None = None
    nearest_address: str | None = None
    nearest_township: str | None = None
    nearest_distance_m: float | None = None


def site_places(area: StudyArea, lonlat: Sequence[tuple[float, float]]) -> list[SitePlace]:
    """The place of each WGS-84 point of `lonlat`, in order."""
    if not lonlat:
        return []
    points = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
    districts = _containing_district(area, points)
    with_address = np.flatnonzero([bool(site.address) for site in area.existing])
    index = GeodesicKNN(area.sites[:, 0], area.sites[:, 1], with_address)
    places = []
    for (lon, lat), district in zip(points.tolist(), districts, strict=True):
        found = index.nearest(lon, lat, 1)
        adcode, name = (district.adcode, district.name) if district is not None else (None, None)
        if not found:
            places.append(SitePlace(adcode, name))
            continue
        near = area.existing[found[0].position]
        distance = round(found[0].distance_m, 1)
        places.append(SitePlace(adcode, name, None, near.code, near.name, near.address, near.township, distance))
    return places


def _containing_district(area: StudyArea, points: FloatArray) -> list[DistrictArea | None]:
    """The district containing each point (the first in the study area's order), or None."""
    found: list[DistrictArea | None] = [None] * len(points)
    for district in area.districts:
        shapely.prepare(district.geom)
        inside = shapely.intersects_xy(district.geom, points[:, 0], points[:, 1])
        for i in np.flatnonzero(inside).tolist():
            if found[i] is None:
                found[i] = district
    return found
