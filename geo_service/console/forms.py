"""The facility form: what it shows, what it sends, and the create body or merge patch it amounts to.

Text fields travel as typed; turning them into the API's body (numbers, lists, the JSON of `details`)
is all that happens here. Whether the facility is valid is decided by the editing service, exactly as
for the API: the console never checks a value a second time. A patch holds only what the editor changed
against the version the form was made from, so saving never rewrites a field nobody touched.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from geo_service import vocab
from geo_service.errors import InvalidInput
from geo_service.services.facility_input import FacilityCreate, FacilityPatch, label

#: Free-text fields, shown and sent as typed (blank optional text is "no value").
TEXT_FIELDS = ("code", "name", "address", "township", "opening_hours", "host_org", "phone", "source")
#: Fields chosen from a controlled list (a select).
CODE_FIELDS = ("kind", "status", "access_method", "host_type")
REQUIRED = frozenset({"code", "name", "kind", "status"})
NUMBER_FIELDS = ("lon", "lat", "area_m2", "truck_parking_spaces")
#: Every field of the form, in the order the conflict page compares them.
ALL_FIELDS = (
    "code", "name", "kind", "status", "district_adcode", "township", "address", "lon", "lat", "amenities",
    "opening_hours", "access_method", "truck_parking_spaces", "area_m2", "host_org", "host_type", "phone",
    "source", "details",
)  # fmt: skip
COORDINATE_DECIMALS = 7
Body = TypeVar("Body", bound=BaseModel)


@dataclass(frozen=True)
class FacilityForm:
    """The form's values as text (what the inputs hold) and its ticked amenities."""

    values: dict[str, str] = field(default_factory=dict)
    amenities: tuple[str, ...] = ()

    @classmethod
    def blank(cls) -> FacilityForm:
        return cls({"kind": "station", "status": "open", "crs": "wgs84", "truck_parking_spaces": "0"})

    @classmethod
    def from_form(cls, form: FormData) -> FacilityForm:
        names = (*TEXT_FIELDS, *CODE_FIELDS, *NUMBER_FIELDS, "crs", "district_adcode", "details")
        values = {name: str(form.get(name) or "").strip() for name in names}
        values["details"] = str(form.get("details") or "").strip()
        amenities = tuple(code for code in vocab.AMENITIES if code in form.getlist("amenities"))
        return cls(values, amenities)

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> FacilityForm:
        values = {name: "" if row[name] is None else str(row[name]) for name in (*TEXT_FIELDS, *CODE_FIELDS)}
        values |= {
            "lon": f"{float(row['lon']):.{COORDINATE_DECIMALS}f}",
            "lat": f"{float(row['lat']):.{COORDINATE_DECIMALS}f}",
            "crs": "wgs84",
            "district_adcode": str(row["district_adcode"]),
            "area_m2": "" if row["area_m2"] is None else _number_text(float(row["area_m2"])),
            "truck_parking_spaces": str(row["truck_parking_spaces"] or 0),
            "details": json.dumps(row["details"], ensure_ascii=False, indent=2) if row["details"] else "",
        }
        stored = set(row["amenities"] or ())
        return cls(values, tuple(code for code in vocab.AMENITIES if code in stored))

    def to_json(self) -> str:
        """The form as the hidden `base` field carries it: the values the editor started from."""
        return json.dumps({"values": self.values, "amenities": list(self.amenities)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> FacilityForm | None:
        """The `base` field back; None when missing or damaged (the save then compares with the current row)."""
        try:
            data = json.loads(text)
            values = {str(k): str(v) for k, v in data["values"].items()}
            return cls(values, tuple(str(code) for code in data["amenities"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def changed_from(self, base: FacilityForm) -> set[str]:
        """The fields (ALL_FIELDS names; the point as lon+lat) the editor changed since `base`."""
        changed = {name for name in ALL_FIELDS if self.text(name) != base.text(name)}
        if {"lon", "lat"} & changed or self.values.get("crs", "wgs84") != base.values.get("crs", "wgs84"):
            changed |= {"lon", "lat"}
        return changed

    def merged_onto(self, current: FacilityForm, base: FacilityForm) -> FacilityForm:
        """`current` with the editor's own changes since `base` on top: what someone else changed meanwhile
        stays, what the editor changed wins."""
        mine = self.changed_from(base)
        values = dict(current.values)
        for name in mine - {"amenities"}:
            values[name] = self.values.get(name, "")
        if "lon" in mine:
            values["crs"] = self.values.get("crs", "wgs84")
        amenities = self.amenities if "amenities" in mine else current.amenities
        return FacilityForm(values, amenities)

    def text(self, name: str) -> str:
        """The field as the conflict page shows it."""
        if name == "amenities":
            return "、".join(vocab.AMENITIES.get(code, code) for code in self.amenities)
        return self.values.get(name, "")

    def create_body(self) -> FacilityCreate:
        """The API's create body; a 422 naming each field whose text is not a number or not JSON."""
        body = self._typed()
        data = {k: ("" if v is None else v) if k in REQUIRED else v for k, v in body.items()}
        return _validated(FacilityCreate, {k: v for k, v in data.items() if v is not None})

    def patch_against(self, row: Mapping[Any, Any]) -> FacilityPatch:
        """A merge patch of what differs from `row` (the version the form was made from)."""
        body, changes = self._typed(), {}
        for name in (*TEXT_FIELDS, *CODE_FIELDS, "area_m2"):
            if body[name] != row[name]:
                changes[name] = "" if body[name] is None and name in REQUIRED else body[name]
        if set(body["amenities"]) != set(row["amenities"] or []):  # the order of ticks means nothing
            changes["amenities"] = body["amenities"]
        if body["truck_parking_spaces"] != (row["truck_parking_spaces"] or 0):
            changes["truck_parking_spaces"] = body["truck_parking_spaces"]
        changes |= _details_patch(row["details"] or {}, body["details"])
        changes |= _position_patch(row, body)
        return _validated(FacilityPatch, changes)

    def _typed(self) -> dict[str, Any]:
        problems: list[tuple[str, str]] = []
        body: dict[str, Any] = {name: self.values.get(name) or None for name in (*TEXT_FIELDS, *CODE_FIELDS)}
        for name in ("lon", "lat", "area_m2"):
            body[name] = _number(self.values.get(name, ""), name, problems)
        problems += [(name, f"{label(name)} 必填 (required)") for name in ("lon", "lat") if not self.values.get(name)]
        spaces = _number(self.values.get("truck_parking_spaces", ""), "truck_parking_spaces", problems)
        body["truck_parking_spaces"] = int(spaces) if spaces is not None and spaces.is_integer() else spaces or 0
        body["crs"] = self.values.get("crs") or "wgs84"
        body["district_adcode"] = self.values.get("district_adcode") or None
        body["amenities"] = list(self.amenities)
        body["details"] = _details(self.values.get("details", ""), problems)
        if problems:
            raise InvalidInput(problems)
        return body


def _validated(model: type[Body], data: Mapping[Any, Any]) -> Body:
    """The body model of `data`; its type errors (a fraction of a parking space) as a 422 naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            (str(error["loc"][0]), f"{label(str(error['loc'][0]))} 无效 (invalid): {error['msg']}")
            for error in exc.errors()
            if error["loc"]
        ]
        raise InvalidInput(problems or [("body", str(exc))]) from None


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def _number(text: str, name: str, problems: list[tuple[str, str]]) -> float | None:
    if not text:
        return None
    try:
        value = float(text.replace("，", ".").replace(",", "."))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        problems.append((name, f"{label(name)} 须为数字 (must be a number, got {text!r})"))
        return None
    return value


def _details(text: str, problems: list[tuple[str, str]]) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(("details", f"{label('details')} 不是有效的 JSON (not valid JSON: {exc.msg})"))
        return {}
    if not isinstance(value, dict):
        problems.append(("details", f"{label('details')} 须为 JSON 对象 {{…}} (must be a JSON object)"))
        return {}
    return value


def _details_patch(old: Mapping[Any, Any], new: Mapping[Any, Any]) -> dict[str, Any]:
    """Members that changed, and null for each removed one (RFC 7396), or nothing when equal."""
    if dict(old) == dict(new):
        return {}
    if not new:
        return {"details": None}
    members = {key: None for key in old if key not in new}
    members |= {key: value for key, value in new.items() if old.get(key) != value}
    return {"details": members}


def _position_patch(row: Mapping[Any, Any], body: Mapping[Any, Any]) -> dict[str, Any]:
    """lon/lat/crs when the pin moved (or was typed in another system), and the district when chosen."""
    changes: dict[str, Any] = {}
    lon, lat, crs = body["lon"], body["lat"], body["crs"]
    same_point = (
        crs == "wgs84"
        and lon is not None
        and lat is not None
        and round(lon, COORDINATE_DECIMALS) == round(float(row["lon"]), COORDINATE_DECIMALS)
        and round(lat, COORDINATE_DECIMALS) == round(float(row["lat"]), COORDINATE_DECIMALS)
    )
    if not same_point:
        changes |= {"lon": lon, "lat": lat, "crs": crs}
    district = body["district_adcode"]
    if district is None:
        changes["district_adcode"] = None  # "from the point": derived again
    elif district != row["district_adcode"]:
        changes["district_adcode"] = district
    return changes
