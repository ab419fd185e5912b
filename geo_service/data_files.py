"""Readers for the bundled data files (data/README.md): boundaries, population, sample facilities.

Each reader validates every row and reports all bad rows at once (DataFileError), so a broken file
never half-loads.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError
from shapely.geometry import shape

from geo_service.errors import DataFileError
from geo_service.records import DistrictRecord, FacilityRecord, describe_error

BOUNDARIES = Path("boundaries") / "binzhou.geojson"
POPULATION = Path("population") / "binzhou_population.csv"
SEATS = Path("boundaries") / "seats.csv"
SAMPLE_FACILITIES = Path("sample") / "facilities.geojson"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{path}: cannot read GeoJSON ({exc})") from exc
    if data.get("type") != "FeatureCollection":
        raise DataFileError(f"{path}: not a GeoJSON FeatureCollection")
    return data


def _population(path: Path) -> dict[str, dict[str, Any]]:
    """adcode → {population, population_year, population_source}; missing file → no figures."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    figures = {}
    for row in rows:
        if not row.get("population"):
            continue
        figures[row["adcode"]] = {
            "population": int(row["population"]),
            "population_year": int(row["year"]) if row.get("year") else None,
            "population_source": row.get("source") or None,
        }
    return figures


class Seat(NamedTuple):
    """A county-level unit's name and the (approximate, WGS-84) position of its seat of government."""

    name: str
    lon: float
    lat: float


def read_seats(data_dir: Path) -> dict[str, Seat]:
    """adcode → Seat from boundaries/seats.csv, the one table of the units' names and seats (the boundary
    and sample builders read it too); a missing file → no seats."""
    path = data_dir / SEATS
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["adcode"]: Seat(row["name"], float(row["lon"]), float(row["lat"])) for row in csv.DictReader(handle)
        }


def _seats(data_dir: Path) -> dict[str, dict[str, Any]]:
    """adcode → the seat fields of a DistrictRecord."""
    return {code: {"seat_lon": seat.lon, "seat_lat": seat.lat} for code, seat in read_seats(data_dir).items()}


def read_districts(data_dir: Path) -> list[DistrictRecord]:
    """City and county-level boundaries joined with their population figures and seats."""
    path = data_dir / BOUNDARIES
    population = _population(data_dir / POPULATION)
    seats = _seats(data_dir)
    records, problems = [], []
    for number, feature in enumerate(_read_json(path)["features"], start=1):
        props = feature.get("properties") or {}
        try:
            geom = shape(feature["geometry"])
            fields = {key: props.get(key) for key in ("adcode", "name", "level", "parent_adcode")}
            fields |= population.get(str(props.get("adcode")), {}) | seats.get(str(props.get("adcode")), {})
            records.append(DistrictRecord.model_validate(fields | {"wkt": geom.wkt}))
        except (ValidationError, KeyError, ValueError, AttributeError) as exc:
            problems.append(f"feature {number}: {describe_error(exc)}")
    if problems:
        raise DataFileError(f"{path}: " + "; ".join(problems))
    return records


def facility_from_feature(feature: dict[str, Any]) -> FacilityRecord:
    """A GeoJSON Point feature → validated FacilityRecord (raises ValidationError/ValueError)."""
    geometry = feature.get("geometry") or {}
    if geometry.get("type") != "Point":
        raise ValueError(f"geometry must be a Point, got {geometry.get('type')!r}")
    lon, lat = geometry["coordinates"][:2]
    return FacilityRecord(lon=lon, lat=lat, **(feature.get("properties") or {}))


def read_sample_facilities(data_dir: Path) -> list[FacilityRecord]:
    """The synthetic sample facilities (every one is_sample=True)."""
    path = data_dir / SAMPLE_FACILITIES
    records, problems = [], []
    first_seen: dict[str, int] = {}
    for number, feature in enumerate(_read_json(path)["features"], start=1):
        try:
            record = facility_from_feature(feature)
        except (ValidationError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"feature {number}: {describe_error(exc)}")
            continue
        if not record.is_sample:
            problems.append(f"feature {number}: sample rows must have is_sample=true")
        if record.code in first_seen:
            first = first_seen[record.code]
            problems.append(f"feature {number}: duplicate code {record.code!r} (first in feature {first})")
        first_seen.setdefault(record.code, number)
        records.append(record)
    if problems:
        raise DataFileError(f"{path}: " + "; ".join(problems[:20]))
    return records
