"""The source coordinate system of an import, and conversion of all its points to WGS-84 at once.

Accepted: `wgs84`, `gcj02`, `bd09` (the vendor systems, converted by geo_service.analysis.crs) or
`EPSG:nnnn` (any 2-D geographic or projected CRS PROJ knows, through a pyproj Transformer with lon/lat
order). When the caller names none, the CRS the file states is used; when both are given they must
agree — except that a geographic file CRS (EPSG:4326, CGCS2000) may be declared gcj02/bd09, because
files cannot state those and Amap data is routinely labelled 4326.

Not detected: GCJ-02 coordinates declared as WGS-84. The ~500 m offset is invisible in one point
(both are plausible positions); only the district check against the database can hint at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from geo_service.analysis.crs import CoordSystem, in_china, to_wgs84
from geo_service.errors import InvalidParameter

_EPSG = re.compile(r"^epsg:(\d{4,6})$", re.IGNORECASE)
_VENDOR_ALIASES: dict[str, CoordSystem] = {"wgs84": "wgs84", "gcj02": "gcj02", "bd09": "bd09"}
_WGS84 = CRS.from_epsg(4326)
_HINT = "wgs84、gcj02、bd09 或 EPSG:nnnn / wgs84, gcj02, bd09 or EPSG:nnnn"


def _refuse(zh: str, en: str) -> InvalidParameter:
    return InvalidParameter("crs", f"{zh} / {en}", location="body")


@dataclass(frozen=True)
class SourceCrs:
    """The CRS the coordinates of an import are in: a vendor system, or a PROJ CRS."""

    name: str
    vendor: CoordSystem | None = None
    crs: CRS | None = None

    @property
    def geographic(self) -> bool:
        return self.vendor is not None or bool(self.crs is not None and self.crs.is_geographic)

    def to_wgs84(
        self, x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """WGS-84 lon/lat of all points; a point PROJ cannot convert comes back non-finite."""
        if self.vendor is not None:
            return to_wgs84(x, y, self.vendor)
        assert self.crs is not None
        if self.crs.equals(_WGS84, ignore_axis_order=True):
            return x.copy(), y.copy()
        transformer = Transformer.from_crs(self.crs, _WGS84, always_xy=True)
        try:
            lon, lat = transformer.transform(x, y, errcheck=False)
        except ProjError:
            return np.full_like(x, np.nan), np.full_like(y, np.nan)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def parse_crs(text: str) -> SourceCrs:
    """`wgs84` / `gcj02` / `bd09` / `EPSG:nnnn` → SourceCrs; anything else is a 422 naming `crs`."""
    key = text.strip().lower().replace("-", "").replace("_", "")
    if key in _VENDOR_ALIASES:
        return SourceCrs(name=_VENDOR_ALIASES[key], vendor=_VENDOR_ALIASES[key])
    match = _EPSG.match(text.strip())
    if match is None:
        raise _refuse(f"未知的坐标系 {text!r}，可选：{_HINT}", f"unknown coordinate system {text!r}")
    try:
        crs = CRS.from_epsg(int(match[1]))
    except CRSError:
        raise _refuse(f"未知的 EPSG 代码 {text}", f"unknown EPSG code {text}") from None
    return _planar(crs, f"EPSG:{match[1]}")


def _planar(crs: CRS, name: str) -> SourceCrs:
    if not (crs.is_geographic or crs.is_projected) or len(crs.axis_info) != 2:
        raise _refuse(f"{name} 不是二维地理或投影坐标系", f"{name} is not a 2-D geographic or projected CRS")
    return SourceCrs(name=name, crs=crs)


def _file_crs(text: str) -> SourceCrs:
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        raise _refuse(
            "文件声明的坐标系无法识别，请指定 crs", "the file's coordinate system is not recognised; give crs"
        ) from None
    authority = crs.to_authority(min_confidence=90)
    return _planar(crs, f"{authority[0]}:{authority[1]}" if authority else "file CRS")


def resolve_crs(declared: str | None, file_crs: str | None) -> SourceCrs:
    """The CRS to convert from: the declared one, checked against what the file states."""
    if declared is None or not declared.strip():
        if file_crs is None:
            raise _refuse(f"必须指定坐标系：{_HINT}", "the coordinate system (crs) is required")
        return _file_crs(file_crs)
    chosen = parse_crs(declared)
    if file_crs is None:
        return chosen
    stated = _file_crs(file_crs)
    chosen_crs = chosen.crs if chosen.crs is not None else _WGS84
    assert stated.crs is not None
    if stated.geographic and chosen.geographic:
        return chosen
    if not stated.crs.equals(chosen_crs, ignore_axis_order=True):
        raise _refuse(
            f"所选坐标系 {chosen.name} 与文件声明的 {stated.name} 不一致",
            f"the declared {chosen.name} disagrees with the file's {stated.name}",
        )
    return chosen


def looks_swapped(lon: float, lat: float) -> bool:
    """Both values are valid, the point is outside China, and swapping them puts it inside."""
    return bool(not in_china(lon, lat) and in_china(lat, lon))
