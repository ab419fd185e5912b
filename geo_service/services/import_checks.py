"""The checks of an import that need the database: where the point lies, who may write it, what is
already stored under its code, and what stands nearby. Each accepted row becomes an Assessment:
created / updated / unchanged / rejected, with rejections and warnings.

Districts (README "Import and export" says the same to users):
- a point inside its stated district is fine;
- outside it by at most `border_tolerance_m` (outlines are generalised; a station on the border may
  fall just across it) is a warning, and the row keeps its stated district;
- farther away and inside another district is a rejection ("a district that does not match the
  point"): the stated district decides who edits the station and where it is counted, and we cannot
  tell which of the two facts is wrong;
- farther away and in no district at all is a rejection ("outside the area").
An editor may write only rows of its districts, and may not take over a code stored in another
district. A code stored on a soft-deleted facility is refused (restoring is an admin's act).

GCJ-02 (or BD-09) coordinates declared as WGS-84 cannot be seen in a single point: both are plausible
positions ~500 m apart. Two cases are detectable and warned about: the row updates a stored facility
and its point is the stored one shifted by the vendor offset (within a few metres), or the point is
outside its stated district but inside it once converted from the vendor system.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from pydantic import ValidationError
from sqlalchemy import RowMapping

from geo_service.analysis.districts import DistrictShapes
from geo_service.analysis.proximity import pairs_within
from geo_service.authorization import Principal, can_write
from geo_service.interchange import RowIssue, messages
from geo_service.interchange.messages import Reason, issue
from geo_service.queries.imports import RECORD_FIELDS
from geo_service.records import FacilityRecord
from geo_service.services.import_report import Status

_ALL_FIELDS: Final = frozenset(FacilityRecord.model_fields)
_SAME_DEGREES: Final = 1e-9  # ~0.1 mm: a coordinate read back from the database is the one written
_BRACKETED = re.compile(r"[(\[【（].*?[)\]】）]")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class CheckContext:
    """What every row is checked against (loaded once per import)."""

    principal: Principal
    districts: DistrictShapes
    names: Mapping[str, str]  # adcode → district name
    stored: Mapping[str, RowMapping]  # code → stored row (queries.imports.stored_by_code)
    present: frozenset[str]  # record fields the file sets; an update leaves the others as stored
    border_tolerance_m: float
    declared_crs: str  # what the coordinates were converted from (ParsedRows.crs)
    headers: Mapping[str, str] = field(default_factory=dict)  # field → the file's header (ColumnMap.fields)

    def label(self, adcode: str) -> str:
        return f"{self.names.get(adcode, adcode)}（{adcode}）"

    @property
    def district_field(self) -> str:
        """The report's field for district problems: the district column the file has."""
        return "district_code" if "district_code" in self.headers and "district" not in self.headers else "district"

    def issue(self, number: int, name: str, value: object, reason: Reason) -> RowIssue:
        return issue(number, name, value, reason, self.headers.get(name))


@dataclass
class Assessment:
    """One accepted row after the database checks; `record` is what would be written."""

    number: int
    status: Status
    record: FacilityRecord
    stored: RowMapping | None = None
    rejections: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)


@dataclass(frozen=True)
class Placement:
    """Where a row's point lies (services.crs_hints): inside its stated district, and a warning reason
    when its coordinate system looks mislabelled. `point` is the position as given, for messages."""

    point: str
    inside: bool
    hint: Reason | None = None


def assess(number: int, record: FacilityRecord, placement: Placement, ctx: CheckContext) -> Assessment:
    """Every database check of one accepted row."""
    stored = ctx.stored.get(record.code)
    found = Assessment(number, "created", record, stored)
    if not placement.inside:
        _check_district(found, placement.point, ctx)
    _check_rights(found, ctx)
    if placement.hint is not None:
        found.warnings.append(ctx.issue(number, "lon", placement.point, placement.hint))
    if not found.rejections and stored is not None:
        _classify(found, ctx)
    if found.rejections:
        found.status = "rejected"
    return found


def _district_issue(found: Assessment, reason: Reason, ctx: CheckContext) -> RowIssue:
    value = ctx.names.get(found.record.district_adcode, found.record.district_adcode)
    return ctx.issue(found.number, ctx.district_field, value, reason)


def _check_district(found: Assessment, point: str, ctx: CheckContext) -> None:
    """A point outside its stated district: a warning near the border, else a rejection."""
    record = found.record
    distance = ctx.districts.distance_m(record.district_adcode, record.lon, record.lat)
    actual = ctx.districts.containing(record.lon, record.lat)
    stated = ctx.label(record.district_adcode)
    if distance <= ctx.border_tolerance_m:
        reason = messages.near_border(stated, distance, ctx.label(actual) if actual else None)
        found.warnings.append(ctx.issue(found.number, "lon", point, reason))
    elif actual is None:
        found.rejections.append(ctx.issue(found.number, "lon", point, messages.outside_area(stated, distance)))
    else:
        reason = messages.district_mismatch(stated, ctx.label(actual), distance)
        found.rejections.append(_district_issue(found, reason, ctx))


def _check_rights(found: Assessment, ctx: CheckContext) -> None:
    principal, record, stored = ctx.principal, found.record, found.stored
    if not can_write(principal, record.district_adcode):
        yours = "、".join(ctx.label(adcode) for adcode in sorted(principal.districts))
        reason = messages.not_your_district(ctx.label(record.district_adcode), yours)
        found.rejections.append(_district_issue(found, reason, ctx))
    if stored is None:
        return
    if stored["deleted_at"] is not None:
        reason = messages.code_of_deleted(int(stored["id"]))
        found.rejections.append(ctx.issue(found.number, "code", record.code, reason))
    elif not can_write(principal, stored["district_adcode"]):
        reason = messages.code_of_other_district(int(stored["id"]), ctx.label(stored["district_adcode"]))
        found.rejections.append(ctx.issue(found.number, "code", record.code, reason))


def stored_record(stored: RowMapping) -> dict[str, object]:
    """The record fields of a stored row (plus lon/lat), as FacilityRecord takes them."""
    values: dict[str, object] = {name: stored[name] for name in RECORD_FIELDS}
    values["amenities"] = list(stored["amenities"] or [])
    values["details"] = dict(stored["details"] or {})
    return values | {"lon": float(stored["lon"]), "lat": float(stored["lat"])}


def _classify(found: Assessment, ctx: CheckContext) -> None:
    """updated / unchanged against the stored row, comparing only the fields the file sets."""
    assert found.stored is not None
    before = stored_record(found.stored)
    if ctx.present >= _ALL_FIELDS:  # the file sets every field: its record, already valid, is the row
        found.status = "unchanged" if _same(before, found.record.model_dump(), ctx.present) else "updated"
        return
    given = found.record.model_dump(include=set(ctx.present))
    try:
        merged = FacilityRecord.model_validate(before | given)
    except ValidationError as exc:
        for name, reason in messages.validation_reasons(exc):
            found.rejections.append(ctx.issue(found.number, name, (before | given).get(name), reason))
        return
    found.record = merged
    found.status = "unchanged" if _same(before, merged.model_dump(), ctx.present) else "updated"


def _same(before: Mapping[str, object], after: Mapping[str, object], fields: frozenset[str]) -> bool:
    for name in fields:
        old, new = before.get(name), after.get(name)
        if name in ("lon", "lat"):
            if not math.isclose(float(old), float(new), rel_tol=0, abs_tol=_SAME_DEGREES):  # type: ignore[arg-type]
                return False
        elif old != new:
            return False
    return True


def comparable_name(name: str) -> str:
    """A name for similarity: NFKC, case-folded, without bracketed notes, spaces and punctuation."""
    return _NOT_WORD.sub("", _BRACKETED.sub("", unicodedata.normalize("NFKC", name).casefold()))


def similar_names(first: str, second: str) -> bool:
    """Equal, one containing the other, or at least 80% alike (difflib), once made comparable."""
    a, b = comparable_name(first), comparable_name(second)
    if not a or not b:
        return False
    if a == b or (min(len(a), len(b)) >= 2 and (a in b or b in a)):
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def duplicate_warnings(
    found: Sequence[Assessment], nearby: Sequence[RowMapping], radius_m: float, ctx: CheckContext
) -> None:
    """Warn on each row whose point is within radius_m of a stored facility with another code and a
    similar name (the nearest such facility is named)."""
    if not found or not nearby:
        return
    ours = np.array([[a.record.lon, a.record.lat] for a in found], dtype=np.float64)
    theirs = np.array([[row["lon"], row["lat"]] for row in nearby], dtype=np.float64)
    warned: set[int] = set()
    for pair in pairs_within(ours, theirs, radius_m):
        row, other = found[pair.a], nearby[pair.b]
        if pair.a in warned or other["code"] == row.record.code or not similar_names(row.record.name, other["name"]):
            continue
        reason = messages.likely_duplicate(other["code"], other["name"], pair.distance_m)
        row.warnings.append(ctx.issue(row.number, "name", row.record.name, reason))
        warned.add(pair.a)
