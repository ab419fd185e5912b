"""Facility bodies of the editing API, checked as one whole FacilityRecord.

A create body or a patched facility is turned into the values of a FacilityRecord (geo_service.records,
the one validation every write path shares) and validated as a whole, so a PATCH cannot leave a record
that a create would refuse. On top of the record's own rules: coordinates may come in GCJ-02 or BD-09
(converted to WGS-84 once, here), the point must lie in its county-level district (ST_Covers, boundary
included), and a missing district is derived from the point. Every problem names its field
(`loc: ["body", field]`), in Chinese first and English.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection

from geo_service.analysis import crs as crs_module
from geo_service.errors import InvalidInput
from geo_service.queries import facility_edits
from geo_service.records import FacilityRecord

#: Chinese names of the fields, for messages.
_LABELS = {
    "code": "编码",
    "kind": "类型",
    "name": "名称",
    "address": "地址",
    "district_adcode": "区县",
    "township": "乡镇街道",
    "lon": "经度",
    "lat": "纬度",
    "crs": "坐标系",
    "amenities": "服务设施",
    "opening_hours": "开放时间",
    "access_method": "进入方式",
    "host_org": "依托单位",
    "host_type": "依托单位类型",
    "phone": "联系电话",
    "status": "状态",
    "area_m2": "面积",
    "truck_parking_spaces": "货车停车位",
    "details": "详细信息",
    "source": "来源",
}
#: What a JSON null (merge-patch "remove") means for fields whose absence is a value rather than None.
_REMOVED = {"amenities": list, "details": dict, "truck_parking_spaces": int}
_RECORD_FIELDS = tuple(FacilityRecord.model_fields)
_SYSTEMS: dict[str, crs_module.CoordSystem] = {system: system for system in crs_module.COORD_SYSTEMS}


class FacilityCreate(BaseModel):
    """A new facility. `lon`/`lat` are in `crs` (wgs84, gcj02 as Amap shows them, or bd09);
    `district_adcode` is derived from the point when left out."""

    model_config = ConfigDict(extra="forbid")

    code: str
    kind: str
    name: str
    lon: float
    lat: float
    crs: str = "wgs84"
    district_adcode: str | None = None
    address: str | None = None
    township: str | None = None
    amenities: list[str] = Field(default_factory=list)
    opening_hours: str | None = None
    access_method: str | None = None
    host_org: str | None = None
    host_type: str | None = None
    phone: str | None = None
    status: str = "open"
    area_m2: float | None = None
    truck_parking_spaces: int = 0
    details: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None


class FacilityPatch(BaseModel):
    """A JSON merge patch (RFC 7396) of a facility: members left out stay, `null` removes a value,
    `details` is merged member by member. Moving the point takes `lon` and `lat` together (in `crs`);
    the district is then derived again unless `district_adcode` is given."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = None
    kind: str | None = None
    name: str | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str | None = None
    district_adcode: str | None = None
    address: str | None = None
    township: str | None = None
    amenities: list[str] | None = None
    opening_hours: str | None = None
    access_method: str | None = None
    host_org: str | None = None
    host_type: str | None = None
    phone: str | None = None
    status: str | None = None
    area_m2: float | None = None
    truck_parking_spaces: int | None = None
    details: dict[str, Any] | None = None
    source: str | None = None


def label(field: str) -> str:
    return f"{_LABELS.get(field, field)} ({field})"


def merge_patch(target: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7396: members of `patch` replace those of `target`, null removes, objects merge recursively."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_patch(merged[key], value)
        elif isinstance(value, Mapping):
            merged[key] = merge_patch({}, value)
        else:
            merged[key] = value
    return merged


def record_values(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The FacilityRecord values of a stored facility row (queries.facility_edits.DETAIL_COLUMNS)."""
    return {field: row[field] for field in _RECORD_FIELDS}


def apply_patch(current: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """The record values after a merge patch of the body's fields (`crs` is handled by `wgs84_point`)."""
    values = dict(current)
    for field, value in patch.items():
        if field == "crs":
            continue
        if value is None:
            values[field] = _REMOVED[field]() if field in _REMOVED else None
        elif field == "details":
            values[field] = merge_patch(current.get("details") or {}, value)
        else:
            values[field] = value
    return values


def wgs84_point(lon: float, lat: float, crs: str | None) -> tuple[float, float]:
    """The point in WGS-84; a 422 naming `crs` when it is not one we convert from."""
    system = _SYSTEMS.get(crs or "wgs84")
    if system is None:
        known = list(crs_module.COORD_SYSTEMS)
        raise InvalidInput([("crs", f"{label('crs')} 未知 (unknown crs {crs!r}); 可选 {known}")])
    if system == "wgs84" or not (math.isfinite(lon) and math.isfinite(lat)):
        return lon, lat  # non-finite values are left for the record's check to name
    x, y = crs_module.to_wgs84(lon, lat, system)
    return float(x), float(y)


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, Chinese + English message) per problem of a FacilityRecord validation."""
    found = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "truck_parking_spaces"  # the one record-level rule
        english = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            found.append((field, f"{label(field)} 必填 (required)"))
        else:
            found.append((field, f"{label(field)} 无效 (invalid): {english}"))
    return found


def _valid_point(values: Mapping[str, Any]) -> tuple[float, float] | None:
    lon, lat = values.get("lon"), values.get("lat")
    if not isinstance(lon, int | float) or not isinstance(lat, int | float):
        return None
    if math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90:
        return float(lon), float(lat)
    return None


def _locate(conn: Connection, values: dict[str, Any], derive: bool) -> list[tuple[str, str]]:
    """Derive the district from the point (when asked) and check the point lies in it."""
    point = _valid_point(values)
    if point is None:
        return []  # the record's own check names lon/lat
    covering = facility_edits.covering_districts(conn, *point)
    names = "、".join(f"{d.name} {d.adcode}" for d in covering)
    if not covering:
        return [("lon", f"坐标不在任何区县内 (the point {point} lies outside every district)")]
    if derive:
        if len(covering) > 1:
            return [("district_adcode", f"坐标在区县交界上 ({names})，请指定区县 (on a border: give district_adcode)")]
        values["district_adcode"] = covering[0].adcode
        return []
    if values.get("district_adcode") not in {d.adcode for d in covering}:
        return [
            (
                "district_adcode",
                f"坐标不在该区县内，位于 {names} (the point lies in {names}, not in {values.get('district_adcode')})",
            )
        ]
    return []


def checked_record(conn: Connection, values: dict[str, Any], *, derive_district: bool, locate: bool) -> FacilityRecord:
    """A FacilityRecord of `values` (WGS-84), its point inside its district when `locate`; else one 422
    listing every field's problem."""
    problems = _locate(conn, values, derive_district) if locate else []
    try:
        record = FacilityRecord.model_validate(values)
    except ValidationError as exc:
        named = {field for field, _ in problems}
        if derive_district:
            named.add("district_adcode")  # not derived: the point's problem (lon/lat or border) says why
        problems += [(field, message) for field, message in _problems(exc) if field not in named]
        raise InvalidInput(problems) from None
    if problems:
        raise InvalidInput(problems)
    return record
