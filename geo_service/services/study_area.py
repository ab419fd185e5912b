"""The inputs of coverage and planning, loaded once per request: districts, facilities, demand, and the
service radius (by value or by named preset) with the assumptions every output states.

Districts are county-level units (or the ones asked for); facilities are the open ones of the asked
kinds — from anywhere, since a station across a district line still serves people near it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, NamedTuple

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import wkb
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine

from geo_service import vocab
from geo_service.analysis.demand import AREA_METHOD, DEFAULT_METHOD, grid_points, population_weights
from geo_service.analysis.metric import MetricFrame
from geo_service.errors import InvalidParameter
from geo_service.queries import districts as district_queries
from geo_service.queries import facilities as facility_queries
from geo_service.services.validation import check_codes, resolve_districts

FloatArray = NDArray[np.float64]


class RadiusPreset(NamedTuple):
    """A named service radius and why it is that long."""

    radius_m: float
    basis: str


#: Named service radii with their basis (README "Coverage and planning").
PRESETS: Final = {
    "walk-15": RadiusPreset(1000.0, "15-minute walk at ~4 km/h ≈ 1 km (straight-line)"),
    "shandong-urban": RadiusPreset(500.0, "Shandong rule: urban stations < 1 km apart, so every point within ~500 m"),
    "shandong-dense": RadiusPreset(250.0, "Shandong rule for dense demand: stations < 0.5 km apart, ~250 m reach"),
    "ebike-10": RadiusPreset(3000.0, "10 minutes by e-bike at ~18 km/h ≈ 3 km (straight-line)"),
}
DEFAULT_PRESET: Final = "walk-15"
DISTANCE_METHOD: Final = "straight-line, measured in a transverse Mercator centred on each district"
DISTRICT_ASSIGNMENT: Final = "each facility counts in its stated district (the district it is recorded in)"


def presets_help() -> str:
    """The presets with their radii, for help texts: "walk-15 (1 km), shandong-urban (500 m), …"."""
    return ", ".join(f"{name} ({_length(preset.radius_m)})" for name, preset in PRESETS.items())


def _length(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


class RadiusChoice(NamedTuple):
    """The service radius a request asked for, by value or by preset, and its stated basis."""

    radius_m: float
    preset: str | None
    basis: str


@dataclass(frozen=True)
class DistrictArea:
    """A district as the analysis sees it: its outline with the population and seat that shape demand
    (the database row is geo_service.db.models.District)."""

    adcode: str
    name: str
    population: float | None
    population_year: int | None
    seat: tuple[float, float] | None  # lon, lat
    geom: BaseGeometry  # WGS-84


@dataclass(frozen=True)
class DemandPoints:
    """User-supplied demand in WGS-84 (lon/lat, weight)."""

    lonlat: FloatArray
    weight: FloatArray
    method: str = "supplied weighted points"


@dataclass(frozen=True)
class ExistingSite:
    """An existing facility as plans describe places by it: its stated district (the one every count of
    the product uses) and the words a planner looks up (name, road-side address, township)."""

    code: str
    name: str
    district_adcode: str | None
    address: str | None
    township: str | None


@dataclass(frozen=True)
class StudyArea:
    districts: list[DistrictArea]
    sites: FloatArray  # (n, 2) lon/lat of the open facilities of the asked kinds
    kinds: tuple[str, ...]
    existing: tuple[ExistingSite, ...] = ()  # aligned with `sites`

    def counts_by_district(self) -> dict[str, int]:
        """adcode → existing facilities whose stated district it is: the district a station is recorded in
        decides who edits it and where it is counted, on the map and in every table (a point imported just
        across a border keeps its stated district)."""
        counts = dict.fromkeys((d.adcode for d in self.districts), 0)
        for site in self.existing:
            if site.district_adcode in counts:
                counts[site.district_adcode] += 1
        return counts

    @property
    def boundary(self) -> BaseGeometry:
        return shapely.union_all([d.geom for d in self.districts])

    def clipped(self, polygon: BaseGeometry) -> StudyArea:
        """The districts cut to a polygon (population shared by area); 422 when nothing is left."""
        parts = []
        for district in self.districts:
            piece = shapely.intersection(district.geom, polygon)
            if piece.is_empty or piece.area == 0:
                continue
            share = piece.area / district.geom.area  # lon/lat area ratio: within ~1% of the true share
            population = None if district.population is None else district.population * share
            parts.append(replace(district, geom=piece, population=population))
        if not parts:
            raise InvalidParameter("area", "does not overlap any of the districts")
        return replace(self, districts=parts)


def resolve_radius(radius_m: float | None, preset: str | None, cap_m: float) -> RadiusChoice:
    """The radius asked for (the default preset when none); a preset and an explicit radius together must agree."""
    if preset is not None and preset not in PRESETS:
        raise InvalidParameter("preset", f"unknown preset {preset!r}; expected one of {list(PRESETS)}")
    if radius_m is None:
        name = preset or DEFAULT_PRESET
        return RadiusChoice(PRESETS[name].radius_m, name, PRESETS[name].basis)
    if not (math.isfinite(radius_m) and 0 < radius_m <= cap_m):
        raise InvalidParameter("radius_m", f"must be > 0 and at most {cap_m:g} m, got {radius_m}")
    if preset is not None and PRESETS[preset].radius_m != radius_m:
        raise InvalidParameter("radius_m", f"conflicts with preset {preset!r} ({PRESETS[preset].radius_m:g} m)")
    return RadiusChoice(radius_m, preset, PRESETS[preset].basis if preset else "radius given by the user")


@dataclass(frozen=True)
class Assumptions:
    """What every coverage and plan output states beside its figures: the radius and its basis, the
    facilities counted, and how demand was modelled."""

    radius: RadiusChoice
    kinds: tuple[str, ...]
    facilities_used: int
    demand_method: str
    population_years: tuple[int, ...] = ()  # the years of the districts' population figures

    @classmethod
    def of(cls, area: StudyArea, radius: RadiusChoice, demand_method: str) -> Assumptions:
        years = sorted({d.population_year for d in area.districts if d.population_year is not None})
        return cls(radius, area.kinds, len(area.sites), demand_method, tuple(years))

    def notes(self) -> dict[str, Any]:
        """As JSON members (GeoJSON foreign members, the notes sheet of an XLSX)."""
        return {
            "radius_m": self.radius.radius_m,
            "preset": self.radius.preset,
            "radius_basis": self.radius.basis,
            "distance": DISTANCE_METHOD,
            "kinds": list(self.kinds),
            "facilities_used": self.facilities_used,
            "district_assignment": DISTRICT_ASSIGNMENT,
            "demand_method": self.demand_method,
            "population_year": list(self.population_years),
        }


def read_study_area(engine: Engine, kinds: Sequence[str], districts: Sequence[str]) -> StudyArea:
    """The study area, read on a connection of its own that is back in the pool before the caller starts
    computing: coverage and plans take seconds of CPU, and a connection held meanwhile is one that cheap
    requests wait for (or get a 503 for, once the pool timeout passes)."""
    with engine.connect() as conn:
        return load_study_area(conn, kinds, districts)


def load_study_area(conn: Connection, kinds: Sequence[str], districts: Sequence[str]) -> StudyArea:
    """Districts (by adcode or name; all county-level units when none) and the open facilities."""
    checked = check_codes("kind", list(kinds) or ["station"], vocab.KINDS)
    rows = district_queries.district_shapes(conn, resolve_districts(conn, districts))
    if not rows:
        raise InvalidParameter("district", "no county-level districts are loaded (run `geo-service init`)")
    sites = facility_queries.facility_points(conn, checked)
    return StudyArea(
        districts=[_district(row) for row in rows],
        sites=np.array([[s["lon"], s["lat"]] for s in sites], dtype=np.float64).reshape(-1, 2),
        kinds=checked,
        existing=tuple(
            ExistingSite(s["code"], s["name"], s["district_adcode"], s["address"], s["township"]) for s in sites
        ),
    )


def _district(row: Any) -> DistrictArea:
    seat = (row["seat_lon"], row["seat_lat"]) if row["seat_lon"] is not None else None
    return DistrictArea(
        row["adcode"], row["name"], row["population"], row["population_year"], seat, wkb.loads(bytes(row["wkb"]))
    )


def piece_demand(
    district: DistrictArea,
    piece: BaseGeometry,
    frame: MetricFrame,
    piece_metric: BaseGeometry,
    supplied: DemandPoints | None,
    cell_m: float,
) -> tuple[FloatArray, FloatArray]:
    """Demand points (metres) and weights inside one piece of a district."""
    if supplied is not None:
        inside = shapely.contains_xy(piece, supplied.lonlat[:, 0], supplied.lonlat[:, 1])
        return frame.project_points(supplied.lonlat[inside]), supplied.weight[inside]
    if district.population is None:  # no figure: every km² weighs 1, evenly (demand_method says so)
        return _default_demand(shapely.to_wkb(piece_metric), frame, None, piece_metric.area / 1e6, cell_m)
    share = piece.area / district.geom.area if district.geom.area else 1.0  # pieces split a district by band
    population = float(district.population) * share
    return _default_demand(shapely.to_wkb(piece_metric), frame, district.seat, population, cell_m)


@functools.lru_cache(maxsize=256)
def _default_demand(
    piece_metric_wkb: bytes, frame: MetricFrame, seat: tuple[float, float] | None, population: float, cell_m: float
) -> tuple[FloatArray, FloatArray]:
    """The population surface of a piece; cached because districts rarely change and requests repeat."""
    points = grid_points(shapely.from_wkb(piece_metric_wkb), cell_m)
    seat_xy = frame.project_points(np.array([seat]))[0] if seat else None
    weights = population_weights(points, population, None if seat_xy is None else (seat_xy[0], seat_xy[1]))
    points.setflags(write=False)
    weights.setflags(write=False)
    return points, weights


def demand_method(supplied: DemandPoints | None, cell_m: float, area: StudyArea) -> str:
    """How demand was modelled, naming the districts without a population figure (spread by area)."""
    if supplied is not None:
        return supplied.method
    by_area = [d.name for d in area.districts if d.population is None]
    if len(by_area) == len(area.districts):
        return AREA_METHOD.format(cell=cell_m)
    method = DEFAULT_METHOD.format(cell=cell_m)
    return method + (
        f"; {', '.join(by_area)}: no population figure, {AREA_METHOD.format(cell=cell_m)}" if by_area else ""
    )
