"""Where the rows of an import lie, for all rows at once: inside their stated district or not, and the
signs that their coordinate system was mislabelled (import_checks' docstring says which are detectable).

Vectorised over the file (one containment test per district, one conversion and one geodesic call per
check), because per-row NumPy and PROJ calls cost more than the whole rest of the checks at 10,000 rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from numpy.typing import NDArray

from geo_service.analysis import crs as vendor_crs
from geo_service.analysis.districts import DistrictShapes
from geo_service.analysis.nearest import GEOD
from geo_service.interchange import messages
from geo_service.interchange.messages import Reason
from geo_service.records import FacilityRecord

#: Declared systems in which GCJ-02/BD-09 data can hide (vendor coordinates are routinely labelled 4326).
WGS_LIKE: Final = frozenset({"wgs84", "EPSG:4326", "EPSG:4490", "OGC:CRS84"})
VENDORS: Final[tuple[vendor_crs.CoordSystem, ...]] = ("gcj02", "bd09")
#: A stored point shifted by the vendor offset lands this close to the given one: the tell of a mislabel.
VENDOR_MATCH_M: Final = 5.0
#: …while the given point is at least this far from the stored one (the offsets are ~500 m).
VENDOR_MOVE_M: Final = 50.0

FloatArray = NDArray[np.float64]
Point = tuple[float, float]


def _xy(records: Sequence[FacilityRecord]) -> tuple[FloatArray, FloatArray]:
    return (np.array([r.lon for r in records], dtype=np.float64), np.array([r.lat for r in records], dtype=np.float64))


def _within(
    records: Sequence[FacilityRecord], lon: FloatArray, lat: FloatArray, districts: DistrictShapes
) -> NDArray[np.bool_]:
    """Whether each point (lon[i], lat[i]) lies in records[i]'s stated district."""
    adcodes = np.array([r.district_adcode for r in records], dtype=object)
    inside = np.zeros(len(records), dtype=bool)
    for adcode in set(adcodes.tolist()):
        mask = adcodes == adcode
        inside[mask] = districts.contains(adcode, lon[mask], lat[mask])
    return inside


def inside_stated(records: Sequence[FacilityRecord], districts: DistrictShapes) -> NDArray[np.bool_]:
    return _within(records, *_xy(records), districts)


def _metres(a_lon: FloatArray, a_lat: FloatArray, b_lon: FloatArray, b_lat: FloatArray) -> FloatArray:
    return np.asarray(GEOD.inv(a_lon, a_lat, b_lon, b_lat)[2], dtype=np.float64)


def crs_hints(
    records: Sequence[FacilityRecord],
    stored: Sequence[Point | None],
    declared: str,
    districts: DistrictShapes,
    inside: NDArray[np.bool_],
) -> list[Reason | None]:
    """One warning reason (or None) per row: records[i] with stored[i] (the stored position of its code)."""
    hints: list[Reason | None] = [None] * len(records)
    if not records:
        return hints
    if declared in VENDORS:
        _wgs84_declared_as_vendor(records, stored, VENDORS[VENDORS.index(declared)], hints)
    if declared in WGS_LIKE:
        for system in VENDORS:
            _moved_by_offset(records, stored, system, hints)
            _fits_once_converted(records, system, districts, inside, hints)
    return hints


def _offset_matches(
    records: Sequence[FacilityRecord],
    stored: Sequence[Point | None],
    system: vendor_crs.CoordSystem,
    *,
    shift_stored: bool,
) -> list[tuple[int, float]]:
    """Rows (with how far they moved) whose given point is far from the stored one by exactly `system`'s offset:
    the stored point shifted into `system` is the given one (`shift_stored`), or the given point shifted into
    `system` is the stored one."""
    rows = [i for i, point in enumerate(stored) if point is not None]
    if not rows:
        return []
    old = np.array([stored[i] for i in rows], dtype=np.float64).reshape(-1, 2)
    lon, lat = _xy([records[i] for i in rows])
    moved = _metres(old[:, 0], old[:, 1], lon, lat)
    if shift_stored:
        distance = _metres(*vendor_crs.from_wgs84(old[:, 0], old[:, 1], system), lon, lat)
    else:
        distance = _metres(old[:, 0], old[:, 1], *vendor_crs.from_wgs84(lon, lat, system))
    matched = np.flatnonzero((moved > VENDOR_MOVE_M) & (distance <= VENDOR_MATCH_M))
    return [(rows[k], float(moved[k])) for k in matched]


def _moved_by_offset(
    records: Sequence[FacilityRecord],
    stored: Sequence[Point | None],
    system: vendor_crs.CoordSystem,
    hints: list[Reason | None],
) -> None:
    """Rows updating a stored facility whose given point is the stored one shifted into `system`."""
    for i, metres in _offset_matches(records, stored, system, shift_stored=True):
        if hints[i] is None:
            how = (
                f"与已存位置相差 {metres:,.0f} 米，恰为该坐标系的偏移",
                f"it is the stored position moved by exactly that system's offset ({metres:,.0f} m)",
            )
            hints[i] = messages.looks_like_vendor(system, *how)


def _fits_once_converted(
    records: Sequence[FacilityRecord],
    system: vendor_crs.CoordSystem,
    districts: DistrictShapes,
    inside: NDArray[np.bool_],
    hints: list[Reason | None],
) -> None:
    """Rows outside their stated district that fall inside it once converted from `system`."""
    rows = [int(i) for i in np.flatnonzero(~inside) if hints[int(i)] is None]
    if not rows:
        return
    subset = [records[i] for i in rows]
    lon, lat = vendor_crs.to_wgs84(*_xy(subset), system)
    how = ("按该坐标系换算后才落在所填区县内", "only converted from it does the point fall in its stated district")
    for k in np.flatnonzero(_within(subset, lon, lat, districts)):
        hints[rows[k]] = messages.looks_like_vendor(system, *how)


def _wgs84_declared_as_vendor(
    records: Sequence[FacilityRecord],
    stored: Sequence[Point | None],
    system: vendor_crs.CoordSystem,
    hints: list[Reason | None],
) -> None:
    """Rows declared in `system` whose coordinates, as given, are exactly the stored position."""
    for i, metres in _offset_matches(records, stored, system, shift_stored=False):
        hints[i] = messages.looks_like_wgs84(system, metres)
