"""`parse_rows`: a RawTable and its ColumnMap → one validated FacilityInput or a list of RowIssues per row,
plus warnings. Database-free: districts come in as a lookup (and optionally a point-in-district
callable) from the caller.

Each cell is parsed by its field's parser (values.py); coordinates of all rows are converted to WGS-84
in one vectorised call; then FacilityInput, the one validation of a facility, has the last word.
Rejections: bad cells, formula cells, unknown districts, a code already used by an earlier row of the
file. Warnings: lon/lat that only fit China swapped, 24/7 hours with a staffed door.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

import numpy as np
from pydantic import ValidationError

from geo_service.interchange import messages, values
from geo_service.interchange.columns import ColumnMap
from geo_service.interchange.coords import SourceCrs, looks_swapped, resolve_crs
from geo_service.interchange.messages import issue
from geo_service.interchange.tables import CellValue, RawRow, RawTable, RowIssue
from geo_service.records import FacilityInput

#: Finds the district adcode of a WGS-84 point (lon, lat), or None outside every district.
DistrictAt = Callable[[float, float], str | None]

_PARSERS: Final[dict[str, Callable[[CellValue], Any]]] = {
    **dict.fromkeys(
        ("code", "name", "address", "township", "opening_hours", "host_org", "phone", "source"), values.text
    ),
    **{name: partial(values.code_of, name) for name in ("kind", "status", "access_method", "host_type")},
    "amenities": values.amenities,
    "last_verified_at": values.day,
    "area_m2": values.number,
    "truck_parking_spaces": values.integer,
    "details": values.details,
    "is_sample": values.boolean,
}
_REQUIRED: Final = ("code", "name", "kind")
_ALWAYS_OPEN: Final = frozenset({"24/7", "mo-su00:00-24:00", "00:00-24:00"})


@dataclass(frozen=True)
class ParsedRow:
    """One data row: `record` when it is valid (WGS-84 lon/lat), else None with its `issues`."""

    number: int
    record: FacilityInput | None
    issues: tuple[RowIssue, ...] = ()


@dataclass(frozen=True)
class ParsedRows:
    rows: tuple[ParsedRow, ...]
    warnings: tuple[RowIssue, ...]
    crs: str  # the coordinate system the points were converted from

    @property
    def accepted(self) -> tuple[ParsedRow, ...]:
        return tuple(row for row in self.rows if row.record is not None)

    @property
    def rejections(self) -> tuple[RowIssue, ...]:
        return tuple(problem for row in self.rows for problem in row.issues)


@dataclass
class _Draft:
    """A row on its way to a record: parsed field values and the problems found so far."""

    number: int
    raw: dict[str, CellValue]
    fields: dict[str, Any] = field(default_factory=dict)
    issues: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    xy: tuple[float, float] | None = None
    xy_from_columns: bool = False


def parse_rows(
    table: RawTable,
    column_map: ColumnMap,
    source_crs: str | None,
    district_lookup: Mapping[str, str],
    *,
    district_at: DistrictAt | None = None,
) -> ParsedRows:
    """Validate every row. `source_crs`: wgs84 | gcj02 | bd09 | EPSG:nnnn, or None to use the file's own.
    `district_lookup` maps adcodes and district names to adcodes; `district_at` (optional) fills the
    district of rows that give none. Raises InvalidParameter(crs) for an unknown or contradicted CRS."""
    crs = resolve_crs(source_crs, table.source_crs)
    drafts = [_draft(row, column_map, table.has_geometry) for row in table.rows]
    _convert_points(drafts, crs, column_map)
    keys = _district_keys(district_lookup)
    first_row: dict[str, int] = {}
    parsed = []
    for draft in drafts:
        _resolve_district(draft, column_map, keys, district_at)
        _check_duplicate(draft, column_map, first_row)
        parsed.append(_finish(draft, column_map))
    warnings = [*table.warnings, *(w for d in drafts for w in d.warnings)]
    return ParsedRows(rows=tuple(parsed), warnings=tuple(warnings), crs=crs.name)


def _draft(row: RawRow, column_map: ColumnMap, has_geometry: bool) -> _Draft:
    raw = {name: row.values.get(header) for name, header in column_map.fields.items()}
    draft = _Draft(number=row.number, raw=raw, issues=_reader_issues(row, column_map))
    for name, parser in _PARSERS.items():
        if name in raw:
            _parse_field(draft, column_map, name, parser)
    for name in _REQUIRED:
        if draft.fields.get(name) is None and not _has_issue(draft, name):
            draft.issues.append(issue(row.number, name, None, messages.REQUIRED, column_map.header(name)))
    _take_point(draft, row, column_map, has_geometry)
    return draft


def _reader_issues(row: RawRow, column_map: ColumnMap) -> list[RowIssue]:
    """The reader's own issues, renamed to fields; a formula in a column we do not use is harmless."""
    by_header = {header: name for name, header in column_map.fields.items()}
    kept = []
    for problem in row.issues:
        if problem.column is None:
            kept.append(problem)
        elif problem.column in by_header:
            kept.append(RowIssue(**{**problem.__dict__, "field": by_header[problem.column]}))
    return kept


def _has_issue(draft: _Draft, name: str) -> bool:
    return any(problem.field == name for problem in draft.issues)


def _parse_field(draft: _Draft, column_map: ColumnMap, name: str, parser: Callable[[CellValue], Any]) -> None:
    if _has_issue(draft, name):
        return
    try:
        value = parser(draft.raw[name])
    except values.CellError as exc:
        draft.issues.append(
            issue(draft.number, name, values.text(draft.raw[name]), exc.reason, column_map.header(name))
        )
        return
    if value is not None:
        draft.fields[name] = value


def _take_point(draft: _Draft, row: RawRow, column_map: ColumnMap, has_geometry: bool) -> None:
    """The point in the source CRS: the geometry when there is one, else the lon/lat columns."""
    if row.lon is not None and row.lat is not None:
        draft.xy = (row.lon, row.lat)
        return
    if has_geometry and ("lon" not in column_map.fields or "lat" not in column_map.fields):
        if not _has_issue(draft, "geometry"):
            draft.issues.append(issue(draft.number, "geometry", None, messages.NO_POINT))
        return
    xy = []
    for axis in ("lon", "lat"):
        try:
            value = values.number(draft.raw.get(axis))
        except values.CellError as exc:
            draft.issues.append(
                issue(draft.number, axis, values.text(draft.raw.get(axis)), exc.reason, column_map.header(axis))
            )
            continue
        if value is None and not _has_issue(draft, axis):
            draft.issues.append(issue(draft.number, axis, None, messages.REQUIRED, column_map.header(axis)))
        xy.append(value)
    if len(xy) == 2 and xy[0] is not None and xy[1] is not None:
        draft.xy, draft.xy_from_columns = (xy[0], xy[1]), True


def _axis_value(draft: _Draft, axis: str, value: float) -> str:
    return str(values.text(draft.raw.get(axis))) if draft.xy_from_columns else repr(value)


def _geographic_ok(draft: _Draft, column_map: ColumnMap) -> bool:
    """Degrees in range (with a swap warning when only swapped they fit China); else a rejection."""
    assert draft.xy is not None
    lon, lat = draft.xy
    if -180 <= lon <= 180 and -90 <= lat <= 90:
        if looks_swapped(lon, lat):
            draft.warnings.append(
                issue(draft.number, "lon", f"{lon!r}, {lat!r}", messages.SWAPPED, column_map.header("lon"))
            )
        return True
    swapped = -90 <= lon <= 90 and -180 <= lat <= 180
    axis, low, high, value = ("lat", -90, 90, lat) if not -90 <= lat <= 90 else ("lon", -180, 180, lon)
    reason = messages.out_of_range(axis, low, high, swapped)
    draft.issues.append(issue(draft.number, axis, _axis_value(draft, axis, value), reason, column_map.header(axis)))
    return False


def _convert_points(drafts: list[_Draft], crs: SourceCrs, column_map: ColumnMap) -> None:
    """WGS-84 lon/lat into each draft's fields, all rows in one conversion."""
    pending = [d for d in drafts if d.xy is not None and (not crs.geographic or _geographic_ok(d, column_map))]
    if not pending:
        return
    x = np.array([d.xy[0] for d in pending if d.xy is not None], dtype=np.float64)
    y = np.array([d.xy[1] for d in pending if d.xy is not None], dtype=np.float64)
    lon, lat = crs.to_wgs84(x, y)
    for draft, a, b in zip(pending, lon.tolist(), lat.tolist(), strict=True):
        if np.isfinite(a) and np.isfinite(b) and -180 <= a <= 180 and -90 <= b <= 90:
            draft.fields["lon"], draft.fields["lat"] = a, b
        else:
            value = f"{draft.xy[0]!r}, {draft.xy[1]!r}" if draft.xy else ""
            draft.issues.append(issue(draft.number, "lon", value, messages.TRANSFORM_FAILED, column_map.header("lon")))


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _district_keys(lookup: Mapping[str, str]) -> dict[str, str]:
    """Lookup keys (names, adcodes) plus every adcode itself, compared after NFKC and trimming."""
    keys = {_key(adcode): adcode for adcode in lookup.values()}
    keys.update({_key(key): adcode for key, adcode in lookup.items()})
    return keys


def _given_districts(draft: _Draft, column_map: ColumnMap, keys: Mapping[str, str]) -> dict[str, str]:
    found = {}
    for name in ("district_code", "district"):
        given = values.text(draft.raw.get(name))
        if given is None:
            continue
        adcode = keys.get(_key(given))
        if adcode is None:
            draft.issues.append(
                issue(draft.number, name, given, messages.unknown_district(given), column_map.header(name))
            )
        else:
            found[name] = adcode
    return found


def _resolve_district(
    draft: _Draft, column_map: ColumnMap, keys: Mapping[str, str], district_at: DistrictAt | None
) -> None:
    found = _given_districts(draft, column_map, keys)
    if len(set(found.values())) > 1:
        reason = messages.district_conflict(found["district_code"], found["district"])
        draft.issues.append(
            issue(
                draft.number, "district", values.text(draft.raw.get("district")), reason, column_map.header("district")
            )
        )
    elif found:
        draft.fields["district_adcode"] = next(iter(found.values()))
    elif _has_issue(draft, "district") or _has_issue(draft, "district_code"):
        return
    elif district_at is None:
        draft.issues.append(issue(draft.number, "district", None, messages.REQUIRED, column_map.header("district")))
    elif "lon" in draft.fields:
        adcode = district_at(draft.fields["lon"], draft.fields["lat"])
        if adcode is None:
            draft.issues.append(issue(draft.number, "district", None, messages.NO_DISTRICT_AT_POINT))
        else:
            draft.fields["district_adcode"] = adcode


def _check_duplicate(draft: _Draft, column_map: ColumnMap, first_row: dict[str, int]) -> None:
    code = draft.fields.get("code")
    if not isinstance(code, str) or not code.strip():
        return
    code = code.strip()
    if code in first_row:
        reason = messages.duplicate_code(first_row[code])
        draft.issues.append(issue(draft.number, "code", code, reason, column_map.header("code")))
    else:
        first_row[code] = draft.number


def _warn_staffed_24_7(draft: _Draft, column_map: ColumnMap) -> None:
    hours = str(draft.fields.get("opening_hours", "")).replace(" ", "").casefold()
    if hours in _ALWAYS_OPEN and draft.fields.get("access_method") == "staffed":
        value = values.text(draft.raw.get("access_method"))
        draft.warnings.append(
            issue(draft.number, "access_method", value, messages.STAFFED_24_7, column_map.header("access_method"))
        )


def _field_of(name: str, column_map: ColumnMap) -> str:
    if name == "district_adcode":
        return "district" if "district" in column_map.fields else "district_code"
    return name


def _finish(draft: _Draft, column_map: ColumnMap) -> ParsedRow:
    if draft.issues:
        return ParsedRow(number=draft.number, record=None, issues=tuple(draft.issues))
    try:
        record = FacilityInput.model_validate(draft.fields)
    except ValidationError as exc:
        problems = []
        for name, reason in messages.validation_reasons(exc):
            target = _field_of(name, column_map)
            given = values.text(draft.raw.get(target))
            problems.append(issue(draft.number, target, given, reason, column_map.header(target)))
        return ParsedRow(number=draft.number, record=None, issues=tuple(problems))
    _warn_staffed_24_7(draft, column_map)
    return ParsedRow(number=draft.number, record=record)
