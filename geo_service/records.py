"""Validated records for facilities and districts, shared by every path that writes to the database.

The sample loader uses them now; bulk imports and the editing API use the same models later, so a value
the API would reject can never enter through a file either.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from geo_service import vocab
from geo_service.analysis.hours import is_valid_hours


def _check_code(value: str | None, allowed: Any, what: str) -> str | None:
    if value is not None and value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of: {', '.join(allowed)}")
    return value


#: a district's code: a Chinese adcode (371602), or the code of a unit in an operator's own boundaries
UNIT_CODE = r"^[0-9A-Za-z_-]{1,6}$"


class FacilityRecord(BaseModel):
    """One facility as stored: WGS-84 lon/lat plus its attributes (docs/architecture.md, "Data model")."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=64)
    kind: str
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    district_adcode: str = Field(pattern=UNIT_CODE)
    township: str | None = Field(default=None, max_length=64)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    amenities: list[str] = Field(default_factory=list)
    opening_hours: str | None = Field(default=None, max_length=300)
    access_method: str | None = None
    host_org: str | None = Field(default=None, max_length=200)
    host_type: str | None = None
    phone: str | None = Field(default=None, max_length=40)
    status: str = "open"
    last_verified_at: date | None = None
    area_m2: float | None = Field(default=None, ge=0)
    truck_parking_spaces: int = Field(default=0, ge=0)
    details: dict[str, Any] = Field(default_factory=dict)
    source: str | None = Field(default=None, max_length=200)
    is_sample: bool = False

    @field_validator("lon", "lat")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _check_code(value, vocab.KINDS, "kind") or value

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        return _check_code(value, vocab.STATUSES, "status") or value

    @field_validator("access_method")
    @classmethod
    def _access(cls, value: str | None) -> str | None:
        return _check_code(value, vocab.ACCESS_METHODS, "access_method")

    @field_validator("host_type")
    @classmethod
    def _host_type(cls, value: str | None) -> str | None:
        return _check_code(value, vocab.HOST_TYPES, "host_type")

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        """Unparseable hours would show as "unknown" for ever: refuse them when they are written."""
        if not value:
            return None
        if not is_valid_hours(value):
            raise PydanticCustomError(
                "opening_hours_syntax",
                "开放时间不符合 OpenStreetMap 语法 (not valid OpenStreetMap opening_hours syntax, e.g. Mo-Fr 08:00-18:00)",  # noqa: E501
            )
        return value

    @field_validator("amenities")
    @classmethod
    def _amenities(cls, value: list[str]) -> list[str]:
        for amenity in value:
            _check_code(amenity, vocab.AMENITIES, "amenity")
        if len(set(value)) != len(value):
            raise ValueError("amenities must not repeat")
        return value

    @model_validator(mode="after")
    def _truck_parking_consistent(self) -> FacilityRecord:
        if self.truck_parking_spaces and "truck_parking" not in self.amenities:
            raise ValueError("truck_parking_spaces > 0 requires the truck_parking amenity")
        return self

    @property
    def wkt(self) -> str:
        return f"POINT({self.lon!r} {self.lat!r})"


#: Characters XML 1.0 (XLSX, KML) cannot carry: C0 controls but tab and newline, surrogates, U+FFFE/U+FFFF.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_OPTIONAL_TEXT = ("address", "township", "opening_hours", "host_org", "phone", "source")
_TEXT = ("code", "kind", "name", "status", "access_method", "host_type", *_OPTIONAL_TEXT)


class FacilityInput(FacilityRecord):
    """A facility as a person submits it (imports, edits): FacilityRecord plus the checks stored rows predate.

    Opening hours must parse (a rider is never shown hours we cannot evaluate); line ends become `\\n`
    and text may not hold characters that XLSX and KML cannot write, so every accepted value survives
    an export and a re-import unchanged; blank optional text is absent (None), never "".
    """

    @field_validator(*_TEXT, mode="after")
    @classmethod
    def _writable_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        if _UNWRITABLE.search(value):
            raise PydanticCustomError("control_character", "contains a control character that files cannot hold")
        return value

    @field_validator(*_OPTIONAL_TEXT, mode="after")
    @classmethod
    def _blank_is_absent(cls, value: str | None) -> str | None:
        return value or None


class DistrictRecord(BaseModel):
    """An administrative area with its population (figure, year and source travel together)."""

    model_config = ConfigDict(extra="forbid")

    adcode: str = Field(pattern=UNIT_CODE)
    name: str = Field(min_length=1, max_length=64)
    level: str = Field(pattern=r"^(province|city|district)$")
    parent_adcode: str | None = None
    population: int | None = Field(default=None, ge=0)
    population_year: int | None = None
    population_source: str | None = None
    seat_lon: float | None = Field(default=None, ge=-180, le=180)
    seat_lat: float | None = Field(default=None, ge=-90, le=90)
    wkt: str


def describe_error(exc: Exception) -> str:
    """One line per problem, `field: message`, for row-by-row reports (pydantic's text is multi-line)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'row'}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
    return str(exc)


@dataclass(frozen=True)
class FacilityColumns:
    """Facility rows as columns (queries.facilities.open_facility_columns): `batch["name"]` is every row's
    name, in the rows' order."""

    columns: Mapping[str, Sequence[Any]]
    size: int

    def __getitem__(self, name: str) -> Sequence[Any]:
        return self.columns[name]

    def __len__(self) -> int:
        return self.size
